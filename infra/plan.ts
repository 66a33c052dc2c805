/**
 * The build plan: a pure description of how the VoxPersona image is built, stage by stage.
 *
 * Both the Pulumi program (`infra/image.ts`) and the `bake` command (`scripts/bake.ts`) render from this
 * module, so a developer or CI job running `docker buildx bake` gets byte-for-byte the same cache refs and
 * build args as `pulumi up`. Nothing here touches Pulumi or the network.
 *
 * Every registry reference of a plan (cache refs, release tags) is a suffix of the release repository URL,
 * so a plan is computed once from the config and its refs are resolved by the caller: with a known URL
 * (`buildPlan`), or with one that is only known later (`planFor`, as the Pulumi component does). Where
 * the cache lives and how a ref is spelled is `cache-refs.ts`.
 */
import { cacheFromRefs, cacheRef } from "./cache-refs";
import { IMAGE_TAG_PATTERN } from "./patterns";

/** Stages of `docker/Dockerfile`, in an order where every stage comes after the stages it needs. */
export const STAGES = ["system-base", "python-deps", "ml-models", "final"] as const;
export type StageName = (typeof STAGES)[number];

/**
 * Which stages each stage is built from (`FROM` or `COPY --from`). `ml-models` deliberately does not sit on
 * `python-deps`: a requirements.txt change must not re-download the embedding models.
 */
export const STAGE_DEPENDENCIES: Readonly<Record<StageName, readonly StageName[]>> = {
  "system-base": [],
  "python-deps": ["system-base"],
  "ml-models": ["system-base"],
  final: ["python-deps", "ml-models"],
};

/** Build args each stage declares itself; `BASE_IMAGE` is global (used by `FROM` only). */
export const STAGE_ARGS: Readonly<Record<StageName, readonly string[]>> = {
  "system-base": [],
  "python-deps": ["TORCH_INDEX_URL", "TORCH_PACKAGES"],
  "ml-models": ["HF_HUB_PACKAGE", "EMBEDDING_MODELS"],
  final: [],
};

/** Args declared before the first `FROM`. */
export const GLOBAL_ARGS: readonly string[] = ["BASE_IMAGE"];

/**
 * The real defaults, identical to the Dockerfile's own `ARG` defaults (a test checks both). An empty value
 * skips the step (offline builds).
 */
export const DEFAULT_BUILD_ARGS: Readonly<Record<string, string>> = {
  BASE_IMAGE: "python:3.10.11-slim",
  TORCH_INDEX_URL: "https://download.pytorch.org/whl/cpu",
  TORCH_PACKAGES: "torch==2.5.1",
  HF_HUB_PACKAGE: "huggingface_hub==0.26.2",
  EMBEDDING_MODELS: "BAAI/bge-m3 sentence-transformers/all-MiniLM-L6-v2",
};

/** Every build arg the Dockerfile knows. */
export const KNOWN_BUILD_ARGS: readonly string[] = [
  ...GLOBAL_ARGS,
  ...STAGES.flatMap((stage) => STAGE_ARGS[stage]),
];

/** The cache scope every build reads and only main builds write; it never expires. */
export const DEFAULT_MAIN_SCOPE = "main";

/** Everything a plan depends on except the repository URL. */
export interface PlanInput {
  /** Stack name; the release image is tagged with it (`dev`). */
  readonly stack: string;
  /** Cache scope of this build (`main`, `pr-42`, a branch). */
  readonly cacheScope: string;
  /** The scope every build falls back to reading; only builds in this scope write it. */
  readonly mainScope: string;
  /** Build context directory (the application source). */
  readonly context: string;
  /** Path of the Dockerfile. */
  readonly dockerfile: string;
  /** Target platform, e.g. `linux/amd64`. */
  readonly platform: string;
  /** Overrides of `DEFAULT_BUILD_ARGS`; keys must be in `KNOWN_BUILD_ARGS`. */
  readonly buildArgs?: Readonly<Record<string, string>>;
  /** Extra release tag (e.g. `git-<sha>`), in addition to the stack tag. */
  readonly buildTag?: string;
}

export interface BuildPlanInput extends PlanInput {
  /** Release repository URL without tag, e.g. `123.dkr.ecr.eu-central-1.amazonaws.com/voxpersona`. */
  readonly repositoryUrl: string;
}

/**
 * One `docker buildx build --target <stage>` invocation. `Ref` is how a registry reference is held: a string
 * once the repository URL is known, or whatever the caller resolves a URL suffix to (a Pulumi Output).
 */
