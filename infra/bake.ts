/**
 * Renders a build plan as a `docker buildx bake` file, so CI and developers can run exactly the build the
 * Pulumi program runs (same targets, cache refs and args) without Pulumi. Pure.
 */
import * as path from "node:path";
import { cacheFromSpec, cacheToSpec } from "./cache-refs";
import { BuildPlan, STAGES, StageName } from "./plan";

export interface BakeTarget {
  readonly context: string;
  readonly dockerfile: string;
  readonly target: StageName;
  readonly platforms: readonly string[];
  readonly args: Readonly<Record<string, string>>;
  readonly "cache-from": readonly string[];
  readonly "cache-to": readonly string[];
  readonly output: readonly string[];
}

export interface BakeFile {
  readonly group: { readonly default: { readonly targets: readonly StageName[] } };
  readonly target: Readonly<Record<StageName, BakeTarget>>;
}

export interface BakeOptions {
  /**
   * Push the final image to its release tags. Without it the final target only exports its cache (pull
   * requests: prove the Dockerfile builds without publishing a release image).
   * @default false
   */
  readonly push?: boolean;
}

/**
 * `store=false` keeps dockerd (docker driver, containerd store) from unpacking the whole image after the
 * push, which would undo the lazy parent layers that make a code-only rebuild take seconds.
 */
export function finalOutputSpec(tags: readonly string[]): string {
  return `type=image,"name=${tags.join(",")}",push=true,store=false`;
}

export function renderBakeFile(plan: BuildPlan, options: BakeOptions = {}): BakeFile {
  const target = {} as Record<StageName, BakeTarget>;
  for (const s of plan.stages) {
    // bake resolves `dockerfile` relative to `context`.
    const dockerfile = path.isAbsolute(s.dockerfile) ? s.dockerfile : path.relative(s.context, s.dockerfile);
    const push = options.push === true && s.tags.length > 0;
    target[s.stage] = {
      context: s.context,
      dockerfile,
      target: s.target,
      platforms: [s.platform],
      args: s.buildArgs,
      "cache-from": s.cacheFrom.map(cacheFromSpec),
      "cache-to": [cacheToSpec(s.cacheTo)],
      output: [push ? finalOutputSpec(s.tags) : "type=cacheonly"],
    };
  }
  return { group: { default: { targets: [...STAGES] } }, target };
}
