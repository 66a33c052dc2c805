/**
 * What the first real `pulumi preview`/`up` of each stack sends, checked against the real components'
 * rules rather than against the mocks' leniency:
 * - every docker-build Image's inputs, serialized exactly as the SDK puts them on the wire (unknowns as the
 *   unknown sentinel), go through the provider's own decoding and validation (test/helpers/docker-build-check.ts,
 *   each rule citing pulumi-docker-build v0.0.22), on the first deployment (every provider-computed output
 *   unknown), in a steady-state preview and in an update;
 * - every ECS `secrets[].valueFrom` is a full ARN (ECS API reference, `Secret`: a bare Secrets Manager name
 *   is read as an SSM parameter and the task never starts), and the execution role is granted exactly those;
 * - config keys stored as secrets reach every resource input derived from them as secrets.
 */
import { strict as assert } from "node:assert";
import { checkImageInputs, SECRET_SIG, SPECIAL_SIG_KEY, UNKNOWN } from "./helpers/docker-build-check";
import { ACCOUNT, REGION, RunOptions, StackRun, named, ofType, secretArn } from "./helpers/pulumi-mocks";
import { UPSTREAM, sharedRun } from "./helpers/shared-runs";
import { ROOT, stackConfig } from "./helpers/stackfiles";

const IMAGE = "docker-build:index:Image";
const FULL_ARN =
  /^arn:aws:(?:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}|ssm:[a-z0-9-]+:\d{12}:parameter\/.+)$/;

/** The run of a committed stack file with `extra` keys: the checks below read runs, they never change them. */
const run = (stack: string, options: RunOptions, extra?: Record<string, unknown>): Promise<StackRun> =>
  sharedRun(stack, stackConfig(stack, extra), UPSTREAM, options);

const isSecret = (v: unknown): boolean =>
  typeof v === "object" && v !== null && (v as Record<string, unknown>)[SPECIAL_SIG_KEY] === SECRET_SIG;

function containerDefinitions(r: StackRun): { secrets: { name: string; valueFrom: string }[] }[] {
  return JSON.parse(ofType(r, "aws:ecs/taskDefinition:TaskDefinition")[0].inputs.containerDefinitions);
}

const MODES: [string, RunOptions][] = [
  ["first deployment preview (every computed output unknown)", { preview: true, firstDeploy: true }],
  ["steady-state preview (everything known)", { preview: true }],
  ["update", {}],
];

describe("first deploy: docker-build's Check on what the SDK sends", function () {
  this.timeout(60000);

  for (const [mode, options] of MODES) {
    it(`dev, ${mode}: all four Images pass the provider's validation`, async () => {
      const r = await run("dev", options);
      assert.equal(r.error, undefined, r.error?.stack);
      const images = ofType(r, IMAGE);
      assert.equal(images.length, 4);
      for (const image of images) {
        assert.deepEqual(
          checkImageInputs(image.wire, { preview: options.preview === true, cwd: ROOT }),
          [],
          image.name,
        );
      }
    });
  }

  it("the pushing Image sends tags as a list of known length, each element unknown, on the first deployment", async () => {
    const r = await run("dev", { preview: true, firstDeploy: true });
    const final = named(r, "voxpersona-dev-final").wire;
    assert.deepEqual(final.tags, [UNKNOWN]);
    assert.deepEqual(
      final.cacheTo.map((c: { registry: { ref: unknown } }) => c.registry.ref),
      [UNKNOWN],
    );
    assert.deepEqual(
      final.cacheFrom.map((c: { registry: { ref: unknown } }) => c.registry.ref),
      [UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN],
    );
    // With a build tag there are two release tags, both still of known count.
    const tagged = await run(
      "dev",
      { preview: true, firstDeploy: true },
      { "voxpersona:buildTag": "git-abc" },
    );
    assert.deepEqual(named(tagged, "voxpersona-dev-final").wire.tags, [UNKNOWN, UNKNOWN]);
  });

  it("the check can fail: a whole-unknown tags list is refused even in preview", async () => {
    const r = await run("dev", { preview: true, firstDeploy: true });
    const final = named(r, "voxpersona-dev-final").wire;
    assert.deepEqual(checkImageInputs({ ...final, tags: UNKNOWN }, { preview: true, cwd: ROOT }), [
      "at least one tag or export name is needed when pushing to a registry",
    ]);
  });

  for (const stack of ["staging", "prod"]) {
    for (const [mode, options] of MODES) {
      it(`${stack}, ${mode}: builds nothing and runs`, async () => {
        const r = await run(stack, options);
        assert.equal(r.error, undefined, r.error?.stack);
        assert.equal(ofType(r, IMAGE).length, 0);
        assert.equal(ofType(r, "aws:ecs/service:Service").length, 1);
      });
    }
  }
});

