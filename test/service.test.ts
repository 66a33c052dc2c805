import { strict as assert } from "node:assert";

import * as pulumi from "@pulumi/pulumi";

import type * as serviceModule from "../infra/service";
import { executionRolePolicy } from "../infra/service/policy";

interface Recorded {
  readonly type: string;
  readonly name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly inputs: any;
  readonly custom: boolean;
}

interface ContainerDefinition {
  name: string;
  image: string;
  essential: boolean;
  environment: { name: string; value: string }[];
  secrets: { name: string; valueFrom: string }[];
  logConfiguration: { logDriver: string; options: Record<string, string> };
  stopTimeout: number;
  portMappings?: unknown;
}

const ACCOUNT = "123456789012";
const REGION = "eu-central-1";
const REPO_URL = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/voxpersona`;
const REPO_ARN = `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/voxpersona`;
const DIGEST = "a".repeat(64);
const IMAGE = `${REPO_URL}@sha256:${DIGEST}`;
const SM_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:voxpersona/dev/database-url-AbCdEf`;
const SSM_ARN = `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/voxpersona/dev/bot-token`;
const ECS_TRUST = {
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" },
  ],
};

let recorded: Recorded[] = [];
let calls: string[] = [];
let mod: typeof serviceModule;

function valueOf<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply(resolve));
}

// Mocks are process-global and other suites install their own, so they are (re)installed before every test
// and the module is loaded only after the first installation.
async function installMocks(): Promise<void> {
  recorded = [];
  calls = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        recorded.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs,
          custom: args.custom === true,
        });
        const physical = args.inputs.name ?? `${args.name}-physical`;
        const state: Record<string, unknown> = { ...args.inputs, name: physical };
        switch (args.type) {
          case "aws:cloudwatch/logGroup:LogGroup":
            state.arn = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${physical}`;
            break;
          case "aws:iam/role:Role":
            state.arn = `arn:aws:iam::${ACCOUNT}:role/${physical}`;
            break;
          case "aws:ecs/taskDefinition:TaskDefinition":
            state.arn = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${args.inputs.family}:1`;
            break;
          default:
            state.arn = `arn:aws:mock:${REGION}:${ACCOUNT}:${args.name}`;
        }
        return { id: `${args.name}-id`, state };
      },
      call(args) {
        calls.push(args.token);
        switch (args.token) {
          case "aws:index/getPartition:getPartition":
            return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
          case "aws:index/getRegion:getRegion":
            return { name: REGION, region: REGION, id: REGION };
          case "aws:index/getCallerIdentity:getCallerIdentity":
            return {
              accountId: ACCOUNT,
              arn: `arn:aws:iam::${ACCOUNT}:user/ci`,
              userId: "AIDAEXAMPLE",
              id: ACCOUNT,
            };
          default:
            throw new Error(`unexpected call ${args.token}`);
        }
      },
    },
    "voxpersona",
    "dev",
    false,
  );
  mod ??= await import("../infra/service");
}

function baseArgs(overrides: Partial<serviceModule.BotServiceArgs> = {}): serviceModule.BotServiceArgs {
  return {
    imageRef: IMAGE,
    repositoryArn: REPO_ARN,
    cpu: 1024,
    memory: 2048,
    logRetentionDays: 30,
    subnetIds: ["subnet-a", "subnet-b"],
    vpcId: "vpc-123",
    ...overrides,
  };
}

/** Builds the component and waits until every child has been registered. */
async function deploy(
  name: string,
  overrides: Partial<serviceModule.BotServiceArgs> = {},
): Promise<{ svc: serviceModule.BotService; children: Recorded[] }> {
  const svc = new mod.BotService(name, baseArgs(overrides));
  // The service depends on every other child (the inline policy via dependsOn), so once all public
  // outputs are known nothing is left in flight.
  await Promise.all([
    valueOf(svc.serviceName),
    valueOf(svc.clusterName),
    valueOf(svc.logGroupName),
    valueOf(svc.taskDefinitionArn),
    valueOf(svc.executionRoleArn),
    valueOf(svc.taskRoleArn),
    valueOf(svc.securityGroupId),
  ]);
  return { svc, children: recorded.filter((r) => r.custom && r.name.startsWith(`${name}-`)) };
}

function only(children: Recorded[], type: string): Recorded {
  const matches = children.filter((c) => c.type === type);
  assert.equal(matches.length, 1, `expected exactly one ${type}`);
  return matches[0];
}

function container(children: Recorded[]): ContainerDefinition {
  const defs = JSON.parse(
    only(children, "aws:ecs/taskDefinition:TaskDefinition").inputs.containerDefinitions,
  );
  assert.equal(defs.length, 1);
  return defs[0] as ContainerDefinition;
}

