import { strict as assert } from "node:assert";
import { StackConfigError, parseStackConfig } from "../infra/config";
import { fixFor } from "../infra/config/problems";
import { leafKeys } from "../infra/config/schema";
import { asRuntimeConfig, stackFileConfig } from "./helpers/stackfiles";

const dev = stackFileConfig("dev");
const staging = stackFileConfig("staging");

function without(raw: Record<string, unknown>, ...keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(raw).filter(([k]) => !keys.includes(k)));
}
function withService(raw: Record<string, unknown>, patch: object): Record<string, unknown> {
  return { ...raw, "voxpersona:service": { ...(raw["voxpersona:service"] as object), ...patch } };
}
function withBuild(patch: object): Record<string, unknown> {
  return { ...dev, "voxpersona:build": { ...(dev["voxpersona:build"] as object), ...patch } };
}
/** The exact message parseStackConfig throws. */
function errorOf(raw: Record<string, unknown>, stack: string, secretKeys: string[] = []): string {
  try {
    parseStackConfig(raw, stack, secretKeys);
  } catch (err) {
    assert.ok(err instanceof StackConfigError, "expected a StackConfigError");
    return err.message;
  }
  throw new Error("expected parseStackConfig to throw");
}

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
    assert.deepEqual(c.registry, {
      name: "voxpersona",
      encryption: "AES256",
      scanOnPush: true,
      keepBuildImages: 30,
    });
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
      [30, 1, 30, false],
    );
    assert.deepEqual(c.registry, {
      name: "voxpersona",
      encryption: "AES256",
      scanOnPush: true,
      keepBuildImages: 30,
    });
    assert.deepEqual(c.secrets, []);
  });
});

