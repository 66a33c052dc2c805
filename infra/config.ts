/**
 * Stack configuration: one zod schema and a pure parser.
 *
 * The entry reads the raw config map once (`pulumi.runtime.allConfig()`, where structured values arrive as
 * JSON strings) and hands it to `parseStackConfig`, which either returns a fully typed `StackConfig` or
 * throws one error listing every problem, each with the full key, the bad value, what is allowed and the
 * `pulumi config set` command that fixes it. Because this runs before any resource is declared, bad config
 * never creates or deletes anything.
 */
import { z } from "zod";
import { KNOWN_BUILD_ARGS, STAGES, StageName } from "./plan";
import {
  CredentialInConfigError,
  ENV_NAME_PATTERN,
  SECRET_NAME_MARKERS,
  SecretRef,
  credentialShape,
  parseSecretRef,
} from "./secrets";

export const NAMESPACE = "voxpersona";

/** Stack roles: `build` builds and pushes the image; `promote` runs a digest some upstream stack runs. */
export const ROLES = ["build", "promote"] as const;
export type Role = (typeof ROLES)[number];

/** Values CloudWatch Logs accepts for `retentionInDays` (0, "never expire", is refused on purpose). */
export const LOG_RETENTION_DAYS: readonly number[] = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/** Fargate task sizes: CPU units → allowed memory (MiB). */
export const FARGATE_MEMORY: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

/** BAAI/bge-m3 alone holds ~2.3 GB in memory; below this the bot is OOM-killed while loading it. */
export const MIN_MEMORY_MIB = 4096;

/** The release tags that name environments; they move on promotion, so a build tag may not take them. */
export const ENVIRONMENT_TAGS = ["dev", "staging", "prod"] as const;

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

const PLATFORM_ARCH = { "linux/amd64": "X86_64", "linux/arm64": "ARM64" } as const;

