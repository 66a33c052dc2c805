import { strict as assert } from "node:assert";
import {
  EcrApi,
  MANIFEST_MEDIA_TYPES,
  TagState,
  environmentTagProvider,
  tagImageByDigest,
} from "../infra/environment-tag";
import { digestRef, qualifyStackName, resolvePromotedDigest } from "../infra/promotion";

const D1 = `sha256:${"1".repeat(64)}`;
const D2 = `sha256:${"2".repeat(64)}`;
const UP = "acme/voxpersona/dev";
const PIN = "or pin a digest: pulumi config set --stack staging voxpersona:imageDigest sha256:<64 hex>";

describe("promotion rules", () => {
  it("qualifies a bare upstream name with the organization and project", () => {
    assert.equal(qualifyStackName("dev", "acme", "voxpersona"), "acme/voxpersona/dev");
    assert.equal(qualifyStackName("other/dev", "acme", "voxpersona"), "acme/other/dev");
    assert.equal(qualifyStackName("x/y/dev", "acme", "voxpersona"), "x/y/dev");
  });

  it("takes the upstream's digest", () => {
    assert.deepEqual(
      resolvePromotedDigest({
        stack: "staging",
        upstream: UP,
        upstreamOutputs: { imageDigest: D1, imageRef: "r" },
      }),
      { digest: D1, source: "upstream" },
    );
  });

  it("lets a pinned digest win over the upstream's", () => {
    assert.deepEqual(
      resolvePromotedDigest({
        stack: "staging",
        upstream: UP,
        pinnedDigest: D2,
        upstreamOutputs: { imageDigest: D1 },
      }),
      { digest: D2, source: "pinned" },
    );
  });

  it("refuses a malformed pinned digest", () => {
    assert.throws(
      () => resolvePromotedDigest({ stack: "staging", upstream: UP, pinnedDigest: "sha256:XYZ" }),
      new Error(
        'voxpersona:imageDigest "sha256:XYZ" is not a digest (sha256: followed by 64 lowercase hex digits). ' +
          "Fix: pulumi config set --stack staging voxpersona:imageDigest $(pulumi stack output --stack dev imageDigest)",
      ),
    );
  });

  it("names the upstream when it was never deployed", () => {
    assert.throws(
      () => resolvePromotedDigest({ stack: "staging", upstream: UP, upstreamOutputs: {} }),
      new Error(
        'upstream stack "acme/voxpersona/dev" has no outputs: it has not been deployed (or was destroyed), so ' +
          `there is no image to promote to "staging". Run \`pulumi up --stack dev\` first, ${PIN}`,
      ),
    );
  });

  it("names the upstream when its digest output is missing", () => {
    assert.throws(
      () =>
        resolvePromotedDigest({
          stack: "staging",
          upstream: UP,
          upstreamOutputs: { serviceName: "s", imageRef: "r" },
        }),
      new Error(
        'upstream stack "acme/voxpersona/dev" has no "imageDigest" output (it exports: imageRef, serviceName). ' +
          `Run \`pulumi up --stack dev\` to publish it, ${PIN}`,
      ),
    );
  });

  it("names the upstream when its digest output is malformed", () => {
    assert.throws(
      () =>
        resolvePromotedDigest({ stack: "staging", upstream: UP, upstreamOutputs: { imageDigest: "latest" } }),
      new Error(
        'upstream stack "acme/voxpersona/dev" output "imageDigest" is "latest", not a digest (sha256: followed ' +
          `by 64 lowercase hex digits). Run \`pulumi up --stack dev\` to fix its outputs, ${PIN}`,
      ),
    );
  });

  it("builds digest refs only from digests", () => {
    assert.equal(digestRef("r.example/voxpersona", D1), `r.example/voxpersona@${D1}`);
    assert.throws(() => digestRef("r.example/voxpersona", "dev"), new Error('"dev" is not a sha256 digest'));
  });
});

