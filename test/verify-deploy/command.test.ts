/**
 * The verify-deploy command against the real AWS SDK ECS client talking to a loopback fake of the ECS
 * JSON 1.1 API: in-process with a fake clock, and as the real CLI CI runs.
 */
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ECSClient } from "@aws-sdk/client-ecs";
import { type Clock, EXIT, USAGE, verifyMain } from "../../scripts/verify-deploy";
import {
  AwsError,
  type AwsJsonFake,
  FAKE_AWS_ENV,
  TARGET_PREFIX,
  startAwsJsonFake,
} from "../helpers/aws-json-fake";
import {
  ACCOUNT,
  CLUSTER,
  COMPLETED,
  IN_PROGRESS,
  type Json,
  NEW_ID,
  OLDER_TASK_ID,
  OLD_ID,
  OUTPUTS,
  REGION,
  ROLLBACK_ID,
  ROLLED_BACK,
  SECRETS_ERROR,
  SERVICE,
  STOPPED_TASKS,
  STOPPED_TASK_ID,
  T0,
  describeServicesOutput,
  ecsFake,
  iso,
  newDeployment,
  service,
} from "./ecs";

const ROOT = path.resolve(__dirname, "..", "..");

// ---------------------------------------------------------------------------------------------------------
// Running the command in-process (fake clock) and as a real process.

interface Run {
  readonly code: number;
  readonly stdout: string[];
  readonly stderr: string[];
  /** Milliseconds the fake clock advanced. */
  readonly slept: number;
}

/** A clock whose sleep returns at once and only moves the time. */
function fakeClock(): Clock & { t: number } {
  const clock = {
    t: 0,
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.t += ms;
    },
  };
  return clock;
}

let tmp: string;

