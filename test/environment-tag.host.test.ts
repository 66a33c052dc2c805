/**
 * The environment tag's dynamic provider, run the way `pulumi up` runs it: the provider text is the one the
 * SDK serialized for the staging stack's EnvironmentTag (taken from the program's registration under
 * mocks), loaded by Pulumi's own dynamic-provider host in a child process and driven over gRPC. The host's
 * AWS SDK talks AWS JSON 1.1 to a loopback ECR fake (endpoint from AWS_ENDPOINT_URL_ECR, the SDK's own
 * override), so every request is the one real ECR would receive.
 */
import { strict as assert } from "node:assert";
import { MANIFEST_MEDIA_TYPES } from "../infra/environment-tag";
import { AwsJsonFake, FAKE_AWS_ENV } from "./helpers/aws-json-fake";
import { DynamicHost, startDynamicHost } from "./helpers/dynamic-host";
import { MemoryStore, startEcrFake } from "./helpers/ecr-fake";
import { ofType, runStack } from "./helpers/pulumi-mocks";
import { ROOT, stackFileConfig } from "./helpers/stackfiles";

const OCI = "application/vnd.oci.image.manifest.v1+json";
const URN =
  "urn:pulumi:staging::voxpersona::pulumi-nodejs:dynamic/environment-tag:EnvironmentTag::voxpersona-staging-tag";

function manifest(layer: string): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI,
    config: {
      mediaType: "application/vnd.oci.image.config.v1+json",
      digest: `sha256:${"c".repeat(64)}`,
      size: 2,
    },
    layers: [
      {
        mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
        digest: `sha256:${layer.repeat(64)}`,
        size: 9,
      },
    ],
  });
}

