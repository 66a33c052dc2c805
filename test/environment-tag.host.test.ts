/**
 * The environment tag's dynamic provider, run the way `pulumi up` runs it: the provider text is the one the
 * SDK serialized for the staging stack's EnvironmentTag (taken from the program's registration under
 * mocks), loaded by Pulumi's own dynamic-provider host in a child process and driven over gRPC. The host's
 * AWS SDK talks AWS JSON 1.1 to a loopback ECR fake (endpoint from AWS_ENDPOINT_URL_ECR, the SDK's own
 * override), so every request is the one real ECR would receive. The fake's repository is immutable but for
 * the program's own exclusion filters (`mutableTagFilters`), as the Registry creates it: a promotion that
 * moved a history or build tag would be refused there as in ECR.
 */
import { strict as assert } from "node:assert";
import { MANIFEST_MEDIA_TYPES } from "../infra/ecr-tags";
import { ENVIRONMENT_TAGS } from "../infra/promotion";
import { historyTime, mutableTagFilters } from "../infra/release-tags";
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
    ecr = await startEcrFake(store, { mutableTags: mutableTagFilters(ENVIRONMENT_TAGS) });
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
    keepHistory: 5,
    ...extra,
  });
  /** The state a promotion left: the inputs, the slot it took, its history tag. */
  const state = (digest: string, slot: number, historyTag: string) => ({
    ...props(digest),
    slot,
    historyTag,
  });
  /**
   * The newest history tag the repository holds: a state's last promotion (the provider records the next one
   * at least a second later, so two promotions never share a history tag).
   */
  const lastHistory = () =>
    [...store.tags.keys()]
      .map((k) => k.slice("voxpersona:".length))
      .filter((t) => historyTime(t, "staging") !== undefined)
      .sort()
      .at(-1) as string;
  /** The PutImage calls since `calls` was emptied: [tag, digest]. */
  const puts = () =>
    ecr.calls.filter((c) => c.operation === "PutImage").map((c) => [c.input.imageTag, c.input.imageDigest]);
  /** Checks a history tag: staging-<UTC second>, no earlier than `from` (a second of slack for rounding). */
  const assertHistoryTag = (tag: unknown, from: number) => {
    assert.match(String(tag), /^staging-\d{8}T\d{6}Z$/);
    const at = historyTime(String(tag), "staging")?.getTime() ?? 0;
    assert.ok(at >= from - 1000 && at <= Date.now() + 10_000, `${String(tag)} is the promotion's time`);
  };

  it("checks its inputs and names each bad one", async () => {
    assert.deepEqual((await host.check(URN, {}, props(d1))).failures, []);
    assert.deepEqual((await host.check(URN, {}, props(d1, { keepHistory: 11 }))).failures, [
      { property: "keepHistory", reason: "keepHistory must be an integer from 1 to 10 (got 11)" },
    ]);
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

  let first: { id: string; properties: Record<string, unknown> };

  it("creates the tag on the very manifest of the digest, with every accepted media type", async () => {
    ecr.calls.length = 0;
    const from = Date.now();
    first = await host.create(URN, props(d1));
    const history = first.properties.historyTag;
    assertHistoryTag(history, from);
    assert.equal(first.id, "voxpersona:staging");
    assert.deepEqual(first.properties, state(d1, 0, String(history)));
    // The slot first (the image is protected from then on), the history tag, then the environment tag.
    assert.deepEqual(
      ecr.calls.map((c) => [c.operation, c.contentType, c.input.imageTag]),
      [
        ["BatchGetImage", "application/x-amz-json-1.1", undefined],
        ["PutImage", "application/x-amz-json-1.1", "staging-slot-0"],
        ["PutImage", "application/x-amz-json-1.1", history],
        ["PutImage", "application/x-amz-json-1.1", "staging"],
      ],
    );
    for (const tag of ["staging-slot-0", String(history), "staging"]) {
      assert.equal(store.tags.get(`voxpersona:${tag}`), d1, tag);
    }
    assert.deepEqual(ecr.calls[0].input, {
      repositoryName: "voxpersona",
      imageIds: [{ imageDigest: d1 }],
      acceptedMediaTypes: MANIFEST_MEDIA_TYPES,
    });
    assert.deepEqual(ecr.calls[3].input, {
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
    assert.deepEqual(await host.diff(URN, "voxpersona:staging", props(d1), props(d1, { keepHistory: 3 })), {
      changes: "some",
      replaces: [],
      deleteBeforeReplace: false,
    });
  });

  it("updates to a new digest with PutImage of that digest in the next slot (the second promotion)", async () => {
    ecr.calls.length = 0;
    const manifests = store.manifests.size;
    const updated = await host.update(URN, "voxpersona:staging", first.properties, props(d2));
    const history = String(updated.historyTag);
    assertHistoryTag(history, 0);
    assert.ok(history > String(first.properties.historyTag), "a later history tag, never the same one");
    assert.deepEqual(updated, state(d2, 1, history));
    assert.equal(store.manifests.size, manifests, "no new manifest, no new digest");
    assert.deepEqual(
      ecr.calls.map((c) => [c.operation, c.input.imageDigest ?? c.input.imageIds]),
      [["BatchGetImage", [{ imageDigest: d2 }]], ...Array(3).fill(["PutImage", d2])],
    );
    assert.deepEqual(puts(), [
      ["staging-slot-1", d2],
      [history, d2],
      ["staging", d2],
    ]);
    // d1 keeps its slot and history tag: the rollback target stays protected.
    assert.equal(store.tags.get("voxpersona:staging-slot-0"), d1);
    assert.equal(store.tags.get(`voxpersona:${String(first.properties.historyTag)}`), d1);
  });

  it("rolls back as a promotion of the older digest: next slot, new history tag; slots wrap after keepHistory", async () => {
    let olds = state(d2, 1, lastHistory());
    const slots: unknown[] = [];
    // d1, d2, d1, d2: slots 2, 3, 4, then 0 again (keepHistory 5), each a PutImage the fake lets move.
    for (const digest of [d1, d2, d1, d2]) {
      const outs = await host.update(URN, "voxpersona:staging", olds, props(digest));
      slots.push(outs.slot);
      olds = outs as typeof olds;
      assert.equal(store.tags.get("voxpersona:staging"), digest);
      assert.equal(store.tags.get(`voxpersona:staging-slot-${String(outs.slot)}`), digest);
    }
    assert.deepEqual(slots, [2, 3, 4, 0]);
  });

  it("with fewer slots, takes the next one modulo keepHistory; a keepHistory change alone tags nothing", async () => {
    ecr.calls.length = 0;
    const olds = state(d1, 4, lastHistory());
    assert.deepEqual(await host.update(URN, "voxpersona:staging", olds, props(d1, { keepHistory: 3 })), {
      ...olds,
      keepHistory: 3,
    });
    assert.deepEqual(ecr.calls, []);
    const outs = await host.update(
      URN,
      "voxpersona:staging",
      { ...olds, keepHistory: 3 },
      props(d2, { keepHistory: 3 }),
    );
    assert.equal(outs.slot, 2);
  });

  it("adopts the digest of a state from before slots: its first update promotes it to slot 0", async () => {
    ecr.calls.length = 0;
    // prod's state, as the provider before slots wrote it: no keepHistory, slot or history tag.
    const legacy = {
      __provider: providerText,
      region: "eu-central-1",
      repositoryName: "voxpersona",
      digest: d1,
      tag: "prod",
    };
    store.tags.set("voxpersona:prod", d1);
    const outs = await host.update(URN, "voxpersona:prod", legacy, props(d1, { tag: "prod" }));
    assert.match(String(outs.historyTag), /^prod-\d{8}T\d{6}Z$/);
    assert.deepEqual(outs, { ...props(d1, { tag: "prod" }), slot: 0, historyTag: outs.historyTag });
    assert.deepEqual(puts(), [
      ["prod-slot-0", d1],
      [outs.historyTag, d1],
      ["prod", d1],
    ]);
  });

  it("a retried promotion whose tags are already in place succeeds (ImageAlreadyExistsException)", async () => {
    store.tags.set("voxpersona:staging-slot-3", d2);
    store.tags.set("voxpersona:staging", d2);
    ecr.calls.length = 0;
    const outs = await host.update(URN, "voxpersona:staging", state(d1, 2, lastHistory()), props(d2));
    assert.equal(outs.slot, 3);
    assert.deepEqual(puts(), [
      ["staging-slot-3", d2],
      [outs.historyTag, d2],
      ["staging", d2],
    ]);
    assert.equal(store.tags.get("voxpersona:staging"), d2);
  });

  it("never moves a history tag: each still names the digest it recorded (the fake refuses a move, as ECR)", async () => {
    const histories = [...store.tags].filter(([t]) => historyTime(t.slice("voxpersona:".length), "staging"));
    // create, update, 4 rollbacks, the keepHistory-3 promotion, the retried one.
    assert.equal(histories.length, 8);
    assert.equal(store.tags.get(`voxpersona:${String(first.properties.historyTag)}`), d1);
    for (const call of ecr.calls.filter((c) => c.operation === "PutImage")) {
      if (historyTime(String(call.input.imageTag), "staging")) {
        assert.equal(store.tags.get(`voxpersona:${String(call.input.imageTag)}`), call.input.imageDigest);
      }
    }
  });

  it("reads where the tag points now, so `pulumi refresh` sees a tag someone moved or removed", async () => {
    store.tags.set("voxpersona:staging", d2);
    const moved = await host.read(URN, "voxpersona:staging", state(d1, 2, "staging-20261129T231600Z"));
    assert.equal(moved.id, "voxpersona:staging");
    assert.deepEqual(moved.properties, state(d2, 2, "staging-20261129T231600Z"));
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