function outputsFile(outputs: Json): string {
  const file = path.join(tmp, `outputs-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(file, JSON.stringify(outputs));
  return file;
}

async function run(fake: AwsJsonFake | undefined, argv: string[], pulumiCommand?: string): Promise<Run> {
  const clock = fakeClock();
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await verifyMain(argv, {
    createEcs: () =>
      new ECSClient({
        region: REGION,
        endpoint: fake?.endpoint ?? "http://127.0.0.1:9",
        credentials: {
          accessKeyId: FAKE_AWS_ENV.AWS_ACCESS_KEY_ID,
          secretAccessKey: FAKE_AWS_ENV.AWS_SECRET_ACCESS_KEY,
        },
      }),
    clock,
    stdout: (line) => stdout.push(line),
    stderr: (line) => stderr.push(line),
    pulumiCommand,
  });
  return { code, stdout, stderr, slept: clock.t };
}

/** The real CLI, as CI runs it, with the SDK pointed at the fake only through AWS_ENDPOINT_URL_ECS. */
function runCli(
  fake: AwsJsonFake,
  argv: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const tsNode = path.join(ROOT, "node_modules", ".bin", "ts-node");
  const env = {
    PATH: process.env.PATH ?? "",
    ...FAKE_AWS_ENV,
    AWS_ENDPOINT_URL_ECS: fake.endpoint,
    // The SDK's own switch for its "needs Node >= 22 from 2027" notice, which would precede the report.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  };
  return new Promise((resolve) => {
    execFile(
      tsNode,
      ["--transpile-only", "scripts/verify-deploy.ts", ...argv],
      { cwd: ROOT, env },
      (err, stdout, stderr) => resolve({ code: err === null ? 0 : Number(err.code), stdout, stderr }),
    );
  });
}

const operations = (fake: AwsJsonFake): string[] => fake.calls.map((c) => c.operation);

/** Every request is a JSON 1.1 POST signed with the fake credentials, about our cluster and service. */
function assertRequests(fake: AwsJsonFake): void {
  for (const call of fake.calls) {
    assert.equal(call.contentType, "application/x-amz-json-1.1", call.operation);
    assert.match(
      call.authorization ?? "",
      new RegExp(`^AWS4-HMAC-SHA256 Credential=${FAKE_AWS_ENV.AWS_ACCESS_KEY_ID}/`),
    );
    const expected: Record<string, Json> = {
      DescribeServices: { cluster: CLUSTER, services: [SERVICE] },
      ListTasks: { cluster: CLUSTER, serviceName: SERVICE, desiredStatus: "STOPPED", maxResults: 100 },
      DescribeTasks: { cluster: CLUSTER, tasks: STOPPED_TASKS.map((t) => t.taskArn) },
    };
    assert.deepEqual(call.input, expected[call.operation], call.operation);
  }
}

const ROLLED_BACK_REPORT = [
  `dev: ROLLED BACK: ECS rolled back service ${SERVICE} to voxpersona-dev:7; the deployment of voxpersona-dev:8 ` +
    `(${NEW_ID}) FAILED: ECS deployment circuit breaker: tasks failed to start.`,
  "deployments:",
  "  ID                           STATUS   TASK DEFINITION   ROLLOUT      RUNNING/DESIRED  REASON",
  `  ${ROLLBACK_ID}  PRIMARY  voxpersona-dev:7  IN_PROGRESS  1/1              ` +
    `ECS deployment circuit breaker: rolling back to deploymentId ${OLD_ID}.`,
  `  ${NEW_ID}  ACTIVE   voxpersona-dev:8  FAILED       0/0              ` +
    "ECS deployment circuit breaker: tasks failed to start.",
  "events (newest 3 of 3):",
  `  ${iso(T0 + 360)} (service ${SERVICE}) rolling back to deployment ${OLD_ID}.`,
  `  ${iso(T0 + 359)} (service ${SERVICE}) (deployment ${NEW_ID}) deployment failed: tasks failed to start.`,
  `  ${iso(T0 + 5)} (service ${SERVICE}) has started 1 tasks: (task ${OLDER_TASK_ID}).`,
  "stopped tasks (newest 2):",
  `  ${STOPPED_TASK_ID} voxpersona-dev:8 stopped ${iso(T0 + 340)} (TaskFailedToStart): ${SECRETS_ERROR}`,
  "    container voxpersona: CannotStartContainerError: secrets not injected",
  `  ${OLDER_TASK_ID} voxpersona-dev:8 stopped ${iso(T0 + 60)} (TaskFailedToStart): ${SECRETS_ERROR}`,
];

describe("verify-deploy", () => {
  let fake: AwsJsonFake | undefined;

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "verify-deploy-"));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  it("passes at once when the PRIMARY deployment runs the new task definition", async () => {
    fake = await ecsFake([describeServicesOutput(COMPLETED)]);
    const r = await run(fake, ["--stack", "dev", "--outputs-file", outputsFile(OUTPUTS)]);
    assert.deepEqual(r, {
      code: EXIT.verified,
      stdout: [`dev: service ${SERVICE} runs voxpersona-dev:8 (1/1 running, rollout COMPLETED)`],
      stderr: [],
      slept: 0,
    });
    assert.deepEqual(operations(fake), ["DescribeServices"]);
    assertRequests(fake);
  });

  it("fails with the deployments, events and stopped tasks when the circuit breaker rolled back", async () => {
    fake = await ecsFake([describeServicesOutput(ROLLED_BACK)]);
    const r = await run(fake, ["--stack", "dev", "--outputs-file", outputsFile(OUTPUTS)]);
    assert.deepEqual(r, { code: EXIT.notVerified, stdout: [], stderr: ROLLED_BACK_REPORT, slept: 0 });
    assert.deepEqual(operations(fake), ["DescribeServices", "ListTasks", "DescribeTasks"]);
    assertRequests(fake);
  });

  it("keeps polling while the rollout is in progress, then passes", async () => {
    const pages = [IN_PROGRESS, IN_PROGRESS, COMPLETED].map(describeServicesOutput);
    fake = await ecsFake(pages);
    const r = await run(fake, [
      "--stack",
      "dev",
      "--outputs-file",
      outputsFile(OUTPUTS),
      "--interval-seconds",
      "10",
    ]);
    assert.equal(r.code, EXIT.verified);
    assert.deepEqual(r.stdout, [
      `dev: waiting (0s): deployment ${NEW_ID} of voxpersona-dev:8 to service ${SERVICE} is IN_PROGRESS (0/1 running)`,
      `dev: service ${SERVICE} runs voxpersona-dev:8 (1/1 running, rollout COMPLETED)`,
    ]);
    assert.deepEqual(operations(fake), ["DescribeServices", "DescribeServices", "DescribeServices"]);
    assert.equal(r.slept, 20_000);
    assertRequests(fake);
  });

  // The one real process: progress on stdout, the report on stderr, the exit code CI reads, the real clock.
  it("runs as the real CLI: waits on stdout, then reports the rollback on stderr and exits 1", async () => {
    fake = await ecsFake([IN_PROGRESS, ROLLED_BACK].map(describeServicesOutput));
    const file = outputsFile(OUTPUTS);
    const r = await runCli(fake, ["--stack", "dev", "--outputs-file", file, "--interval-seconds", "0.01"]);
    assert.deepEqual(r, {
      code: EXIT.notVerified,
      stdout:
        `dev: waiting (0s): deployment ${NEW_ID} of voxpersona-dev:8 to service ${SERVICE} is IN_PROGRESS ` +
        "(0/1 running)\n",
      stderr: ROLLED_BACK_REPORT.join("\n") + "\n",
    });
    assert.deepEqual(operations(fake), [
      "DescribeServices",
      "DescribeServices",
      "ListTasks",
      "DescribeTasks",
    ]);
    assertRequests(fake);
  });

  it("reports a deployment still IN_PROGRESS at the timeout as stuck, with how long it waited", async () => {
    fake = await ecsFake([describeServicesOutput(IN_PROGRESS)]);
    const argv = ["--stack", "dev", "--outputs-file", outputsFile(OUTPUTS)];
    const r = await run(fake, [...argv, "--timeout-seconds", "30", "--interval-seconds", "10"]);
    assert.equal(r.code, EXIT.notVerified);
    assert.deepEqual(r.stderr.slice(0, 2), [
      `dev: STUCK: still not finished after waiting 30s: deployment ${NEW_ID} of voxpersona-dev:8 to service ` +
        `${SERVICE} is IN_PROGRESS (0/1 running)`,
      "deployments:",
    ]);
    assert.ok(r.stderr.includes("stopped tasks (newest 2):"), r.stderr.join("\n"));
    assert.deepEqual(operations(fake), [...Array(4).fill("DescribeServices"), "ListTasks", "DescribeTasks"]);
    assert.equal(r.slept, 30_000);
    assertRequests(fake);
  });

  it("keeps waiting when the rollout is COMPLETED but fewer tasks run than desired", async () => {
    const degraded = service([newDeployment({ running: 0 })], [], { running: 0, desired: 1 });
    fake = await ecsFake([describeServicesOutput(degraded)]);
    const argv = ["--stack", "dev", "--outputs-file", outputsFile(OUTPUTS)];
    const r = await run(fake, [...argv, "--timeout-seconds", "1", "--interval-seconds", "0.5"]);
    assert.equal(r.code, EXIT.notVerified);
    const reason = `deployment ${NEW_ID} of voxpersona-dev:8 to service ${SERVICE} is COMPLETED but only 0/1 running`;
    assert.deepEqual(r.stdout, [`dev: waiting (0s): ${reason}`]);
    assert.equal(r.stderr[0], `dev: STUCK: still not finished after waiting 1s: ${reason}`);
    assert.equal(operations(fake).filter((o) => o === "DescribeServices").length, 3);
  });

  it("fails when DescribeServices reports the service MISSING", async () => {
    fake = await startAwsJsonFake(TARGET_PREFIX.ecs, {
      DescribeServices: () => ({
        services: [],
        failures: [
          { arn: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${CLUSTER}/${SERVICE}`, reason: "MISSING" },
        ],
      }),
    });
    const r = await run(fake, ["--stack", "dev", "--outputs-file", outputsFile(OUTPUTS)]);
    assert.deepEqual(r, {
      code: EXIT.notVerified,
      stdout: [],
      stderr: [
        `dev: FAILED: service ${SERVICE} not found in cluster ${CLUSTER} (DescribeServices: MISSING): it was ` +
          "deleted, or the stack outputs name a service that never existed",
      ],
      slept: 0,
    });
    assert.deepEqual(operations(fake), ["DescribeServices"]);
    assertRequests(fake);
  });

  it("names the ECS error when the cluster does not exist", async () => {
    fake = await startAwsJsonFake(TARGET_PREFIX.ecs, {
      DescribeServices: () => {
        throw new AwsError("ClusterNotFoundException", "Cluster not found.");
      },
    });
    const r = await run(fake, ["--stack", "dev", "--outputs-file", outputsFile(OUTPUTS)]);
    assert.equal(r.code, EXIT.notVerified);
    assert.deepEqual(r.stderr, [
      `dev: ECS DescribeServices of service ${SERVICE} in cluster ${CLUSTER} failed: ` +
        "ClusterNotFoundException: Cluster not found.",
    ]);
  });

  it("names a missing stack output and how to get it, without calling ECS", async () => {
    fake = await ecsFake([describeServicesOutput(COMPLETED)]);
    const file = outputsFile({ clusterName: CLUSTER, serviceName: SERVICE });
    const r = await run(fake, ["--stack", "dev", "--outputs-file", file]);
    assert.deepEqual(r.stderr, [
      `dev: stack output taskDefinitionArn is missing from outputs file ${file}: run \`pulumi up --stack dev\` ` +
        "with the current program, which exports it",
    ]);
    assert.equal(r.code, EXIT.notVerified);
    assert.deepEqual(fake.calls, []);
  });

  it("says to install the Pulumi CLI when it is not on PATH", async () => {
    const r = await run(undefined, ["--stack", "dev"], "pulumi-not-installed-here");
    assert.equal(r.code, EXIT.notVerified);
    assert.deepEqual(r.stderr, [
      "dev: pulumi-not-installed-here not found on PATH: install the Pulumi CLI " +
        "(https://www.pulumi.com/docs/iac/download-install/) or pass --outputs-file <json>",
    ]);
  });

  it("exits 2 on a bad command line, before reading outputs or calling ECS", async () => {
    fake = await ecsFake([describeServicesOutput(COMPLETED)]);
    const r = await run(fake, ["--stack", "dev", "--timeout-seconds=-1"]);
    assert.deepEqual(r, {
      code: EXIT.usage,
      stdout: [],
      stderr: [`verify-deploy: --timeout-seconds must be a positive number of seconds (got "-1") (${USAGE})`],
      slept: 0,
    });
    assert.deepEqual(fake.calls, []);
  });

  it("exits 2 with one line on a bad command line", async () => {
    const cases: Array<[string[], string]> = [
      [[], "--stack is required"],
      [
        ["--stack", "dev", "--timeout-seconds", "soon"],
        '--timeout-seconds must be a positive number of seconds (got "soon")',
      ],
      [
        ["--stack", "dev", "--interval-seconds", "0"],
        '--interval-seconds must be a positive number of seconds (got "0")',
      ],
      [["--stack", "dev", "--wait"], "Unknown option '--wait'"],
      [["--stack"], "Option '--stack <value>' argument missing"],
      [
        ["--stack", "dev", "--interval-seconds", "-1"],
        "Option '--interval-seconds' argument is ambiguous. Did you forget to specify the option argument for " +
          "'--interval-seconds'? To specify an option argument starting with a dash use '--interval-seconds=-XYZ'.",
      ],
      [["dev"], "Unexpected argument 'dev'. This command does not take positional arguments"],
    ];
    for (const [argv, message] of cases) {
      const r = await run(undefined, argv);
      assert.deepEqual(r, {
        code: EXIT.usage,
        stdout: [],
        stderr: [`verify-deploy: ${message} (${USAGE})`],
        slept: 0,
      });
    }
  });
});

describe("aws-json-fake", () => {
  it("answers a body that is not JSON, and an inherited property name, with AWS errors", async () => {
    const fake = await startAwsJsonFake(TARGET_PREFIX.ecs, { DescribeServices: () => ({}) });
    try {
      const post = (target: string, body: string) =>
        fetch(fake.endpoint, {
          method: "POST",
          headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": target },
          body,
        }).then(async (res) => [res.status, ((await res.json()) as { __type: string }).__type]);
      assert.deepEqual(await post(`${TARGET_PREFIX.ecs}.DescribeServices`, "{not json"), [
        400,
        "SerializationException",
      ]);
      assert.deepEqual(await post(`${TARGET_PREFIX.ecs}.toString`, "{}"), [400, "UnknownOperationException"]);
    } finally {
      await fake.close();
    }
  });
});
