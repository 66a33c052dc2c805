/**
 * The ECR registry: one release repository and one BuildKit cache repository per build stage.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { cacheRepositoryUrl, prCacheRepositoryUrl } from "../cache-refs";
import { CACHE_LIFECYCLE_DAYS, cacheLifecyclePolicy, prCacheLifecyclePolicy } from "../lifecycle";
import { DEFAULT_MAIN_SCOPE, STAGES, StageName } from "../plan";
import { ENVIRONMENT_TAGS } from "../promotion";
import { CacheRepositories, byStage, cacheRepositories } from "./cache";
import { releaseRepository } from "./release";
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
   * Adopt the release repository and its lifecycle policy when they already exist: destroying the build
   * stack keeps both (`retainOnDelete`, staging and prod run images from it), so bringing the stack back
   * would otherwise fail with RepositoryAlreadyExistsException. Pulumi then imports them by name (the
   * `import` option; the declared settings must match what exists, or the preview says what differs).
   * @default false
   */
  readonly adoptExisting?: boolean;
  /**
   * Tags applied to every repository.
   * @default {}
   */
  readonly tags?: Readonly<Record<string, string>>;
}

type Settings = Required<Omit<RegistryArgs, "kmsKeyArn" | "tags" | "adoptExisting">> &
  Pick<RegistryArgs, "kmsKeyArn" | "adoptExisting">;

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
  public readonly cacheRepositories: CacheRepositories;
  public readonly cacheRepositoryUrls: pulumi.Output<Record<StageName, string>>;
  /**
   * PR cache repository per stage (`<name>/cache-pr/<stage>`): where builds in any scope but the main one
   * (pull requests) export their cache. The only repositories the pull-request role may push to.
   */
  public readonly prCacheRepositories: CacheRepositories;
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

    this.repository = releaseRepository(
      name,
      {
        name: settings.name,
        environmentTags: settings.environmentTags,
        scanOnPush: settings.scanOnPush,
        keepBuildImages: settings.keepBuildImages,
        adoptExisting: args.adoptExisting === true,
        encryptionConfigurations,
        tags,
      },
      this,
    );
    const common = { encryptionConfigurations, tags };
    const cache = cacheRepositories(
      name,
      {
        kind: "cache",
        repositoryName: (stage) => cacheRepositoryUrl(settings.name, stage),
        policy: (stage) => cacheLifecyclePolicy(settings.mainScope, settings.cacheLifecycleDays[stage]),
        ...common,
      },
      this,
    );
    this.cacheRepositories = cache;
    // Every tag of a PR cache expires PR_CACHE_DAYS after its last push.
    const prCache = cacheRepositories(
      name,
      {
        kind: "cache-pr",
        repositoryName: (stage) => prCacheRepositoryUrl(settings.name, stage),
        policy: () => prCacheLifecyclePolicy(),
        ...common,
      },
      this,
    );
    this.prCacheRepositories = prCache;

    this.repositoryUrl = this.repository.repositoryUrl;
    this.repositoryArn = this.repository.arn;
    this.repositoryName = this.repository.name;
    this.registryId = this.repository.registryId;
    this.cacheRepositoryUrls = byStage(cache, (r) => r.repositoryUrl);
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
}
