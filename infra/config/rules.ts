/**
 * Cross-field rules: what one key's schema cannot see on its own (a Fargate pair, what a role requires, the
 * network placement). The other rules live by concern: the promotion chain in `chain-rules.ts`, keys in a
 * misspelled namespace in `namespace-rule.ts`, the secrets against the plain environment in
 * `secret-rules.ts`. Each rule reads the keys that parsed and returns problems; `crossFieldProblems` runs
 * them all, in the order they are reported.
 */
import { ARCHITECTURE_OF_PLATFORM, FARGATE_MEMORY, MIN_MEMORY_MIB } from "../service/limits";
import type { SecretRef } from "../service/secrets";
import { chainRole, roleProblems, stackNameRule, upstreamProblems } from "./chain-rules";
import { namespaceRule } from "./namespace-rule";
import { Problem, exampleFor, fixFor, rmCommand, setCommand } from "./problems";
import { ParsedConfig, Role, configKey } from "./schema";
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

/**
 * The promotion chain (`CHAIN`, chain-rules.ts) decides each stack's role and upstream; the role table then
 * decides which keys the stack needs and which it must not have. A role that disagrees with the chain is
 * reported, and the keys are checked for the chain's role, so that the fixes listed together make the stack
 * right.
 */
const roleRule: Rule = (ctx) => {
  const role = chainRole(ctx);
  if (role === undefined) return [];
  const { required, forbidden } = ROLE_RULES[role];
  const missing = required
    .filter((r) => !isSet(ctx, r.name))
    .map(({ name, why, field }): Problem => {
      const key = k(field === undefined ? name : `${name}.${field}`);
      return {
        key: k(name),
        message: why,
        fix: setCommand(ctx.stack, key, exampleFor(ctx.stack, key) ?? ""),
      };
    });
  const extra = forbidden
    .filter((f) => isSet(ctx, f.name))
    .map(({ name, why }): Problem => {
      const value = ctx.given[k(name)];
      // An object is not echoed whole: it may hold a secret config key's fields.
      return {
        key: k(name),
        message: why,
        fix: rmCommand(ctx.stack, k(name)),
        ...(typeof value === "object" ? {} : { value }),
      };
    });
  return [...roleProblems(ctx), ...missing, ...upstreamProblems(ctx), ...extra];
};

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
