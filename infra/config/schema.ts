/**
 * The stack config schema: one zod schema per `pulumi config` key, with the defaults and limits of the
 * modules that own them (service limits, registry defaults, cache lifecycle days, the build plan's args),
 * from which the config types (`types.ts`) are derived.
 */
import { z } from "zod";
import { CACHE_LIFECYCLE_DAYS, DEFAULT_CACHE_LIFECYCLE_DAYS } from "../lifecycle";
import {
  AWS_REGION_PATTERN,
  DIGEST_PATTERN,
  DIGEST_WORDS,
  ECR_REPOSITORY_PATTERN,
  IMAGE_TAG_PATTERN,
  IMAGE_TAG_WORDS,
  KMS_KEY_ARN_PATTERN,
} from "../patterns";
import { DEFAULT_MAIN_SCOPE, KNOWN_BUILD_ARGS, STAGES, StageName } from "../plan";
import { ENVIRONMENT_TAGS, isEnvironment } from "../promotion";
import { ENCRYPTIONS, KEEP_BUILD_IMAGES, KEEP_HISTORY, REGISTRY_DEFAULTS } from "../registry/defaults";
import {
  CPU_ARCHITECTURES,
  DEFAULT_CPU_ARCHITECTURE,
  DEFAULT_DESIRED_COUNT,
  DEFAULT_LOG_RETENTION_DAYS,
  DESIRED_COUNTS,
  EPHEMERAL_STORAGE_GIB,
  FARGATE_MEMORY,
  LOG_RETENTION_DAYS,
  MIN_MEMORY_MIB,
  PLATFORMS,
} from "../service/limits";
import { ENV_NAME_PATTERN } from "../service/secrets";

export const NAMESPACE = "voxpersona";

/** `service.memory` → `voxpersona:service.memory`. */
export const configKey = (name: string): string => `${NAMESPACE}:${name}`;

/** Stack roles: `build` builds and pushes the image; `promote` runs a digest some upstream stack runs. */
export const ROLES = ["build", "promote"] as const;
export type Role = (typeof ROLES)[number];

const tag = () => z.string().regex(IMAGE_TAG_PATTERN, { error: `must be an image tag: ${IMAGE_TAG_WORDS}` });
const intIn = (min: number, max: number) => z.int().min(min).max(max);
const envName = z.string().regex(ENV_NAME_PATTERN, {
  error:
    'must be an environment variable name (upper-case letters, digits and "_", not starting with a digit)',
});

const buildSchema = z
  .object({
    /** Directory of the application source (the Docker build context), relative to the project. */
    context: z.string().min(1).default("app"),
    dockerfile: z.string().min(1).default("docker/Dockerfile"),
    platform: z.enum(PLATFORMS).default("linux/amd64"),
    args: z
      .record(
        z.string().refine((k) => KNOWN_BUILD_ARGS.includes(k), {
          error: `is not a build arg of docker/Dockerfile (known: ${KNOWN_BUILD_ARGS.join(", ")})`,
        }),
        z.string(),
      )
      .default({}),
  })
  .strict();

const lifecycleDaysSchema = z
  .object(
    Object.fromEntries(
      STAGES.map((s) => [
        s,
        intIn(CACHE_LIFECYCLE_DAYS.min, CACHE_LIFECYCLE_DAYS.max).default(DEFAULT_CACHE_LIFECYCLE_DAYS[s]),
      ]),
    ) as Record<StageName, z.ZodDefault<z.ZodInt>>,
  )
  .strict();

const cacheSchema = z
  .object({ mainScope: tag().default(DEFAULT_MAIN_SCOPE), lifecycleDays: lifecycleDaysSchema.prefault({}) })
  .strict();

const registrySchema = z
  .object({
    name: z
      .string()
      .regex(ECR_REPOSITORY_PATTERN, {
        error:
          'must be an ECR repository name: lowercase letters and digits, parts joined by ".", "_", "-" or "/"',
      })
      .default(REGISTRY_DEFAULTS.name),
    encryption: z.enum(ENCRYPTIONS).default(REGISTRY_DEFAULTS.encryption),
    kmsKeyArn: z
      .string()
      .regex(KMS_KEY_ARN_PATTERN, { error: "must be the ARN of a KMS key or alias" })
      .optional(),
    scanOnPush: z.boolean().default(REGISTRY_DEFAULTS.scanOnPush),
    keepBuildImages: intIn(KEEP_BUILD_IMAGES.min, KEEP_BUILD_IMAGES.max).default(
      REGISTRY_DEFAULTS.keepBuildImages,
    ),
    /** Promote stacks: how many of their last promoted images stay protected (infra/release-tags.ts). */
    keepHistory: intIn(KEEP_HISTORY.min, KEEP_HISTORY.max).default(REGISTRY_DEFAULTS.keepHistory),
    /** Build stacks: adopt the release repository a destroyed dev stack left behind (infra/registry). */
    adoptExisting: z.boolean().default(REGISTRY_DEFAULTS.adoptExisting),
  })
  .strict();

