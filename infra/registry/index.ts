/**
 * The ECR registry: one release repository and one BuildKit cache repository per build stage.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CACHE_LIFECYCLE_DAYS, cacheLifecyclePolicy, releaseLifecyclePolicy } from "../lifecycle";
import { DEFAULT_MAIN_SCOPE, STAGES, StageName, cacheRepositoryUrl, prCacheRepositoryUrl } from "../plan";
import { prCacheLifecyclePolicy } from "../lifecycle";
import { ENVIRONMENT_TAGS } from "../promotion";
import { mutableTagFilters } from "../release-tags";
import { type Encryption, KEEP_BUILD_IMAGES, REGISTRY_DEFAULTS } from "./defaults";

export interface RegistryArgs {
  /**
   * Release repository name; cache repositories are `<name>/cache/<stage>`.
   * @default "voxpersona"
   */
  readonly name?: string;
  /**
   * Tags that name environments. They are the only mutable tags of the release repository (they move on
   * promotion) and the lifecycle policy never expires the image they point at.
   * @default ENVIRONMENT_TAGS (dev, staging, prod)
   */
  readonly environmentTags?: readonly string[];
  /**
   * Encryption at rest.
   * @default "AES256"
   */
  readonly encryption?: Encryption;
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

type Settings = Required<Omit<RegistryArgs, "kmsKeyArn" | "tags">> & Pick<RegistryArgs, "kmsKeyArn">;

function withDefaults(args: RegistryArgs): Settings {
  return {
    ...REGISTRY_DEFAULTS,
    environmentTags: ENVIRONMENT_TAGS,
    mainScope: DEFAULT_MAIN_SCOPE,
    ...Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined)),
    cacheLifecycleDays: args.cacheLifecycleDays,
  } as Settings;
}

