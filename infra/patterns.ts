/**
 * The one definition of every identifier shape the program checks in more than one place: config, the
 * build plan, the service, the secret rules and the environment tag's dynamic provider all import these.
 *
 * Each shape is a source fragment (for embedding, e.g. a region inside an ARN) plus the anchored pattern.
 * Only constants live here: the environment tag's provider captures them by value when the SDK serializes
 * it (see infra/environment-tag.ts), so nothing here may depend on anything else.
 */

const anchored = (source: string): RegExp => new RegExp(`^${source}$`);

/** An image digest as ECR and docker-build report it. */
export const DIGEST_SOURCE = "sha256:[0-9a-f]{64}";
export const DIGEST_PATTERN = anchored(DIGEST_SOURCE);
export const DIGEST_WORDS = "sha256: followed by 64 lowercase hex digits";

/** An OCI / Docker image tag (also a BuildKit cache scope, which is a tag of a cache repository). */
export const IMAGE_TAG_PATTERN = anchored("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");
export const IMAGE_TAG_WORDS = 'up to 128 letters, digits, "_", "." or "-", not starting with "." or "-"';

/** An AWS region of any partition: eu-central-1, us-gov-west-1, cn-north-1, us-isob-east-1. */
export const REGION_SOURCE = "[a-z]{2}(?:-[a-z]+)+-\\d+";
export const AWS_REGION_PATTERN = anchored(REGION_SOURCE);

/** The partition and account parts of an ARN. */
export const PARTITION_SOURCE = "aws(?:-[a-z]+)*";
export const ACCOUNT_SOURCE = "\\d{12}";

/** A Secrets Manager secret name (also the name part of its ARN, before the 6-character suffix). */
export const SECRET_NAME_SOURCE = "[A-Za-z0-9/_+=.@-]{1,512}";
export const SECRET_NAME_PATTERN = anchored(SECRET_NAME_SOURCE);

/** An ECR repository name, nested names included (`voxpersona/cache/final`). */
export const ECR_REPOSITORY_PATTERN = anchored(
  "[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*",
);

/** A KMS key or alias ARN. */
export const KMS_KEY_ARN_PATTERN = anchored(
  `arn:${PARTITION_SOURCE}:kms:${REGION_SOURCE}:${ACCOUNT_SOURCE}:(?:key|alias)/.+`,
);
