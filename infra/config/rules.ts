/**
 * Cross-field rules: what one key's schema cannot see on its own (a Fargate pair, the promotion chain and
 * what a role requires, the network placement, keys in a misspelled namespace, the secrets against the plain
 * environment: `secret-rules.ts`). Each rule reads the keys that parsed and returns problems;
 * `crossFieldProblems` runs them all, in the order they are reported.
 */
import { CHAIN, CHAIN_WORDS, ENVIRONMENT_TAGS, isEnvironment, upstreamNameProblem } from "../promotion";
import { ARCHITECTURE_OF_PLATFORM, FARGATE_MEMORY, MIN_MEMORY_MIB } from "../service/limits";
import { type SecretRef, credentialShape } from "../service/secrets";
import { Problem, exampleFor, fixFor, rmCommand, setCommand, shellWord } from "./problems";
import { NAMESPACE, ParsedConfig, Role, SECRET_CAPABLE_KEYS, configKey, rawSchema } from "./schema";
import { environmentRule, secretKeysRule, secretRefsRule } from "./secret-rules";

export interface RuleContext {
  readonly stack: string;
  /** Every key of the config, of every namespace, as given. */
  readonly raw: Readonly<Record<string, unknown>>;
  /** The config as given (decoded), to tell a key that is set from one that took its default. */
  readonly given: Readonly<Record<string, unknown>>;
  /** The keys that parsed. */
  readonly parsed: Partial<ParsedConfig>;
  readonly secretKeys: readonly string[];
  /** Filled by the secret reference rule: every reference that passed. */
  readonly secretRefs: SecretRef[];
}

export type Rule = (ctx: RuleContext) => Problem[];

const k = configKey;
const isSet = (ctx: RuleContext, name: string): boolean => ctx.given[k(name)] !== undefined;

interface RoleKeys {
  /** Keys the role needs; `field`: for an object key, the field the fix sets. */
  readonly required: readonly { readonly name: string; readonly why: string; readonly field?: string }[];
  /** Keys that belong to the other role. */
  readonly forbidden: readonly { readonly name: string; readonly why: string }[];
}

/** The role rules, as a table: per role, the keys it requires and the keys it forbids. */
const ROLE_RULES: Readonly<Record<Role, RoleKeys>> = {
  build: {
    required: [
      {
        name: "build",
        why: "is required for a build stack (context, dockerfile, platform, args)",
        field: "context",
      },
    ],
    forbidden: [
      { name: "upstreamStack", why: 'is only valid on a promote stack; this stack\'s role is "build"' },
      { name: "imageDigest", why: 'is only valid on a promote stack; this stack\'s role is "build"' },
    ],
  },
  promote: {
    required: [
      {
        name: "upstreamStack",
        why: "is required for a promote stack: it names the stack whose image digest this stack runs",
      },
    ],
    forbidden: [
      {
        name: "build",
        why: "must not be set on a promote stack: promote stacks never build, they run an upstream digest",
      },
    ],
  },
};

/** What `stack` is in the chain, in words: why its role and upstream are what the chain says. */
function chainReason(stack: string): string {
  const link = isEnvironment(stack) ? CHAIN[stack] : undefined;
  if (link === undefined) return "";
  const what =
    link.role === "build"
      ? `${stack} builds the image the other stacks promote`
      : `${stack} never builds, it runs only the digest ${link.upstream} runs`;
  return `${what} (the chain: ${CHAIN_WORDS})`;
}

/**
 * The promotion chain (`CHAIN`) decides each stack's role and upstream; the role table then decides which
 * keys the stack needs and which it must not have. A role that disagrees with the chain is reported, and
 * the keys are checked for the chain's role, so that the fixes listed together make the stack right.
 */