describe("parseStackConfig: every invalid input is named, shown and fixable", () => {
  it("missing key", () => {
    assert.equal(
      errorOf(without(dev, "aws:region"), "dev"),
      'Invalid stack config for "dev" (1 problem):\n' +
        "  - aws:region: is required (a string). Fix: pulumi config set --stack dev 'aws:region' eu-central-1",
    );
    assert.equal(
      errorOf(without(staging, "voxpersona:service"), "staging"),
      'Invalid stack config for "staging" (1 problem):\n' +
        "  - voxpersona:service: is required (an object). Fix: pulumi config set --stack staging --path " +
        "'voxpersona:service.cpu' 2048 (and its other fields, see Pulumi.yaml)",
    );
  });

  it("wrong type", () => {
    assert.equal(
      errorOf(withService(staging, { cpu: "2048" }), "staging"),
      'Invalid stack config for "staging" (1 problem):\n' +
        '  - voxpersona:service.cpu (got "2048"): must be a number, not a string. Fix: pulumi config set ' +
        "--stack staging --path 'voxpersona:service.cpu' 2048",
    );
    assert.equal(
      errorOf({ ...staging, "voxpersona:service": "{cpu:" }, "staging"),
      'Invalid stack config for "staging" (1 problem):\n' +
        '  - voxpersona:service (got "{cpu:"): must be an object, not a plain string. Fix: pulumi config rm ' +
        "--stack staging 'voxpersona:service', then pulumi config set --stack staging --path " +
        "'voxpersona:service.cpu' 2048 (and its other fields, see Pulumi.yaml)",
    );
  });

  it("out-of-range number", () => {
    assert.equal(
      errorOf(withService(staging, { ephemeralStorageGiB: 500 }), "staging"),
      'Invalid stack config for "staging" (1 problem):\n' +
        "  - voxpersona:service.ephemeralStorageGiB (got 500): must be at most 200. Fix: pulumi config set " +
        "--stack staging --path 'voxpersona:service.ephemeralStorageGiB' 30",
    );
  });

  it("invalid Fargate pair", () => {
    assert.equal(
      errorOf(withService(staging, { cpu: 1024, memory: 16384 }), "staging"),
      'Invalid stack config for "staging" (1 problem):\n' +
        "  - voxpersona:service.memory (got 16384): is not a Fargate size for cpu 1024; allowed: 2048, 3072, " +
        "4096, 5120, 6144, 7168, 8192. Fix: pulumi config set --stack staging --path " +
        "'voxpersona:service.memory' 4096",
    );
    assert.equal(
      errorOf(withService(staging, { cpu: 3000 }), "staging"),
      'Invalid stack config for "staging" (1 problem):\n' +
        "  - voxpersona:service.cpu (got 3000): must be a Fargate CPU size (256, 512, 1024, 2048, 4096, 8192, " +
        "16384). Fix: pulumi config set --stack staging --path 'voxpersona:service.cpu' 2048",
    );
  });

  it("unknown stack role", () => {
    assert.equal(
      errorOf({ ...staging, "voxpersona:role": "deploy" }, "staging"),
      'Invalid stack config for "staging" (1 problem):\n' +
        '  - voxpersona:role (got "deploy"): must be one of "build", "promote". Fix: pulumi config set ' +
        "--stack staging 'voxpersona:role' promote",
    );
  });

  it("promote stack without upstream", () => {
    assert.equal(
      errorOf(without(staging, "voxpersona:upstreamStack"), "staging"),
      'Invalid stack config for "staging" (1 problem):\n' +
        "  - voxpersona:upstreamStack: is required for a promote stack: it names the stack whose image digest " +
        "this stack runs. Fix: pulumi config set --stack staging 'voxpersona:upstreamStack' dev",
    );
  });

  it("retention not allowed by CloudWatch", () => {
    assert.equal(
      errorOf(withService(staging, { logRetentionDays: 10 }), "staging"),
      'Invalid stack config for "staging" (1 problem):\n' +
        "  - voxpersona:service.logRetentionDays (got 10): must be one of CloudWatch's retention values (1, 3, " +
        "5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653). " +
        "Fix: pulumi config set --stack staging --path 'voxpersona:service.logRetentionDays' 30",
    );
  });

  it("reports several problems together", () => {
    assert.equal(
      errorOf(
        {
          ...withService(staging, { desiredCount: 2, memory: 2048 }),
          "voxpersona:imageDigest": "sha256:abc",
        },
        "staging",
      ),
      'Invalid stack config for "staging" (3 problems):\n' +
        '  - voxpersona:imageDigest (got "sha256:abc"): must be an image digest: sha256: followed by 64 ' +
        "lowercase hex digits. Fix: pulumi config set --stack staging 'voxpersona:imageDigest' " +
        '"$(pulumi stack output --stack dev imageDigest)"\n' +
        "  - voxpersona:service.memory (got 2048): must be at least 4096 MiB: BAAI/bge-m3 alone needs ~2.3 GB " +
        "of RAM. Fix: pulumi config set --stack staging --path 'voxpersona:service.memory' 8192\n" +
        "  - voxpersona:service.desiredCount (got 2): must be 0 (paused) or 1: the bot must never run twice at " +
        "once. Fix: pulumi config set --stack staging --path 'voxpersona:service.desiredCount' 1",
    );
  });

  it("role-specific keys on the wrong role", () => {
    assert.equal(
      errorOf({ ...staging, "voxpersona:build": { context: "app" } }, "staging"),
      'Invalid stack config for "staging" (1 problem):\n' +
        "  - voxpersona:build: must not be set on a promote stack: promote stacks never build, they run an " +
        "upstream digest. Fix: pulumi config rm --stack staging 'voxpersona:build'",
    );
    assert.equal(
      errorOf({ ...dev, "voxpersona:upstreamStack": "staging" }, "dev"),
      'Invalid stack config for "dev" (1 problem):\n' +
        '  - voxpersona:upstreamStack (got "staging"): is only valid on a promote stack; this stack\'s role is ' +
        "\"build\". Fix: pulumi config rm --stack dev 'voxpersona:upstreamStack'",
    );
    assert.equal(
      errorOf(without(dev, "voxpersona:build"), "dev"),
      'Invalid stack config for "dev" (1 problem):\n' +
        "  - voxpersona:build: is required for a build stack (context, dockerfile, platform, args). Fix: " +
        "pulumi config set --stack dev --path 'voxpersona:build.context' app",
    );
  });

  it("unknown keys, stack names, build args, tags, secrets and architecture", () => {
    assert.match(
      errorOf({ ...dev, "voxpersona:sevice": {} }, "dev"),
      /^ {2}- voxpersona:sevice: is not a key of this program \(known: aws:region, voxpersona:role, .*\)\. Fix: pulumi config rm --stack dev 'voxpersona:sevice'$/m,
    );
    assert.equal(
      errorOf(dev, "qa"),
      'Invalid stack config for "qa" (1 problem):\n' +
        '  - stack name (got "qa"): must be one of dev, staging, prod: the stack name is the image\'s ' +
        "environment tag, which the registry keeps mutable and protects from expiry. Fix: pulumi stack select " +
        "dev (or pulumi stack init dev)",
    );
    assert.equal(
      errorOf(withBuild({ args: { TORCH: "x" } }), "dev"),
      'Invalid stack config for "dev" (1 problem):\n' +
        "  - voxpersona:build.args.TORCH: is not a build arg of docker/Dockerfile (known: BASE_IMAGE, " +
        "TORCH_INDEX_URL, TORCH_PACKAGES, HF_HUB_PACKAGE, EMBEDDING_MODELS). Fix: pulumi config rm --stack dev " +
        "--path 'voxpersona:build.args.TORCH'",
    );
    assert.equal(
      errorOf({ ...dev, "voxpersona:buildTag": "prod" }, "dev"),
      'Invalid stack config for "dev" (1 problem):\n' +
        '  - voxpersona:buildTag (got "prod"): must not be an environment tag (dev, staging, prod): those move ' +
        "on promotion. Fix: pulumi config set --stack dev 'voxpersona:buildTag' git-3f9c2ab-81d04e7",
    );
    assert.equal(
      errorOf({ ...dev, "voxpersona:secrets": { "bot-token": "voxpersona/dev/x" } }, "dev"),
      'Invalid stack config for "dev" (1 problem):\n' +
        '  - voxpersona:secrets.bot-token: must be an environment variable name (upper-case letters, digits and "_", ' +
        "not starting with a digit). Fix: pulumi config rm --stack dev --path 'voxpersona:secrets.bot-token'",
    );
    assert.equal(
      errorOf(withBuild({ platform: "linux/arm64" }), "dev"),
      'Invalid stack config for "dev" (1 problem):\n' +
        '  - voxpersona:service.cpuArchitecture (got "X86_64"): must match voxpersona:build.platform ' +
        '"linux/arm64" (ARM64): the task runs the image that build produces. Fix: pulumi config set --stack ' +
        "dev --path 'voxpersona:service.cpuArchitecture' ARM64",
    );
  });

  it("KMS without a key, half a network, and a value in both environment and secrets", () => {
    assert.equal(
      errorOf(
        {
          ...withService(dev, { environment: { DATABASE_URL: "postgres://x" } }),
          "voxpersona:registry": { encryption: "KMS" },
          "voxpersona:network": { vpcId: "vpc-0abc" },
        },
        "dev",
      ),
      'Invalid stack config for "dev" (3 problems):\n' +
        '  - voxpersona:registry.kmsKeyArn: is required when voxpersona:registry.encryption is "KMS". Fix: ' +
        "pulumi config set --stack dev --path 'voxpersona:registry.kmsKeyArn' " +
        "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab\n" +
        "  - voxpersona:network.subnetIds: must be set together with the other network field (or leave both " +
        "unset for the default VPC). Fix: pulumi config set --stack dev --path 'voxpersona:network.subnetIds[0]' " +
        "subnet-0123456789abcdef0 (and [1], … for more)\n" +
        "  - voxpersona:service.environment.DATABASE_URL: is also a runtime secret; a value must come from one " +
        "place only. Fix: pulumi config rm --stack dev --path 'voxpersona:service.environment.DATABASE_URL'",
    );
  });

  it("secret references ECS could not read, another stack's secrets, and credentials pasted into config", () => {
    const arn = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:db";
    const token = `123456789:${"A".repeat(35)}`;
    const dbUrl = "postgresql://bot:hunter2@db.example:5432/vox";
    const message = errorOf(
      {
        ...dev,
        "voxpersona:secrets": {
          DATABASE_URL: "arn:aws:s3:::b",
          BOT: "/vp/bot",
          OLD: arn,
          PROD_DB: "voxpersona/prod/database-url",
          TELEGRAM_BOT_TOKEN: token,
          DB: dbUrl,
        },
        "voxpersona:service": {
          ...(dev["voxpersona:service"] as object),
          environment: { SENTRY_DSN: dbUrl },
        },
      },
      "dev",
    );
    assert.equal(
      message,
      'Invalid stack config for "dev" (7 problems):\n' +
        '  - voxpersona:secrets.DATABASE_URL (got "arn:aws:s3:::b"): is not a Secrets Manager secret ARN ' +
        "(arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<6 chars>) nor an SSM parameter ARN " +
        "(arn:<partition>:ssm:<region>:<account>:parameter/<name>); JSON keys and version suffixes are not " +
        "supported. Fix: pulumi config set --stack dev --path 'voxpersona:secrets.DATABASE_URL' " +
        "voxpersona/dev/database-url\n" +
        '  - voxpersona:secrets.BOT (got "/vp/bot"): must sit under "/voxpersona/dev/": a stack reads only its ' +
        "own secrets (dev can never read prod's); name it /voxpersona/dev/bot. Fix: pulumi config set " +
        "--stack dev --path 'voxpersona:secrets.BOT' voxpersona/dev/bot\n" +
        `  - voxpersona:secrets.OLD (got "${arn}"): is a partial Secrets Manager ARN (no 6-character suffix); ` +
        'use the full ARN as shown by "aws secretsmanager describe-secret" or just the secret name. Fix: ' +
        "pulumi config set --stack dev --path 'voxpersona:secrets.OLD' voxpersona/dev/old\n" +
        '  - voxpersona:secrets.PROD_DB (got "voxpersona/prod/database-url"): must sit under "voxpersona/dev/": ' +
        "a stack reads only its own secrets (dev can never read prod's); name it voxpersona/dev/prod-db. Fix: " +
        "pulumi config set --stack dev --path 'voxpersona:secrets.PROD_DB' voxpersona/dev/prod-db\n" +
        "  - voxpersona:secrets.TELEGRAM_BOT_TOKEN (a value of 45 characters): looks like a Telegram bot token " +
        "(<bot id>:<secret>), not the name of a secret: a secret's value never belongs in stack config. Fix: " +
        "aws secretsmanager create-secret --name voxpersona/dev/telegram-bot-token --secret-string " +
        "file://telegram-bot-token.txt, " +
        "then: pulumi config set --stack dev --path 'voxpersona:secrets.TELEGRAM_BOT_TOKEN' " +
        "voxpersona/dev/telegram-bot-token\n" +
        "  - voxpersona:secrets.DB (a value of 44 characters): looks like a URL with a user name or password in " +
        "it, not the name of a secret: a secret's value never belongs in stack config. Fix: aws secretsmanager " +
        "create-secret --name voxpersona/dev/db --secret-string file://db.txt, then: pulumi config set --stack " +
        "dev --path 'voxpersona:secrets.DB' voxpersona/dev/db\n" +
        "  - voxpersona:service.environment.SENTRY_DSN (a value of 44 characters): looks like a URL with a user " +
        "name or password in it: a credential must not be a plain environment value. Fix: pulumi config rm " +
        "--stack dev --path 'voxpersona:service.environment.SENTRY_DSN', store it in Secrets Manager (aws " +
        "secretsmanager create-secret --name voxpersona/dev/sentry-dsn --secret-string file://sentry-dsn.txt) " +
        "and reference it: pulumi config set --stack dev --path 'voxpersona:secrets.SENTRY_DSN' " +
        "voxpersona/dev/sentry-dsn",
    );
    for (const secret of [token, dbUrl, "hunter2"]) assert.ok(!message.includes(secret), secret);
  });

  it("never shows the value of a key stored as a secret, and refuses secrets that cannot stay secret", () => {
    const message = errorOf(withService(dev, { memory: 16384, environment: { MODE: "x" } }), "dev", [
      "voxpersona:service",
      "voxpersona:cacheScope",
    ]);
    assert.equal(
      message,
      'Invalid stack config for "dev" (2 problems):\n' +
        "  - voxpersona:service.memory (a value of 5 characters): is not a Fargate size for cpu 1024; allowed: " +
        "2048, 3072, 4096, 5120, 6144, 7168, 8192. Fix: pulumi config set --stack dev --path " +
        "'voxpersona:service.memory' 4096\n" +
        "  - voxpersona:cacheScope: is stored as a secret, but its value becomes resource names, image tags or " +
        "stack outputs, which cannot be kept secret; only voxpersona:service, voxpersona:secrets, " +
        "voxpersona:build, voxpersona:network may be secrets. Fix: pulumi config set --stack dev " +
        "'voxpersona:cacheScope' \"$(pulumi config get --stack dev 'voxpersona:cacheScope')\" (plain)",
    );
    assert.ok(!message.includes("16384"));
    assert.deepEqual(parseStackConfig(dev, "dev", ["voxpersona:service", "voxpersona:secrets"]).secretKeys, [
      "voxpersona:service",
      "voxpersona:secrets",
    ]);
  });

  it("a secret-looking name among the plain environment values", () => {
    assert.equal(
      errorOf(withService(dev, { environment: { BOT_TOKEN: "x" } }), "dev"),
      'Invalid stack config for "dev" (1 problem):\n' +
        '  - voxpersona:service.environment.BOT_TOKEN: looks like a secret (its name contains "TOKEN"); a plain ' +
        "environment value is readable by anyone who can describe the task definition. Fix: pulumi config rm " +
        "--stack dev --path 'voxpersona:service.environment.BOT_TOKEN', store it in Secrets Manager (aws " +
        "secretsmanager create-secret --name voxpersona/dev/bot-token --secret-string file://bot-token.txt) and " +
        "reference it: pulumi config set --stack dev --path 'voxpersona:secrets.BOT_TOKEN' voxpersona/dev/bot-token",
    );
  });

  it("reports schema and cross-field problems of different keys together", () => {
    const raw = {
      ...without(staging, "voxpersona:upstreamStack"),
      "aws:region": "Frankfurt",
      "voxpersona:service": { ...(staging["voxpersona:service"] as object), logRetentionDays: 10 },
      "voxpersona:build": { context: 5 },
    };
    assert.equal(
      errorOf(raw, "staging"),
      'Invalid stack config for "staging" (5 problems):\n' +
        '  - aws:region (got "Frankfurt"): must be an AWS region such as eu-central-1. Fix: pulumi config set ' +
        "--stack staging 'aws:region' eu-central-1\n" +
        "  - voxpersona:build.context (got 5): must be a string, not a whole number. Fix: pulumi config set --stack " +
        "staging --path 'voxpersona:build.context' app\n" +
        "  - voxpersona:service.logRetentionDays (got 10): must be one of CloudWatch's retention values (1, 3, 5, " +
        "7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653). Fix: " +
        "pulumi config set --stack staging --path 'voxpersona:service.logRetentionDays' 30\n" +
        "  - voxpersona:upstreamStack: is required for a promote stack: it names the stack whose image digest " +
        "this stack runs. Fix: pulumi config set --stack staging 'voxpersona:upstreamStack' dev\n" +
        "  - voxpersona:build: must not be set on a promote stack: promote stacks never build, they run an " +
        "upstream digest. Fix: pulumi config rm --stack staging 'voxpersona:build'",
    );
  });
});

