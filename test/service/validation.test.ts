/**
 * BotService refuses arguments AWS would reject or that would be unsafe, before it declares any child, as
 * an error of the component in the arguments' own names; and accepts the edge values it documents.
 */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { type BotServiceArgs, BotService, renderContainerDefinitions } from "../../infra/service";
import { installMocks, runComponent } from "../helpers/pulumi-mocks";
import {
  DIGEST,
  IMAGE,
  REGION,
  REPO_URL,
  SM_ARN,
  SSM_ARN,
  baseArgs,
  container,
  deploy,
  only,
} from "./fixtures";

describe("BotService validation", () => {
  beforeEach(() => installMocks());

  const expectError = (overrides: Partial<BotServiceArgs>, message: string, name = "dev") =>
    assert.throws(() => new BotService(name, baseArgs(overrides)), { message });

  const imageMessage = (ref: string) =>
    `BotService "dev": args.imageRef must be pinned by digest as <repositoryUrl>@sha256:<64 lowercase hex> ` +
    `without a tag (got "${ref}"); deploy the digest the image build produced, never a tag`;

  it("refuses a tag, a tag next to a digest, and malformed digests", () => {
    for (const ref of [
      `${REPO_URL}:latest`,
      `${REPO_URL}:v1@sha256:${DIGEST}`,
      `${REPO_URL}@sha256:${"a".repeat(63)}`,
      `${REPO_URL}@sha256:${"A".repeat(64)}`,
      `@sha256:${DIGEST}`,
    ]) {
      expectError({ imageRef: ref }, imageMessage(ref));
    }
  });

  it("accepts a registry with a port before the digest", async () => {
    const ref = `registry.local:5000/voxpersona@sha256:${DIGEST}`;
    const { children } = await deploy("port", { imageRef: ref });
    assert.equal(container(children).image, ref);
  });

  it("checks an Output image reference when rendering the container definition", () => {
    const inputs = { logGroupName: "g", region: REGION, grants: [], environment: {} };
    assert.throws(
      () => renderContainerDefinitions('BotService "dev"', { ...inputs, image: `${REPO_URL}:latest` }),
      { message: imageMessage(`${REPO_URL}:latest`) },
    );
    assert.equal(
      JSON.parse(renderContainerDefinitions('BotService "dev"', { ...inputs, image: IMAGE }))[0].image,
      IMAGE,
    );
  });

  it("refuses a desired count other than 0 or 1", () => {
    expectError(
      { desiredCount: 2 as 0 | 1 },
      'BotService "dev": args.desiredCount must be 0 or 1 (got 2): the bot must never run twice; ' +
        "pass 1 to run it or 0 to pause it",
    );
  });

  it("refuses an environment key that is also a secret", () => {
    expectError(
      { secrets: [{ env: "SENTRY_DSN", valueFrom: SM_ARN }], environment: { SENTRY_DSN: "x" } },
      'BotService "dev": args.environment.SENTRY_DSN is also declared in args.secrets; a variable must ' +
        "come from one place: remove it from the plain environment",
    );
  });

  it("refuses environment keys that look secret", () => {
    for (const [key, marker] of [
      ["TELEGRAM_BOT_TOKEN", "TOKEN"],
      ["CLIENT_SECRET", "SECRET"],
      ["PG_PASSWORD", "PASSWORD"],
      ["OPENAI_API_KEY", "KEY"],
      ["DATABASE_URL", "DATABASE_URL"],
    ]) {
      expectError(
        { environment: { [key]: "x" } },
        `BotService "dev": args.environment.${key} looks like a secret (name contains "${marker}"); plain ` +
          "environment values are readable by anyone who can describe the task definition: move it to " +
          "args.secrets",
      );
    }
  });

  it("refuses an environment value that is a secret reference", () => {
    expectError(
      {
        secrets: [{ env: "SENTRY_DSN", valueFrom: SM_ARN }],
        environment: { DSN: SM_ARN },
      },
      `BotService "dev": args.environment.DSN is set to the secret reference "${SM_ARN}", ` +
        "which would pass the reference, not the secret; declare it in args.secrets instead",
    );
  });

  it("refuses invalid environment keys and secret env names, and duplicate secrets", () => {
    expectError(
      { environment: { "log-level": "x" } },
      'BotService "dev": args.environment key "log-level" is not a valid variable name: use upper-case ' +
        'letters, digits and "_" and do not start with a digit',
    );
    expectError(
      { secrets: [{ env: "db_url", valueFrom: SM_ARN }] },
      'BotService "dev": args.secrets env "db_url" is not a valid variable name: use upper-case letters, ' +
        'digits and "_" and do not start with a digit',
    );
    expectError(
      {
        secrets: [
          { env: "DATABASE_URL", valueFrom: SM_ARN },
          { env: "DATABASE_URL", valueFrom: SSM_ARN },
        ],
      },
      'BotService "dev": args.secrets declares DATABASE_URL more than once; keep one reference per variable',
    );
  });

  it("refuses a secret given by name: ECS would read it as an SSM parameter and the task never starts", () => {
    expectError(
      { secrets: [{ env: "DATABASE_URL", valueFrom: "voxpersona/dev/database-url" }] },
      "secret DATABASE_URL: valueFrom must be the full ARN of a Secrets Manager secret (…:secret:<name>-<6 " +
        'chars>) or of an SSM parameter (got "voxpersona/dev/database-url"); ECS reads a bare name as an SSM ' +
        "parameter and the task never starts",
    );
  });

  it("refuses ephemeral storage outside 21..200 GiB, and accepts both ends", async () => {
    for (const size of [20, 201, 30.5]) {
      expectError(
        { ephemeralStorageGiB: size },
        `BotService "dev": args.ephemeralStorageGiB must be an integer from 21 to 200 (got ${size}): ` +
          "that is the range Fargate accepts",
      );
    }
    for (const size of [21, 200]) {
      const { children } = await deploy(`storage${size}`, { ephemeralStorageGiB: size });
      assert.deepEqual(only(children, "aws:ecs/taskDefinition:TaskDefinition").inputs.ephemeralStorage, {
        sizeInGib: size,
      });
    }
  });

  it("refuses non-positive or fractional cpu and memory", () => {
    expectError({ cpu: 0 }, 'BotService "dev": args.cpu must be a positive integer (got 0)');
    expectError({ memory: 512.5 }, 'BotService "dev": args.memory must be a positive integer (got 512.5)');
  });

  it("refuses a size Fargate does not run: an unknown cpu, or memory outside the cpu's range", () => {
    expectError(
      { cpu: 3000 },
      'BotService "dev": args.cpu must be a Fargate CPU size: 256, 512, 1024, 2048, 4096, 8192, 16384 (got 3000)',
    );
    expectError(
      { cpu: 1024, memory: 16384 },
      'BotService "dev": args.memory 16384 is not a Fargate size for args.cpu 1024; allowed: 2048, 3072, 4096, ' +
        "5120, 6144, 7168, 8192",
    );
  });

  it("reports an argument error as an error of the component itself", () => {
    assert.throws(
      () => new BotService("dev", baseArgs({ desiredCount: 2 as 0 | 1 })),
      (err: Error) =>
        pulumi.ResourceError.isInstance(err) &&
        err.message.startsWith('BotService "dev": args.desiredCount') &&
        !err.message.includes("voxpersona:"),
    );
  });

  it("refuses a retention CloudWatch does not accept", () => {
    expectError(
      { logRetentionDays: 10 },
      'BotService "dev": args.logRetentionDays must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, ' +
        "365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 (got 10): CloudWatch Logs accepts only these",
    );
  });

  it("refuses an empty subnet list and an unknown architecture", () => {
    expectError(
      { subnetIds: [] },
      'BotService "dev": args.subnetIds must list at least one subnet of args.vpcId',
    );
    expectError(
      { cpuArchitecture: "arm64" as "ARM64" },
      'BotService "dev": args.cpuArchitecture must be "X86_64" or "ARM64" (got "arm64")',
    );
  });

  it("refuses a name that cannot be a task definition family", () => {
    expectError(
      {},
      'BotService "vox bot": the name is also the task definition family and must be 1-255 letters, ' +
        'digits, "-" or "_"',
      "vox bot",
    );
  });

  it("creates no child resources when validation fails", async () => {
    const run = await runComponent(() => new BotService("broken", baseArgs({ desiredCount: 2 as 0 | 1 })));
    assert.ok(pulumi.ResourceError.isInstance(run.error), String(run.error));
    // Only the component itself, which registers before it checks its arguments: the run did record.
    assert.deepEqual(
      run.registrations.map((r) => `${r.custom ? "custom" : "component"} ${r.type} ${r.name}`),
      ["component voxpersona:service:BotService broken"],
    );
    assert.deepEqual(
      run.registrations.filter((r) => r.custom && r.name.startsWith("broken")),
      [],
    );
  });
});
