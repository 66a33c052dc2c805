/** parseStackConfig on the committed stack files: what each stack is, the runtime form, the defaults. */
import { strict as assert } from "node:assert";
import { parseStackConfig } from "../../infra/config";
import { asRuntimeConfig, stackFileConfig } from "../helpers/stackfiles";
import { dev, staging } from "./fixtures";

/** The registry settings dev's stack file spells out, which are also every default (written out, not imported). */
const REGISTRY_DEFAULTS_EXPECTED = {
  name: "voxpersona",
  encryption: "AES256",
  scanOnPush: true,
  keepBuildImages: 30,
  keepHistory: 5,
  adoptExisting: false,
};

describe("parseStackConfig: the committed stack files", () => {
  it("parses Pulumi.dev.yaml into a build stack", () => {
    const c = parseStackConfig(dev, "dev");
    assert.equal(c.role, "build");
    assert.equal(c.region, "eu-central-1");
    assert.equal(c.promote, undefined);
    assert.deepEqual(c.build, {
      context: "app",
      dockerfile: "docker/Dockerfile",
      platform: "linux/amd64",
      args: {},
      cacheScope: "main",
    });
    assert.deepEqual(c.cache, {
      mainScope: "main",
      lifecycleDays: { "system-base": 90, "python-deps": 30, "ml-models": 90, final: 14 },
    });
    assert.deepEqual(c.registry, REGISTRY_DEFAULTS_EXPECTED);
    assert.deepEqual(c.service, {
      cpu: 1024,
      memory: 6144,
      ephemeralStorageGiB: 30,
      desiredCount: 1,
      logRetentionDays: 14,
      assignPublicIp: true,
      cpuArchitecture: "X86_64",
      environment: { LOG_LEVEL: "DEBUG" },
    });
    assert.equal(c.network, undefined);
    assert.deepEqual(c.secrets, [
      { env: "DATABASE_URL", store: "secretsmanager", kind: "name", ref: "voxpersona/dev/database-url" },
      {
        env: "TELEGRAM_BOT_TOKEN",
        store: "secretsmanager",
        kind: "name",
        ref: "voxpersona/dev/telegram-bot-token",
      },
      { env: "OPENAI_API_KEY", store: "secretsmanager", kind: "name", ref: "voxpersona/dev/openai-api-key" },
      {
        env: "ANTHROPIC_API_KEY",
        store: "secretsmanager",
        kind: "name",
        ref: "voxpersona/dev/anthropic-api-key",
      },
    ]);
    assert.deepEqual(c.secretKeys, []);
  });

  it("parses Pulumi.staging.yaml and Pulumi.prod.yaml into promote stacks chained dev → staging → prod", () => {
    const s = parseStackConfig(staging, "staging");
    const p = parseStackConfig(stackFileConfig("prod"), "prod");
    assert.deepEqual(s.promote, { upstreamStack: "dev" });
    assert.deepEqual(p.promote, { upstreamStack: "staging" });
    assert.equal(s.build, undefined);
    assert.equal(p.build, undefined);
    assert.deepEqual([p.service.cpu, p.service.memory, p.service.logRetentionDays], [2048, 8192, 90]);
    assert.equal(p.secrets.find((r) => r.env === "DATABASE_URL")?.ref, "voxpersona/prod/database-url");
  });

  it("reads the runtime's form (objects as JSON strings) exactly like the YAML form", () => {
    for (const stack of ["dev", "staging", "prod"]) {
      const yaml = stackFileConfig(stack);
      assert.deepEqual(parseStackConfig(asRuntimeConfig(yaml), stack), parseStackConfig(yaml, stack));
    }
  });

  it("keeps a pinned digest and qualifies nothing by itself", () => {
    const digest = `sha256:${"ab".repeat(32)}`;
    const c = parseStackConfig({ ...staging, "voxpersona:imageDigest": digest }, "staging");
    assert.deepEqual(c.promote, { upstreamStack: "dev", pinnedDigest: digest });
  });

  it("applies the documented defaults when optional keys are absent", () => {
    const c = parseStackConfig(
      {
        "aws:region": "eu-west-1",
        "voxpersona:role": "build",
        "voxpersona:build": {},
        "voxpersona:service": { cpu: 2048, memory: 8192 },
      },
      "dev",
    );
    assert.deepEqual(c.build, {
      context: "app",
      dockerfile: "docker/Dockerfile",
      platform: "linux/amd64",
      args: {},
      cacheScope: "main",
    });
    assert.deepEqual(
      [
        c.service.ephemeralStorageGiB,
        c.service.desiredCount,
        c.service.logRetentionDays,
        c.service.assignPublicIp,
      ],
      // No voxpersona:network: the default VPC, whose only way out needs a public IP.
      [30, 1, 30, true],
    );
    assert.equal(c.network, undefined);
    assert.deepEqual(c.registry, REGISTRY_DEFAULTS_EXPECTED);
    assert.deepEqual(c.secrets, []);
  });

  it("defaults assignPublicIp by placement: true in the default VPC, false in a configured network", () => {
    const network = { vpcId: "vpc-0abc", subnetIds: ["subnet-01"] };
    const unset = (raw: Record<string, unknown>) => {
      const service = { ...(raw["voxpersona:service"] as Record<string, unknown>) };
      delete service.assignPublicIp;
      return { ...raw, "voxpersona:service": service };
    };
    assert.equal(parseStackConfig(unset(staging), "staging").service.assignPublicIp, true);
    const placed = parseStackConfig({ ...unset(staging), "voxpersona:network": network }, "staging");
    assert.equal(placed.service.assignPublicIp, false);
    assert.deepEqual(placed.network, network);
    // Explicit values in a configured network are kept; false in the default VPC is refused (chain.test.ts).
    const explicit = { ...staging, "voxpersona:network": network };
    assert.equal(parseStackConfig(explicit, "staging").service.assignPublicIp, true);
  });
});
