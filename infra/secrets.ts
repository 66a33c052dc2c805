// Pure translation of runtime-secret references (from stack config) into the two things that must agree
// with each other: the ECS container `secrets[].valueFrom` and the execution role's IAM grant. Kept free
// of Pulumi resources so every branch is unit-testable without mocks.

/** The IAM action ECS uses to inject a secret of each store into a container at task start. */
export type SecretAction = "secretsmanager:GetSecretValue" | "ssm:GetParameters";

/** Where the stack deploys; needed to turn a bare secret name into an ARN the execution role can be granted. */
export interface SecretLocation {
  /** AWS partition, e.g. `aws`. */
  readonly partition: string;
  /** AWS region of the ECS task, e.g. `eu-central-1`. */
  readonly region: string;
  /** 12-digit account that owns the secret. */
  readonly accountId: string;
}

/** One container env var backed by a secret, with the exact IAM grant it needs. */
export interface SecretGrant {
  /** Container environment variable name. */
  readonly env: string;
  /** Value for the container definition's `secrets[].valueFrom`. */
  readonly valueFrom: string;
  /** Resource ARN (pattern) the execution role must be allowed `action` on. */
  readonly iamResource: string;
  readonly action: SecretAction;
}

/** A plain IAM policy document, ready for `JSON.stringify`. */
export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly PolicyStatement[];
}

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: "Allow";
  readonly Action: readonly string[];
  readonly Resource: readonly string[];
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
const SECRET_NAME_PATTERN = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const PARTITION_PATTERN = /^aws(-[a-z]+)*$/;
const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const ACCOUNT_PATTERN = /^\d{12}$/;
// Secrets Manager always appends "-" + 6 random characters to the name in a secret's ARN.
const SECRETS_MANAGER_ARN =
  /^arn:(aws(?:-[a-z]+)*):secretsmanager:([a-z]{2}(?:-[a-z]+)+-\d+):(\d{12}):secret:([A-Za-z0-9/_+=.@-]{1,512})$/;
const FULL_SECRET_SUFFIX = /-[A-Za-z0-9]{6}$/;
const SSM_PARAMETER_ARN =
  /^arn:(aws(?:-[a-z]+)*):ssm:([a-z]{2}(?:-[a-z]+)+-\d+):(\d{12}):parameter\/([A-Za-z0-9_.\-/]{1,2048})$/;

const SID_BY_ACTION: Record<SecretAction, string> = {
  "secretsmanager:GetSecretValue": "ReadSecretsManagerSecrets",
  "ssm:GetParameters": "ReadSsmParameters",
};

function checkLocation(env: string, where: SecretLocation): void {
  if (!PARTITION_PATTERN.test(where.partition)) {
    throw new Error(`secret ${env}: partition "${where.partition}" is not an AWS partition (e.g. "aws")`);
  }
  if (!REGION_PATTERN.test(where.region)) {
    throw new Error(`secret ${env}: region "${where.region}" is not an AWS region (e.g. "eu-central-1")`);
  }
  if (!ACCOUNT_PATTERN.test(where.accountId)) {
    throw new Error(`secret ${env}: accountId "${where.accountId}" must be 12 digits`);
  }
}

function checkPartition(env: string, ref: string, arnPartition: string, where: SecretLocation): void {
  // IAM cannot grant across partitions, so such a reference could never be read by the task.
  if (arnPartition !== where.partition) {
    throw new Error(
      `secret ${env}: ARN "${ref}" is in partition "${arnPartition}" but the stack deploys to ` +
        `partition "${where.partition}"; reference a secret in the stack's partition`,
    );
  }
}

/**
 * Resolves one `{ env, ref }` from config. `ref` is a Secrets Manager secret name, a full Secrets Manager
 * secret ARN (with its 6-character suffix) or an SSM parameter ARN.
 */
export function resolveSecret(env: string, ref: string, where: SecretLocation): SecretGrant {
  if (!ENV_NAME_PATTERN.test(env)) {
    throw new Error(
      `secret env name "${env}" is invalid: use upper-case letters, digits and "_" and do not start with a ` +
        `digit (e.g. DATABASE_URL)`,
    );
  }
  checkLocation(env, where);

  if (ref.startsWith("arn:")) {
    const sm = SECRETS_MANAGER_ARN.exec(ref);
    if (sm) {
      checkPartition(env, ref, sm[1], where);
      // Without the suffix the name is ambiguous (a name may itself end in "-abc123"), so the grant could
      // silently miss or over-match; demand the unambiguous forms instead.
      if (!FULL_SECRET_SUFFIX.test(sm[4])) {
        throw new Error(
          `secret ${env}: "${ref}" is a partial Secrets Manager ARN (no 6-character suffix); use the full ` +
            `ARN as shown by "aws secretsmanager describe-secret" or just the secret name`,
        );
      }
      return { env, valueFrom: ref, iamResource: ref, action: "secretsmanager:GetSecretValue" };
    }
    const ssm = SSM_PARAMETER_ARN.exec(ref);
    if (ssm) {
      checkPartition(env, ref, ssm[1], where);
      return { env, valueFrom: ref, iamResource: ref, action: "ssm:GetParameters" };
    }
    throw new Error(
      `secret ${env}: "${ref}" is not a Secrets Manager secret ARN ` +
        `(arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<6 chars>) nor an SSM parameter ARN ` +
        `(arn:<partition>:ssm:<region>:<account>:parameter/<name>); JSON keys and version suffixes are not supported`,
    );
  }

  if (ref.startsWith("/")) {
    // A leading "/" is the SSM hierarchy convention; treating it as a Secrets Manager name would grant the
    // wrong store and fail only when the task starts.
    throw new Error(
      `secret ${env}: "${ref}" looks like an SSM parameter name; give its ARN ` +
        `(arn:<partition>:ssm:<region>:<account>:parameter${ref}) or a Secrets Manager secret name without a leading "/"`,
    );
  }
  if (!SECRET_NAME_PATTERN.test(ref)) {
    throw new Error(
      `secret ${env}: "${ref}" is not a valid Secrets Manager secret name: use 1-512 characters from ` +
        `A-Z a-z 0-9 / _ + = . @ -`,
    );
  }
  return {
    env,
    // ECS resolves a bare name in the task's own region, so the name is enough and stays readable.
    valueFrom: ref,
    // The real ARN carries a random suffix unknown until the secret exists; "??????" matches exactly 6
    // characters, so "db" cannot be widened to "db-old" or "dbx".
    iamResource: `arn:${where.partition}:secretsmanager:${where.region}:${where.accountId}:secret:${ref}-??????`,
    action: "secretsmanager:GetSecretValue",
  };
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
    resources.add(grant.iamResource);
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
