/**
 * ECR lifecycle policies, as pure data.
 *
 * ECR evaluates rules by priority and an image selected by a rule can never be expired by a rule of lower
 * priority. The protective rules below use that: they select the images to keep with a count no image can
 * exceed, so the broader expiry rules after them never see those images.
 */
import type { StageName } from "./plan";
import { KEEP_HISTORY } from "./registry/defaults";
import { promotedEnvironments, slotTag } from "./release-tags";

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
/**
 * An untagged release image is a build pushed without a build tag whose `dev` tag moved on (a promoted image
 * keeps its history tag for good); kept a week from its push.
 */
export const UNTAGGED_RELEASE_DAYS = 7;

/** A rule that keeps the one image carrying `tag`: one image carries a tag, so a count of 1 never expires. */
function keepTagged(tag: string, rulePriority: number, description: string): LifecycleRule {
  return {
    rulePriority,
    description,
    selection: {
      tagStatus: "tagged",
      tagPatternList: [tag],
      countType: "imageCountMoreThan",
      countNumber: 1,
    },
    action: { type: "expire" },
  };
}

/**
 * Release repository, by rule priority:
 * 1. each environment tag: the image it points at;
 * 2. each promotion slot of each promoted environment (`staging-slot-0` … `prod-slot-9`: every slot a stack
 *    may use, `KEEP_HISTORY.max` per environment, so no stack's `keepHistory` can leave a slot unprotected):
 *    an environment's last `keepHistory` promotions, rollbacks of old images included, and so the image a
 *    stack still runs after a failed deploy of the next one;
 * 3. the newest `keepBuildImages` tagged images by push time: dev's history, its build tags (`git-…`);
 * 4. untagged images, `UNTAGGED_RELEASE_DAYS` after their push.
 * One rule per tag: a multi-pattern rule would select only images carrying *all* its patterns. An image a
 * protective rule selects is never expired by a later rule (ECR user guide, "How lifecycle policies work");
 * test/lifecycle-sim.test.ts runs this policy through a model of those semantics over generated histories.
 */
export function releaseLifecyclePolicy(
  environmentTags: readonly string[],
  keepBuildImages: number,
): LifecyclePolicy {
  const keep = [
    ...environmentTags.map((tag) => ({
      tag,
      description: `keep the image the ${tag} stack runs (one image carries the tag, so none expires)`,
    })),
    ...promotedEnvironments(environmentTags).flatMap((env) =>
      Array.from({ length: KEEP_HISTORY.max }, (_, i) => ({
        tag: slotTag(env, i),
        description: `keep the image in ${env}'s promotion slot ${i} (one of its last promotions)`,
      })),
    ),
  ];
  const protect = keep.map(({ tag, description }, i) => keepTagged(tag, i + 1, description));
  const next = protect.length + 1;
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

/** Expires every tagged cache scope (`what`) not pushed for `days`: BuildKit re-pushes a scope it uses. */
function staleScopesRule(rulePriority: number, what: string, days: number): LifecycleRule {
  return {
    rulePriority,
    description: `expire ${what} not pushed for ${days} days`,
    selection: {
      tagStatus: "tagged",
      tagPatternList: ["*"],
      countType: "sinceImagePushed",
      countUnit: "days",
      countNumber: days,
    },
    action: { type: "expire" },
  };
}

/** Expires cache manifests a re-tagged scope left untagged. */
function untaggedCacheRule(rulePriority: number): LifecycleRule {
  return {
    rulePriority,
    description: `expire untagged cache manifests after ${UNTAGGED_CACHE_DAYS} day`,
    selection: {
      tagStatus: "untagged",
      countType: "sinceImagePushed",
      countUnit: "days",
      countNumber: UNTAGGED_CACHE_DAYS,
    },
    action: { type: "expire" },
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
      staleScopesRule(2, "scopes", staleDays),
      untaggedCacheRule(3),
    ],
  };
}

/** Days a pull request's cache scope survives its last push: a PR pushed again refreshes it. */
export const PR_CACHE_DAYS = 7;

/**
 * A stage's PR cache repository (`<name>/cache-pr/<stage>`, one tag per PR scope `pr-<n>`): nothing in it
 * is kept. Every scope expires `days` after its last push, untagged manifests after a day.
 */
export function prCacheLifecyclePolicy(days: number = PR_CACHE_DAYS): LifecyclePolicy {
  return {
    rules: [staleScopesRule(1, "PR scopes", days), untaggedCacheRule(2)],
  };
}
