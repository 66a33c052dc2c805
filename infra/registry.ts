/**
 * The ECR registry: one release repository and one BuildKit cache repository per build stage.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { cacheLifecyclePolicy, releaseLifecyclePolicy } from "./lifecycle";
import { STAGES, StageName } from "./plan";

export interface RegistryArgs {
  /**
   * Release repository name; cache repositories are `<name>/cache/<stage>`.
   * @default "voxpersona"
   */
  readonly name?: string;
  /**
   * Tags that name environments. They are the only mutable tags of the release repository (they move on
   * promotion) and the lifecycle policy never expires the image they point at.
   * @default ["dev", "staging", "prod"]
   */
  readonly environmentTags?: readonly string[];
  /**
   * Encryption at rest.
   * @default "AES256"
   */
  readonly encryption?: "AES256" | "KMS";
  /**
   * KMS key for `encryption: "KMS"`.
   * @default undefined (required with "KMS")
   */
  readonly kmsKeyArn?: pulumi.Input<string>;
  /**
   * Scan release images on push.
   * @default true
   */
  readonly scanOnPush?: boolean;
  /**
   * How many of the newest build-tagged release images to keep (besides the environment-tagged ones).
   * @default 30
   */
  readonly keepBuildImages?: number;
  /**
   * Cache scope that never expires.
   * @default "main"
   */
  readonly mainScope?: string;
  /**
   * Days an unused cache scope survives, per stage.
   * @default required
   */
  readonly cacheLifecycleDays: Readonly<Record<StageName, number>>;
  /**
   * Tags applied to every repository.
   * @default {}
   */
  readonly tags?: Readonly<Record<string, string>>;
}

export class Registry extends pulumi.ComponentResource {
  /** The release repository. */
  public readonly repository: aws.ecr.Repository;
  public readonly repositoryUrl: pulumi.Output<string>;
  public readonly repositoryArn: pulumi.Output<string>;
  public readonly repositoryName: pulumi.Output<string>;
  public readonly registryId: pulumi.Output<string>;
  /** Cache repository per stage. */
  public readonly cacheRepositories: Readonly<Record<StageName, aws.ecr.Repository>>;
  public readonly cacheRepositoryUrls: pulumi.Output<Record<StageName, string>>;

  constructor(name: string, args: RegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("voxpersona:registry:Registry", name, {}, opts);

    const repoName = args.name ?? "voxpersona";
    const environmentTags = args.environmentTags ?? ["dev", "staging", "prod"];
    const encryption = args.encryption ?? "AES256";
    const keepBuildImages = args.keepBuildImages ?? 30;
    const mainScope = args.mainScope ?? "main";
    if (encryption === "KMS" && args.kmsKeyArn === undefined) {
      throw new Error(
        `Registry "${name}": args.kmsKeyArn is required when args.encryption is "KMS"; ` +
          "set voxpersona:registry.kmsKeyArn or use encryption AES256",
      );
    }
    if (!Number.isInteger(keepBuildImages) || keepBuildImages < 1) {
      throw new Error(
        `Registry "${name}": args.keepBuildImages must be a positive integer (got ${keepBuildImages})`,
      );
    }
    if (environmentTags.length === 0) {
      throw new Error(`Registry "${name}": args.environmentTags must name at least one environment`);
    }
    for (const stage of STAGES) {
      const days = args.cacheLifecycleDays[stage];
      if (!Number.isInteger(days) || days < 1) {
        throw new Error(
          `Registry "${name}": args.cacheLifecycleDays["${stage}"] must be a positive integer (got ${days}); ` +
            `set voxpersona:cache.lifecycleDays.${stage}`,
        );
      }
    }

    const encryptionConfigurations = [
      encryption === "KMS" ? { encryptionType: "KMS", kmsKey: args.kmsKeyArn } : { encryptionType: "AES256" },
    ];
    const tags = { ...args.tags };

    this.repository = new aws.ecr.Repository(
      `${name}-release`,
      {
        name: repoName,
        // Build tags are immutable: a digest once tagged git-<sha> stays that. Only the environment tags move.
        imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters: environmentTags.map((filter) => ({
          filter,
          filterType: "WILDCARD",
        })),
        imageScanningConfiguration: { scanOnPush: args.scanOnPush ?? true },
        encryptionConfigurations,
        forceDelete: false,
        tags,
      },
      // staging and prod run images from this repository: destroying the build stack must not delete them.
      { parent: this, retainOnDelete: true },
    );
    new aws.ecr.LifecyclePolicy(
      `${name}-release-lifecycle`,
      {
        repository: this.repository.name,
        policy: JSON.stringify(releaseLifecyclePolicy(environmentTags, keepBuildImages)),
      },
      { parent: this },
    );

    const cache = {} as Record<StageName, aws.ecr.Repository>;
    for (const stage of STAGES) {
      cache[stage] = new aws.ecr.Repository(
        `${name}-cache-${stage}`,
        {
          name: `${repoName}/cache/${stage}`,
          // BuildKit re-tags a scope on every export.
          imageTagMutability: "MUTABLE",
          // Cache manifests are not runnable images; scanning them only adds noise.
          imageScanningConfiguration: { scanOnPush: false },
          encryptionConfigurations,
          // A cache is rebuildable by definition.
          forceDelete: true,
          tags,
        },
        { parent: this },
      );
      new aws.ecr.LifecyclePolicy(
        `${name}-cache-${stage}-lifecycle`,
        {
          repository: cache[stage].name,
          policy: JSON.stringify(cacheLifecyclePolicy(mainScope, args.cacheLifecycleDays[stage])),
        },
        { parent: this },
      );
    }
    this.cacheRepositories = cache;

    this.repositoryUrl = this.repository.repositoryUrl;
    this.repositoryArn = this.repository.arn;
    this.repositoryName = this.repository.name;
    this.registryId = this.repository.registryId;
    this.cacheRepositoryUrls = pulumi
      .all(STAGES.map((s) => cache[s].repositoryUrl))
      .apply((urls) => Object.fromEntries(STAGES.map((s, i) => [s, urls[i]])) as Record<StageName, string>);

    this.registerOutputs({
      repositoryUrl: this.repositoryUrl,
      repositoryArn: this.repositoryArn,
      repositoryName: this.repositoryName,
      registryId: this.registryId,
      cacheRepositoryUrls: this.cacheRepositoryUrls,
    });
  }
}