const roleRule: Rule = (ctx) => {
  const given = ctx.parsed["voxpersona:role"];
  const link = isEnvironment(ctx.stack) ? CHAIN[ctx.stack] : undefined;
  const role: Role | undefined = link?.role ?? given;
  if (role === undefined) return [];
  const problems: Problem[] = [];
  if (link !== undefined && given !== undefined && given !== link.role) {
    problems.push({
      key: k("role"),
      value: given,
      message: `must be "${link.role}" on ${ctx.stack}: ${chainReason(ctx.stack)}`,
      fix: setCommand(ctx.stack, k("role"), link.role),
    });
  }
  const { required, forbidden } = ROLE_RULES[role];
  for (const { name, why, field } of required.filter((r) => !isSet(ctx, r.name))) {
    const key = k(field === undefined ? name : `${name}.${field}`);
    problems.push({
      key: k(name),
      message: why,
      fix: setCommand(ctx.stack, key, exampleFor(ctx.stack, key) ?? ""),
    });
  }
  const upstream = ctx.parsed["voxpersona:upstreamStack"];
  if (link?.role === "promote" && upstream !== undefined && isEnvironment(ctx.stack)) {
    const why = upstreamNameProblem(upstream, ctx.stack, NAMESPACE);
    if (why !== undefined) {
      const up = link.upstream;
      problems.push({
        key: k("upstreamStack"),
        value: upstream,
        message:
          `${why}; must be ${up} (or ${NAMESPACE}/${up}, <org>/${NAMESPACE}/${up}): ` +
          chainReason(ctx.stack),
        fix: setCommand(ctx.stack, k("upstreamStack"), up),
      });
    }
  }
  for (const { name, why } of forbidden.filter((f) => isSet(ctx, f.name))) {
    const value = ctx.given[k(name)];
    // An object is not echoed whole: it may hold a secret config key's fields.
    problems.push({
      key: k(name),
      message: why,
      fix: rmCommand(ctx.stack, k(name)),
      ...(typeof value === "object" ? {} : { value }),
    });
  }
  return problems;
};

/** Namespaces of the config that are not misspellings of ours: the providers' and Pulumi's own. */
const OTHER_NAMESPACES: readonly string[] = ["aws", "pulumi"];

/**
 * The optimal string alignment distance: insertions, deletions, substitutions and swaps of two adjacent
 * letters, each 1.
 */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/** Whether `namespace` is a misspelling of ours: any case, up to 2 letters added, missing, changed or swapped. */
export function isNearMissNamespace(namespace: string): boolean {
  return (
    namespace !== NAMESPACE &&
    !OTHER_NAMESPACES.includes(namespace) &&
    editDistance(namespace.toLowerCase(), NAMESPACE) <= 2
  );
}

/** Our key `name` stands for: itself when it is one, else the nearest within 2 edits. */
function meantKey(name: string): string | undefined {
  const ours = Object.keys(rawSchema.shape).filter((key) => key.startsWith(`${NAMESPACE}:`));
  const exact = ours.find((key) => key === k(name));
  if (exact !== undefined) return exact;
  const scored = ours
    .map((key) => ({
      key,
      d: editDistance(key.slice(NAMESPACE.length + 1).toLowerCase(), name.toLowerCase()),
    }))
    .filter(({ d }) => d <= 2)
    .sort((x, y) => x.d - y.d);
  return scored[0]?.key;
}

/**
 * A key in a misspelled namespace (`voxpersonna:imageDigest`): the program never reads it, so a pinned
 * rollback digest or any other setting would be dropped without a word. The fix moves it, never showing a
 * secret value.
 */