const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const ECR_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;
const REGION = /^[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d$/;
const STACK_NAME = /^(?:[A-Za-z0-9_.-]+\/){0,2}[A-Za-z0-9_.-]+$/;

const tag = (what: string) => z.string().regex(TAG, { error: `must be a valid image tag for ${what}` });
const intIn = (min: number, max: number) => z.int().min(min).max(max);

const stageDays = z
  .object(
    Object.fromEntries(STAGES.map((s) => [s, intIn(1, 3650).optional()])) as Record<
      StageName,
      z.ZodOptional<z.ZodInt>
    >,
  )
  .strict();

const buildSchema = z
  .object({
    /** Directory of the application source (the Docker build context), relative to the project. */
    context: z.string().min(1).default("app"),
    dockerfile: z.string().min(1).default("docker/Dockerfile"),
    platform: z.enum(["linux/amd64", "linux/arm64"]).default("linux/amd64"),
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

const cacheSchema = z
  .object({
    mainScope: tag("the main cache scope").default("main"),
    lifecycleDays: stageDays.default({}),
  })
  .strict();

const registrySchema = z
  .object({
    name: z
      .string()
      .regex(ECR_NAME, { error: "must be a valid ECR repository name (lowercase, digits, . _ - /)" })
      .default("voxpersona"),
    encryption: z.enum(["AES256", "KMS"]).default("AES256"),
    kmsKeyArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(?:key|alias)\/.+$/, { error: "must be a KMS key ARN" })
      .optional(),
    scanOnPush: z.boolean().default(true),
    keepBuildImages: intIn(1, 1000).default(30),
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
    ephemeralStorageGiB: intIn(21, 200).default(30),
    desiredCount: z
      .union([z.literal(0), z.literal(1)], {
        error: "must be 0 (paused) or 1: the bot must never run twice at once",
      })
      .default(1),
    logRetentionDays: z
      .int()
      .refine((d) => LOG_RETENTION_DAYS.includes(d), {
        error: `must be one of CloudWatch's retention values (${LOG_RETENTION_DAYS.join(", ")})`,
      })
      .default(30),
    assignPublicIp: z.boolean().default(false),
    cpuArchitecture: z.enum(["X86_64", "ARM64"]).default("X86_64"),
    environment: z
      .record(
        z.string().regex(ENV_NAME_PATTERN, { error: "must be an environment variable name" }),
        z.string(),
      )
      .default({}),
  })
  .strict();

const networkSchema = z
  .object({
    vpcId: z
      .string()
      .regex(/^vpc-[0-9a-f]+$/, { error: "must be a VPC id (vpc-…)" })
      .optional(),
    subnetIds: z
      .array(z.string().regex(/^subnet-[0-9a-f]+$/, { error: "must be a subnet id (subnet-…)" }))
      .min(1)
      .optional(),
  })
  .strict();

// References are checked with the same rules the service applies (resolveSecret), after the schema.
const secretsSchema = z.record(
  z.string().regex(ENV_NAME_PATTERN, { error: "must be an environment variable name ([A-Z_][A-Z0-9_]*)" }),
  z.string().min(1),
);

/** The raw config keys, as `pulumi config` names them. */
const rawSchema = z.object({
  "aws:region": z.string().regex(REGION, { error: "must be an AWS region such as eu-central-1" }),
  [`${NAMESPACE}:role`]: z.enum(ROLES),
  [`${NAMESPACE}:upstreamStack`]: z
    .string()
    .regex(STACK_NAME, { error: "must be a stack name (dev, or org/project/dev)" })
    .optional(),
  [`${NAMESPACE}:imageDigest`]: z
    .string()
    .regex(DIGEST, { error: "must be an image digest: sha256: followed by 64 lowercase hex digits" })
    .optional(),
  [`${NAMESPACE}:cacheScope`]: tag("the cache scope").default("main"),
  [`${NAMESPACE}:buildTag`]: tag("the build tag")
    .refine((t) => !(ENVIRONMENT_TAGS as readonly string[]).includes(t), {
      error: `must not be an environment tag (${ENVIRONMENT_TAGS.join(", ")}): those move on promotion`,
    })
    .optional(),
  [`${NAMESPACE}:build`]: buildSchema.optional(),
  [`${NAMESPACE}:cache`]: cacheSchema.default({ mainScope: "main", lifecycleDays: {} }),
  [`${NAMESPACE}:registry`]: registrySchema.default({
    name: "voxpersona",
    encryption: "AES256",
    scanOnPush: true,
    keepBuildImages: 30,
  }),
  [`${NAMESPACE}:service`]: serviceSchema,
  [`${NAMESPACE}:network`]: networkSchema.default({}),
  [`${NAMESPACE}:secrets`]: secretsSchema.default({}),
});

type ParsedConfig = z.output<typeof rawSchema>;

/** Days an unused cache scope of each stage survives; stable stages live longer. */
export const DEFAULT_CACHE_LIFECYCLE_DAYS: Readonly<Record<StageName, number>> = {
  "system-base": 90,
  "python-deps": 30,
  "ml-models": 90,
  final: 14,
};

export interface BuildConfig {
  readonly context: string;
  readonly dockerfile: string;
  readonly platform: "linux/amd64" | "linux/arm64";
  readonly args: Readonly<Record<string, string>>;
  readonly cacheScope: string;
  readonly buildTag?: string;
}

export interface StackConfig {
  readonly stack: string;
  readonly region: string;
  readonly role: Role;
  /** Set for `promote` stacks only. */
  readonly promote?: { readonly upstreamStack: string; readonly pinnedDigest?: string };
  /** Set for `build` stacks only. */
  readonly build?: BuildConfig;
  readonly cache: { readonly mainScope: string; readonly lifecycleDays: Readonly<Record<StageName, number>> };
  readonly registry: {
    readonly name: string;
    readonly encryption: "AES256" | "KMS";
    readonly kmsKeyArn?: string;
    readonly scanOnPush: boolean;
    readonly keepBuildImages: number;
  };
  readonly service: {
    readonly cpu: number;
    readonly memory: number;
    readonly ephemeralStorageGiB: number;
    readonly desiredCount: 0 | 1;
    readonly logRetentionDays: number;
    readonly assignPublicIp: boolean;
    readonly cpuArchitecture: "X86_64" | "ARM64";
    readonly environment: Readonly<Record<string, string>>;
  };
  /** Absent: the account's default VPC and its subnets. */
  readonly network?: { readonly vpcId: string; readonly subnetIds: readonly string[] };
  /** Runtime secrets: environment variable → checked reference (resolved to an ARN at deploy time). */
  readonly secrets: readonly SecretRef[];
  /**
   * Config keys stored as secrets (`pulumi config set --secret`), e.g. `voxpersona:service`: every resource
   * input derived from one of them must be a secret Output.
   */
  readonly secretKeys: readonly string[];
}

/** Keys whose values are objects; Pulumi hands them over as JSON strings. */
const STRUCTURED_KEYS = ["build", "cache", "registry", "service", "network", "secrets"].map(
  (k) => `${NAMESPACE}:${k}`,
);

interface Problem {
  readonly key: string;
  readonly message: string;
  readonly value?: unknown;
  readonly fix?: string;
  /** Never echo the value (a secret config key, or a value shaped like a credential): show its length. */
  readonly sensitive?: boolean;
}

/**
 * Keys that may be stored as secrets: their values reach resource inputs the stack can mark secret. The
 * others become resource names, image tags, stack references or outputs, which Pulumi cannot keep secret.
 */
export const SECRET_CAPABLE_KEYS: readonly string[] = ["service", "secrets", "build", "network"].map(
  (k) => `${NAMESPACE}:${k}`,
);

/** Raised for invalid stack config; `problems` lists every finding. */
export class StackConfigError extends Error {
  constructor(
    readonly stack: string,
    readonly problems: readonly string[],
  ) {
    super(
      `Invalid stack config for "${stack}" (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
    this.name = "StackConfigError";
  }
}

function keyOf(path: readonly PropertyKey[]): string {
  const [top, ...rest] = path.map(String);
  return rest.reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : `${acc}.${part}`), top);
}

function show(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
}

/** The command that sets `key` (`--path` for nested keys), with a value that would be accepted. */
function setCommand(stack: string, key: string, example: string): string {
  const nested = key.slice(key.indexOf(":") + 1).search(/[.[]/) >= 0;
  return `pulumi config set --stack ${stack}${nested ? " --path" : ""} '${key}' ${example}`;
}

/** Example values used in the fix hints, per key (by suffix). */
const EXAMPLES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^aws:region$/, "eu-central-1"],
  [/:role$/, "build"],
  [/:upstreamStack$/, "dev"],
  [/:imageDigest$/, "sha256:<64 hex digits>"],
  [/:cacheScope$/, "main"],
  [/:buildTag$/, "git-<sha>"],
  [/\.cpu$/, "2048"],
  [/\.memory$/, "8192"],
  [/\.ephemeralStorageGiB$/, "30"],
  [/\.desiredCount$/, "1"],
  [/\.logRetentionDays$/, "30"],
  [/\.assignPublicIp$/, "false"],
  [/\.platform$/, "linux/amd64"],
  [/\.lifecycleDays\./, "30"],
  [/\.keepBuildImages$/, "30"],
  [/\.encryption$/, "AES256"],
  [/\.kmsKeyArn$/, "arn:aws:kms:<region>:<account>:key/<id>"],
  [/\.vpcId$/, "vpc-<id>"],
  [/\.subnetIds/, "subnet-<id>"],
  [/:secrets\./, "voxpersona/<stack>/<name>"],
  [/\.context$/, "app"],
];

/** For a missing object key, the field whose `config set --path` the fix hint shows. */
const REPRESENTATIVE_FIELD: Readonly<Record<string, string>> = {
  [`${NAMESPACE}:service`]: "cpu",
  [`${NAMESPACE}:build`]: "context",
};

function article(noun: string): string {
  return `${/^[aeiou]/.test(noun) ? "an" : "a"} ${noun}`;
}

function fixFor(stack: string, key: string): string {
  const example = EXAMPLES.find(([re]) => re.test(key))?.[1] ?? "<value>";
  return setCommand(stack, key, example);
}

function describe(p: Problem, stack: string): string {
  const got =
    p.value === undefined
      ? ""
      : p.sensitive
        ? ` (a value of ${typeof p.value === "string" ? p.value.length : show(p.value).length} characters)`
        : ` (got ${show(p.value)})`;
  return `${p.key}${got}: ${p.message}. Fix: ${p.fix ?? fixFor(stack, p.key)}`;
}

function issueToProblem(
  issue: z.core.$ZodIssue,
  raw: Readonly<Record<string, unknown>>,
  stack: string,
): Problem {
  const key = keyOf(issue.path);
  const value = issue.path.reduce<unknown>(
    (acc, part) =>
      acc !== null && typeof acc === "object" ? (acc as Record<PropertyKey, unknown>)[part] : undefined,
    raw,
  );
  if (issue.code === "invalid_type" && value === undefined) {
    const field = REPRESENTATIVE_FIELD[key];
    return {
      key,
      message: `is required (${issue.expected})`,
      ...(field
        ? { fix: `${fixFor(stack, `${key}.${field}`)} (and its other fields, see Pulumi.yaml)` }
        : {}),
    };
  }
  if (issue.code === "invalid_type") {
    return { key, value, message: `must be ${article(issue.expected)}, not ${article(typeof value)}` };
  }
  if (issue.code === "too_small" || issue.code === "too_big") {
    const { minimum, maximum } = issue as { minimum?: unknown; maximum?: unknown };
    const bound = issue.code === "too_small" ? `at least ${String(minimum)}` : `at most ${String(maximum)}`;
    return { key, value, message: issue.message.startsWith("must") ? issue.message : `must be ${bound}` };
  }
  if (issue.code === "invalid_value") {
    return { key, value, message: `must be one of ${issue.values.map((v) => show(v)).join(", ")}` };
  }
  if (issue.code === "unrecognized_keys") {
    return {
      key,
      message: `has unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(", ")}`,
      fix: `pulumi config rm --stack ${stack} --path '${key}.${issue.keys[0]}' (see Pulumi.yaml for the fields)`,
    };
  }
  if (issue.code === "invalid_key") {
    return {
      key,
      message: issue.issues[0]?.message ?? issue.message,
      fix: `pulumi config rm --stack ${stack} --path '${key}'`,
    };
  }
  return { key, value, message: issue.message };
}

/** Pulumi passes structured values as JSON strings; YAML readers pass objects. Accept both. */
function decode(
  raw: Readonly<Record<string, unknown>>,
  stack: string,
  problems: Problem[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (STRUCTURED_KEYS.includes(key) && typeof value === "string") {
      try {
        out[key] = JSON.parse(value);
      } catch {
        out[key] = value;
        problems.push({
          key,
          value,
          message: "must be an object, not a plain string",
          fix: `pulumi config rm --stack ${stack} '${key}', then set its fields with --path (see Pulumi.yaml)`,
        });
      }
    } else {
      out[key] = value;
    }
  }
  return out;
}

/**
 * Parses and validates the stack's config. Pure: no Pulumi, no I/O.
 * @param raw the config map (`pulumi.runtime.allConfig()` or a Pulumi.<stack>.yaml `config:` block)
 * @param stack the stack name (used in messages and fix commands)
 * @param secretKeys the keys stored as secrets (their values are never shown in messages)
 * @throws StackConfigError listing every problem
 */
export function parseStackConfig(
  raw: Readonly<Record<string, unknown>>,
  stack: string,
  secretKeys: readonly string[] = [],
): StackConfig {
  const k = (name: string) => `${NAMESPACE}:${name}`;
  const problems: Problem[] = [];
  const decoded = decode(raw, stack, problems);
  const ours = Object.fromEntries(
    Object.entries(decoded).filter(([k]) => k.startsWith(`${NAMESPACE}:`) || k === "aws:region"),
  );
  const known = Object.keys(rawSchema.shape);
  for (const key of Object.keys(ours)) {
    if (!known.includes(key)) {
      problems.push({
        key,
        message: `is not a key of this program (known: ${known.join(", ")})`,
        fix: `pulumi config rm --stack ${stack} '${key}'`,
      });
    }
  }
  // Each key is parsed on its own so that one bad key does not hide the problems of the others, and the
  // cross-field rules below still run on every key that parsed.
  const undecodable = new Set(problems.map((p) => p.key));
  const c: Partial<ParsedConfig> = {};
  const failed = new Set<string>();
  for (const [key, schema] of Object.entries(rawSchema.shape) as [keyof ParsedConfig, z.ZodType][]) {
    if (undecodable.has(key)) {
      failed.add(key);
      continue;
    }
    const r = schema.safeParse(ours[key]);
    if (r.success) {
      (c as Record<string, unknown>)[key] = r.data;
    } else {
      failed.add(key);
      problems.push(
        ...r.error.issues.map((i) => issueToProblem({ ...i, path: [key, ...i.path] }, ours, stack)),
      );
    }
  }
  const isSet = (name: string) => ours[k(name)] !== undefined;
  const role = c["voxpersona:role"];
  const service = c["voxpersona:service"];
  const registry = c["voxpersona:registry"];
  const network = c["voxpersona:network"];
  const build = c["voxpersona:build"];
  const upstream = c["voxpersona:upstreamStack"];
  const digest = c["voxpersona:imageDigest"];
  const region = c["aws:region"];
  const secrets = c["voxpersona:secrets"];

  // Cross-field rules zod's per-field schema cannot see.
  if (!(ENVIRONMENT_TAGS as readonly string[]).includes(stack)) {
    problems.push({
      key: "stack name",
      value: stack,
      message:
        `must be one of ${ENVIRONMENT_TAGS.join(", ")}: the stack name is the image's environment tag, which ` +
        "the registry keeps mutable and protects from expiry",
      fix: `pulumi stack select ${ENVIRONMENT_TAGS[0]} (or pulumi stack init ${ENVIRONMENT_TAGS[0]})`,
    });
  }
  const allowedMemory = service ? (FARGATE_MEMORY[service.cpu] ?? []) : [];
  if (service && !allowedMemory.includes(service.memory)) {
    problems.push({
      key: k("service.memory"),
      value: service.memory,
      message: `is not a Fargate size for cpu ${service.cpu}; allowed: ${allowedMemory.join(", ")}`,
      fix: setCommand(stack, k("service.memory"), String(allowedMemory.find((m) => m >= MIN_MEMORY_MIB))),
    });
  }
  if (role === "promote") {
    if (!isSet("upstreamStack")) {
      problems.push({
        key: k("upstreamStack"),
        message: "is required for a promote stack: it names the stack whose image digest this stack runs",
        fix: setCommand(stack, k("upstreamStack"), stack === "prod" ? "staging" : "dev"),
      });
    } else if (upstream !== undefined && (upstream === stack || upstream.endsWith(`/${stack}`))) {
      problems.push({
        key: k("upstreamStack"),
        value: upstream,
        message: "must name another stack, not this one",
      });
    }
    if (isSet("build")) {
      problems.push({
        key: k("build"),
        message:
          "must not be set on a promote stack: promote stacks never build, they run an upstream digest",
        fix: `pulumi config rm --stack ${stack} '${k("build")}'`,
      });
    }
  } else if (role === "build") {
    for (const name of ["upstreamStack", "imageDigest"] as const) {
      if (isSet(name)) {
        problems.push({
          key: k(name),
          value: ours[k(name)],
          message: `is only valid on a promote stack; this stack's role is "build"`,
          fix: `pulumi config rm --stack ${stack} '${k(name)}'`,
        });
      }
    }
    if (!isSet("build")) {
      problems.push({
        key: k("build"),
        message: "is required for a build stack (context, dockerfile, platform, args)",
        fix: setCommand(stack, k("build.context"), "app"),
      });
    }
  }
  if (build && service && PLATFORM_ARCH[build.platform] !== service.cpuArchitecture) {
    problems.push({
      key: k("service.cpuArchitecture"),
      value: service.cpuArchitecture,
      message: `must match voxpersona:build.platform "${build.platform}" (${PLATFORM_ARCH[build.platform]}): the task runs the image that build produces`,
      fix: setCommand(stack, k("service.cpuArchitecture"), PLATFORM_ARCH[build.platform]),
    });
  }
  if (registry?.encryption === "KMS" && registry.kmsKeyArn === undefined) {
    problems.push({
      key: k("registry.kmsKeyArn"),
      message: 'is required when voxpersona:registry.encryption is "KMS"',
    });
  }
  if (network && (network.vpcId === undefined) !== (network.subnetIds === undefined)) {
    const missing = network.vpcId === undefined ? "vpcId" : "subnetIds";
    problems.push({
      key: k(`network.${missing}`),
      message: "must be set together with the other network field (or leave both unset for the default VPC)",
    });
  }
  for (const key of secretKeys.filter((key) => key in ours && !SECRET_CAPABLE_KEYS.includes(key))) {
    problems.push({
      key,
      message:
        "is stored as a secret, but its value becomes resource names, image tags or stack outputs, which " +
        `cannot be kept secret; only ${SECRET_CAPABLE_KEYS.join(", ")} may be secrets`,
      fix: `pulumi config set --stack ${stack} '${key}' "$(pulumi config get --stack ${stack} '${key}')" (plain)`,
    });
  }
  const secretRefs: SecretRef[] = [];
  // With a stack name that is not an environment, the prefix rule would only repeat that problem per secret.
  const checkRefs = secrets && region && (ENVIRONMENT_TAGS as readonly string[]).includes(stack);
  for (const [env, ref] of Object.entries(checkRefs ? secrets : {})) {
    const key = k(`secrets.${env}`);
    try {
      secretRefs.push(parseSecretRef(env, ref, stack, region as string));
    } catch (err) {
      const example = `voxpersona/${stack}/${env.toLowerCase().replace(/_/g, "-")}`;
      problems.push({
        key,
        value: ref,
        message: (err as Error).message,
        fix:
          err instanceof CredentialInConfigError
            ? `aws secretsmanager create-secret --name ${example} --secret-string '<the value>', then: ` +
              setCommand(stack, key, example)
            : setCommand(stack, key, example),
      });
    }
  }
  for (const [name, value] of Object.entries(service?.environment ?? {})) {
    const shape = credentialShape(value);
    if (shape !== undefined) {
      problems.push({
        key: k(`service.environment.${name}`),
        value,
        sensitive: true,
        message: `looks like ${shape}: a credential must not be a plain environment value`,
        fix:
          `pulumi config rm --stack ${stack} --path '${k(`service.environment.${name}`)}', store it in Secrets ` +
          `Manager and reference it: ${setCommand(stack, k(`secrets.${name}`), `voxpersona/${stack}/<name>`)}`,
      });
    }
  }
  for (const name of Object.keys(service?.environment ?? {})) {
    const marker = SECRET_NAME_MARKERS.find((m) => name.includes(m));
    if (marker !== undefined && !(name in (secrets ?? {}))) {
      problems.push({
        key: k(`service.environment.${name}`),
        message:
          `looks like a secret (its name contains "${marker}"); a plain environment value is readable by ` +
          "anyone who can describe the task definition",
        fix:
          `pulumi config rm --stack ${stack} --path '${k(`service.environment.${name}`)}' and store it in ` +
          `Secrets Manager, then: ${setCommand(stack, k(`secrets.${name}`), `voxpersona/${stack}/<name>`)}`,
      });
    }
    if (name in (secrets ?? {})) {
      problems.push({
        key: k(`service.environment.${name}`),
        message: "is also a runtime secret; a value must come from one place only",
        fix: `pulumi config rm --stack ${stack} --path '${k(`service.environment.${name}`)}'`,
      });
    }
  }
  const cache = c["voxpersona:cache"];
  // With no problem reported every key parsed; the type guards only tell the compiler so.
  if (problems.length > 0 || !role || !region || !service || !registry || !secrets || !cache || !network) {
    const hidden = (p: Problem): boolean =>
      p.sensitive === true ||
      secretKeys.includes(p.key.replace(/[.[].*$/, "")) ||
      (typeof p.value === "string" && credentialShape(p.value) !== undefined);
    throw new StackConfigError(
      stack,
      problems.map((p) => describe({ ...p, sensitive: hidden(p) }, stack)),
    );
  }

  const days = cache.lifecycleDays as Partial<Record<StageName, number>>;
  return {
    stack,
    region,
    role,
    promote:
      role === "promote"
        ? { upstreamStack: upstream as string, ...(digest ? { pinnedDigest: digest } : {}) }
        : undefined,
    build:
      role === "build" && build
        ? {
            context: build.context,
            dockerfile: build.dockerfile,
            platform: build.platform,
            args: build.args,
            cacheScope: c["voxpersona:cacheScope"] as string,
            ...(c["voxpersona:buildTag"] ? { buildTag: c["voxpersona:buildTag"] as string } : {}),
          }
        : undefined,
    cache: {
      mainScope: cache.mainScope,
      lifecycleDays: Object.fromEntries(
        STAGES.map((s) => [s, days[s] ?? DEFAULT_CACHE_LIFECYCLE_DAYS[s]]),
      ) as Record<StageName, number>,
    },
    registry: {
      name: registry.name,
      encryption: registry.encryption,
      ...(registry.kmsKeyArn ? { kmsKeyArn: registry.kmsKeyArn } : {}),
      scanOnPush: registry.scanOnPush,
      keepBuildImages: registry.keepBuildImages,
    },
    service: {
      cpu: service.cpu,
      memory: service.memory,
      ephemeralStorageGiB: service.ephemeralStorageGiB,
      desiredCount: service.desiredCount,
      logRetentionDays: service.logRetentionDays,
      assignPublicIp: service.assignPublicIp,
      cpuArchitecture: service.cpuArchitecture,
      environment: service.environment,
    },
    network:
      network.vpcId !== undefined && network.subnetIds !== undefined
        ? { vpcId: network.vpcId, subnetIds: network.subnetIds }
        : undefined,
    secrets: secretRefs,
    secretKeys: secretKeys.filter((key) => key in ours),
  };
}
