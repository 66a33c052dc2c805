/**
 * The promotion chain's rules (`CHAIN`, infra/promotion.ts): the stack is one of the chain's environments,
 * its role is the one the chain gives it, and a promote stack reads the chain's upstream. The role rule
 * (rules.ts) reports the role and upstream problems together with the role table's keys.
 */
import { CHAIN_WORDS, ENVIRONMENT_TAGS, chainLink, isEnvironment, upstreamNameProblem } from "../promotion";
import { Problem, setCommand } from "./problems";
import { NAMESPACE, Role, configKey as k } from "./schema";
import type { Rule, RuleContext } from "./rules";

/** What `stack` is in the chain, in words: why its role and upstream are what the chain says. */
function chainReason(stack: string): string {
  const link = chainLink(stack);
  if (link === undefined) return "";
  const what =
    link.role === "build"
      ? `${stack} builds the image the other stacks promote`
      : `${stack} never builds, it runs only the digest ${link.upstream} runs`;
  return `${what} (the chain: ${CHAIN_WORDS})`;
}

/** The role the stack's keys are checked for: the chain's, else (a stack it does not know) the given one. */
export function chainRole(ctx: RuleContext): Role | undefined {
  return chainLink(ctx.stack)?.role ?? ctx.parsed["voxpersona:role"];
}

/** A given `voxpersona:role` that disagrees with the chain. */
export function roleProblems(ctx: RuleContext): Problem[] {
  const given = ctx.parsed["voxpersona:role"];
  const link = chainLink(ctx.stack);
  if (link === undefined || given === undefined || given === link.role) return [];
  return [
    {
      key: k("role"),
      value: given,
      message: `must be "${link.role}" on ${ctx.stack}: ${chainReason(ctx.stack)}`,
      fix: setCommand(ctx.stack, k("role"), link.role),
    },
  ];
}

/** A promote stack's `voxpersona:upstreamStack` that does not name the chain's upstream. */
export function upstreamProblems(ctx: RuleContext): Problem[] {
  const upstream = ctx.parsed["voxpersona:upstreamStack"];
  const link = chainLink(ctx.stack);
  if (link?.role !== "promote" || upstream === undefined || !isEnvironment(ctx.stack)) return [];
  const why = upstreamNameProblem(upstream, ctx.stack, NAMESPACE);
  if (why === undefined) return [];
  const up = link.upstream;
  return [
    {
      key: k("upstreamStack"),
      value: upstream,
      message:
        `${why}; must be ${up} (or ${NAMESPACE}/${up}, <org>/${NAMESPACE}/${up}): ` + chainReason(ctx.stack),
      fix: setCommand(ctx.stack, k("upstreamStack"), up),
    },
  ];
}

/** The stack name is an environment of the chain. */
export const stackNameRule: Rule = ({ stack }) =>
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
