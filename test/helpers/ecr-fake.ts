/**
 * A fake of the ECR operations promotion and `npm run history` use, BatchGetImage, PutImage and
 * DescribeImages, served over the real AWS JSON 1.1 wire protocol (see aws-json-fake.ts), on top of a
 * manifest store: in memory for unit tests, or a real OCI registry (Docker Registry HTTP API V2) in
 * `test:build`, so a promotion can be shown to tag the very manifest a real build pushed.
 *
 * Behaviour encoded from the ECR API reference (BatchGetImage, PutImage, ImageFailure pages):
 * - BatchGetImage takes `imageIds` of `{imageDigest}` or `{imageTag}`; a missing image is not an error but
 *   an entry in `failures` with `failureCode: "ImageNotFound"`; found images carry `imageId`,
 *   `imageManifest` and `imageManifestMediaType`. The reference says the manifest is returned in one of
 *   `acceptedMediaTypes`; this fake never converts, so a manifest whose type is not accepted is reported
 *   as a failure (stricter than ECR, never looser).
 * - PutImage with `imageDigest` fails with `ImageDigestDoesNotMatchException` when the manifest hashes to
 *   another digest; putting a tag that already points at that manifest fails with
 *   `ImageAlreadyExistsException`; an unknown repository is `RepositoryNotFoundException`. In a repository
 *   with `imageTagMutability` IMMUTABLE_WITH_EXCLUSION (the `mutableTags` option: its WILDCARD exclusion
 *   filters, `*` matching any run of characters), moving a tag no filter matches fails with
 *   `ImageTagAlreadyExistsException`. Adding a tag to an image leaves its push time alone (ECR keeps no
 *   time per tag: aws/containers-roadmap#214, #2746).
 * - DescribeImages answers `imageDetails[]` (`registryId`, `repositoryName`, `imageDigest`, `imageTags`
 *   only when the image has tags, `imageSizeInBytes`, `imagePushedAt` in epoch seconds as AWS JSON 1.1
 *   sends timestamps, `imageManifestMediaType`), `filter.tagStatus` TAGGED / UNTAGGED / ANY, and pages of
 *   `maxResults` (1-1000; 100 when not given) with an opaque `nextToken`; `maxResults` or `nextToken` with
 *   `imageIds` is an `InvalidParameterException`, an unknown image in `imageIds` `ImageNotFoundException`.
 */
import { createHash } from "node:crypto";
import { AwsError, AwsJsonFake, Handler, TARGET_PREFIX, startAwsJsonFake } from "./aws-json-fake";
import { wildcardMatches } from "./ecr-lifecycle";

export interface StoredManifest {
  readonly manifest: string;
  readonly mediaType: string;
  readonly digest: string;
}

/** An image as DescribeImages reports it. */
export interface StoredImage {
  readonly digest: string;
  readonly tags: readonly string[];
  readonly pushedAt: Date;
  readonly mediaType: string;
  readonly size: number;
}

/** Where manifests live. `ref` is a digest (`sha256:…`) or a tag. */
export interface ManifestStore {
  hasRepository(repository: string): Promise<boolean>;
  get(repository: string, ref: string): Promise<StoredManifest | undefined>;
  /** Stores `manifest` under `tag`; returns the digest the store computed. */
  put(repository: string, tag: string, manifest: string, mediaType: string): Promise<string>;
  /** Every image of the repository, oldest push first (only stores that can list them answer DescribeImages). */
  images?(repository: string): Promise<StoredImage[]>;
}

export function sha256Digest(text: string): string {
  return `sha256:${createHash("sha256").update(text, "utf8").digest("hex")}`;
}

/** An in-memory store with repositories created up front. */
export class MemoryStore implements ManifestStore {
  readonly manifests = new Map<string, StoredManifest>();
  readonly tags = new Map<string, string>();
  /** Push time of each manifest (`<repository>@<digest>`): its first push; a new tag does not change it. */
  readonly pushedAt = new Map<string, Date>();

  /** `now`: the time a push without an explicit time gets. */
  constructor(
    readonly repositories: readonly string[],
    readonly now: () => Date = () => new Date(),
  ) {}

  /** Adds a manifest as a push would (at `pushedAt`, default now); returns its digest. */
  add(repository: string, manifest: string, mediaType: string, tag?: string, pushedAt?: Date): string {
    const digest = sha256Digest(manifest);
    const key = `${repository}@${digest}`;
    this.manifests.set(key, { manifest, mediaType, digest });
    if (!this.pushedAt.has(key)) this.pushedAt.set(key, pushedAt ?? this.now());
    if (tag !== undefined) this.tags.set(`${repository}:${tag}`, digest);
    return digest;
  }

