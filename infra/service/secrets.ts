// Pure rules for runtime-secret references: what a reference in stack config may look like, and the IAM grant
// that must agree with the container definition's `secrets[].valueFrom`. No Pulumi, no I/O, so every branch
// is unit-testable; the lookup of a name's ARN lives in `secret-arns.ts`.
//
// ECS takes `valueFrom` as the full ARN of a Secrets Manager secret, or the ARN (or, in the task's region,
// the name) of an SSM parameter; a bare Secrets Manager name is looked up as an SSM parameter and the task
// never starts (ECS API reference, `Secret`). So config keeps friendly names, and only full ARNs, resolved
// at deploy time, reach the task definition and the execution role.
import {
  ACCOUNT_SOURCE,
  PARTITION_SOURCE,
  REGION_SOURCE,
  SECRET_NAME_PATTERN,
  SECRET_NAME_SOURCE,
} from "../patterns";
import type { PolicyDocument } from "./policy";

/** The IAM action ECS uses to inject a secret of each store into a container at task start. */
export type SecretAction = "secretsmanager:GetSecretValue" | "ssm:GetParameters";

export type SecretStore = "secretsmanager" | "ssm";

/** A reference from config, checked: which store, and whether it is already an ARN. */
export interface SecretRef {
  /** Container environment variable name. */
  readonly env: string;
  readonly store: SecretStore;
  /** A name is resolved to its ARN at deploy time; an ARN is used as given (after checking it exists). */
  readonly kind: "name" | "arn";
  readonly ref: string;
}

/** One container env var backed by a secret, with the exact IAM grant it needs. */
export interface SecretGrant {
  /** Container environment variable name. */
  readonly env: string;
  /** Full ARN: the container definition's `secrets[].valueFrom` and the IAM resource, both exactly. */
  readonly valueFrom: string;
  readonly action: SecretAction;
}

export const ENV_NAME_PATTERN = /^[A-Z_][A-Z0-9_]*$/;
/** Parts of a variable name that mean its value is a secret and must not be a plain environment value. */
export const SECRET_NAME_MARKERS = ["TOKEN", "SECRET", "PASSWORD", "KEY", "DATABASE_URL"] as const;

