/**
 * The rules about secrets: which keys may be stored as secrets, the runtime secret references (checked with
 * the service's own rules), and plain environment values that are, or are named like, secrets.
 */
import { isEnvironment } from "../promotion";
import { SECRET_NAME_MARKERS, checkSecretRef, credentialShape, secretNameFor } from "../service/secrets";
import { Problem, createSecretCommand, rmCommand, setCommand } from "./problems";
import type { Rule } from "./rules";
import { SECRET_CAPABLE_KEYS, configKey as k } from "./schema";

/** A key stored as a secret whose value cannot stay one. */
export const secretKeysRule: Rule = ({ given, secretKeys, stack }) =>
  secretKeys
    .filter((key) => key in given && !SECRET_CAPABLE_KEYS.includes(key))
    .map((key) => ({
      key,
      message:
        "is stored as a secret, but its value becomes resource names, image tags or stack outputs, which " +
        `cannot be kept secret; only ${SECRET_CAPABLE_KEYS.join(", ")} may be secrets`,
      fix: `pulumi config set --stack ${stack} '${key}' "$(pulumi config get --stack ${stack} '${key}')" (plain)`,
    }));

/** Every runtime secret reference, checked; the ones that pass are collected in `ctx.secretRefs`. */
export const secretRefsRule: Rule = (ctx) => {
  const { parsed, stack } = ctx;
  const region = parsed["aws:region"];
  // With a stack name that is not an environment, the prefix rule would only repeat that problem per secret.
  if (region === undefined || !isEnvironment(stack)) return [];
  const problems: Problem[] = [];
  for (const [env, ref] of Object.entries(parsed["voxpersona:secrets"] ?? {})) {
    const checked = checkSecretRef(env, ref, stack, region);
    if (checked.ok) {
      ctx.secretRefs.push(checked.ref);
      continue;
    }
    const key = k(`secrets.${env}`);
    const set = setCommand(stack, key, secretNameFor(stack, env));
    problems.push({
      key,
      value: ref,
      message: checked.reason,
      fix:
        checked.credential === undefined
          ? set
          : `${createSecretCommand(secretNameFor(stack, env))}, then: ${set}`,
    });
  }
  return problems;
};

/** A plain environment value that is (or is named like) a secret, or is also a secret. */
export const environmentRule: Rule = ({ parsed, stack }) => {
  const environment = parsed["voxpersona:service"]?.environment ?? {};
  const secrets = parsed["voxpersona:secrets"] ?? {};
  const key = (name: string) => k(`service.environment.${name}`);
  const moveToSecrets = (name: string) =>
    `store it in Secrets Manager (${createSecretCommand(secretNameFor(stack, name))}) and reference it: ` +
    setCommand(stack, k(`secrets.${name}`), secretNameFor(stack, name));
  const problems: Problem[] = Object.entries(environment)
    .filter(([, value]) => credentialShape(value) !== undefined)
    .map(([name, value]) => ({
      key: key(name),
      value,
      sensitive: true,
      message: `looks like ${credentialShape(value)}: a credential must not be a plain environment value`,
      fix: `${rmCommand(stack, key(name))}, ${moveToSecrets(name)}`,
    }));
  for (const name of Object.keys(environment)) {
    const marker = SECRET_NAME_MARKERS.find((m) => name.includes(m));
    if (marker !== undefined && !(name in secrets)) {
      problems.push({
        key: key(name),
        message:
          `looks like a secret (its name contains "${marker}"); a plain environment value is readable by ` +
          "anyone who can describe the task definition",
        fix: `${rmCommand(stack, key(name))}, ${moveToSecrets(name)}`,
      });
    }
    if (name in secrets) {
      problems.push({
        key: key(name),
        message: "is also a runtime secret; a value must come from one place only",
        fix: rmCommand(stack, key(name)),
      });
    }
  }
  return problems;
};