describe("parseStackConfig: what was expected, in words a config author knows", () => {
  it("a list or an empty value where an object belongs", () => {
    assert.equal(
      errorOf({ ...staging, "voxpersona:service": [] }, "staging"),
      'Invalid stack config for "staging" (1 problem):\n' +
        "  - voxpersona:service (got []): must be an object, not a list. Fix: pulumi config rm --stack staging " +
        "'voxpersona:service', then pulumi config set --stack staging --path 'voxpersona:service.cpu' 2048 " +
        "(and its other fields, see Pulumi.yaml)",
    );
    // `voxpersona:network:` with nothing after it is YAML's null.
    assert.equal(
      errorOf({ ...staging, "voxpersona:network": null }, "staging"),
      'Invalid stack config for "staging" (1 problem):\n' +
        "  - voxpersona:network (got null): must be an object, not empty (null). Fix: pulumi config rm --stack " +
        "staging 'voxpersona:network', then pulumi config set --stack staging --path 'voxpersona:network.vpcId' " +
        "vpc-0123456789abcdef0 (and subnetIds[0], [1], …)",
    );
    assert.equal(
      errorOf({ ...dev, "voxpersona:secrets": ["voxpersona/dev/database-url"] }, "dev"),
      'Invalid stack config for "dev" (1 problem):\n' +
        '  - voxpersona:secrets (got ["voxpersona/dev/database-url"]): must be an object, not a list. Fix: ' +
        "pulumi config rm --stack dev 'voxpersona:secrets', then pulumi config set --stack dev --path " +
        "'voxpersona:secrets.DATABASE_URL' voxpersona/dev/database-url (one per variable)",
    );
    assert.equal(
      errorOf({ ...dev, "voxpersona:network": { vpcId: "vpc-0a1", subnetIds: "subnet-0b2" } }, "dev"),
      'Invalid stack config for "dev" (1 problem):\n' +
        '  - voxpersona:network.subnetIds (got "subnet-0b2"): must be a list, not a string. Fix: pulumi config ' +
        "rm --stack dev --path 'voxpersona:network.subnetIds', then pulumi config set --stack dev --path " +
        "'voxpersona:network.subnetIds[0]' subnet-0123456789abcdef0 (and [1], … for more)",
    );
  });

  it("a number too large to hold (1e309 reads as Infinity), in the YAML and the runtime form", () => {
    const expected =
      'Invalid stack config for "staging" (1 problem):\n' +
      "  - voxpersona:service.memory (got Infinity): must be a finite number: a number of 1e309 or more " +
      "overflows to Infinity. Fix: pulumi config set --stack staging --path 'voxpersona:service.memory' 8192";
    assert.equal(errorOf(withService(staging, { memory: Infinity }), "staging"), expected);
    const runtime = asRuntimeConfig(staging);
    const service = runtime["voxpersona:service"].replace('"memory":8192', '"memory":1e309');
    assert.notEqual(service, runtime["voxpersona:service"]);
    assert.equal(errorOf({ ...runtime, "voxpersona:service": service }, "staging"), expected);
  });

  it("a fraction, true or false, and empty values", () => {
    assert.equal(
      errorOf(withService(staging, { cpu: 1024.5 }), "staging"),
      'Invalid stack config for "staging" (1 problem):\n' +
        "  - voxpersona:service.cpu (got 1024.5): must be a whole number. Fix: pulumi config set --stack staging " +
        "--path 'voxpersona:service.cpu' 2048",
    );
    assert.equal(
      errorOf({ ...dev, "voxpersona:registry": { scanOnPush: "yes" } }, "dev"),
      'Invalid stack config for "dev" (1 problem):\n' +
        '  - voxpersona:registry.scanOnPush (got "yes"): must be true or false, not a string. Fix: pulumi config ' +
        "set --stack dev --path 'voxpersona:registry.scanOnPush' true",
    );
    assert.equal(
      errorOf(
        {
          ...withBuild({ context: "" }),
          "voxpersona:network": { vpcId: "vpc-0a1", subnetIds: [] },
        },
        "dev",
      ),
      'Invalid stack config for "dev" (2 problems):\n' +
        '  - voxpersona:build.context (got ""): must not be empty. Fix: pulumi config set --stack dev --path ' +
        "'voxpersona:build.context' app\n" +
        "  - voxpersona:network.subnetIds (got []): must list at least 1 item. Fix: pulumi config set --stack dev " +
        "--path 'voxpersona:network.subnetIds[0]' subnet-0123456789abcdef0 (and [1], … for more)",
    );
  });

  it("an unknown field, with the fields there are", () => {
    assert.equal(
      errorOf(withService(staging, { cpus: 2048 }), "staging"),
      'Invalid stack config for "staging" (1 problem):\n' +
        '  - voxpersona:service: has unknown field(s) "cpus" (known: cpu, memory, ephemeralStorageGiB, ' +
        "desiredCount, logRetentionDays, assignPublicIp, cpuArchitecture, environment). Fix: pulumi config rm " +
        "--stack staging --path 'voxpersona:service.cpus' (see Pulumi.yaml for the fields)",
    );
  });

  it("a number or true/false where text belongs is set as text, unless the key is secret", () => {
    assert.equal(
      errorOf(withService(dev, { environment: { PORT: 8080, VERBOSE: true } }), "dev"),
      'Invalid stack config for "dev" (2 problems):\n' +
        "  - voxpersona:service.environment.PORT (got 8080): must be a string, not a whole number. Fix: pulumi " +
        "config set --stack dev --path --type string 'voxpersona:service.environment.PORT' 8080\n" +
        "  - voxpersona:service.environment.VERBOSE (got true): must be a string, not true or false. Fix: pulumi " +
        "config set --stack dev --path --type string 'voxpersona:service.environment.VERBOSE' true",
    );
    const hidden = errorOf(withService(dev, { environment: { PORT: 8080 } }), "dev", ["voxpersona:service"]);
    assert.equal(
      hidden,
      'Invalid stack config for "dev" (1 problem):\n' +
        "  - voxpersona:service.environment.PORT (a value of 4 characters): must be a string, not a whole " +
        "number. Fix: pulumi config set --stack dev --path 'voxpersona:service.environment.PORT' INFO",
    );
    assert.ok(!hidden.includes("8080"));
  });

  it("names a KMS key, VPC and subnet by example, never by placeholder", () => {
    const message = errorOf(
      {
        ...dev,
        "voxpersona:registry": { encryption: "KMS", kmsKeyArn: "alias" },
        "voxpersona:network": { vpcId: "vpc-XYZ", subnetIds: ["sub"] },
      },
      "dev",
    );
    assert.equal(
      message,
      'Invalid stack config for "dev" (3 problems):\n' +
        '  - voxpersona:registry.kmsKeyArn (got "alias"): must be the ARN of a KMS key or alias. Fix: pulumi ' +
        "config set --stack dev --path 'voxpersona:registry.kmsKeyArn' " +
        "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab\n" +
        '  - voxpersona:network.vpcId (got "vpc-XYZ"): must be a VPC id: vpc- followed by lowercase hex digits. ' +
        "Fix: pulumi config set --stack dev --path 'voxpersona:network.vpcId' vpc-0123456789abcdef0\n" +
        '  - voxpersona:network.subnetIds[0] (got "sub"): must be a subnet id: subnet- followed by lowercase hex ' +
        "digits. Fix: pulumi config set --stack dev --path 'voxpersona:network.subnetIds[0]' " +
        "subnet-0123456789abcdef0",
    );
    assert.doesNotMatch(message, /<[a-z ]+>/);
  });
});

