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

/**
 * The stack a stack promotes from: the environment before it (`dev` for `staging`, `staging` for `prod`);
 * `dev` for `dev` itself and for a name that is no environment (it only ever names an example then).
 */
export function upstreamOf(stack: string): string {
  const i = ENVIRONMENT_TAGS.indexOf(stack as EnvironmentTag);
  return ENVIRONMENT_TAGS[Math.max(i - 1, 0)];
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
