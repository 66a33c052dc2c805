/**
 * Cross-field rules: what one key's schema cannot see on its own (a Fargate pair, what a role requires,
 * the secrets against the plain environment: `secret-rules.ts`). Each rule reads the keys that parsed and
 * returns problems; `crossFieldProblems` runs them all, in the order they are reported.
 */
import { ENVIRONMENT_TAGS, isEnvironment } from "../promotion";
import { ARCHITECTURE_OF_PLATFORM, FARGATE_MEMORY, MIN_MEMORY_MIB } from "../service/limits";
import type { SecretRef } from "../service/secrets";
import { Problem, exampleFor, rmCommand, setCommand } from "./problems";
import { ParsedConfig, Role, configKey } from "./schema";
import { environmentRule, secretKeysRule, secretRefsRule } from "./secret-rules";

export interface RuleContext {
  readonly stack: string;
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

const roleRule: Rule = (ctx) => {
  const role = ctx.parsed["voxpersona:role"];
  if (role === undefined) return [];
  const { required, forbidden } = ROLE_RULES[role];
  const problems: Problem[] = [];
  for (const { name, why, field } of required.filter((r) => !isSet(ctx, r.name))) {
    const key = k(field === undefined ? name : `${name}.${field}`);
    problems.push({
      key: k(name),
      message: why,
      fix: setCommand(ctx.stack, key, exampleFor(ctx.stack, key) ?? ""),
    });
  }
  const upstream = ctx.parsed["voxpersona:upstreamStack"];
  if (
    role === "promote" &&
    upstream !== undefined &&
    (upstream === ctx.stack || upstream.endsWith(`/${ctx.stack}`))
  ) {
    problems.push({
      key: k("upstreamStack"),
      value: upstream,
      message: "must name another stack, not this one",
    });
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

/** Every rule, in the order their problems are reported. */
const RULES: readonly Rule[] = [
  stackNameRule,
  fargateRule,
  roleRule,
  architectureRule,
  kmsRule,
  networkRule,
  secretKeysRule,
  secretRefsRule,
  environmentRule,
];

export function crossFieldProblems(ctx: RuleContext): Problem[] {
  return RULES.flatMap((rule) => rule(ctx));
}