/** What is wrong with the settings, in the component's own argument names; undefined when nothing is. */
function settingsProblem(settings: Settings): string | undefined {
  if (settings.encryption === "KMS" && settings.kmsKeyArn === undefined) {
    return 'args.kmsKeyArn is required when args.encryption is "KMS"; pass the key, or args.encryption "AES256"';
  }
  const keep = settings.keepBuildImages;
  if (!Number.isInteger(keep) || keep < KEEP_BUILD_IMAGES.min || keep > KEEP_BUILD_IMAGES.max) {
    return `args.keepBuildImages must be an integer from ${KEEP_BUILD_IMAGES.min} to ${KEEP_BUILD_IMAGES.max} (got ${keep})`;
  }
  if (settings.environmentTags.length === 0) {
    return "args.environmentTags must name at least one environment";
  }
  const { min, max } = CACHE_LIFECYCLE_DAYS;
  for (const stage of STAGES) {
    const days = settings.cacheLifecycleDays[stage];
    if (!Number.isInteger(days) || days < min || days > max) {
      return `args.cacheLifecycleDays["${stage}"] must be an integer from ${min} to ${max} (got ${days})`;
    }
  }
  return undefined;
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
  /**
   * PR cache repository per stage (`<name>/cache-pr/<stage>`): where builds in any scope but the main one
   * (pull requests) export their cache. The only repositories the pull-request role may push to.
   */
  public readonly prCacheRepositories: Readonly<Record<StageName, aws.ecr.Repository>>;
  public readonly prCacheRepositoryUrls: pulumi.Output<Record<StageName, string>>;
  /** Their ARNs, to scope the pull-request role's push permission to them. */
  public readonly prCacheRepositoryArns: pulumi.Output<Record<StageName, string>>;

  constructor(name: string, args: RegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("voxpersona:registry:Registry", name, {}, opts);
    const settings = withDefaults(args);
    const problem = settingsProblem(settings);
    if (problem !== undefined) throw new pulumi.ResourceError(`Registry "${name}": ${problem}`, this);

    const encryptionConfigurations = [
      settings.encryption === "KMS"
        ? { encryptionType: "KMS", kmsKey: args.kmsKeyArn }
        : { encryptionType: "AES256" },
    ];
    const tags = { ...args.tags };

    this.repository = new aws.ecr.Repository(
      `${name}-release`,
      {
        name: settings.name,
        // Build and history tags are immutable: a digest once tagged git-<sha> or prod-<time> stays that.
        // Only the environment tags and the promotion slots move (infra/release-tags.ts).
        imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters: mutableTagFilters(settings.environmentTags).map((filter) => ({
          filter,
          filterType: "WILDCARD",
        })),
        imageScanningConfiguration: { scanOnPush: settings.scanOnPush },
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
        policy: JSON.stringify(releaseLifecyclePolicy(settings.environmentTags, settings.keepBuildImages)),
      },
      { parent: this },
    );
    const cache = this.createCacheRepositories(name, settings, { encryptionConfigurations, tags });
    this.cacheRepositories = cache;
    const prCache = this.createPrCacheRepositories(name, settings, { encryptionConfigurations, tags });
    this.prCacheRepositories = prCache;

    this.repositoryUrl = this.repository.repositoryUrl;
    this.repositoryArn = this.repository.arn;
    this.repositoryName = this.repository.name;
    this.registryId = this.repository.registryId;
    this.cacheRepositoryUrls = pulumi
      .all(STAGES.map((s) => cache[s].repositoryUrl))
      .apply((urls) => Object.fromEntries(STAGES.map((s, i) => [s, urls[i]])) as Record<StageName, string>);
    this.prCacheRepositoryUrls = byStage(prCache, (r) => r.repositoryUrl);
    this.prCacheRepositoryArns = byStage(prCache, (r) => r.arn);

    this.registerOutputs({
      repositoryUrl: this.repositoryUrl,
      repositoryArn: this.repositoryArn,
      repositoryName: this.repositoryName,
      registryId: this.registryId,
      cacheRepositoryUrls: this.cacheRepositoryUrls,
      prCacheRepositoryUrls: this.prCacheRepositoryUrls,
      prCacheRepositoryArns: this.prCacheRepositoryArns,
    });
  }

  /** One mutable, unscanned, force-deletable cache repository per stage, with its lifecycle policy. */
  private createCacheRepositories(
    name: string,
    settings: Settings,
    common: Pick<aws.ecr.RepositoryArgs, "encryptionConfigurations" | "tags">,
  ): Record<StageName, aws.ecr.Repository> {
    const cache = {} as Record<StageName, aws.ecr.Repository>;
    for (const stage of STAGES) {
      cache[stage] = new aws.ecr.Repository(
        `${name}-cache-${stage}`,
        {
          name: cacheRepositoryUrl(settings.name, stage),
          // BuildKit re-tags a scope on every export.
          imageTagMutability: "MUTABLE",
          // Cache manifests are not runnable images; scanning them only adds noise.
          imageScanningConfiguration: { scanOnPush: false },
          encryptionConfigurations: common.encryptionConfigurations,
          // A cache is rebuildable by definition.
          forceDelete: true,
          tags: common.tags,
        },
        { parent: this },
      );
      new aws.ecr.LifecyclePolicy(
        `${name}-cache-${stage}-lifecycle`,
        {
          repository: cache[stage].name,
          policy: JSON.stringify(
            cacheLifecyclePolicy(settings.mainScope, settings.cacheLifecycleDays[stage]),
          ),
        },
        { parent: this },
      );
    }
    return cache;
  }

  /**
   * One PR cache repository per stage: mutable, unscanned and force-deletable like the cache repositories,
   * encrypted like every repository; every tag expires PR_CACHE_DAYS after its last push.
   */
  private createPrCacheRepositories(
    name: string,
    settings: Settings,
    common: Pick<aws.ecr.RepositoryArgs, "encryptionConfigurations" | "tags">,
  ): Record<StageName, aws.ecr.Repository> {
    const prCache = {} as Record<StageName, aws.ecr.Repository>;
    for (const stage of STAGES) {
      prCache[stage] = new aws.ecr.Repository(
        `${name}-cache-pr-${stage}`,
        {
          name: prCacheRepositoryUrl(settings.name, stage),
          imageTagMutability: "MUTABLE",
          imageScanningConfiguration: { scanOnPush: false },
          encryptionConfigurations: common.encryptionConfigurations,
          forceDelete: true,
          tags: common.tags,
        },
        { parent: this },
      );
      new aws.ecr.LifecyclePolicy(
        `${name}-cache-pr-${stage}-lifecycle`,
        { repository: prCache[stage].name, policy: JSON.stringify(prCacheLifecyclePolicy()) },
        { parent: this },
      );
    }
    return prCache;
  }
}

/** One output per stage of the repositories' `field`. */
function byStage(
  repositories: Readonly<Record<StageName, aws.ecr.Repository>>,
  field: (r: aws.ecr.Repository) => pulumi.Output<string>,
): pulumi.Output<Record<StageName, string>> {
  return pulumi
    .all(STAGES.map((s) => field(repositories[s])))
    .apply((values) => Object.fromEntries(STAGES.map((s, i) => [s, values[i]])) as Record<StageName, string>);
}
