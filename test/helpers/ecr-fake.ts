/**
 * A fake of the two ECR operations promotion uses, BatchGetImage and PutImage, served over the real AWS JSON
 * 1.1 wire protocol (see aws-json-fake.ts), on top of a manifest store: in memory for unit tests, or a real
 * OCI registry (Docker Registry HTTP API V2) in `test:build`, so a promotion can be shown to tag the very
 * manifest a real build pushed.
 *
 * Behaviour encoded from the ECR API reference (BatchGetImage, PutImage, ImageFailure pages):
 * - BatchGetImage takes `imageIds` of `{imageDigest}` or `{imageTag}`; a missing image is not an error but
 *   an entry in `failures` with `failureCode: "ImageNotFound"`; found images carry `imageId`,
 *   `imageManifest` and `imageManifestMediaType`. The reference says the manifest is returned in one of
 *   `acceptedMediaTypes`; this fake never converts, so a manifest whose type is not accepted is reported
 *   as a failure (stricter than ECR, never looser).
 * - PutImage with `imageDigest` fails with `ImageDigestDoesNotMatchException` when the manifest hashes to
 *   another digest; putting a tag that already points at that manifest fails with
 *   `ImageAlreadyExistsException`; an unknown repository is `RepositoryNotFoundException`.
 */
import { createHash } from "node:crypto";
import { AwsError, AwsJsonFake, Handler, TARGET_PREFIX, startAwsJsonFake } from "./aws-json-fake";

export interface StoredManifest {
  readonly manifest: string;
  readonly mediaType: string;
  readonly digest: string;
}

/** Where manifests live. `ref` is a digest (`sha256:…`) or a tag. */
export interface ManifestStore {
  hasRepository(repository: string): Promise<boolean>;
  get(repository: string, ref: string): Promise<StoredManifest | undefined>;
  /** Stores `manifest` under `tag`; returns the digest the store computed. */
  put(repository: string, tag: string, manifest: string, mediaType: string): Promise<string>;
}

export function sha256Digest(text: string): string {
  return `sha256:${createHash("sha256").update(text, "utf8").digest("hex")}`;
}

/** An in-memory store with repositories created up front. */
export class MemoryStore implements ManifestStore {
  readonly manifests = new Map<string, StoredManifest>();
  readonly tags = new Map<string, string>();

  constructor(readonly repositories: readonly string[]) {}

  /** Adds a manifest as a push would; returns its digest. */
  add(repository: string, manifest: string, mediaType: string, tag?: string): string {
    const digest = sha256Digest(manifest);
    this.manifests.set(`${repository}@${digest}`, { manifest, mediaType, digest });
    if (tag !== undefined) this.tags.set(`${repository}:${tag}`, digest);
    return digest;
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

function ecrHandlers(store: ManifestStore): Record<string, Handler> {
  const repositoryOrThrow = async (name: string): Promise<void> => {
    if (!(await store.hasRepository(name))) {
      throw new AwsError(
        "RepositoryNotFoundException",
        `The repository with name '${name}' does not exist in the registry with id '${REGISTRY_ID}'`,
      );
    }
  };
  return {
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

/** Starts the ECR fake over `store`. */
export function startEcrFake(store: ManifestStore): Promise<AwsJsonFake> {
  return startAwsJsonFake(TARGET_PREFIX.ecr, ecrHandlers(store));
}
