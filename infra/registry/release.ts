/**
 * The release repository and its lifecycle policy: what staging and prod run, so both outlive the build
 * stack (`retainOnDelete`) and can be adopted when it comes back.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { releaseLifecyclePolicy } from "../lifecycle";
import { mutableTagFilters } from "../release-tags";

export interface ReleaseRepositorySpec {
  readonly name: string;
  readonly environmentTags: readonly string[];
  readonly scanOnPush: boolean;
  readonly keepBuildImages: number;
  /** Import the repository and its policy by name instead of creating them. */
  readonly adoptExisting: boolean;
  readonly encryptionConfigurations: aws.ecr.RepositoryArgs["encryptionConfigurations"];
  readonly tags: aws.ecr.RepositoryArgs["tags"];
}

export function releaseRepository(
  name: string,
  spec: ReleaseRepositorySpec,
  parent: pulumi.Resource,
): aws.ecr.Repository {
  // staging and prod run images from this repository: destroying the build stack must not delete them.
  const opts = { parent, retainOnDelete: true, ...(spec.adoptExisting ? { import: spec.name } : {}) };
  const repository = new aws.ecr.Repository(
    `${name}-release`,
    {
      name: spec.name,
      // Build and history tags are immutable: a digest once tagged git-<sha> or prod-<time> stays that.
      // Only the environment tags and the promotion slots move (infra/release-tags.ts).
      imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
      imageTagMutabilityExclusionFilters: mutableTagFilters(spec.environmentTags).map((filter) => ({
        filter,
        filterType: "WILDCARD",
      })),
      imageScanningConfiguration: { scanOnPush: spec.scanOnPush },
      encryptionConfigurations: spec.encryptionConfigurations,
      forceDelete: false,
      tags: spec.tags,
    },
    opts,
  );
  // Kept with the repository: a retained repository without its policy would never expire anything, and
  // one with a policy the stack no longer manages could not be adopted cleanly.
  new aws.ecr.LifecyclePolicy(
    `${name}-release-lifecycle`,
    {
      repository: repository.name,
      policy: JSON.stringify(releaseLifecyclePolicy(spec.environmentTags, spec.keepBuildImages)),
    },
    opts,
  );
  return repository;
}