  async images(repository: string): Promise<StoredImage[]> {
    const out: StoredImage[] = [];
    for (const [key, m] of this.manifests) {
      if (!key.startsWith(`${repository}@`)) continue;
      const tags = [...this.tags]
        .filter(([t, d]) => d === m.digest && t.startsWith(`${repository}:`))
        .map(([t]) => t.slice(repository.length + 1));
      out.push({
        digest: m.digest,
        tags,
        pushedAt: this.pushedAt.get(key) as Date,
        mediaType: m.mediaType,
        size: Buffer.byteLength(m.manifest, "utf8"),
      });
    }
    return out.sort(
      (a, b) => a.pushedAt.getTime() - b.pushedAt.getTime() || a.digest.localeCompare(b.digest),
    );
  }

  async hasRepository(repository: string): Promise<boolean> {
    return this.repositories.includes(repository);
  }

  async get(repository: string, ref: string): Promise<StoredManifest | undefined> {
    const digest = ref.startsWith("sha256:") ? ref : this.tags.get(`${repository}:${ref}`);
    return digest === undefined ? undefined : this.manifests.get(`${repository}@${digest}`);
  }

  async put(repository: string, tag: string, manifest: string, mediaType: string): Promise<string> {
    const digest = this.add(repository, manifest, mediaType);
    this.tags.set(`${repository}:${tag}`, digest);
    return digest;
  }
}

/** A real registry, e.g. `http://127.0.0.1:5000`, through the Docker Registry HTTP API V2. */
export class RegistryStore implements ManifestStore {
  constructor(
    readonly baseUrl: string,
    readonly acceptTypes: readonly string[],
  ) {}

  async hasRepository(repository: string): Promise<boolean> {
    const res = await fetch(`${this.baseUrl}/v2/${repository}/tags/list`);
    return res.status === 200;
  }

  async get(repository: string, ref: string): Promise<StoredManifest | undefined> {
    const res = await fetch(`${this.baseUrl}/v2/${repository}/manifests/${ref}`, {
      headers: { accept: this.acceptTypes.join(", ") },
    });
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new Error(`registry GET ${repository}/${ref}: HTTP ${res.status}`);
    const manifest = await res.text();
    return {
      manifest,
      mediaType: String(res.headers.get("content-type")),
      digest: String(res.headers.get("docker-content-digest")),
    };
  }

  async put(repository: string, tag: string, manifest: string, mediaType: string): Promise<string> {
    const res = await fetch(`${this.baseUrl}/v2/${repository}/manifests/${tag}`, {
      method: "PUT",
      headers: { "content-type": mediaType },
      body: manifest,
    });
    if (res.status !== 201) {
      throw new Error(`registry PUT ${repository}:${tag}: HTTP ${res.status} ${await res.text()}`);
    }
    return String(res.headers.get("docker-content-digest"));
  }
}

const REGISTRY_ID = "123456789012";

/** DescribeImages' page size when the request gives no maxResults (API reference, DescribeImages). */
export const DESCRIBE_IMAGES_PAGE = 100;

export interface EcrFakeOptions {
  /**
   * The repository's tag mutability exclusion filters (WILDCARD): with them the fake behaves as a repository
   * with IMMUTABLE_WITH_EXCLUSION, and refuses to move any other tag. Unset: every tag is mutable.
   */
  readonly mutableTags?: readonly string[];
}

function ecrHandlers(store: ManifestStore, options: EcrFakeOptions): Record<string, Handler> {
  const repositoryOrThrow = async (name: string): Promise<void> => {
    if (!(await store.hasRepository(name))) {
      throw new AwsError(
        "RepositoryNotFoundException",
        `The repository with name '${name}' does not exist in the registry with id '${REGISTRY_ID}'`,
      );
    }
  };
  return {
    DescribeImages: describeImagesHandler(store, repositoryOrThrow),
    async BatchGetImage(input: {
      repositoryName: string;
      imageIds: { imageDigest?: string; imageTag?: string }[];
      acceptedMediaTypes?: string[];
    }) {
      await repositoryOrThrow(input.repositoryName);
      const images: unknown[] = [];
      const failures: unknown[] = [];
      for (const imageId of input.imageIds) {
        const found = await store.get(input.repositoryName, imageId.imageDigest ?? imageId.imageTag ?? "");
        if (found === undefined) {
          failures.push({
            imageId,
            failureCode: "ImageNotFound",
            failureReason: "Requested image not found",
          });
        } else if (!(input.acceptedMediaTypes ?? []).includes(found.mediaType)) {
          failures.push({
            imageId,
            failureCode: "ImageNotFound",
            failureReason: `manifest type ${found.mediaType} is not in acceptedMediaTypes`,
          });
        } else {
          images.push({
            registryId: REGISTRY_ID,
            repositoryName: input.repositoryName,
            imageId: {
              imageDigest: found.digest,
              ...(imageId.imageTag ? { imageTag: imageId.imageTag } : {}),
            },
            imageManifest: found.manifest,
            imageManifestMediaType: found.mediaType,
          });
        }
      }
      return { images, failures };
    },
    async PutImage(input: {
      repositoryName: string;
      imageManifest: string;
      imageManifestMediaType?: string;
      imageTag?: string;
      imageDigest?: string;
    }) {
      await repositoryOrThrow(input.repositoryName);
      const digest = sha256Digest(input.imageManifest);
      if (input.imageDigest !== undefined && input.imageDigest !== digest) {
        throw new AwsError(
          "ImageDigestDoesNotMatchException",
          `The specified image digest '${input.imageDigest}' does not match the digest computed for the manifest`,
        );
      }
      const tag = input.imageTag ?? "";
      const current = await store.get(input.repositoryName, tag);
      if (current?.digest === digest) {
        throw new AwsError(
          "ImageAlreadyExistsException",
          `Image with digest '${digest}' and tag '${tag}' already exists in the repository with name ` +
            `'${input.repositoryName}' in registry with id '${REGISTRY_ID}'`,
        );
      }
      const mutable = options.mutableTags;
      if (current !== undefined && mutable !== undefined && !mutable.some((f) => wildcardMatches(f, tag))) {
        throw new AwsError(
          "ImageTagAlreadyExistsException",
          `The image tag '${tag}' already exists in the '${input.repositoryName}' repository and cannot be ` +
            "overwritten because the repository is immutable.",
        );
      }
      const mediaType = input.imageManifestMediaType ?? String(JSON.parse(input.imageManifest).mediaType);
      const stored = await store.put(input.repositoryName, tag, input.imageManifest, mediaType);
      return {
        image: {
          registryId: REGISTRY_ID,
          repositoryName: input.repositoryName,
          imageId: { imageDigest: stored, imageTag: tag },
          imageManifest: input.imageManifest,
          imageManifestMediaType: mediaType,
        },
      };
    },
  };
}