describe("EnvironmentTag provider in Pulumi's dynamic-provider host", function () {
  this.timeout(60000);
  let providerText: string;
  let store: MemoryStore;
  let ecr: AwsJsonFake;
  let host: DynamicHost;
  let d1: string;
  let d2: string;

  before(async () => {
    store = new MemoryStore(["voxpersona"]);
    d1 = store.add("voxpersona", manifest("1"), OCI, "git-1");
    d2 = store.add("voxpersona", manifest("2"), OCI, "git-2");
    const run = await runStack("staging", stackFileConfig("staging"), {
      "acme/voxpersona/dev": { imageDigest: d1 },
    });
    assert.equal(run.error, undefined, run.error?.stack);
    providerText = ofType(run, "pulumi-nodejs:dynamic/environment-tag:EnvironmentTag")[0].inputs.__provider;
    assert.equal(typeof providerText, "string");
    ecr = await startEcrFake(store);
    host = await startDynamicHost({ ...FAKE_AWS_ENV, AWS_ENDPOINT_URL_ECR: ecr.endpoint }, ROOT);
  });

  after(async () => {
    await host?.stop();
    await ecr?.close();
  });

  const props = (digest: string, extra: Record<string, unknown> = {}) => ({
    __provider: providerText,
    region: "eu-central-1",
    repositoryName: "voxpersona",
    digest,
    tag: "staging",
    ...extra,
  });

  it("checks its inputs and names each bad one", async () => {
    assert.deepEqual((await host.check(URN, {}, props(d1))).failures, []);
    assert.deepEqual((await host.check(URN, {}, props("latest", { tag: "Prod!" }))).failures, [
      {
        property: "digest",
        reason: 'digest must be sha256: followed by 64 lowercase hex digits (got "latest")',
      },
      { property: "tag", reason: 'tag must be an image tag (got "Prod!")' },
    ]);
    // The patterns are the shared ones (infra/patterns.ts), captured by value into the provider text.
    assert.deepEqual(
      (await host.check(URN, {}, props(d1, { region: "Frankfurt", repositoryName: "Vox" }))).failures,
      [
        { property: "region", reason: 'region must be an AWS region such as eu-central-1 (got "Frankfurt")' },
        { property: "repositoryName", reason: 'repositoryName must be an ECR repository name (got "Vox")' },
      ],
    );
  });

  it("creates the tag on the very manifest of the digest, with every accepted media type", async () => {
    ecr.calls.length = 0;
    const created = await host.create(URN, props(d1));
    assert.equal(created.id, "voxpersona:staging");
    assert.equal(created.properties.digest, d1);
    assert.equal(store.tags.get("voxpersona:staging"), d1);
    assert.deepEqual(
      ecr.calls.map((c) => [c.operation, c.contentType]),
      [
        ["BatchGetImage", "application/x-amz-json-1.1"],
        ["PutImage", "application/x-amz-json-1.1"],
      ],
    );
    assert.deepEqual(ecr.calls[0].input, {
      repositoryName: "voxpersona",
      imageIds: [{ imageDigest: d1 }],
      acceptedMediaTypes: MANIFEST_MEDIA_TYPES,
    });
    assert.deepEqual(ecr.calls[1].input, {
      repositoryName: "voxpersona",
      imageManifest: manifest("1"),
      imageManifestMediaType: OCI,
      imageTag: "staging",
      imageDigest: d1,
    });
    assert.match(String(ecr.calls[0].authorization), /^AWS4-HMAC-SHA256 Credential=AKIDFAKEFAKEFAKEFAKE\//);
  });

  it("diffs a new digest as an in-place move and a new tag as a replacement", async () => {
    assert.deepEqual(await host.diff(URN, "voxpersona:staging", props(d1), props(d2)), {
      changes: "some",
      replaces: [],
      deleteBeforeReplace: false,
    });
    assert.deepEqual(await host.diff(URN, "voxpersona:staging", props(d1), props(d1)), {
      changes: "none",
      replaces: [],
      deleteBeforeReplace: false,
    });
    assert.deepEqual(await host.diff(URN, "voxpersona:staging", props(d1), props(d1, { tag: "prod" })), {
      changes: "some",
      replaces: ["tag"],
      deleteBeforeReplace: false,
    });
  });

  it("updates to a new digest with PutImage of that digest (the second promotion, or a rollback)", async () => {
    ecr.calls.length = 0;
    const manifests = store.manifests.size;
    const updated = await host.update(URN, "voxpersona:staging", props(d1), props(d2));
    assert.equal(updated.digest, d2);
    assert.equal(store.tags.get("voxpersona:staging"), d2);
    assert.equal(store.manifests.size, manifests, "no new manifest, no new digest");
    assert.deepEqual(
      ecr.calls.map((c) => [c.operation, c.input.imageDigest ?? c.input.imageIds]),
      [
        ["BatchGetImage", [{ imageDigest: d2 }]],
        ["PutImage", d2],
      ],
    );
    // Rolling back moves the same tag back.
    await host.update(URN, "voxpersona:staging", props(d2), props(d1));
    assert.equal(store.tags.get("voxpersona:staging"), d1);
  });

  it("re-running an update whose tag is already in place succeeds (ImageAlreadyExistsException)", async () => {
    ecr.calls.length = 0;
    assert.equal((await host.update(URN, "voxpersona:staging", props(d1), props(d1))).digest, d1);
    assert.equal(ecr.calls[1].operation, "PutImage");
    assert.equal(store.tags.get("voxpersona:staging"), d1);
  });

  it("reads where the tag points now, so `pulumi refresh` sees a tag someone moved or removed", async () => {
    store.tags.set("voxpersona:staging", d2);
    const moved = await host.read(URN, "voxpersona:staging", props(d1));
    assert.equal(moved.id, "voxpersona:staging");
    assert.equal(moved.properties.digest, d2);
    store.tags.delete("voxpersona:staging");
    assert.equal((await host.read(URN, "voxpersona:staging", props(d1))).id, "");
  });

  it("refuses a digest that is not in the repository, naming it and the fix", async () => {
    const missing = `sha256:${"9".repeat(64)}`;
    await assert.rejects(host.create(URN, props(missing)), (err: Error) =>
      err.message.includes(
        `image ${missing} is not in ECR repository "voxpersona" (Requested image not found): it was never ` +
          "pushed there or has expired. Promote a digest that exists (aws ecr describe-images " +
          "--repository-name voxpersona).",
      ),
    );
  });

  it("deletes nothing: removing the last tag would delete the image", async () => {
    store.tags.set("voxpersona:staging", d1);
    ecr.calls.length = 0;
    await host.delete(URN, "voxpersona:staging", props(d1));
    assert.deepEqual(ecr.calls, []);
    assert.equal(store.tags.get("voxpersona:staging"), d1);
  });
});
