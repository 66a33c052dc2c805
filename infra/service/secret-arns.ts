/**
 * Resolves secret references to the full ARNs ECS needs, at deploy time, before any resource is declared.
 *
 * Names are looked up with the AWS provider's data sources (Secrets Manager `getSecret`: DescribeSecret, never
 * the value; SSM `getParameter` without decryption), and ARNs given in config are looked up too, so a
 * missing secret stops `pulumi preview`/`up` with the name and the command that creates it instead of a task
 * that never starts. Every missing secret is reported in one error.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { SecretRef } from "./secrets";

/** A reference with the ARN it resolved to. */
export interface ResolvedSecret {
  readonly env: string;
  readonly arn: string;
}

export interface ResolveOptions {
  /** AWS region the stack deploys to (for the fix commands). */
  readonly region: string;
  /** How to name a reference in messages: the caller's name for it (the stack names its config key). */
  readonly describe: (env: string) => string;
  /** Invoke options (provider, parent). */
  readonly invokeOptions?: pulumi.InvokeOptions;
}

/**
 * The provider's own reason: the engine wraps it as "invocation of <token> returned an error: …: 1 error
 * occurred:\n\t* <reason>", so the last non-empty line is the one that says what is wrong.
 */
function reasonOf(err: unknown): string {
  const lines = String((err as Error)?.message ?? err)
    .split("\n")
    .map((l) => l.trim().replace(/^\* /, ""))
    .filter((l) => l !== "");
  return lines.at(-1) ?? "no reason given";
}

async function lookUp(ref: SecretRef, opts: ResolveOptions): Promise<string> {
  if (ref.store === "secretsmanager") {
    const args = ref.kind === "arn" ? { arn: ref.ref } : { name: ref.ref };
    return (await aws.secretsmanager.getSecret(args, opts.invokeOptions)).arn;
  }
  return (await aws.ssm.getParameter({ name: ref.ref, withDecryption: false }, opts.invokeOptions)).arn;
}

/** The command that creates a missing secret, or checks an ARN given in config. */
function fixCommand(ref: SecretRef, region: string): string {
  if (ref.kind === "arn") {
    return ref.store === "secretsmanager"
      ? `Check it: aws secretsmanager describe-secret --secret-id ${ref.ref}`
      : `Check it: aws ssm get-parameter --name ${ref.ref}`;
  }
  // The value comes from a file, so it is in neither the shell history nor the process list.
  const file = `file://${ref.ref.slice(ref.ref.lastIndexOf("/") + 1)}.txt`;
  return ref.store === "secretsmanager"
    ? `Create it: aws secretsmanager create-secret --region ${region} --name ${ref.ref} --secret-string ${file}`
    : `Create it: aws ssm put-parameter --region ${region} --name ${ref.ref} --type SecureString --value ${file}`;
}

/**
 * Looks up every reference; resolves to `[{env, arn}]` in the order given.
 * @throws one Error naming every reference that could not be read, with the command that creates it
 */
export async function resolveSecretArns(
  refs: readonly SecretRef[],
  opts: ResolveOptions,
): Promise<ResolvedSecret[]> {
  const results = await Promise.allSettled(refs.map((ref) => lookUp(ref, opts)));
  const problems: string[] = [];
  const resolved: ResolvedSecret[] = [];
  results.forEach((result, i) => {
    const ref = refs[i];
    if (result.status === "fulfilled") {
      resolved.push({ env: ref.env, arn: result.value });
      return;
    }
    const store = ref.store === "secretsmanager" ? "Secrets Manager secret" : "SSM parameter";
    problems.push(
      `${opts.describe(ref.env)}: cannot read ${store} "${ref.ref}" in ${opts.region} ` +
        `(${reasonOf(result.reason)}). ${fixCommand(ref, opts.region)}`,
    );
  });
  if (problems.length > 0) {
    throw new Error(
      `${problems.length} runtime secret${problems.length === 1 ? "" : "s"} cannot be read:\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
  }
  return resolved;
}
