/**
 * Puts an environment tag (`staging`, `prod`) on an image that already exists in ECR, by digest.
 *
 * The manifest is read with BatchGetImage and written back unchanged with PutImage, so the tag lands on the
 * same manifest: no rebuild, no new digest. The release repository's lifecycle policy never expires an
 * image an environment tag points at, so an image a stack runs outlives the stack that built it.
 */
import * as pulumi from "@pulumi/pulumi";

/** The subset of the ECR API this needs (the AWS SDK client in production, a fake in tests). */
export interface EcrApi {
  batchGetImage(input: {
    repositoryName: string;
    imageIds: { imageDigest: string }[];
    acceptedMediaTypes: string[];
  }): Promise<{
    images?: {
      imageManifest?: string;
      imageManifestMediaType?: string;
      imageId?: { imageDigest?: string };
    }[];
    failures?: { failureCode?: string; failureReason?: string }[];
  }>;
  putImage(input: {
    repositoryName: string;
    imageManifest: string;
    imageManifestMediaType?: string;
    imageTag: string;
    imageDigest: string;
  }): Promise<{ image?: { imageId?: { imageDigest?: string } } }>;
}

export interface TagRequest {
  readonly repositoryName: string;
  readonly digest: string;
  readonly tag: string;
}

/** Every manifest type BuildKit or docker push may have produced. */
export const MANIFEST_MEDIA_TYPES = [
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
];

/** Tags `digest` with `tag`; idempotent. Returns the digest the tag points at (always `digest`). */
export async function tagImageByDigest(ecr: EcrApi, req: TagRequest): Promise<string> {
  const got = await ecr.batchGetImage({
    repositoryName: req.repositoryName,
    imageIds: [{ imageDigest: req.digest }],
    acceptedMediaTypes: MANIFEST_MEDIA_TYPES,
  });
  const image = got.images?.[0];
  if (image?.imageManifest === undefined) {
    const why = got.failures?.[0]?.failureReason ?? got.failures?.[0]?.failureCode ?? "not found";
    throw new Error(
      `image ${req.digest} is not in ECR repository "${req.repositoryName}" (${why}): it was never pushed ` +
        `there or has expired. Promote a digest that exists (aws ecr describe-images --repository-name ` +
        `${req.repositoryName}).`,
    );
  }
  try {
    const put = await ecr.putImage({
      repositoryName: req.repositoryName,
      imageManifest: image.imageManifest,
      imageManifestMediaType: image.imageManifestMediaType,
      imageTag: req.tag,
      // Passing the digest makes ECR refuse a manifest that would hash differently.
      imageDigest: req.digest,
    });
    const digest = put.image?.imageId?.imageDigest ?? req.digest;
    if (digest !== req.digest) {
      throw new Error(`ECR stored tag "${req.tag}" on ${digest}, expected ${req.digest}`);
    }
  } catch (err) {
    // The tag already points at this very manifest: nothing to do.
    if ((err as { name?: string }).name !== "ImageAlreadyExistsException") throw err;
  }
  return req.digest;
}

export interface EnvironmentTagInputs {
  readonly region: pulumi.Input<string>;
  readonly repositoryName: pulumi.Input<string>;
  readonly digest: pulumi.Input<string>;
  readonly tag: pulumi.Input<string>;
}

export interface TagState {
  readonly region: string;
  readonly repositoryName: string;
  readonly digest: string;
  readonly tag: string;
}

/*
 * Serialized with its closure (tagImageByDigest is captured) and run by the dynamic-provider host, so it
 * loads the AWS SDK itself; credentials come from the same environment as the aws provider's.
 */
export const environmentTagProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: TagState) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { ECR } = require("@aws-sdk/client-ecr") as typeof import("@aws-sdk/client-ecr");
    await tagImageByDigest(new ECR({ region: inputs.region }) as unknown as EcrApi, inputs);
    return { id: `${inputs.repositoryName}:${inputs.tag}`, outs: inputs };
  },
  async diff(_id: string, olds: TagState, news: TagState) {
    const changes = (["region", "repositoryName", "digest", "tag"] as const).filter(
      (k) => olds[k] !== news[k],
    );
    return {
      changes: changes.length > 0,
      // A different repository or tag is a different tag; a new digest moves the same tag.
      replaces: changes.filter((k) => k !== "digest"),
      deleteBeforeReplace: false,
    };
  },
  async update(_id: string, _olds: TagState, news: TagState) {
    return { outs: (await environmentTagProvider.create(news)).outs };
  },
  // Removing the tag could delete the image (ECR deletes an image with its last tag); the tag stays and the
  // next promotion moves it.
  async delete() {},
};

/** The environment tag of a promoted image (a dynamic resource; see module comment). */
export class EnvironmentTag extends pulumi.dynamic.Resource {
  // `declare`: a plain field would be re-initialised to undefined after super() under ES2022 class fields.
  declare public readonly digest: pulumi.Output<string>;
  declare public readonly tag: pulumi.Output<string>;
  declare public readonly repositoryName: pulumi.Output<string>;

  constructor(name: string, args: EnvironmentTagInputs, opts?: pulumi.CustomResourceOptions) {
    super(environmentTagProvider, name, { ...args }, opts, "environment-tag", "EnvironmentTag");
  }
}
