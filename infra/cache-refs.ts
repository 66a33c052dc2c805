/**
 * Where the build plan's BuildKit cache lives and how BuildKit is told: the cache repositories (one per
 * stage for the main scope, `<repository>/cache/<stage>`, and one per stage for every other scope,
 * `<repository>/cache-pr/<stage>`), a stage's cache ref in a scope, the refs a build reads and the
 * `--cache-from`/`--cache-to` strings of a ref. Pure; `plan.ts` computes a plan's refs with these, and the
 * registry names its cache repositories with them.
 */
import type { StageName } from "./plan";

/** BuildKit registry-cache attributes ECR needs: an OCI image manifest instead of a bare cache index. */
export const CACHE_EXPORT_ATTRIBUTES = { mode: "max", imageManifest: true, ociMediaTypes: true } as const;

/**
 * Where a stage's main-scope cache lives: one cache repository per stage (`<repository>/cache/<stage>`).
 * Only main builds write it; every build reads it, and `pulumi up --stack dev` (a release) imports it.
 */
export function cacheRepositoryUrl(repository: string, stage: StageName): string {
  return `${repository}/cache/${stage}`;
}

/**
 * Where a stage's cache lives for every other scope (a pull request's `pr-<n>`): one PR cache repository per
 * stage (`<repository>/cache-pr/<stage>`). Separate repositories, so the role pull requests build with may
 * push to these and nothing else: a pull request can never write a cache a release build imports.
 */
export function prCacheRepositoryUrl(repository: string, stage: StageName): string {
  return `${repository}/cache-pr/${stage}`;
}

/** The cache repository a scope lives in: the cache repository for the main scope, else the PR one. */
export function scopeCacheRepositoryUrl(
  repository: string,
  stage: StageName,
  scope: string,
  mainScope: string,
): string {
  return scope === mainScope
    ? cacheRepositoryUrl(repository, stage)
    : prCacheRepositoryUrl(repository, stage);
}

/** A stage's cache ref in a scope: `<repository>/cache/<stage>:main`, `<repository>/cache-pr/<stage>:pr-42`. */
export function cacheRef(repositoryUrl: string, stage: StageName, scope: string, mainScope: string): string {
  return `${scopeCacheRepositoryUrl(repositoryUrl, stage, scope, mainScope)}:${scope}`;
}

/**
 * Refs a build of a stage imports, given the stage's closure (`stageClosure` in plan.ts: the stage, then the
 * stages it is built from): every stage of the closure in this scope, then the same in the main scope. A PR
 * build reads its own refs (PR cache repositories) first, then main's; a main build reads main's only, never
 * a PR cache repository.
 */
export function cacheFromRefs(
  repositoryUrl: string,
  closure: readonly StageName[],
  scope: string,
  mainScope: string,
): string[] {
  const scopes = scope === mainScope ? [scope] : [scope, mainScope];
  return scopes.flatMap((s) => closure.map((stage) => cacheRef(repositoryUrl, stage, s, mainScope)));
}

/** BuildKit's `--cache-to` string for a plan ref (the form bake files and the CLI take). */
export function cacheToSpec(ref: string): string {
  return `type=registry,ref=${ref},mode=${CACHE_EXPORT_ATTRIBUTES.mode},image-manifest=true,oci-mediatypes=true`;
}

/** BuildKit's `--cache-from` string for a plan ref. */
export function cacheFromSpec(ref: string): string {
  return `type=registry,ref=${ref}`;
}
