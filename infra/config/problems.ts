/**
 * How config problems are reported: each names the full key, the bad value (never a sensitive one), what
 * is allowed, and a command that fixes it with a real example value.
 */
import { DEFAULT_CACHE_LIFECYCLE_DAYS } from "../lifecycle";
import { DEFAULT_BUILD_ARGS, DEFAULT_MAIN_SCOPE, StageName } from "../plan";
import { DIGEST_OUTPUT, upstreamOf } from "../promotion";
import { REGISTRY_DEFAULTS } from "../registry/defaults";
import { DEFAULT_LOG_RETENTION_DAYS, EPHEMERAL_STORAGE_GIB } from "../service/limits";
import { credentialShape, secretNameFor } from "../service/secrets";

export interface Problem {
  readonly key: string;
  readonly message: string;
  readonly value?: unknown;
  /** The whole fix; without it, `pulumi config set` of the key with `example` or the key's own example. */
  readonly fix?: string;
  /** An example derived from the bad value (e.g. a number as text); never shown when the value is hidden. */
  readonly example?: string;
  /** Never echo the value (a secret config key, or a value shaped like a credential): show its length. */
  readonly sensitive?: boolean;
}

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

/** `["voxpersona:network", "subnetIds", 0]` → `voxpersona:network.subnetIds[0]`. */
export function keyOf(path: readonly PropertyKey[]): string {
  const [top, ...rest] = path.map(String);
  return rest.reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : `${acc}.${part}`), top);
}

export function show(value: unknown): string {
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  return typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
}