/** The partition a region belongs to (where IAM ARNs for it live). */
export function partitionOfRegion(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

const SSM_NAME_PATTERN = /^\/[A-Za-z0-9_.\-/]{1,2047}$/;
const arnPattern = (service: string, resource: string): RegExp =>
  new RegExp(`^arn:(${PARTITION_SOURCE}):${service}:(${REGION_SOURCE}):(${ACCOUNT_SOURCE}):${resource}$`);
// Secrets Manager always appends "-" + 6 random characters to the name in a secret's ARN.
const SECRETS_MANAGER_ARN = arnPattern("secretsmanager", `secret:(${SECRET_NAME_SOURCE})`);
const FULL_SECRET_SUFFIX = /-[A-Za-z0-9]{6}$/;
const SSM_PARAMETER_ARN = arnPattern("ssm", "parameter/([A-Za-z0-9_.\\-/]{1,2048})");

/**
 * Shapes of real credentials. A value of one of these shapes in config is a secret's value pasted where its
 * name belongs: it is refused, and never echoed back (messages give its length only).
 */
const CREDENTIAL_SHAPES: readonly (readonly [RegExp, string])[] = [
  [/^[a-z][a-z0-9+.-]*:\/\/[^/@\s]+@/i, "a URL with a user name or password in it"],
  [/(?:^|[^A-Za-z0-9])sk-[A-Za-z0-9_-]{16,}/, 'an API key ("sk-…")'],
  [/(?:^|[^A-Za-z0-9])(?:ghp|gho|ghu|ghs|ghr|github_pat)_[A-Za-z0-9_]{20,}/, 'a GitHub token ("ghp_…")'],
  [/(?:^|[^A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?:$|[^A-Z0-9])/, 'an AWS access key id ("AKIA…")'],
  [/^\d{6,12}:[A-Za-z0-9_-]{30,}$/, "a Telegram bot token (<bot id>:<secret>)"],
  [/^eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*$/, "a JSON Web Token"],
];

/** What kind of credential `value` looks like, or undefined when it looks like none. */
export function credentialShape(value: string): string | undefined {
  return CREDENTIAL_SHAPES.find(([re]) => re.test(value))?.[1];
}

const SID_BY_ACTION: Record<SecretAction, string> = {
  "secretsmanager:GetSecretValue": "ReadSecretsManagerSecrets",
  "ssm:GetParameters": "ReadSsmParameters",
};

/** Thrown for a reference that must not be echoed: the message never contains the value. */
export class CredentialInConfigError extends Error {
  constructor(
    readonly env: string,
    readonly shape: string,
  ) {
    super(`looks like ${shape}, not the name of a secret: a secret's value never belongs in stack config`);
  }
}

/** Where a stack's secret names live: `voxpersona/<stack>/` (SSM parameter names start with one more "/"). */
export function secretPrefix(stack: string): string {
  return `voxpersona/${stack}/`;
}

/** The conventional secret name of variable `env` of `stack`: `DATABASE_URL` → `voxpersona/dev/database-url`. */
export function secretNameFor(stack: string, env: string): string {
  return `${secretPrefix(stack)}${env.toLowerCase().replace(/_/g, "-")}`;
}

/** A checked reference, or why it was refused (`credential`: what it looks like; never echo it then). */
export type SecretRefCheck =
  | { readonly ok: true; readonly ref: SecretRef }
  | { readonly ok: false; readonly reason: string; readonly credential?: string };

const refused = (reason: string): SecretRefCheck => ({ ok: false, reason });

/**
 * Checks one reference from config: a Secrets Manager secret name under `voxpersona/<stack>/`, an SSM
 * parameter name under `/voxpersona/<stack>/`, a full Secrets Manager secret ARN (with its 6-character
 * suffix) or an SSM parameter ARN. Names are confined to the stack's own prefix so that dev can never be
 * configured to read prod's secrets. Reasons do not repeat `ref` when it looks like a credential.
 */
export function checkSecretRef(env: string, ref: string, stack: string, region: string): SecretRefCheck {
  const shape = credentialShape(ref);
  if (shape !== undefined) {
    return { ok: false, reason: new CredentialInConfigError(env, shape).message, credential: shape };
  }
  if (ref.startsWith("arn:")) return checkArn(env, ref, partitionOfRegion(region));

  const ssm = ref.startsWith("/");
  const prefix = `${ssm ? "/" : ""}${secretPrefix(stack)}`;
  const pattern = ssm ? SSM_NAME_PATTERN : SECRET_NAME_PATTERN;
  if (!pattern.test(ref)) {
    return refused(
      ssm
        ? `is not a valid SSM parameter name: use "/" followed by up to 2047 characters from A-Z a-z 0-9 / _ . -`
        : "is not a valid Secrets Manager secret name: use 1-512 characters from A-Z a-z 0-9 / _ + = . @ -",
    );
  }
  if (!ref.startsWith(prefix) || ref.length === prefix.length) {
    return refused(
      `must sit under "${prefix}": a stack reads only its own secrets (dev can never read prod's); ` +
        `name it ${ssm ? "/" : ""}${secretNameFor(stack, env)}`,
    );
  }
  return { ok: true, ref: { env, store: ssm ? "ssm" : "secretsmanager", kind: "name", ref } };
}

/** `checkSecretRef`, throwing the reason (a `CredentialInConfigError` for a credential). */
export function parseSecretRef(env: string, ref: string, stack: string, region: string): SecretRef {
  const checked = checkSecretRef(env, ref, stack, region);
  if (checked.ok) return checked.ref;
  if (checked.credential !== undefined) throw new CredentialInConfigError(env, checked.credential);
  throw new Error(checked.reason);
}

function checkArn(env: string, ref: string, partition: string): SecretRefCheck {
  const sm = SECRETS_MANAGER_ARN.exec(ref);
  const ssm = SSM_PARAMETER_ARN.exec(ref);
  const match = sm ?? ssm;
  if (match === null) {
    return refused(
      "is not a Secrets Manager secret ARN (arn:<partition>:secretsmanager:<region>:<account>:secret:" +
        "<name>-<6 chars>) nor an SSM parameter ARN (arn:<partition>:ssm:<region>:<account>:parameter/<name>); " +
        "JSON keys and version suffixes are not supported",
    );
  }
  // IAM cannot grant across partitions, so such a reference could never be read by the task.
  if (match[1] !== partition) {
    return refused(
      `is in partition "${match[1]}" but the stack deploys to partition "${partition}"; reference a secret ` +
        "in the stack's partition",
    );
  }
  // Without the suffix the name is ambiguous (a name may itself end in "-abc123"), and ECS needs the full ARN.
  if (sm !== null && !FULL_SECRET_SUFFIX.test(sm[4])) {
    return refused(
      'is a partial Secrets Manager ARN (no 6-character suffix); use the full ARN as shown by "aws ' +
        'secretsmanager describe-secret" or just the secret name',
    );
  }
  return { ok: true, ref: { env, store: sm !== null ? "secretsmanager" : "ssm", kind: "arn", ref } };
}

/**
 * The grant for a resolved reference: `arn` must be a full Secrets Manager secret ARN or an SSM parameter ARN.
 * @throws when it is anything else (a name that was never resolved, a partial ARN)
 */
export function grantFor(env: string, arn: string): SecretGrant {
  const sm = SECRETS_MANAGER_ARN.exec(arn);
  if (sm !== null && FULL_SECRET_SUFFIX.test(sm[4])) {
    return { env, valueFrom: arn, action: "secretsmanager:GetSecretValue" };
  }
  if (SSM_PARAMETER_ARN.test(arn)) return { env, valueFrom: arn, action: "ssm:GetParameters" };
  throw new Error(
    `secret ${env}: valueFrom must be the full ARN of a Secrets Manager secret (…:secret:<name>-<6 chars>) ` +
      `or of an SSM parameter (got "${credentialShape(arn) ? `a value of ${arn.length} characters` : arn}"); ` +
      "ECS reads a bare name as an SSM parameter and the task never starts",
  );
}

/**
 * The execution-role statements that let ECS read exactly `grants`: one statement per action, resources
 * de-duplicated and sorted so the rendered policy is stable across runs. An empty `grants` yields an empty
 * `Statement` list, which callers must merge into another document rather than attach on its own.
 */
export function secretsPolicyDocument(grants: readonly SecretGrant[]): PolicyDocument {
  const byAction = new Map<SecretAction, Set<string>>();
  for (const grant of grants) {
    const resources = byAction.get(grant.action) ?? new Set<string>();
    resources.add(grant.valueFrom);
    byAction.set(grant.action, resources);
  }
  const actions = [...byAction.keys()].sort();
  return {
    Version: "2012-10-17",
    Statement: actions.map((action) => ({
      Sid: SID_BY_ACTION[action],
      Effect: "Allow",
      Action: [action],
      Resource: [...(byAction.get(action) ?? [])].sort(),
    })),
  };
}