describe("runtime secrets: full ARNs, resolved before anything is declared", function () {
  this.timeout(60000);

  for (const stack of ["dev", "staging", "prod"]) {
    it(`${stack}: every valueFrom is the full ARN of its stack's secret, and IAM grants exactly those`, async () => {
      const r = await run(stack, { preview: true, firstDeploy: true });
      assert.equal(r.error, undefined, r.error?.stack);
      const expected = ["ANTHROPIC_API_KEY", "DATABASE_URL", "OPENAI_API_KEY", "TELEGRAM_BOT_TOKEN"].map(
        (name) => ({
          name,
          valueFrom: secretArn(`voxpersona/${stack}/${name.toLowerCase().replace(/_/g, "-")}`),
        }),
      );
      // In the first preview the log group is unknown, so the definitions are only checked in an update.
      const known = await run(stack, {});
      assert.deepEqual(containerDefinitions(known)[0].secrets, expected);
      for (const { valueFrom } of containerDefinitions(known)[0].secrets) assert.match(valueFrom, FULL_ARN);
      const policy = JSON.parse(ofType(known, "aws:iam/rolePolicy:RolePolicy")[0].inputs.policy);
      const statement = policy.Statement.find((s: { Sid: string }) => s.Sid === "ReadSecretsManagerSecrets");
      assert.deepEqual(statement.Resource, expected.map((e) => e.valueFrom).sort());
    });
  }

  it("an SSM parameter name resolves to its parameter ARN with ssm:GetParameters", async () => {
    const r = await run(
      "dev",
      {},
      {
        "voxpersona:secrets": { TELEGRAM_BOT_TOKEN: "/voxpersona/dev/telegram-bot-token" },
      },
    );
    assert.equal(r.error, undefined, r.error?.stack);
    const arn = `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/voxpersona/dev/telegram-bot-token`;
    assert.deepEqual(containerDefinitions(r)[0].secrets, [{ name: "TELEGRAM_BOT_TOKEN", valueFrom: arn }]);
    const policy = JSON.parse(ofType(r, "aws:iam/rolePolicy:RolePolicy")[0].inputs.policy);
    assert.deepEqual(policy.Statement.at(-1), {
      Sid: "ReadSsmParameters",
      Effect: "Allow",
      Action: ["ssm:GetParameters"],
      Resource: [arn],
    });
  });

  it("missing secrets stop the program with each key, name and create command; nothing is registered", async () => {
    const r = await run("dev", {
      preview: true,
      missingSecrets: ["voxpersona/dev/database-url", "voxpersona/dev/openai-api-key"],
    });
    assert.equal(
      r.error?.message,
      "2 runtime secrets cannot be read:\n" +
        '  - voxpersona:secrets.DATABASE_URL: cannot read Secrets Manager secret "voxpersona/dev/database-url" in ' +
        "eu-central-1 (reading Secrets Manager Secret (voxpersona/dev/database-url): operation error Secrets " +
        "Manager: DescribeSecret, ResourceNotFoundException: Secrets Manager can't find the specified secret.). " +
        "Create it: aws secretsmanager create-secret --region eu-central-1 --name voxpersona/dev/database-url " +
        "--secret-string file://database-url.txt\n" +
        '  - voxpersona:secrets.OPENAI_API_KEY: cannot read Secrets Manager secret "voxpersona/dev/openai-api-key" ' +
        "in eu-central-1 (reading Secrets Manager Secret (voxpersona/dev/openai-api-key): operation error Secrets " +
        "Manager: DescribeSecret, ResourceNotFoundException: Secrets Manager can't find the specified secret.). " +
        "Create it: aws secretsmanager create-secret --region eu-central-1 --name voxpersona/dev/openai-api-key " +
        "--secret-string file://openai-api-key.txt",
    );
    assert.deepEqual(r.registrations, []);
  });

  it("a missing secret of a promote stack registers nothing but the read of its upstream", async () => {
    const r = await run("prod", { missingSecrets: ["voxpersona/prod/telegram-bot-token"] });
    assert.match(
      r.error?.message ?? "",
      /^1 runtime secret cannot be read:\n {2}- voxpersona:secrets.TELEGRAM_BOT_TOKEN: /,
    );
    assert.deepEqual(
      r.registrations.map((x) => [x.type, x.read]),
      [["pulumi:pulumi:StackReference", true]],
    );
  });

  it("a given ARN that does not exist is named with the command that checks it", async () => {
    const arn = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:shared/db-Zz11Yy`;
    const r = await run("dev", { missingSecrets: [arn] }, { "voxpersona:secrets": { DATABASE_URL: arn } });
    assert.match(
      r.error?.message ?? "",
      new RegExp(`Check it: aws secretsmanager describe-secret --secret-id ${arn.replace(/[/+]/g, "\\$&")}$`),
    );
    assert.deepEqual(r.registrations, []);
  });
});

describe("config stored as secrets stays secret in every input derived from it", function () {
  this.timeout(60000);
  const network = { vpcId: "vpc-0abc", subnetIds: ["subnet-0a1", "subnet-0b2"] };
  const ALL = ["voxpersona:service", "voxpersona:secrets", "voxpersona:build", "voxpersona:network"];

  it("marks the task definition, policy, network and build inputs secret, and only those", async () => {
    const secretRun = await run("dev", { secretKeys: ALL }, { "voxpersona:network": network });
    const plainRun = await run("dev", {}, { "voxpersona:network": network });
    assert.equal(secretRun.error, undefined, secretRun.error?.stack);
    const wire = (r: StackRun, name: string) => named(r, name).wire;
    const checks: [string, (w: Record<string, unknown>) => unknown][] = [
      ["voxpersona-dev-task", (w) => w.containerDefinitions],
      ["voxpersona-dev-task", (w) => w.cpu],
      ["voxpersona-dev-task", (w) => w.memory],
      ["voxpersona-dev-exec-policy", (w) => w.policy],
      ["voxpersona-dev-logs", (w) => w.retentionInDays],
      ["voxpersona-dev-sg", (w) => w.vpcId],
      ["voxpersona-dev-svc", (w) => (w.networkConfiguration as Record<string, unknown>).subnets],
      ["voxpersona-dev-svc", (w) => (w.networkConfiguration as Record<string, unknown>).assignPublicIp],
      ["voxpersona-dev-final", (w) => w.buildArgs],
      ["voxpersona-dev-final", (w) => (w.context as Record<string, unknown>).location],
    ];
    for (const [name, pick] of checks) {
      assert.ok(
        isSecret(pick(wire(secretRun, name))),
        `${name}: ${JSON.stringify(pick(wire(secretRun, name)))}`,
      );
      assert.ok(!isSecret(pick(wire(plainRun, name))), `${name} is plain without secret config`);
    }
    // Names, tags and the digest the other stacks read are not derived from secret config.
    assert.ok(!isSecret(wire(secretRun, "voxpersona-dev-final").tags));
    assert.equal(secretRun.outputs?.imageDigest, plainRun.outputs?.imageDigest);
    // The secret Image inputs still pass the provider's validation.
    for (const image of ofType(secretRun, IMAGE)) {
      assert.deepEqual(checkImageInputs(image.wire, { preview: false, cwd: ROOT }), [], image.name);
    }
  });

  it("a single secret environment value makes the container definitions secret", async () => {
    const r = await run("staging", { secretKeys: ["voxpersona:service"] });
    assert.ok(isSecret(named(r, "voxpersona-staging-task").wire.containerDefinitions));
    assert.ok(!isSecret(named(r, "voxpersona-staging-exec-policy").wire.policy));
  });

  it("a key that cannot stay secret stops the program before anything is registered", async () => {
    const r = await run("prod", { secretKeys: ["voxpersona:upstreamStack"] });
    assert.match(
      r.error?.message ?? "",
      /voxpersona:upstreamStack: is stored as a secret, but its value becomes/,
    );
    assert.deepEqual(r.registrations, []);
  });
});