/** The key's top-level config key: `voxpersona:service.memory` → `voxpersona:service`. */
export function topKey(key: string): string {
  return key.replace(/[.[].*$/, "");
}

const isNested = (key: string): boolean => key !== topKey(key);

/**
 * The command that sets `key` (`--path` for nested keys) to `example`, a shell word. A nested value that
 * reads as a number or true/false is stored as text only with `--type string`.
 */
export function setCommand(stack: string, key: string, example: string, asText = false): string {
  const type = asText && isNested(key) && /^(?:true|false|-?\d+)$/.test(example) ? " --type string" : "";
  return `pulumi config set --stack ${stack}${isNested(key) ? " --path" : ""}${type} '${key}' ${example}`;
}

export function rmCommand(stack: string, key: string): string {
  return `pulumi config rm --stack ${stack}${isNested(key) ? " --path" : ""} '${key}'`;
}

/** The command that stores a secret's value (read from a file, never typed on the command line). */
export function createSecretCommand(name: string): string {
  return `aws secretsmanager create-secret --name ${name} --secret-string file://${name.split("/").pop()}.txt`;
}

/** A shell word for `value`: as is when it is plain, else single-quoted. */
export function shellWord(value: string): string {
  return /^[A-Za-z0-9_.,:/=@+-]+$/.test(value) ? value : `'${value.replace(/'/g, `'"'"'`)}'`;
}

type Example = (stack: string, match: RegExpExecArray) => string;

/** A real example value per key (by suffix), shown in the fix hints. */
const EXAMPLES: ReadonlyArray<readonly [RegExp, Example]> = [
  [/^aws:region$/, () => "eu-central-1"],
  [/:role$/, (stack) => (stack === "dev" ? "build" : "promote")],
  [/:upstreamStack$/, (stack) => upstreamOf(stack)],
  [/:imageDigest$/, (stack) => `"$(pulumi stack output --stack ${upstreamOf(stack)} ${DIGEST_OUTPUT})"`],
  [/(?::cacheScope|\.mainScope)$/, () => DEFAULT_MAIN_SCOPE],
  [/:buildTag$/, () => "git-3f9c2ab-81d04e7"],
  [/:build\.context$/, () => "app"],
  [/:build\.dockerfile$/, () => "docker/Dockerfile"],
  [/:build\.platform$/, () => "linux/amd64"],
  [/:build\.args\.(\w+)$/, (_, m) => shellWord(DEFAULT_BUILD_ARGS[m[1]] ?? "")],
  [/\.lifecycleDays\.([a-z-]+)$/, (_, m) => String(DEFAULT_CACHE_LIFECYCLE_DAYS[m[1] as StageName] ?? 30)],
  [/:registry\.name$/, () => REGISTRY_DEFAULTS.name],
  [/:registry\.encryption$/, () => REGISTRY_DEFAULTS.encryption],
  [
    /:registry\.kmsKeyArn$/,
    () => "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
  ],
  [/:registry\.scanOnPush$/, () => String(REGISTRY_DEFAULTS.scanOnPush)],
  [/:registry\.keepBuildImages$/, () => String(REGISTRY_DEFAULTS.keepBuildImages)],
  [/:registry\.keepHistory$/, () => String(REGISTRY_DEFAULTS.keepHistory)],
  [/:registry\.adoptExisting$/, () => "true"],
  [/:service\.cpu$/, () => "2048"],
  [/:service\.memory$/, () => "8192"],
  [/:service\.ephemeralStorageGiB$/, () => String(EPHEMERAL_STORAGE_GIB.default)],
  [/:service\.desiredCount$/, () => "1"],
  [/:service\.logRetentionDays$/, () => String(DEFAULT_LOG_RETENTION_DAYS)],
  [/:service\.assignPublicIp$/, () => "true"],
  [/:service\.cpuArchitecture$/, () => "X86_64"],
  [/:service\.environment\.(\w+)$/, () => "INFO"],
  [/:network\.vpcId$/, () => "vpc-0123456789abcdef0"],
  [/:network\.subnetIds(?:\[\d+\])?$/, () => "subnet-0123456789abcdef0"],
  [/:secrets\.(\w+)$/, (stack, m) => secretNameFor(stack, m[1])],
];

const OTHER_FIELDS = "and its other fields, see Pulumi.yaml";
const ONE_PER_VARIABLE = "one per variable";

/** For an object, map or list key: the field (with its own example) a fix sets first, and what else. */
const FIRST_FIELD: Readonly<Record<string, readonly [field: string, more: string]>> = {
  "voxpersona:service": ["cpu", OTHER_FIELDS],
  "voxpersona:build": ["context", OTHER_FIELDS],
  "voxpersona:build.args": ["BASE_IMAGE", "one per build arg to override"],
  "voxpersona:cache": ["mainScope", OTHER_FIELDS],
  "voxpersona:cache.lifecycleDays": ["final", "and the other stages"],
  "voxpersona:registry": ["name", OTHER_FIELDS],
  "voxpersona:network": ["vpcId", "and subnetIds[0], [1], …"],
  "voxpersona:network.subnetIds": ["[0]", "and [1], … for more"],
  "voxpersona:service.environment": ["LOG_LEVEL", ONE_PER_VARIABLE],
  "voxpersona:secrets": ["DATABASE_URL", ONE_PER_VARIABLE],
};

/** The example value of `key`, or undefined when it has none (a test keeps every key covered). */
export function exampleFor(stack: string, key: string): string | undefined {
  for (const [re, example] of EXAMPLES) {
    const match = re.exec(key);
    if (match !== null) return example(stack, match);
  }
  return undefined;
}

/**
 * The fix for `key`: set it (an object key: its first field) to its example, or to `example`, a text
 * value derived from the bad one.
 */
export function fixFor(stack: string, key: string, example?: string): string {
  const first = FIRST_FIELD[key];
  if (first !== undefined) {
    const [field, more] = first;
    const fieldKey = field.startsWith("[") ? `${key}${field}` : `${key}.${field}`;
    return `${setCommand(stack, fieldKey, exampleFor(stack, fieldKey) ?? "")} (${more})`;
  }
  if (example !== undefined) return setCommand(stack, key, example, true);
  const value = exampleFor(stack, key);
  return value === undefined
    ? `${rmCommand(stack, key)} (its default applies)`
    : setCommand(stack, key, value);
}

function describe(p: Problem, stack: string): string {
  const got =
    p.value === undefined
      ? ""
      : p.sensitive
        ? ` (a value of ${typeof p.value === "string" ? p.value.length : show(p.value).length} characters)`
        : ` (got ${show(p.value)})`;
  return `${p.key}${got}: ${p.message}. Fix: ${p.fix ?? fixFor(stack, p.key, p.sensitive ? undefined : p.example)}`;
}

/** Every problem as a line, values hidden where the key is stored as a secret or looks like a credential. */
export function describeAll(
  problems: readonly Problem[],
  stack: string,
  secretKeys: readonly string[],
): string[] {
  const hidden = (p: Problem): boolean =>
    p.sensitive === true ||
    secretKeys.includes(topKey(p.key)) ||
    (typeof p.value === "string" && credentialShape(p.value) !== undefined);
  return problems.map((p) => describe({ ...p, sensitive: hidden(p) }, stack));
}
