/**
 * parseStackConfig on invalid config: every problem is named by its key, shown with the value found and
 * given a fix, several at once, without ever showing a secret.
 */
import { strict as assert } from "node:assert";
import { parseStackConfig } from "../../infra/config";
import { dev, staging, without, withService, withBuild, errorOf } from "./fixtures";

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