/** A fake ECR holding one manifest per digest and a tag table, with ECR's PutImage semantics. */
class FakeEcr implements EcrApi {
  readonly calls: string[] = [];
  readonly tags = new Map<string, string>();
  constructor(readonly manifests: Record<string, { body: string; mediaType: string }>) {}
  async batchGetImage(input: Parameters<EcrApi["batchGetImage"]>[0]) {
    this.calls.push(`BatchGetImage ${input.repositoryName} ${input.imageIds[0].imageDigest}`);
    assert.deepEqual(input.acceptedMediaTypes, MANIFEST_MEDIA_TYPES);
    const m = this.manifests[input.imageIds[0].imageDigest];
    return m
      ? { images: [{ imageManifest: m.body, imageManifestMediaType: m.mediaType }], failures: [] }
      : {
          images: [],
          failures: [{ failureCode: "ImageNotFound", failureReason: "Requested image not found" }],
        };
  }
  async putImage(input: Parameters<EcrApi["putImage"]>[0]) {
    this.calls.push(
      `PutImage ${input.repositoryName} ${input.imageTag} ${input.imageDigest} ${input.imageManifestMediaType}`,
    );
    assert.equal(input.imageManifest, this.manifests[input.imageDigest].body, "same manifest bytes");
    if (this.tags.get(input.imageTag) === input.imageDigest) {
      throw Object.assign(new Error("tag exists"), { name: "ImageAlreadyExistsException" });
    }
    this.tags.set(input.imageTag, input.imageDigest);
    return { image: { imageId: { imageDigest: input.imageDigest } } };
  }
}

describe("environment tag on the same manifest", () => {
  const oci = "application/vnd.oci.image.manifest.v1+json";
  const manifests = { [D1]: { body: '{"schemaVersion":2,"layers":[1]}', mediaType: oci } };

  it("reads the manifest by digest and writes it back under the tag, digest unchanged", async () => {
    const ecr = new FakeEcr(manifests);
    assert.equal(
      await tagImageByDigest(ecr, { repositoryName: "voxpersona", digest: D1, tag: "staging" }),
      D1,
    );
    assert.deepEqual(ecr.calls, [
      `BatchGetImage voxpersona ${D1}`,
      `PutImage voxpersona staging ${D1} ${oci}`,
    ]);
    assert.equal(ecr.tags.get("staging"), D1);
  });

  it("is idempotent when the tag already points at the digest", async () => {
    const ecr = new FakeEcr(manifests);
    await tagImageByDigest(ecr, { repositoryName: "voxpersona", digest: D1, tag: "prod" });
    assert.equal(await tagImageByDigest(ecr, { repositoryName: "voxpersona", digest: D1, tag: "prod" }), D1);
    assert.equal(ecr.calls.length, 4);
  });

  it("fails clearly when the digest is not in the repository", async () => {
    await assert.rejects(
      tagImageByDigest(new FakeEcr(manifests), { repositoryName: "voxpersona", digest: D2, tag: "prod" }),
      new Error(
        `image ${D2} is not in ECR repository "voxpersona" (Requested image not found): it was never pushed ` +
          "there or has expired. Promote a digest that exists (aws ecr describe-images --repository-name voxpersona).",
      ),
    );
  });

  it("passes other ECR errors through", async () => {
    const ecr = new FakeEcr(manifests);
    ecr.putImage = async () => {
      throw Object.assign(new Error("denied"), { name: "AccessDeniedException" });
    };
    await assert.rejects(
      tagImageByDigest(ecr, { repositoryName: "voxpersona", digest: D1, tag: "prod" }),
      /denied/,
    );
  });
});

describe("environment tag resource lifecycle", () => {
  const old: TagState = { region: "eu-central-1", repositoryName: "voxpersona", digest: D1, tag: "prod" };
  const diff = (news: Partial<TagState>) =>
    environmentTagProvider.diff!("voxpersona:prod", old, { ...old, ...news });

  it("does nothing when nothing changed", async () => {
    assert.deepEqual(await diff({}), { changes: false, replaces: [], deleteBeforeReplace: false });
  });

  it("moves the same tag in place when the digest changes (promotion, rollback)", async () => {
    assert.deepEqual(await diff({ digest: D2 }), { changes: true, replaces: [], deleteBeforeReplace: false });
  });

  it("replaces the resource when the tag or repository changes", async () => {
    assert.deepEqual(await diff({ tag: "staging", repositoryName: "other" }), {
      changes: true,
      replaces: ["repositoryName", "tag"],
      deleteBeforeReplace: false,
    });
  });
});
