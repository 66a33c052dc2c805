import { strict as assert } from "node:assert";
import { ECR } from "@aws-sdk/client-ecr";
import { EcrApi, MANIFEST_MEDIA_TYPES, digestOfTag, tagImageByDigest } from "../infra/ecr-tags";
import { TagState, environmentTagProvider } from "../infra/environment-tag";
import { AwsError, AwsJsonFake, FAKE_AWS_ENV } from "./helpers/aws-json-fake";
import { MemoryStore, startEcrFake } from "./helpers/ecr-fake";
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

describe("environment tag on the same manifest (AWS SDK against the ECR wire fake)", () => {
  const oci = "application/vnd.oci.image.manifest.v1+json";
  const body = '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[1]}';
  let store: MemoryStore;
  let fake: AwsJsonFake;
  let ecr: EcrApi;
  let digest: string;

  beforeEach(async () => {
    store = new MemoryStore(["voxpersona"]);
    digest = store.add("voxpersona", body, oci);
    fake = await startEcrFake(store);
    ecr = new ECR({
      endpoint: fake.endpoint,
      region: FAKE_AWS_ENV.AWS_REGION,
      credentials: { accessKeyId: FAKE_AWS_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: "x" },
    }) as unknown as EcrApi;
  });
  afterEach(() => fake.close());

  it("reads the manifest by digest and writes it back under the tag, digest unchanged", async () => {
    assert.equal(
      await tagImageByDigest(ecr, { repositoryName: "voxpersona", digest, tag: "staging" }),
      digest,
    );
    assert.deepEqual(
      fake.calls.map((c) => c.input),
      [
        {
          repositoryName: "voxpersona",
          imageIds: [{ imageDigest: digest }],
          acceptedMediaTypes: MANIFEST_MEDIA_TYPES,
        },
        {
          repositoryName: "voxpersona",
          imageManifest: body,
          imageManifestMediaType: oci,
          imageTag: "staging",
          imageDigest: digest,
        },
      ],
    );
    assert.equal(store.tags.get("voxpersona:staging"), digest);
    assert.equal(store.manifests.size, 1);
  });

  it("is idempotent when the tag already points at the digest", async () => {
    await tagImageByDigest(ecr, { repositoryName: "voxpersona", digest, tag: "prod" });
    assert.equal(await tagImageByDigest(ecr, { repositoryName: "voxpersona", digest, tag: "prod" }), digest);
    assert.equal(fake.calls.length, 4);
  });

  it("fails clearly when the digest is not in the repository", async () => {
    await assert.rejects(
      tagImageByDigest(ecr, { repositoryName: "voxpersona", digest: D2, tag: "prod" }),
      new Error(
        `image ${D2} is not in ECR repository "voxpersona" (Requested image not found): it was never pushed ` +
          "there or has expired. Promote a digest that exists (aws ecr describe-images --repository-name voxpersona).",
      ),
    );
  });

  it("passes other ECR errors through", async () => {
    store.put = async () => {
      throw new AwsError("AccessDeniedException", "User is not authorized to perform: ecr:PutImage");
    };
    await assert.rejects(
      tagImageByDigest(ecr, { repositoryName: "voxpersona", digest, tag: "prod" }),
      (err: Error) =>
        err.name === "AccessDeniedException" &&
        err.message === "User is not authorized to perform: ecr:PutImage",
    );
  });

  it("reads the digest a tag points at, and undefined for a missing tag", async () => {
    store.tags.set("voxpersona:prod", digest);
    assert.equal(await digestOfTag(ecr, "voxpersona", "prod"), digest);
    assert.equal(await digestOfTag(ecr, "voxpersona", "staging"), undefined);
    await assert.rejects(
      digestOfTag(ecr, "other", "prod"),
      (err: Error) => err.name === "RepositoryNotFoundException",
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

  it("updates in place when only keepHistory changes: it decides the slots of the next promotions", async () => {
    assert.deepEqual(await diff({ keepHistory: 3 }), {
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });

  it("replaces the resource when the tag or repository changes", async () => {
    assert.deepEqual(await diff({ tag: "staging", repositoryName: "other" }), {
      changes: true,
      replaces: ["repositoryName", "tag"],
      deleteBeforeReplace: false,
    });
  });
});