export interface StagePlan<Ref = string> {
  readonly stage: StageName;
  readonly target: StageName;
  /** Stages that must be built (and their cache exported) before this one. */
  readonly dependsOn: readonly StageName[];
  /**
   * Cache refs to read, most specific first: own ref, then upstream stages', this scope (a PR's, in the PR
   * cache repositories) then main's (in the cache repositories).
   */
  readonly cacheFrom: readonly Ref[];
  /**
   * The single ref this stage's cache is exported to: always the build's own scope, in the cache repository
   * for the main scope and in the PR cache repository for any other.
   */
  readonly cacheTo: Ref;
  /** Build args this stage (and its ancestors) read. */
  readonly buildArgs: Readonly<Record<string, string>>;
  readonly platform: string;
  readonly context: string;
  readonly dockerfile: string;
  /** Release tags pushed by this stage; empty for stages that only export cache. */
  readonly tags: readonly Ref[];
}

export interface BuildPlan<Ref = string> {
  readonly stages: readonly StagePlan<Ref>[];
  /** `stage → cache ref of the build's own scope` (a stack output for dev). */
  readonly cacheRefs: Readonly<Record<StageName, Ref>>;
  /** Release tags of the final image. */
  readonly tags: readonly Ref[];
}

/** A stage and all stages it is built from, nearest first, without duplicates. */
export function stageClosure(stage: StageName): StageName[] {
  const seen: StageName[] = [];
  const visit = (s: StageName): void => {
    if (seen.includes(s)) return;
    seen.push(s);
    STAGE_DEPENDENCIES[s].forEach(visit);
  };
  visit(stage);
  return seen;
}

/** Build args for a stage: the args of its closure, defaults overridden by `overrides`. */
export function stageBuildArgs(
  stage: StageName,
  overrides: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const names = [...GLOBAL_ARGS, ...stageClosure(stage).flatMap((s) => STAGE_ARGS[s])];
  const args: Record<string, string> = {};
  for (const name of [...names].sort()) {
    args[name] = overrides[name] ?? DEFAULT_BUILD_ARGS[name];
  }
  return args;
}

/** Throws on input the Dockerfile cannot take (unknown arg, bad tag or scope). */
function checkPlanInput(input: PlanInput): void {
  const unknown = Object.keys(input.buildArgs ?? {}).filter((k) => !KNOWN_BUILD_ARGS.includes(k));
  if (unknown.length > 0) {
    throw new Error(
      `unknown build arg(s) ${unknown.map((k) => `"${k}"`).join(", ")}: docker/Dockerfile declares ` +
        `${KNOWN_BUILD_ARGS.join(", ")}`,
    );
  }
  for (const [label, value] of [
    ["cache scope", input.cacheScope],
    ["main cache scope", input.mainScope],
    ["stack tag", input.stack],
    ...(input.buildTag === undefined ? [] : [["build tag", input.buildTag]]),
  ] as const) {
    if (!IMAGE_TAG_PATTERN.test(value)) {
      throw new Error(`${label} "${value}" is not a valid image tag (allowed: ${IMAGE_TAG_PATTERN.source})`);
    }
  }
}

/**
 * Computes the whole plan once, with every registry reference given to `at` as its suffix of the release
 * repository URL (`/cache/final:main`, `/cache-pr/final:pr-42`, `:dev`). Everything else is a plain value.
 * @throws on input the Dockerfile cannot take (unknown arg, bad tag)
 */
export function planFor<Ref>(input: PlanInput, at: (suffix: string) => Ref): BuildPlan<Ref> {
  checkPlanInput(input);
  const overrides = input.buildArgs ?? {};
  const tags = [at(`:${input.stack}`)];
  if (input.buildTag !== undefined) tags.push(at(`:${input.buildTag}`));

  const stages = STAGES.map((stage): StagePlan<Ref> => ({
    stage,
    target: stage,
    dependsOn: STAGE_DEPENDENCIES[stage],
    // With an empty repository URL a ref is its own suffix.
    cacheFrom: cacheFromRefs("", stageClosure(stage), input.cacheScope, input.mainScope).map(at),
    cacheTo: at(cacheRef("", stage, input.cacheScope, input.mainScope)),
    buildArgs: stageBuildArgs(stage, overrides),
    platform: input.platform,
    context: input.context,
    dockerfile: input.dockerfile,
    tags: stage === "final" ? tags : [],
  }));
  const cacheRefs = Object.fromEntries(stages.map((s) => [s.stage, s.cacheTo])) as Record<StageName, Ref>;
  return { stages, cacheRefs, tags };
}

/** The plan with every reference under `input.repositoryUrl`. */
export function buildPlan(input: BuildPlanInput): BuildPlan {
  const { repositoryUrl, ...rest } = input;
  return planFor(rest, (suffix) => `${repositoryUrl}${suffix}`);
}
