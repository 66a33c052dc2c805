/**
 * Puts an environment tag (`staging`, `prod`) on an image that already exists in ECR, by digest.
 *
 * The manifest is read with BatchGetImage and written back unchanged with PutImage, so the tag lands on the
 * same manifest: no rebuild, no new digest. The release repository's lifecycle policy never expires an
 * image an environment tag points at, so an image a stack runs outlives the stack that built it.
 *
 * The provider is a dynamic provider: the SDK serializes the provider object with everything its functions
 * capture, and Pulumi's dynamic-provider host loads that text with `require-from-string` into a module that
 * has no other exports (`@pulumi/pulumi/cmd/dynamic-provider/index.js`). So nothing the provider calls may
 * be reached through this module's `exports` (which is what CommonJS output makes of a module's own
 * `export const`), and no method may use `this`: everything it uses is a plain local below, exported at the
 * end under a second name for the program and the tests. The identifier patterns are imported from
 * `./patterns`: the serializer captures an imported local module by value (only the properties used), so
 * they travel with the provider. `test/environment-tag.host.test.ts` loads the serialized provider in that
 * host and drives it over gRPC.
 */
import * as pulumi from "@pulumi/pulumi";
import {
  AWS_REGION_PATTERN,
  DIGEST_PATTERN,
  DIGEST_WORDS,
  ECR_REPOSITORY_PATTERN,
  IMAGE_TAG_PATTERN,
} from "./patterns";

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

/** Every manifest type BuildKit or docker push may have produced (ECR answers only with accepted types). */
const mediaTypes = [
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
];

/** Tags `digest` with `tag`; idempotent. Returns the digest the tag points at (always `digest`). */
async function tagByDigest(ecr: EcrApi, req: TagRequest): Promise<string> {
  const got = await ecr.batchGetImage({
    repositoryName: req.repositoryName,
    imageIds: [{ imageDigest: req.digest }],
    acceptedMediaTypes: mediaTypes,
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

/** The digest `tag` points at now, or undefined when the tag does not exist. */
async function digestOfTag(ecr: EcrApi, repositoryName: string, tag: string): Promise<string | undefined> {
  const got = await ecr.batchGetImage({
    repositoryName,
    imageIds: [{ imageTag: tag }],
    acceptedMediaTypes: mediaTypes,
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

export interface EnvironmentTagInputs {
  /**
   * AWS region of the repository.
   * @default required
   */
  readonly region: pulumi.Input<string>;
  /**
   * ECR repository holding the image.
   * @default required
   */
  readonly repositoryName: pulumi.Input<string>;
  /**
   * Digest to tag (`sha256:<64 hex>`): the image must already be in the repository.
   * @default required
   */
  readonly digest: pulumi.Input<string>;
  /**
   * Tag to put on it (the environment's name).
   * @default required
   */
  readonly tag: pulumi.Input<string>;
}

export interface TagState {
  readonly region: string;
  readonly repositoryName: string;
  readonly digest: string;
  readonly tag: string;
}

/** Loads the AWS SDK inside the host; credentials and endpoint come from the same environment as aws's. */
function ecrClient(region: string): EcrApi {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ECR } = require("@aws-sdk/client-ecr") as typeof import("@aws-sdk/client-ecr");
  return new ECR({ region }) as unknown as EcrApi;
}

function stateOf(inputs: TagState): TagState {
  return {
    region: inputs.region,
    repositoryName: inputs.repositoryName,
    digest: inputs.digest,
    tag: inputs.tag,
  };
}

async function putTag(inputs: TagState): Promise<pulumi.dynamic.CreateResult> {
  await tagByDigest(ecrClient(inputs.region), inputs);
  return { id: `${inputs.repositoryName}:${inputs.tag}`, outs: stateOf(inputs) };
}

// The provider validates its own inputs (a program bug or a hand-edited state must not reach PutImage).
function inputFailures(news: Record<string, unknown>): pulumi.dynamic.CheckFailure[] {
  const rules: [keyof TagState, RegExp, string][] = [
    ["region", AWS_REGION_PATTERN, "an AWS region such as eu-central-1"],
    ["repositoryName", ECR_REPOSITORY_PATTERN, "an ECR repository name"],
    ["digest", DIGEST_PATTERN, DIGEST_WORDS],
    ["tag", IMAGE_TAG_PATTERN, "an image tag"],
  ];
  return rules
    .filter(([key, pattern]) => typeof news[key] !== "string" || !pattern.test(news[key] as string))
    .map(([key, , what]) => ({
      property: key,
      reason: `${key} must be ${what} (got ${JSON.stringify(news[key])})`,
    }));
}

const provider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: Record<string, unknown>, news: Record<string, unknown>) {
    return { inputs: news, failures: inputFailures(news) };
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
  async create(inputs: TagState) {
    return putTag(inputs);
  },
  async update(_id: string, _olds: TagState, news: TagState) {
    return { outs: (await putTag(news)).outs };
  },
  // `pulumi refresh` sees a tag someone moved (the next `up` moves it back) or removed (it is re-created).
  async read(id: string, props: TagState) {
    const digest = await digestOfTag(ecrClient(props.region), props.repositoryName, props.tag);
    return digest === undefined ? { id: "", props: {} } : { id, props: { ...stateOf(props), digest } };
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
    super(provider, name, { ...args }, opts, "environment-tag", "EnvironmentTag");
  }
}

export {
  provider as environmentTagProvider,
  mediaTypes as MANIFEST_MEDIA_TYPES,
  tagByDigest as tagImageByDigest,
  digestOfTag,
};
