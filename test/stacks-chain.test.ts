/**
 * The promotion chain, misspelled namespaces and the default network placement under the Pulumi mocks: each
 * mistake stops the program with its key named and nothing registered, and the same config without the
 * mistake deploys (so each check can fail).
 */
import { strict as assert } from "node:assert";
import { StackRun, ofType } from "./helpers/pulumi-mocks";
import { DEV_DIGEST, STAGING_DIGEST, UPSTREAM, sharedRun } from "./helpers/shared-runs";
import { stackConfig, stackFileConfig } from "./helpers/stackfiles";

const PINNED = `sha256:${"3".repeat(64)}`;
const TAG_TYPE = "pulumi-nodejs:dynamic/environment-tag:EnvironmentTag";

/** A run of the program under the mocks; the tests below only read runs (helpers/shared-runs.ts). */
const run = (stack: string, config: Record<string, unknown>): Promise<StackRun> =>
  sharedRun(stack, config, UPSTREAM);

const staging = stackFileConfig("staging");
const prod = stackFileConfig("prod");
const withService = (raw: Record<string, unknown>, patch: object) => ({
  ...raw,
  "voxpersona:service": { ...(raw["voxpersona:service"] as object), ...patch },
});

/** The digest the run's environment tag moved, i.e. what the stack deploys. */
function taggedDigest(r: StackRun): unknown {
  return ofType(r, TAG_TYPE)[0]?.inputs.digest;
}

interface Case {
  readonly what: string;
  readonly stack: "dev" | "staging" | "prod";
  /** The key the error names. */
  readonly key: string;
  readonly bad: Record<string, unknown>;
  /** The same config without the mistake. */
  readonly good: Record<string, unknown>;
  /** The digest the good config deploys (promote stacks). */
  readonly digest?: string;
}

const CASES: readonly Case[] = [
  {
    what: "prod with role build",
    stack: "prod",
    key: "voxpersona:role",
    bad: { ...prod, "voxpersona:role": "build" },
    good: prod,
    digest: STAGING_DIGEST,
  },
  {
    what: "prod with a build stack's keys (role build, voxpersona:build, no upstream)",
    stack: "prod",
    key: "voxpersona:role",
    bad: { ...stackConfig("dev"), "voxpersona:secrets": prod["voxpersona:secrets"] },
    good: prod,
    digest: STAGING_DIGEST,
  },
  {
    what: "staging ← prod (a cycle)",
    stack: "staging",
    key: "voxpersona:upstreamStack",
    bad: { ...staging, "voxpersona:upstreamStack": "prod" },
    good: staging,
    digest: DEV_DIGEST,
  },
  {
    what: "prod ← dev (skips staging)",
    stack: "prod",
    key: "voxpersona:upstreamStack",
    bad: { ...prod, "voxpersona:upstreamStack": "dev" },
    good: prod,
    digest: STAGING_DIGEST,
  },
  {
    what: "staging ← ../dev",
    stack: "staging",
    key: "voxpersona:upstreamStack",
    bad: { ...staging, "voxpersona:upstreamStack": "../dev" },
    good: { ...staging, "voxpersona:upstreamStack": "acme/voxpersona/dev" },
    digest: DEV_DIGEST,
  },
  {
    what: "staging ← acme/other/dev (another project)",
    stack: "staging",
    key: "voxpersona:upstreamStack",
    bad: { ...staging, "voxpersona:upstreamStack": "acme/other/dev" },
    good: { ...staging, "voxpersona:upstreamStack": "voxpersona/dev" },
    digest: DEV_DIGEST,
  },
  {
    what: "staging ← dev/./x",
    stack: "staging",
    key: "voxpersona:upstreamStack",
    bad: { ...staging, "voxpersona:upstreamStack": "dev/./x" },
    good: staging,
    digest: DEV_DIGEST,
  },
  {
    what: "a rollback pin on prod under voxpersonna:imageDigest",
    stack: "prod",
    key: "voxpersonna:imageDigest",
    bad: { ...prod, "voxpersonna:imageDigest": PINNED },
    good: { ...prod, "voxpersona:imageDigest": PINNED },
    digest: PINNED,
  },
  {
    what: "assignPublicIp false without voxpersona:network",
    stack: "staging",
    key: "voxpersona:service.assignPublicIp",
    bad: withService(staging, { assignPublicIp: false }),
    good: {
      ...withService(staging, { assignPublicIp: false }),
      "voxpersona:network": { vpcId: "vpc-0abc", subnetIds: ["subnet-01"] },
    },
    digest: DEV_DIGEST,
  },
];

describe("the chain, misspelled namespaces and the network placement under the mocks", function () {
  this.timeout(60000);

  for (const stack of ["dev", "staging", "prod"] as const) {
    it(`the committed Pulumi.${stack}.yaml deploys`, async () => {
      const r = await run(stack, stackConfig(stack));
      assert.equal(r.error, undefined, r.error?.stack);
      assert.ok(r.registrations.length > 0);
      const [service] = ofType(r, "aws:ecs/service:Service");
      // The default VPC: a public IP is the task's way to ECR.
      assert.equal(service.inputs.networkConfiguration.assignPublicIp, true);
    });
  }

  for (const c of CASES) {
    it(`${c.what}: stops with ${c.key} named and registers nothing`, async () => {
      const r = await run(c.stack, c.bad);
      const message = r.error?.message ?? "";
      assert.match(message, new RegExp(`^Invalid stack config for "${c.stack}" \\(\\d+ problems?\\):\\n`));
      assert.ok(message.includes(`\n  - ${c.key}`), message);
      assert.ok(message.includes(`Fix: `), message);
      assert.deepEqual(r.registrations, []);
      assert.deepEqual(r.invokes, []);
    });

    it(`${c.what}: without the mistake, deploys`, async () => {
      const r = await run(c.stack, c.good);
      assert.equal(r.error, undefined, r.error?.stack);
      assert.ok(r.registrations.length > 0);
      if (c.digest !== undefined) assert.equal(taggedDigest(r), c.digest);
    });
  }

  it("prod reads staging's digest, never dev's", async () => {
    const r = await run("prod", prod);
    assert.deepEqual(
      ofType(r, "pulumi:pulumi:StackReference").map((r) => r.name),
      ["acme/voxpersona/staging"],
    );
  });

  it("a configured network keeps assignPublicIp false by default", async () => {
    const service = { ...(staging["voxpersona:service"] as Record<string, unknown>) };
    delete service.assignPublicIp;
    const r = await run("staging", {
      ...staging,
      "voxpersona:service": service,
      "voxpersona:network": { vpcId: "vpc-0abc", subnetIds: ["subnet-01"] },
    });
    assert.equal(r.error, undefined, r.error?.stack);
    assert.equal(ofType(r, "aws:ecs/service:Service")[0].inputs.networkConfiguration.assignPublicIp, false);
    const dflt = await run("staging", { ...staging, "voxpersona:service": service });
    assert.equal(ofType(dflt, "aws:ecs/service:Service")[0].inputs.networkConfiguration.assignPublicIp, true);
  });
});