function executionPolicy(children: Recorded[]) {
  return JSON.parse(only(children, "aws:iam/rolePolicy:RolePolicy").inputs.policy);
}

const BASE_STATEMENTS = (logGroupArn: string) => [
  { Sid: "EcrLogin", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: ["*"] },
  {
    Sid: "PullReleaseImage",
    Effect: "Allow",
    Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
    Resource: [REPO_ARN],
  },
  {
    Sid: "WriteBotLogs",
    Effect: "Allow",
    Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
    Resource: [`${logGroupArn}:*`],
  },
];

describe("BotService", () => {
  beforeEach(installMocks);

  describe("with defaults", () => {
    it("creates exactly the expected children, named from the component name", async () => {
      const { children } = await deploy("bot");
      assert.deepEqual(children.map((c) => `${c.type} ${c.name}`).sort(), [
        "aws:cloudwatch/logGroup:LogGroup bot-logs",
        "aws:ec2/securityGroup:SecurityGroup bot-sg",
        "aws:ecs/cluster:Cluster bot-cluster",
        "aws:ecs/service:Service bot-svc",
        "aws:ecs/taskDefinition:TaskDefinition bot-task",
        "aws:iam/role:Role bot-exec-role",
        "aws:iam/role:Role bot-task-role",
        "aws:iam/rolePolicy:RolePolicy bot-exec-policy",
      ]);
      const components = recorded.filter((r) => !r.custom && r.name === "bot");
      assert.deepEqual(
        components.map((c) => c.type),
        ["voxpersona:service:BotService"],
      );
    });

    it("parents every child to the component and asks the provider only for the region", async () => {
      await deploy("bot");
      const monitor = pulumi.runtime.getMonitor() as unknown as { resources: Map<string, unknown> };
      const childUrns = [...monitor.resources.keys()].filter((urn) => urn.includes("::bot-"));
      assert.equal(childUrns.length, 8);
      for (const urn of childUrns) {
        assert.match(urn, /^urn:pulumi:dev::voxpersona::voxpersona:service:BotService\$aws:/);
      }
      assert.deepEqual([...new Set(calls)].sort(), ["aws:index/getRegion:getRegion"]);
    });

    it("enables Container Insights on the cluster", async () => {
      const { children } = await deploy("bot");
      assert.deepEqual(only(children, "aws:ecs/cluster:Cluster").inputs, {
        settings: [{ name: "containerInsights", value: "enabled" }],
      });
    });

    it("sets the log group retention and leaves the name to the provider's auto-naming", async () => {
      const { svc, children } = await deploy("bot");
      assert.deepEqual(only(children, "aws:cloudwatch/logGroup:LogGroup").inputs, { retentionInDays: 30 });
      assert.equal(await valueOf(svc.logGroupName), "bot-logs-physical");
    });

    it("never runs two bots: one task, old one stopped first, circuit breaker with rollback", async () => {
      const { children } = await deploy("bot");
      const service = only(children, "aws:ecs/service:Service").inputs;
      assert.deepEqual(service, {
        cluster: `arn:aws:mock:${REGION}:${ACCOUNT}:bot-cluster`,
        taskDefinition: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/bot:1`,
        launchType: "FARGATE",
        desiredCount: 1,
        deploymentMaximumPercent: 100,
        deploymentMinimumHealthyPercent: 0,
        deploymentCircuitBreaker: { enable: true, rollback: true },
        networkConfiguration: {
          subnets: ["subnet-a", "subnet-b"],
          securityGroups: ["bot-sg-id"],
          assignPublicIp: false,
        },
        waitForSteadyState: true,
        propagateTags: "SERVICE",
      });
    });

    it("defines a digest-pinned Fargate task with default storage (the one default, 30 GiB) and architecture", async () => {
      const { children } = await deploy("bot");
      const task = only(children, "aws:ecs/taskDefinition:TaskDefinition").inputs;
      const { containerDefinitions, ...rest } = task;
      assert.equal(typeof containerDefinitions, "string");
      assert.deepEqual(rest, {
        family: "bot",
        requiresCompatibilities: ["FARGATE"],
        networkMode: "awsvpc",
        cpu: "1024",
        memory: "2048",
        ephemeralStorage: { sizeInGib: 30 },
        runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
        executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/bot-exec-role-physical`,
        taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/bot-task-role-physical`,
      });
    });

    it("renders one container with the exact image, awslogs, a stop timeout and no ports", async () => {
      const { svc, children } = await deploy("bot");
      assert.deepEqual(container(children), {
        name: "voxpersona",
        image: IMAGE,
        essential: true,
        environment: [],
        secrets: [],
        logConfiguration: {
          logDriver: "awslogs",
          options: {
            "awslogs-group": await valueOf(svc.logGroupName),
            "awslogs-region": REGION,
            "awslogs-stream-prefix": "voxpersona",
          },
        },
        stopTimeout: 60,
      });
    });

    it("trusts only ECS tasks in both roles and gives the task role no policy at all", async () => {
      const { children } = await deploy("bot");
      const roles = children.filter((c) => c.type === "aws:iam/role:Role");
      assert.deepEqual(
        roles.map((r) => ({
          name: r.name,
          inputs: { ...r.inputs, assumeRolePolicy: JSON.parse(r.inputs.assumeRolePolicy) },
        })),
        [
          {
            name: "bot-exec-role",
            inputs: {
              description: "ECS agent for the VoxPersona bot: pulls the image, writes logs, injects secrets",
              assumeRolePolicy: ECS_TRUST,
            },
          },
          {
            name: "bot-task-role",
            inputs: {
              description: "VoxPersona bot task: intentionally without permissions",
              assumeRolePolicy: ECS_TRUST,
            },
          },
        ],
      );
      const policies = children.filter(
        (c) => c.type.startsWith("aws:iam/rolePolicy") || c.type.startsWith("aws:iam/policy"),
      );
      assert.deepEqual(
        policies.map((p) => `${p.type} ${p.inputs.role}`),
        ["aws:iam/rolePolicy:RolePolicy bot-exec-role-physical"],
      );
    });

    it("grants the execution role exactly ECR login, pulls from the release repository and log writes", async () => {
      const { children } = await deploy("bot");
      assert.deepEqual(executionPolicy(children), {
        Version: "2012-10-17",
        Statement: BASE_STATEMENTS(`arn:aws:logs:${REGION}:${ACCOUNT}:log-group:bot-logs-physical`),
      });
    });

    it("opens no inbound port and allows all outbound traffic", async () => {
      const { children } = await deploy("bot");
      assert.deepEqual(only(children, "aws:ec2/securityGroup:SecurityGroup").inputs, {
        description: "VoxPersona bot: no inbound, all outbound (Telegram, PostgreSQL, model APIs)",
        vpcId: "vpc-123",
        ingress: [],
        egress: [
          {
            description: "Telegram, PostgreSQL and model APIs",
            protocol: "-1",
            fromPort: 0,
            toPort: 0,
            cidrBlocks: ["0.0.0.0/0"],
            ipv6CidrBlocks: ["::/0"],
          },
        ],
      });
    });

    it("exports the children's identifiers", async () => {
      const { svc } = await deploy("bot");
      assert.equal(await valueOf(svc.serviceName), "bot-svc-physical");
      assert.equal(await valueOf(svc.clusterName), "bot-cluster-physical");
      assert.equal(
        await valueOf(svc.taskDefinitionArn),
        `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/bot:1`,
      );
      assert.equal(
        await valueOf(svc.executionRoleArn),
        `arn:aws:iam::${ACCOUNT}:role/bot-exec-role-physical`,
      );
      assert.equal(await valueOf(svc.taskRoleArn), `arn:aws:iam::${ACCOUNT}:role/bot-task-role-physical`);
      assert.equal(await valueOf(svc.securityGroupId), "bot-sg-id");
    });
  });

  describe("with secrets, environment and overrides", () => {
    const OPENAI_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:voxpersona/dev/openai-api-key-Zz99Yy`;
    const secrets = [
      { env: "TELEGRAM_BOT_TOKEN", valueFrom: SSM_ARN },
      { env: "DATABASE_URL", valueFrom: SM_ARN },
      { env: "OPENAI_API_KEY", valueFrom: OPENAI_ARN },
    ];
    const environment = { LOG_LEVEL: "INFO", APP_ENV: "dev", EMBEDDING_MODEL: "all-MiniLM-L6-v2" };

    it("passes secrets only as secrets, sorted, with ECS-ready valueFrom", async () => {
      const { children } = await deploy("full", { secrets, environment });
      const def = container(children);
      assert.deepEqual(def.secrets, [
        { name: "DATABASE_URL", valueFrom: SM_ARN },
        { name: "OPENAI_API_KEY", valueFrom: OPENAI_ARN },
        { name: "TELEGRAM_BOT_TOKEN", valueFrom: SSM_ARN },
      ]);
      assert.deepEqual(def.environment, [
        { name: "APP_ENV", value: "dev" },
        { name: "EMBEDDING_MODEL", value: "all-MiniLM-L6-v2" },
        { name: "LOG_LEVEL", value: "INFO" },
      ]);
      const refs = new Set(secrets.map((s) => s.valueFrom));
      const secretNames = new Set(secrets.map((s) => s.env));
      for (const variable of def.environment) {
        assert.ok(!refs.has(variable.value), variable.name);
        assert.ok(!secretNames.has(variable.name), variable.name);
      }
    });

    it("adds exactly the secret read statements to the execution role", async () => {
      const { children } = await deploy("full", { secrets, environment });
      assert.deepEqual(executionPolicy(children), {
        Version: "2012-10-17",
        Statement: [
          ...BASE_STATEMENTS(`arn:aws:logs:${REGION}:${ACCOUNT}:log-group:full-logs-physical`),
          {
            Sid: "ReadSecretsManagerSecrets",
            Effect: "Allow",
            Action: ["secretsmanager:GetSecretValue"],
            // Exactly the resolved ARNs, sorted: no wildcard.
            Resource: [SM_ARN, OPENAI_ARN],
          },
          { Sid: "ReadSsmParameters", Effect: "Allow", Action: ["ssm:GetParameters"], Resource: [SSM_ARN] },
        ],
      });
    });

    it("applies storage, architecture, desired count, public IP and tags", async () => {
      const tags = { project: "voxpersona", env: "dev" };
      const { children } = await deploy("tuned", {
        ephemeralStorageGiB: 40,
        cpuArchitecture: "ARM64",
        desiredCount: 0,
        assignPublicIp: true,
        tags,
      });
      const task = only(children, "aws:ecs/taskDefinition:TaskDefinition").inputs;
      assert.deepEqual(task.ephemeralStorage, { sizeInGib: 40 });
      assert.deepEqual(task.runtimePlatform, { operatingSystemFamily: "LINUX", cpuArchitecture: "ARM64" });
      const service = only(children, "aws:ecs/service:Service").inputs;
      assert.equal(service.desiredCount, 0);
      assert.equal(service.networkConfiguration.assignPublicIp, true);
      const taggable = children.filter((c) => c.type !== "aws:iam/rolePolicy:RolePolicy");
      assert.equal(taggable.length, 7);
      for (const child of taggable) {
        assert.deepEqual(child.inputs.tags, tags, child.name);
      }
    });

    it("accepts an Output image reference and renders it unchanged", async () => {
      const { children } = await deploy("later", { imageRef: pulumi.output(IMAGE) });
      assert.equal(container(children).image, IMAGE);
    });
  });

  describe("validation", () => {
    const expectError = (overrides: Partial<serviceModule.BotServiceArgs>, message: string, name = "dev") =>
      assert.throws(() => new mod.BotService(name, baseArgs(overrides)), { message });

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
        () => mod.renderContainerDefinitions('BotService "dev"', { ...inputs, image: `${REPO_URL}:latest` }),
        { message: imageMessage(`${REPO_URL}:latest`) },
      );
      assert.equal(
        JSON.parse(mod.renderContainerDefinitions('BotService "dev"', { ...inputs, image: IMAGE }))[0].image,
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
        () => new mod.BotService("dev", baseArgs({ desiredCount: 2 as 0 | 1 })),
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
      assert.throws(() => new mod.BotService("broken", baseArgs({ desiredCount: 2 as 0 | 1 })));
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(
        recorded.filter((r) => r.custom && r.name.startsWith("broken")),
        [],
      );
    });
  });
});

describe("executionRolePolicy (pure)", () => {
  const LOGS = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:bot`;
  const KMS = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

  it("grants pull, logs and exactly the given secrets, and decrypt only with a KMS key", () => {
    const grants = [
      { env: "DATABASE_URL", valueFrom: SM_ARN, action: "secretsmanager:GetSecretValue" as const },
    ];
    const plain = executionRolePolicy({ repositoryArn: REPO_ARN, logGroupArn: LOGS, grants });
    assert.deepEqual(plain, {
      Version: "2012-10-17",
      Statement: [
        ...BASE_STATEMENTS(LOGS),
        {
          Sid: "ReadSecretsManagerSecrets",
          Effect: "Allow",
          Action: ["secretsmanager:GetSecretValue"],
          Resource: [SM_ARN],
        },
      ],
    });
    const kms = executionRolePolicy({
      repositoryArn: REPO_ARN,
      logGroupArn: LOGS,
      grants: [],
      kmsKeyArn: KMS,
    });
    assert.deepEqual(
      kms.Statement.map((st) => st.Sid),
      ["EcrLogin", "PullReleaseImage", "DecryptReleaseImage", "WriteBotLogs"],
    );
    assert.deepEqual(kms.Statement[2], {
      Sid: "DecryptReleaseImage",
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: [KMS],
    });
  });
});