const namespaceRule: Rule = ({ raw, stack, secretKeys }) => {
  const problems: Problem[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const colon = key.indexOf(":");
    if (colon < 0 || !isNearMissNamespace(key.slice(0, colon))) continue;
    const name = key.slice(colon + 1);
    const meant = meantKey(name);
    const namespace = `namespace "${key.slice(0, colon)}" is not this project's (${NAMESPACE})`;
    if (meant === undefined) {
      problems.push({
        key,
        message: `is not a key of this program: its ${namespace}, and ${NAMESPACE} has no key "${name}"`,
        fix: rmCommand(stack, key),
      });
      continue;
    }
    const secret = secretKeys.includes(key);
    const structured =
      (typeof value === "object" && value !== null) || (typeof value === "string" && /^\s*[[{]/.test(value));
    const hidden = secret || (typeof value === "string" && credentialShape(value) !== undefined);
    const fix = structured
      ? `rename the key in Pulumi.${stack}.yaml from ${key}: to ${meant}: (its value, secret or not, stays as it is)`
      : hidden
        ? `pulumi config set --stack ${stack}${secret && SECRET_CAPABLE_KEYS.includes(meant) ? " --secret" : ""} ` +
          `'${meant}' "$(pulumi config get --stack ${stack} '${key}')", then ${rmCommand(stack, key)}`
        : `${rmCommand(stack, key)}, then ${setCommand(stack, meant, shellWord(String(value)))}`;
    problems.push({
      key,
      message: `is not a key of this program: did you mean ${meant}? Its ${namespace}, so the program would silently run without it`,
      fix,
    });
  }
  return problems;
};

const stackNameRule: Rule = ({ stack }) =>
  isEnvironment(stack)
    ? []
    : [
        {
          key: "stack name",
          value: stack,
          message:
            `must be one of ${ENVIRONMENT_TAGS.join(", ")}: the stack name is the image's environment tag, ` +
            "which the registry keeps mutable and protects from expiry",
          fix: `pulumi stack select ${ENVIRONMENT_TAGS[0]} (or pulumi stack init ${ENVIRONMENT_TAGS[0]})`,
        },
      ];

const fargateRule: Rule = ({ parsed, stack }) => {
  const service = parsed["voxpersona:service"];
  const allowed = service ? (FARGATE_MEMORY[service.cpu] ?? []) : [];
  if (!service || allowed.includes(service.memory)) return [];
  return [
    {
      key: k("service.memory"),
      value: service.memory,
      message: `is not a Fargate size for cpu ${service.cpu}; allowed: ${allowed.join(", ")}`,
      fix: setCommand(stack, k("service.memory"), String(allowed.find((m) => m >= MIN_MEMORY_MIB))),
    },
  ];
};

const architectureRule: Rule = ({ parsed, stack }) => {
  const build = parsed["voxpersona:build"];
  const service = parsed["voxpersona:service"];
  const architecture = build && ARCHITECTURE_OF_PLATFORM[build.platform];
  if (!build || !service || architecture === service.cpuArchitecture) return [];
  return [
    {
      key: k("service.cpuArchitecture"),
      value: service.cpuArchitecture,
      message: `must match ${k("build.platform")} "${build.platform}" (${architecture}): the task runs the image that build produces`,
      fix: setCommand(stack, k("service.cpuArchitecture"), String(architecture)),
    },
  ];
};

const kmsRule: Rule = ({ parsed }) =>
  parsed["voxpersona:registry"]?.encryption === "KMS" && parsed["voxpersona:registry"].kmsKeyArn === undefined
    ? [{ key: k("registry.kmsKeyArn"), message: `is required when ${k("registry.encryption")} is "KMS"` }]
    : [];

const networkRule: Rule = ({ parsed }) => {
  const network = parsed["voxpersona:network"];
  if (!network || (network.vpcId === undefined) === (network.subnetIds === undefined)) return [];
  return [
    {
      key: k(`network.${network.vpcId === undefined ? "vpcId" : "subnetIds"}`),
      message: "must be set together with the other network field (or leave both unset for the default VPC)",
    },
  ];
};

/** What private subnets need for the task to start: its image, its logs and its secrets. */
export const PRIVATE_SUBNET_NEEDS =
  "a NAT gateway, or VPC endpoints for ECR, S3, CloudWatch Logs and Secrets Manager (the bot's own calls " +
  "to Telegram and the model APIs still need a route out)";

/**
 * The default VPC's subnets are public: they reach the internet through an internet gateway, which only
 * carries traffic of an address with a public IP. There a task without one cannot pull its image from ECR
 * and never starts. (`assignPublicIp` unset follows the network: true in the default VPC, false with
 * `voxpersona:network`; see `assemble` in index.ts.)
 */
const publicIpRule: Rule = ({ parsed, stack }) => {
  const network = parsed["voxpersona:network"];
  const service = parsed["voxpersona:service"];
  if (!network || !service || network.vpcId !== undefined || network.subnetIds !== undefined) return [];
  if (service.assignPublicIp !== false) return [];
  const key = k("service.assignPublicIp");
  return [
    {
      key,
      value: false,
      message:
        `must be true while ${k("network")} is unset: the task then runs in the default VPC, whose subnets ` +
        "reach the internet only through an internet gateway, so without a public IP it cannot pull its image " +
        "from ECR and never starts",
      fix:
        `${setCommand(stack, key, "true")}, or configure ${k("network")} with private subnets that have ` +
        `${PRIVATE_SUBNET_NEEDS}: ${fixFor(stack, k("network"))}`,
    },
  ];
};

/** Every rule, in the order their problems are reported. */
const RULES: readonly Rule[] = [
  stackNameRule,
  namespaceRule,
  fargateRule,
  roleRule,
  architectureRule,
  kmsRule,
  networkRule,
  publicIpRule,
  secretKeysRule,
  secretRefsRule,
  environmentRule,
];

export function crossFieldProblems(ctx: RuleContext): Problem[] {
  return RULES.flatMap((rule) => rule(ctx));
}
