/**
 * Promotion rules, pure: which digest a promote stack runs, and why not when it cannot.
 *
 * A promote stack runs either the digest pinned in its own config (a promotion reviewed in a pull request,
 * or a rollback) or the `imageDigest` output of its upstream stack. Every failure names the upstream stack
 * and the command that fixes it, and is raised before any resource is declared.
 */
import { DIGEST_PATTERN, DIGEST_WORDS } from "./patterns";

/**
 * The release tags that name environments, in promotion order (each promotes the one before it). They are
 * the stack names, and they move on promotion, so a build tag may not take them.
 */
export const ENVIRONMENT_TAGS = ["dev", "staging", "prod"] as const;
export type EnvironmentTag = (typeof ENVIRONMENT_TAGS)[number];

export function isEnvironment(name: string): name is EnvironmentTag {
  return (ENVIRONMENT_TAGS as readonly string[]).includes(name);
}

/** What a stack is in the promotion chain: the one that builds, or one that promotes its upstream's digest. */
export type ChainLink =
  { readonly role: "build" } | { readonly role: "promote"; readonly upstream: EnvironmentTag };

/**
 * The promotion chain, the one place that says it: dev builds; staging runs only the digest dev runs; prod
 * only the digest staging runs. Config that says otherwise (prod with role build, prod promoting dev, a
 * cycle) is refused before anything is declared (infra/config/chain-rules.ts).
 */
export const CHAIN: Readonly<Record<EnvironmentTag, ChainLink>> = {
  dev: { role: "build" },
  staging: { role: "promote", upstream: "dev" },
  prod: { role: "promote", upstream: "staging" },
};

/** What the chain says `stack` is; undefined for a name that is no environment. */
export function chainLink(stack: string): ChainLink | undefined {
  return isEnvironment(stack) ? CHAIN[stack] : undefined;
}

/** The chain in words: `dev builds, staging promotes dev, prod promotes staging`. */
export const CHAIN_WORDS = ENVIRONMENT_TAGS.map((stack) => {
  const link = CHAIN[stack];
  return link.role === "build" ? `${stack} builds` : `${stack} promotes ${link.upstream}`;
}).join(", ");

/**
 * The stack a stack promotes from (`dev` for `staging`, `staging` for `prod`); `dev` for `dev` itself and
 * for a name that is no environment (it only ever names an example then).
 */
export function upstreamOf(stack: string): EnvironmentTag {
  const link = chainLink(stack);
  return link?.role === "promote" ? link.upstream : ENVIRONMENT_TAGS[0];
}

/** One part of a stack name: an organization, project or stack (Pulumi's characters). */
const NAME_PART = /^[A-Za-z0-9_.-]+$/;

/**
 * Why `name` (a promote stack's `voxpersona:upstreamStack`) does not name `stack`'s upstream in the chain,
 * or undefined when it does. Accepted are the forms `qualifyStackName` qualifies: `<upstream>`,
 * `<project>/<upstream>` and `<org>/<project>/<upstream>`, with `project` this project.
 */
export function upstreamNameProblem(
  name: string,
  stack: EnvironmentTag,
  project: string,
): string | undefined {
  const link = CHAIN[stack];
  if (link.role !== "promote") return `names an upstream, but ${stack} builds and has none`;
  if (name === "") return "is empty";
  const parts = name.split("/");
  if (parts.length > 3) {
    return `is not a stack name: it has ${parts.length} parts, a stack name at most 3 (<org>/<project>/<stack>)`;
  }
  const bad = parts.find((p) => p === "" || p === "." || p === ".." || !NAME_PART.test(p));
  if (bad === "") return "is not a stack name: it has an empty part";
  if (bad === "." || bad === "..") return `is not a stack name: "${bad}" is a path step, not a name`;
  if (bad !== undefined) {
    return `is not a stack name: "${bad}" is not a name (letters, digits, "_", "." and "-")`;
  }
  const named = parts[parts.length - 1];
  const namedProject = parts.length > 1 ? parts[parts.length - 2] : project;
  if (namedProject !== project) return `names a stack of project "${namedProject}", not of this project`;
  if (named === link.upstream) return undefined;
  if (named === stack) return `names ${stack} itself`;
  if (!isEnvironment(named)) return `names "${named}", which is no stack of the chain`;
  const order = (s: EnvironmentTag) => ENVIRONMENT_TAGS.indexOf(s);
  return order(named) > order(stack)
    ? `names ${named}, which comes after ${stack} in the chain: a cycle`
    : `names ${named}, which skips ${ENVIRONMENT_TAGS.slice(order(named) + 1, order(stack)).join(", ")}`;
}

