/**
 * The BuildKit cache repositories: one per build stage for main builds (`<name>/cache/<stage>`) and one per
 * stage for pull requests (`<name>/cache-pr/<stage>`), so the role pull requests run with can write only
 * caches that main builds never read.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { LifecyclePolicy } from "../lifecycle";
import { STAGES, StageName } from "../plan";

export type CacheRepositories = Readonly<Record<StageName, aws.ecr.Repository>>;

export interface CacheRepositorySpec {
  /** Logical-name part after the registry's name, e.g. `cache` or `cache-pr`. */
  readonly kind: string;
  /** Repository name of a stage. */
  readonly repositoryName: (stage: StageName) => string;
  /** Lifecycle policy of a stage's repository. */
  readonly policy: (stage: StageName) => LifecyclePolicy;
  readonly encryptionConfigurations: aws.ecr.RepositoryArgs["encryptionConfigurations"];
  readonly tags: aws.ecr.RepositoryArgs["tags"];
}

/** One mutable, unscanned, force-deletable repository per stage, with its lifecycle policy. */
export function cacheRepositories(
  name: string,
  spec: CacheRepositorySpec,
  parent: pulumi.Resource,
): CacheRepositories {
  const repositories = {} as Record<StageName, aws.ecr.Repository>;
  for (const stage of STAGES) {
    const repository = new aws.ecr.Repository(
      `${name}-${spec.kind}-${stage}`,
      {
        name: spec.repositoryName(stage),
        // BuildKit re-tags a scope on every export.
        imageTagMutability: "MUTABLE",
        // Cache manifests are not runnable images; scanning them only adds noise.
        imageScanningConfiguration: { scanOnPush: false },
        encryptionConfigurations: spec.encryptionConfigurations,
        // A cache is rebuildable by definition.
        forceDelete: true,
        tags: spec.tags,
      },
      { parent },
    );
    new aws.ecr.LifecyclePolicy(
      `${name}-${spec.kind}-${stage}-lifecycle`,
      { repository: repository.name, policy: JSON.stringify(spec.policy(stage)) },
      { parent },
    );
    repositories[stage] = repository;
  }
  return repositories;
}

/** One output per stage of the repositories' `field`. */
export function byStage(
  repositories: CacheRepositories,
  field: (r: aws.ecr.Repository) => pulumi.Output<string>,
): pulumi.Output<Record<StageName, string>> {
  return pulumi
    .all(STAGES.map((s) => field(repositories[s])))
    .apply((values) => Object.fromEntries(STAGES.map((s, i) => [s, values[i]])) as Record<StageName, string>);
}