const serviceSchema = z
  .object({
    cpu: z.int().refine((c) => c in FARGATE_MEMORY, {
      error: `must be a Fargate CPU size (${Object.keys(FARGATE_MEMORY).join(", ")})`,
    }),
    memory: z.int().min(MIN_MEMORY_MIB, {
      error: `must be at least ${MIN_MEMORY_MIB} MiB: BAAI/bge-m3 alone needs ~2.3 GB of RAM`,
    }),
    ephemeralStorageGiB: intIn(EPHEMERAL_STORAGE_GIB.min, EPHEMERAL_STORAGE_GIB.max).default(
      EPHEMERAL_STORAGE_GIB.default,
    ),
    desiredCount: z
      .literal(DESIRED_COUNTS, { error: "must be 0 (paused) or 1: the bot must never run twice at once" })
      .default(DEFAULT_DESIRED_COUNT),
    logRetentionDays: z
      .int()
      .refine((d) => LOG_RETENTION_DAYS.includes(d), {
        error: `must be one of CloudWatch's retention values (${LOG_RETENTION_DAYS.join(", ")})`,
      })
      .default(DEFAULT_LOG_RETENTION_DAYS),
    /** Unset: true in the default VPC, false with `network` (config/index.ts; rules.ts refuses false there). */
    assignPublicIp: z.boolean().optional(),
    cpuArchitecture: z.enum(CPU_ARCHITECTURES).default(DEFAULT_CPU_ARCHITECTURE),
    environment: z.record(envName, z.string()).default({}),
  })
  .strict();

const networkSchema = z
  .object({
    vpcId: z
      .string()
      .regex(/^vpc-[0-9a-f]+$/, { error: "must be a VPC id: vpc- followed by lowercase hex digits" })
      .optional(),
    subnetIds: z
      .array(
        z.string().regex(/^subnet-[0-9a-f]+$/, {
          error: "must be a subnet id: subnet- followed by lowercase hex digits",
        }),
      )
      .min(1)
      .optional(),
  })
  .strict();

/** The raw config keys, as `pulumi config` names them. Secret references are checked by the rules. */
export const rawSchema = z.object({
  "aws:region": z.string().regex(AWS_REGION_PATTERN, { error: "must be an AWS region such as eu-central-1" }),
  [`${NAMESPACE}:role`]: z.enum(ROLES),
  /** Checked against the promotion chain (`CHAIN`, infra/promotion.ts) by config/chain-rules.ts. */
  [`${NAMESPACE}:upstreamStack`]: z.string().optional(),
  [`${NAMESPACE}:imageDigest`]: z
    .string()
    .regex(DIGEST_PATTERN, { error: `must be an image digest: ${DIGEST_WORDS}` })
    .optional(),
  [`${NAMESPACE}:cacheScope`]: tag().default(DEFAULT_MAIN_SCOPE),
  [`${NAMESPACE}:buildTag`]: tag()
    .refine((t) => !isEnvironment(t), {
      error: `must not be an environment tag (${ENVIRONMENT_TAGS.join(", ")}): those move on promotion`,
    })
    .optional(),
  [`${NAMESPACE}:build`]: buildSchema.optional(),
  [`${NAMESPACE}:cache`]: cacheSchema.prefault({}),
  [`${NAMESPACE}:registry`]: registrySchema.prefault({}),
  [`${NAMESPACE}:service`]: serviceSchema,
  [`${NAMESPACE}:network`]: networkSchema.default({}),
  [`${NAMESPACE}:secrets`]: z.record(envName, z.string().min(1)).default({}),
});

/** Every key, each parsed with its defaults. */
export type ParsedConfig = z.output<typeof rawSchema>;

/** Keys whose values are objects; Pulumi hands them over as JSON strings. */
export const STRUCTURED_KEYS: readonly string[] = Object.entries(rawSchema.shape)
  .filter(([, schema]) => fieldsOf(schema).length > 0 || innerOf(schema) instanceof z.ZodRecord)
  .map(([key]) => key);

/**
 * Keys that may be stored as secrets: their values reach resource inputs the stack can mark secret. The
 * others become resource names, image tags, stack references or outputs, which Pulumi cannot keep secret.
 */
export const SECRET_CAPABLE_KEYS: readonly string[] = ["service", "secrets", "build", "network"].map(
  (k) => `${NAMESPACE}:${k}`,
);

/** A schema without its optional / default / prefault wrappers. */
function innerOf(schema: z.ZodType): z.ZodType {
  let s = schema;
  while (s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodPrefault) {
    s = s.def.innerType as z.ZodType;
  }
  return s;
}

/** The field names of an object schema (none for anything else). */
function fieldsOf(schema: z.ZodType | undefined): string[] {
  const inner = schema === undefined ? undefined : innerOf(schema);
  return inner instanceof z.ZodObject ? Object.keys(inner.shape) : [];
}

/** The fields of the object at `path` (`["voxpersona:service"]` → cpu, memory, …); none if it is not one. */
export function fieldsAt(path: readonly PropertyKey[]): string[] {
  let schema: z.ZodType | undefined = rawSchema;
  for (const part of path) {
    const inner: z.ZodType | undefined = schema === undefined ? undefined : innerOf(schema);
    schema =
      inner instanceof z.ZodObject ? (inner.shape as Record<string, z.ZodType>)[String(part)] : undefined;
  }
  return fieldsOf(schema);
}

/** Every leaf key (`voxpersona:service.cpu`, `voxpersona:build.args`), for checking the examples. */
export function leafKeys(path: readonly string[] = []): string[] {
  const fields = path.length === 0 ? Object.keys(rawSchema.shape) : fieldsAt(path);
  return fields.flatMap((f) => {
    const nested = [...path, f];
    const key = nested.length === 1 ? f : `${nested[0]}.${nested.slice(1).join(".")}`;
    return fieldsAt(nested).length > 0 ? leafKeys(nested) : [key];
  });
}