describe("fix hints: every key has a real example, and the examples are accepted", () => {
  /** The `pulumi config set` in a fix hint, as [key, value] with Pulumi's typing of `--path` values. */
  function setOf(fix: string): [string, unknown] {
    const m = /^pulumi config set --stack \S+( --path)?( --type string)? '([^']+)' (\S+)/.exec(fix);
    assert.ok(m, fix);
    const [, path, asText, key, word] = m;
    // What `"$(pulumi stack output --stack dev imageDigest)"` prints.
    const text = word.startsWith('"$(') ? `sha256:${"e".repeat(64)}` : word.replace(/^'(.*)'$/, "$1");
    if (!path || asText) return [key, text];
    return [
      key,
      /^(?:true|false)$/.test(text) ? text === "true" : /^-?\d+$/.test(text) ? Number(text) : text,
    ];
  }

  /** `raw` with `key` (`voxpersona:network.subnetIds[0]`) set to `value`, the way `--path` sets it. */
  function setPath(raw: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
    const [top, ...parts] = key.split(/\.|(?=\[)/);
    const out = structuredClone(raw);
    if (parts.length === 0) return { ...out, [top]: value };
    let node = (out[top] ??= {}) as Record<string, unknown>;
    parts.forEach((part, i) => {
      const name = part.replace(/^\[(\d+)\]$/, "$1");
      if (i === parts.length - 1) node[name] = value;
      else node = (node[name] ??= parts[i + 1].startsWith("[") ? [] : {}) as Record<string, unknown>;
    });
    return out;
  }

  it("gives every key a placeholder-free `pulumi config set` with a real value", () => {
    const keys = leafKeys();
    assert.ok(keys.length >= 30, String(keys.length));
    for (const key of keys) {
      const fix = fixFor("staging", key);
      assert.match(fix, /^pulumi config set /, key);
      assert.doesNotMatch(fix, /<[^>]*>/, key);
    }
  });

  for (const [stack, skip] of [
    ["dev", ["voxpersona:upstreamStack", "voxpersona:imageDigest"]],
    ["staging", ["voxpersona:build"]],
  ] as const) {
    it(`${stack}: the stack file with every fix applied still parses`, () => {
      let raw = stackFileConfig(stack);
      for (const key of leafKeys().filter((k) => !skip.some((s) => k.startsWith(s)))) {
        const [setKey, value] = setOf(fixFor(stack, key));
        raw = setPath(raw, setKey, value);
      }
      const c = parseStackConfig(raw, stack);
      assert.deepEqual([c.service.cpu, c.service.memory], [2048, 8192]);
      assert.deepEqual(c.network, {
        vpcId: "vpc-0123456789abcdef0",
        subnetIds: ["subnet-0123456789abcdef0"],
      });
      assert.equal(
        c.registry.kmsKeyArn,
        "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      );
      assert.deepEqual(
        c.secrets.find((s) => s.env === "DATABASE_URL")?.ref,
        `voxpersona/${stack}/database-url`,
      );
      if (stack === "staging") assert.equal(c.promote?.pinnedDigest, `sha256:${"e".repeat(64)}`);
      else assert.equal(c.build?.buildTag, "git-3f9c2ab-81d04e7");
    });
  }
});
