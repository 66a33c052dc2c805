/**
 * The VoxPersona image: one docker-build `Image` per Dockerfile stage, in dependency order, each importing
 * and exporting its own registry cache ref. Only `final` pushes a release image.
 */
import * as dockerbuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";
import { CACHE_EXPORT_ATTRIBUTES } from "./cache-refs";
import { BuildPlan, PlanInput, STAGES, StageName, StagePlan, planFor } from "./plan";

/** Credentials for one registry (docker-build's `registries[]`). */
export type RegistryCredentials = dockerbuild.types.input.RegistryArgs;

export interface StagedImageArgs {
  /**
   * Release repository URL (`<registry>/<name>`); cache refs and release tags are derived from it.
   * @default required
   */
  readonly repositoryUrl: pulumi.Input<string>;
  /**
   * Credentials for pushing to the repository's registry (and reading its cache), e.g. an ECR
   * authorization token. Keep the password a secret.
   * @default required
   */
  readonly registries: pulumi.Input<pulumi.Input<RegistryCredentials>[]>;
  /**
   * Everything else the build plan needs (see `PlanInput`; `planInputFromConfig` maps stack config to it).
   * @default required
   */
  readonly plan: PlanInput;
  /**
   * Pass every input derived from `plan`'s context, Dockerfile, platform and build args as a secret (the
   * caller's config for them is stored as a secret), so none of it is written to state in plaintext.
   * @default false
   */
  readonly secret?: boolean;
}

/** One stage's docker-build inputs: its plan, the caller's credentials, secret where the config is. */
function stageImageArgs(sp: StagePlan<pulumi.Output<string>>, args: StagedImageArgs): dockerbuild.ImageArgs {
  const hide = <T>(value: T): pulumi.Input<T> =>
    args.secret ? (pulumi.secret(value) as pulumi.Output<T>) : value;
  const isFinal = sp.stage === "final";
  return {
    context: { location: hide(sp.context) },
    dockerfile: { location: hide(sp.dockerfile) },
    target: sp.target,
    platforms: [hide(sp.platform as dockerbuild.Platform)],
    buildArgs: hide(sp.buildArgs),
    // Lists of known length whose elements may be unknown: the provider decodes a wholly unknown list as
    // empty in Check (while the repository URL is unknown: the first preview, a replacement), and its export
    // validation, which Check runs in previews too, refuses a pushing export with no tag.
    cacheFrom: sp.cacheFrom.map((ref) => ({ registry: { ref } })),
    cacheTo: [
      {
        registry: {
          ref: sp.cacheTo,
          mode: dockerbuild.CacheMode.Max,
          imageManifest: CACHE_EXPORT_ATTRIBUTES.imageManifest,
          ociMediaTypes: CACHE_EXPORT_ATTRIBUTES.ociMediaTypes,
        },
      },
    ],
    // Stages only feed the cache; the release image is pushed without being stored in the builder's image
    // store, which would unpack every parent layer and undo the fast code-only rebuild.
    push: false,
    // Previews do not build: pull requests build the same plan with `docker buildx bake` (scope pr-<n>), so
    // building again inside `pulumi preview` would only double the PR's build time.
    buildOnPreview: false,
    exports: isFinal ? [{ registry: { store: false } }] : [{ cacheonly: {} }],
    ...(isFinal ? { tags: [...sp.tags] } : {}),
    registries: args.registries,
  };
}

export class StagedImage extends pulumi.ComponentResource {
  /** docker-build Image per stage. */
  public readonly stages: Readonly<Record<StageName, dockerbuild.Image>>;
  /** Digest of the pushed release image (`sha256:…`). */
  public readonly digest: pulumi.Output<string>;
  /** `<repositoryUrl>@<digest>`: what deployments run. */
  public readonly imageRef: pulumi.Output<string>;
  /** Cache ref each stage exports to. */
  public readonly cacheRefs: pulumi.Output<Record<StageName, string>>;
  /** Release tags pushed. */
  public readonly tags: pulumi.Output<string[]>;

  constructor(name: string, args: StagedImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("voxpersona:image:StagedImage", name, {}, opts);

    // Computed once, before any child is registered (bad plain input fails here). Only the registry refs
    // depend on the repository URL; every other field stays a plain value, so previews stay readable.
    const repositoryUrl = pulumi.output(args.repositoryUrl);
    let plan: BuildPlan<pulumi.Output<string>>;
    try {
      plan = planFor(args.plan, (suffix) => repositoryUrl.apply((url) => `${url}${suffix}`));
    } catch (err) {
      throw new pulumi.ResourceError(
        `StagedImage "${name}": args.plan is invalid: ${(err as Error).message}`,
        this,
      );
    }

    const images = {} as Record<StageName, dockerbuild.Image>;
    for (const sp of plan.stages) {
      images[sp.stage] = new dockerbuild.Image(`${name}-${sp.stage}`, stageImageArgs(sp, args), {
        parent: this,
        dependsOn: sp.dependsOn.map((d) => images[d]),
        // What is pushed (release image, cache) belongs to the registry and its lifecycle rules, not to
        // this stack: deleting the stack must not delete an image another stack runs.
        retainOnDelete: true,
      });
    }
    this.stages = images;

    this.digest = images.final.digest;
    this.imageRef = pulumi.interpolate`${repositoryUrl}@${images.final.digest}`;
    this.cacheRefs = pulumi
      .all(STAGES.map((s) => plan.cacheRefs[s]))
      .apply((refs) => Object.fromEntries(STAGES.map((s, i) => [s, refs[i]])) as Record<StageName, string>);
    this.tags = pulumi.all([...plan.tags]);

    this.registerOutputs({
      digest: this.digest,
      imageRef: this.imageRef,
      cacheRefs: this.cacheRefs,
      tags: this.tags,
    });
  }
}
