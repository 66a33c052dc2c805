/**
 * ECR lifecycle policies, as pure data.
 *
 * ECR evaluates rules by priority and an image selected by a rule can never be expired by a rule of lower
 * priority. The protective rules below use that: they select the images to keep with a count no image can
 * exceed, so the broader expiry rules after them never see those images.
 */
import type { StageName } from "./plan";

/** Days an unused cache scope of each stage survives by default; stable stages live longer. */
export const DEFAULT_CACHE_LIFECYCLE_DAYS: Readonly<Record<StageName, number>> = {
  "system-base": 90,
  "python-deps": 30,
  "ml-models": 90,
  final: 14,
};

/** The range of days a cache scope may be kept unused. */
export const CACHE_LIFECYCLE_DAYS = { min: 1, max: 3650 } as const;

export interface LifecycleRule {
  readonly rulePriority: number;
  readonly description: string;
  readonly selection: {
    readonly tagStatus: "tagged" | "untagged" | "any";
    readonly tagPatternList?: readonly string[];
    readonly countType: "imageCountMoreThan" | "sinceImagePushed";
    readonly countUnit?: "days";
    readonly countNumber: number;
  };
  readonly action: { readonly type: "expire" };
}

export interface LifecyclePolicy {
  readonly rules: readonly LifecycleRule[];
}

/** Untagged cache manifests are garbage the moment BuildKit re-tags a scope; a day covers running builds. */
export const UNTAGGED_CACHE_DAYS = 1;
/** Untagged release images lost their last tag (a moved environment tag); keep them a week for rollback. */
export const UNTAGGED_RELEASE_DAYS = 7;

/**
 * Release repository: never expire the image an environment tag points at; keep the newest
 * `keepBuildImages` other tagged images (build tags such as git-<sha>, for rollback); expire untagged.
 */
export function releaseLifecyclePolicy(
  environmentTags: readonly string[],
  keepBuildImages: number,
): LifecyclePolicy {
  // One rule per environment: a multi-pattern rule would select only images carrying *all* the tags.
  const protect = environmentTags.map((tag, i): LifecycleRule => ({
    rulePriority: i + 1,
    description: `keep the image the ${tag} stack runs (one image carries the tag, so none expires)`,
    selection: {
      tagStatus: "tagged",
      tagPatternList: [tag],
      countType: "imageCountMoreThan",
      countNumber: 1,
    },
    action: { type: "expire" },
  }));
  const next = environmentTags.length + 1;
  return {
    rules: [
      ...protect,
      {
        rulePriority: next,
        description: `keep the ${keepBuildImages} newest build-tagged images`,
        selection: {
          tagStatus: "tagged",
          tagPatternList: ["*"],
          countType: "imageCountMoreThan",
          countNumber: keepBuildImages,
        },
        action: { type: "expire" },
      },
      {
        rulePriority: next + 1,
        description: `expire untagged images after ${UNTAGGED_RELEASE_DAYS} days`,
        selection: {
          tagStatus: "untagged",
          countType: "sinceImagePushed",
          countUnit: "days",
          countNumber: UNTAGGED_RELEASE_DAYS,
        },
        action: { type: "expire" },
      },
    ],
  };
}

/**
 * A stage's cache repository (one tag per scope): keep the main scope, expire other scopes not pushed for
 * `staleDays`, and untagged manifests after a day.
 */
export function cacheLifecyclePolicy(mainScope: string, staleDays: number): LifecyclePolicy {
  return {
    rules: [
      {
        rulePriority: 1,
        description: `keep the ${mainScope} scope`,
        selection: {
          tagStatus: "tagged",
          tagPatternList: [mainScope],
          countType: "imageCountMoreThan",
          countNumber: 1,
        },
        action: { type: "expire" },
      },
      {
        rulePriority: 2,
        description: `expire scopes not pushed for ${staleDays} days`,
        selection: {
          tagStatus: "tagged",
          tagPatternList: ["*"],
          countType: "sinceImagePushed",
          countUnit: "days",
          countNumber: staleDays,
        },
        action: { type: "expire" },
      },
      {
        rulePriority: 3,
        description: `expire untagged cache manifests after ${UNTAGGED_CACHE_DAYS} day`,
        selection: {
          tagStatus: "untagged",
          countType: "sinceImagePushed",
          countUnit: "days",
          countNumber: UNTAGGED_CACHE_DAYS,
        },
        action: { type: "expire" },
      },
    ],
  };
}