/** DescribeImages over a store that can list its images. */
function describeImagesHandler(store: ManifestStore, repositoryOrThrow: (name: string) => Promise<void>) {
  return async (input: {
    repositoryName: string;
    imageIds?: { imageDigest?: string; imageTag?: string }[];
    nextToken?: string;
    maxResults?: number;
    filter?: { tagStatus?: "TAGGED" | "UNTAGGED" | "ANY" };
  }) => {
    await repositoryOrThrow(input.repositoryName);
    if (store.images === undefined) throw new Error("this manifest store cannot list its images");
    if (input.imageIds !== undefined && (input.maxResults !== undefined || input.nextToken !== undefined)) {
      throw new AwsError(
        "InvalidParameterException",
        "maxResults and nextToken cannot be used with imageIds",
      );
    }
    const max = input.maxResults ?? DESCRIBE_IMAGES_PAGE;
    if (!Number.isInteger(max) || max < 1 || max > 1000) {
      throw new AwsError("InvalidParameterException", `maxResults must be between 1 and 1000 (got ${max})`);
    }
    let images = await store.images(input.repositoryName);
    const status = input.filter?.tagStatus ?? "ANY";
    if (status !== "ANY") images = images.filter((i) => i.tags.length > 0 === (status === "TAGGED"));
    if (input.imageIds !== undefined) {
      images = input.imageIds.map((id) => {
        const found = images.find((i) =>
          id.imageDigest !== undefined ? i.digest === id.imageDigest : i.tags.includes(id.imageTag ?? ""),
        );
        if (found === undefined) {
          throw new AwsError(
            "ImageNotFoundException",
            `The image with imageId {imageDigest:'${id.imageDigest ?? "null"}', imageTag:'${id.imageTag ?? "null"}'} ` +
              `does not exist within the repository with name '${input.repositoryName}' in the registry with ` +
              `id '${REGISTRY_ID}'`,
          );
        }
        return found;
      });
    }
    const start =
      input.nextToken === undefined ? 0 : Number(Buffer.from(input.nextToken, "base64").toString());
    if (!Number.isInteger(start) || start < 0 || start > images.length) {
      throw new AwsError("InvalidParameterException", "Invalid parameter at 'nextToken'");
    }
    const page = input.imageIds === undefined ? images.slice(start, start + max) : images;
    const end = start + page.length;
    return {
      imageDetails: page.map((i) => ({
        registryId: REGISTRY_ID,
        repositoryName: input.repositoryName,
        imageDigest: i.digest,
        ...(i.tags.length > 0 ? { imageTags: [...i.tags] } : {}),
        imageSizeInBytes: i.size,
        imagePushedAt: i.pushedAt.getTime() / 1000,
        imageManifestMediaType: i.mediaType,
      })),
      ...(input.imageIds === undefined && end < images.length
        ? { nextToken: Buffer.from(String(end)).toString("base64") }
        : {}),
    };
  };
}

/** Starts the ECR fake over `store`. */
export function startEcrFake(store: ManifestStore, options: EcrFakeOptions = {}): Promise<AwsJsonFake> {
  return startAwsJsonFake(TARGET_PREFIX.ecr, ecrHandlers(store, options));
}
