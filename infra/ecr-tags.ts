/**
 * Tags on an image that is already in ECR, by digest: the manifest is read with BatchGetImage and written
 * back unchanged with PutImage, once per tag, so every tag lands on the same manifest (no rebuild, no new
 * digest); and the digest a tag points at now.
 *
 * The environment tag's dynamic provider (infra/environment-tag.ts) calls these inside Pulumi's
 * dynamic-provider host: the SDK serializes them by value into the provider text, with what they capture. So
 * the same rule holds here as there: every export is a function declaration, and no function reaches a value
 * through this module's `exports` (what CommonJS output makes of an `export const`): the media types are a
 * module-local const, exported once at the end.
 */
/** The subset of the ECR API this needs (the AWS SDK client in production, a fake in tests). */
export interface EcrApi {
  batchGetImage(input: {
    repositoryName: string;
    imageIds: ({ imageDigest: string } | { imageTag: string })[];
    acceptedMediaTypes: string[];
  }): Promise<{
    images?: {
      imageManifest?: string;
      imageManifestMediaType?: string;
      imageId?: { imageDigest?: string; imageTag?: string };
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

export interface TagsRequest {
  readonly repositoryName: string;
  readonly digest: string;
  /** Written in this order. */
  readonly tags: readonly string[];
}

/** Every manifest type BuildKit or docker push may have produced (ECR answers only with accepted types). */
const MANIFEST_MEDIA_TYPES = [
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
];

/** Tags `digest` with each of `tags`, in order; idempotent. Returns the digest they point at (`digest`). */
export async function tagsByDigest(ecr: EcrApi, req: TagsRequest): Promise<string> {
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
  for (const tag of req.tags) {
    try {
      const put = await ecr.putImage({
        repositoryName: req.repositoryName,
        imageManifest: image.imageManifest,
        imageManifestMediaType: image.imageManifestMediaType,
        imageTag: tag,
        // Passing the digest makes ECR refuse a manifest that would hash differently.
        imageDigest: req.digest,
      });
      const digest = put.image?.imageId?.imageDigest ?? req.digest;
      if (digest !== req.digest) {
        throw new Error(`ECR stored tag "${tag}" on ${digest}, expected ${req.digest}`);
      }
    } catch (err) {
      // The tag already points at this very manifest: nothing to do.
      if ((err as { name?: string }).name !== "ImageAlreadyExistsException") throw err;
    }
  }
  return req.digest;
}

/** Tags `digest` with `tag`; idempotent. Returns the digest the tag points at (always `digest`). */
export async function tagImageByDigest(ecr: EcrApi, req: TagRequest): Promise<string> {
  return tagsByDigest(ecr, { repositoryName: req.repositoryName, digest: req.digest, tags: [req.tag] });
}

/** The digest `tag` points at now, or undefined when the tag does not exist. */
export async function digestOfTag(
  ecr: EcrApi,
  repositoryName: string,
  tag: string,
): Promise<string | undefined> {
  const got = await ecr.batchGetImage({
    repositoryName,
    imageIds: [{ imageTag: tag }],
    acceptedMediaTypes: MANIFEST_MEDIA_TYPES,
  });
  const digest = got.images?.[0]?.imageId?.imageDigest;
  if (digest !== undefined) return digest;
  const failure = got.failures?.[0];
  if (failure === undefined || failure.failureCode === "ImageNotFound") return undefined;
  throw new Error(
    `cannot read tag "${tag}" of ECR repository "${repositoryName}": ` +
      `${failure.failureCode ?? ""} ${failure.failureReason ?? ""}`.trim(),
  );
}

export { MANIFEST_MEDIA_TYPES };
