/**
 * Where the stack config comes from in a real run: the Pulumi runtime's config map, plus which of its keys
 * are stored as secrets (`pulumi config set --secret`), so that the stack can keep every resource input
 * derived from such a key a secret Output. Reading values with `allConfig()` alone loses that mark and would
 * write secret config as plaintext into inputs and state.
 */
import * as pulumi from "@pulumi/pulumi";
import { StackConfig, parseStackConfig } from ".";

/**
 * The runtime's own test for "this key is a secret" (`@pulumi/pulumi/runtime/config.js`, `isConfigSecret`,
 * which reads PULUMI_CONFIG_SECRET_KEYS as the language host sets it). It is marked internal, so its
 * absence is a hard error rather than a silent "nothing is secret".
 */
function configSecretTest(): (key: string) => boolean {
  const test = (pulumi.runtime as unknown as { isConfigSecret?: unknown }).isConfigSecret;
  if (typeof test !== "function") {
    throw new Error(
      "@pulumi/pulumi no longer exposes runtime.isConfigSecret, so secret config keys cannot be told apart; " +
        "pin @pulumi/pulumi to the version in package-lock.json (npm ci)",
    );
  }
  return test as (key: string) => boolean;
}

/** Reads and validates the current stack's config once. @throws StackConfigError */
export function readStackConfig(): StackConfig {
  const raw = pulumi.runtime.allConfig();
  const isSecret = configSecretTest();
  return parseStackConfig(
    raw,
    pulumi.getStack(),
    Object.keys(raw).filter((key) => isSecret(key)),
  );
}
