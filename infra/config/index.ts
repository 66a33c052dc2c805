/**
 * Stack configuration: the zod schema (`schema.ts`), the cross-field rules (`rules.ts`) and how problems
 * are reported (`problems.ts`, `issues.ts`), joined by a pure parser.
 *
 * The entry reads the raw config map once (`source.ts`: `pulumi.runtime.allConfig()`, where structured
 * values arrive as JSON strings) and hands it to `parseStackConfig`, which either returns a fully typed
 * `StackConfig` or throws one error listing every problem, each with the full key, the bad value, what is
 * allowed and the `pulumi config set` command that fixes it. Because this runs before any resource is
 * declared, bad config never creates or deletes anything.
 */
import type { PlanInput } from "../plan";
import { issueToProblem } from "./issues";
import { Problem, StackConfigError, describeAll, fixFor, rmCommand } from "./problems";
import { RuleContext, crossFieldProblems } from "./rules";
import { NAMESPACE, ParsedConfig, STRUCTURED_KEYS, rawSchema } from "./schema";
import type { StackConfig } from "./types";

export { StackConfigError } from "./problems";
export { NAMESPACE, ROLES, SECRET_CAPABLE_KEYS, type Role } from "./schema";
export type { BuildConfig, StackConfig } from "./types";

/** Our keys of the raw config, structured values decoded: Pulumi passes JSON strings, YAML readers objects. */
function decode(raw: Readonly<Record<string, unknown>>, stack: string, problems: Problem[]) {
  const given: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!key.startsWith(`${NAMESPACE}:`) && key !== "aws:region") continue;
    given[key] = value;
    if (!STRUCTURED_KEYS.includes(key) || typeof value !== "string") continue;
    try {
      given[key] = JSON.parse(value);
    } catch {
      problems.push({
        key,
        value,
        message: "must be an object, not a plain string",
        fix: `${rmCommand(stack, key)}, then ${fixFor(stack, key)}`,
      });
    }
  }
  return given;
}

/**
 * Each key is parsed on its own, so that one bad key does not hide the problems of the others and the
 * cross-field rules still run on every key that parsed.
 */
function parseKeys(given: Readonly<Record<string, unknown>>, stack: string, problems: Problem[]) {
  const known = Object.keys(rawSchema.shape);
  for (const key of Object.keys(given).filter((key) => !known.includes(key))) {
    problems.push({
      key,
      message: `is not a key of this program (known: ${known.join(", ")})`,
      fix: rmCommand(stack, key),
    });
  }
  const undecodable = new Set(problems.map((p) => p.key));
  const parsed: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(rawSchema.shape)) {
    if (undecodable.has(key)) continue;
    const r = schema.safeParse(given[key]);
    if (r.success) parsed[key] = r.data;
    else
      problems.push(
        ...r.error.issues.map((i) => issueToProblem({ ...i, path: [key, ...i.path] }, given, stack)),
      );
  }
  return parsed as Partial<ParsedConfig>;
}

/** The typed config, from keys that all parsed and passed every rule. */
function assemble(stack: string, c: ParsedConfig, ctx: RuleContext): StackConfig {
  const role = c["voxpersona:role"];
  const build = c["voxpersona:build"];
  const buildTag = c["voxpersona:buildTag"];
  const digest = c["voxpersona:imageDigest"];
  const { vpcId, subnetIds } = c["voxpersona:network"];
  const network = vpcId !== undefined && subnetIds !== undefined ? { vpcId, subnetIds } : undefined;
  const service = c["voxpersona:service"];
  return {
    stack,
    region: c["aws:region"],
    role,
    promote:
      role === "promote"
        ? {
            upstreamStack: c["voxpersona:upstreamStack"] as string,
            ...(digest ? { pinnedDigest: digest } : {}),
          }
        : undefined,
    build:
      role === "build" && build
        ? { ...build, cacheScope: c["voxpersona:cacheScope"], ...(buildTag ? { buildTag } : {}) }
        : undefined,
    cache: c["voxpersona:cache"],
    registry: c["voxpersona:registry"],
    // Unset, a public IP in the default VPC (its only way out: rules.ts), none in a configured network.
    service: { ...service, assignPublicIp: service.assignPublicIp ?? network === undefined },
    network,
    secrets: ctx.secretRefs,
    secretKeys: ctx.secretKeys.filter((key) => key in ctx.given),
  };
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
  const problems: Problem[] = [];
  const given = decode(raw, stack, problems);
  const parsed = parseKeys(given, stack, problems);
  const ctx: RuleContext = { stack, raw, given, parsed, secretKeys, secretRefs: [] };
  problems.push(...crossFieldProblems(ctx));
  // With no problem reported every key parsed.
  if (problems.length > 0 || Object.keys(parsed).length < Object.keys(rawSchema.shape).length) {
    throw new StackConfigError(stack, describeAll(problems, stack, secretKeys));
  }
  return assemble(stack, parsed as ParsedConfig, ctx);
}

/** The build plan input (all but the repository URL) of a build stack. @throws for a stack that never builds */
export function planInputFromConfig(config: StackConfig): PlanInput {
  const build = config.build;
  if (build === undefined) {
    throw new Error(
      `stack "${config.stack}" has role "${config.role}": it never builds; bake a build stack (dev)`,
    );
  }
  return {
    stack: config.stack,
    cacheScope: build.cacheScope,
    mainScope: config.cache.mainScope,
    context: build.context,
    dockerfile: build.dockerfile,
    platform: build.platform,
    buildArgs: build.args,
    ...(build.buildTag === undefined ? {} : { buildTag: build.buildTag }),
  };
}