/** The stack output a promote stack reads from its upstream. */
export const DIGEST_OUTPUT = "imageDigest";

/** `dev` → `<org>/<project>/dev`; an already qualified name is kept. */
export function qualifyStackName(name: string, organization: string, project: string): string {
  const parts = name.split("/");
  if (parts.length === 3) return name;
  if (parts.length === 2) return `${organization}/${name}`;
  return `${organization}/${project}/${name}`;
}

export interface PromotionInput {
  /** This stack's name. */
  readonly stack: string;
  /** Fully qualified upstream stack name. */
  readonly upstream: string;
  /** `voxpersona:imageDigest`, when set. */
  readonly pinnedDigest?: string;
  /**
   * The upstream's outputs; `undefined` when they were not read (pinned digest). An empty object means the
   * upstream has never been deployed (or was destroyed).
   */
  readonly upstreamOutputs?: Readonly<Record<string, unknown>>;
}

export interface PromotedDigest {
  readonly digest: string;
  readonly source: "pinned" | "upstream";
}

function shortName(stack: string): string {
  return stack.split("/").pop() as string;
}

export function resolvePromotedDigest(input: PromotionInput): PromotedDigest {
  const up = shortName(input.upstream);
  const pinHint = `or pin a digest: pulumi config set --stack ${input.stack} voxpersona:imageDigest sha256:<64 hex>`;
  if (input.pinnedDigest !== undefined) {
    if (!DIGEST_PATTERN.test(input.pinnedDigest)) {
      throw new Error(
        `voxpersona:imageDigest "${input.pinnedDigest}" is not a digest (${DIGEST_WORDS}). Fix: pulumi config set --stack ${input.stack} voxpersona:imageDigest ` +
          `$(pulumi stack output --stack ${up} ${DIGEST_OUTPUT})`,
      );
    }
    return { digest: input.pinnedDigest, source: "pinned" };
  }
  const outputs = input.upstreamOutputs ?? {};
  if (Object.keys(outputs).length === 0) {
    throw new Error(
      `upstream stack "${input.upstream}" has no outputs: it has not been deployed (or was destroyed), so ` +
        `there is no image to promote to "${input.stack}". Run \`pulumi up --stack ${up}\` first, ${pinHint}`,
    );
  }
  const digest = outputs[DIGEST_OUTPUT];
  if (digest === undefined || digest === null || digest === "") {
    throw new Error(
      `upstream stack "${input.upstream}" has no "${DIGEST_OUTPUT}" output (it exports: ` +
        `${Object.keys(outputs).sort().join(", ")}). Run \`pulumi up --stack ${up}\` to publish it, ${pinHint}`,
    );
  }
  if (typeof digest !== "string" || !DIGEST_PATTERN.test(digest)) {
    throw new Error(
      `upstream stack "${input.upstream}" output "${DIGEST_OUTPUT}" is ${JSON.stringify(digest)}, not a ` +
        `digest (${DIGEST_WORDS}). Run \`pulumi up --stack ${up}\` to fix its ` +
        `outputs, ${pinHint}`,
    );
  }
  return { digest, source: "upstream" };
}

/** `<repositoryUrl>@<digest>`: the only form a task definition is given. */
export function digestRef(repositoryUrl: string, digest: string): string {
  if (!DIGEST_PATTERN.test(digest)) throw new Error(`"${digest}" is not a sha256 digest`);
  return `${repositoryUrl}@${digest}`;
}
