/**
 * The VoxPersona image: one docker-build `Image` per Dockerfile stage, in dependency order, each importing
 * and exporting its own registry cache ref. Only `final` pushes a release image.
 */
import * as aws from "@pulumi/aws";
import * as dockerbuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";
import {
  BuildPlan,
  BuildPlanInput,
  CACHE_EXPORT_ATTRIBUTES,
  STAGES,
  StageName,
  StagePlan,
  buildPlan,
} from "./plan";

export interface StagedImageArgs {
  /**
   * Release repository URL (`<registry>/<name>`); cache refs are derived from it.
   * @default required
   */
  readonly repositoryUrl: pulumi.Input<string>;
  /**
   * ECR registry id (account) used to fetch push credentials.
   * @default required
   */
  readonly registryId: pulumi.Input<string>;
  /**
   * Everything else the build plan needs (see `BuildPlanInput`).
   * @default required
   */
  readonly plan: Omit<BuildPlanInput, "repositoryUrl">;
  /**
   * Pass every input derived from `plan`'s context, Dockerfile, platform and build args as a secret (the
   * caller's config for them is stored as a secret), so none of it is written to state in plaintext.
   * @default false
   */
  readonly secret?: boolean;
}

/** Stands in for the repository URL to validate the plan (and read its URL-free fields) up front. */
const VALIDATION_URL = "registry.invalid/validation";

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

    // Fail on bad plain input (unknown build arg, bad tag or scope) before any child is registered.
    let validated: BuildPlan;
    try {
      validated = buildPlan({ ...args.plan, repositoryUrl: VALIDATION_URL });
    } catch (err) {
      throw new Error(`StagedImage "${name}": args.plan is invalid: ${(err as Error).message}`);
    }

    const plan: pulumi.Output<BuildPlan> = pulumi
      .output(args.repositoryUrl)
      .apply((repositoryUrl) => buildPlan({ ...args.plan, repositoryUrl }));
    const stagePlan = (stage: StageName): pulumi.Output<StagePlan> =>
      plan.apply((p) => p.stages.find((s) => s.stage === stage) as StagePlan);

    const auth = aws.ecr.getAuthorizationTokenOutput({ registryId: args.registryId }, { parent: this });
    const registries = [
      {
        address: auth.proxyEndpoint.apply((e) => e.replace(/^https:\/\//, "")),
        username: auth.userName,
        password: pulumi.secret(auth.password),
      },
    ];

    const hide = <T>(value: T): pulumi.Input<T> =>
      args.secret ? (pulumi.secret(value) as pulumi.Output<T>) : value;
    const images = {} as Record<StageName, dockerbuild.Image>;
    for (const stage of STAGES) {
      const sp = stagePlan(stage);
      const isFinal = stage === "final";
      // Known without the repository URL, so these inputs stay plain (readable previews).
      const plain = validated.stages.find((s) => s.stage === stage) as StagePlan;
      images[stage] = new dockerbuild.Image(
        `${name}-${stage}`,
        {
          context: { location: hide(plain.context) },
          dockerfile: { location: hide(plain.dockerfile) },
          target: plain.target,
          platforms: [hide(plain.platform as dockerbuild.Platform)],
          buildArgs: hide(plain.buildArgs),
          // Lists of known length whose elements may be unknown: the provider decodes a wholly unknown list
          // as empty in Check (while the repository URL is unknown: the first preview, a replacement), and an
          // empty `tags` on a pushing export fails its validation before the preview short-circuit.
          cacheFrom: plain.cacheFrom.map((_, i) => ({ registry: { ref: sp.apply((s) => s.cacheFrom[i]) } })),
          cacheTo: [
            {
              registry: {
                ref: sp.apply((s) => s.cacheTo),
                mode: dockerbuild.CacheMode.Max,
                imageManifest: CACHE_EXPORT_ATTRIBUTES.imageManifest,
                ociMediaTypes: CACHE_EXPORT_ATTRIBUTES.ociMediaTypes,
              },
            },
          ],
          // Stages only feed the cache; the release image is pushed without being stored in the builder's
          // image store, which would unpack every parent layer and undo the fast code-only rebuild.
          push: false,
          // Previews do not build: pull requests build the same plan with `docker buildx bake` (scope
          // pr-<n>), so building again inside `pulumi preview` would only double the PR's build time.
          buildOnPreview: false,
          exports: isFinal ? [{ registry: { store: false } }] : [{ cacheonly: {} }],
          ...(isFinal ? { tags: plain.tags.map((_, i) => sp.apply((s) => s.tags[i])) } : {}),
          registries,
        },
        {
          parent: this,
          dependsOn: plain.dependsOn.map((d) => images[d]),
          // What is pushed (release image, cache) belongs to the registry and its lifecycle rules, not to
          // this stack: deleting the stack must not delete an image another stack runs.
          retainOnDelete: true,
        },
      );
    }
    this.stages = images;

    this.digest = images.final.digest;
    this.imageRef = pulumi.interpolate`${args.repositoryUrl}@${images.final.digest}`;
    this.cacheRefs = plan.apply((p) => ({ ...p.cacheRefs }));
    this.tags = plan.apply((p) => [...p.tags]);

    this.registerOutputs({
      digest: this.digest,
      imageRef: this.imageRef,
      cacheRefs: this.cacheRefs,
      tags: this.tags,
    });
  }
}
