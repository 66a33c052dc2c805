/**
 * BotService's resources: which children it creates, how they are parented and configured, and what it
 * exports. The container definition is in container.test.ts, IAM in iam.test.ts.
 */
import { strict as assert } from "node:assert";
import { valueOf } from "../helpers/pulumi-mocks";
import { ACCOUNT, REGION, defaultBot, deploy, only } from "./fixtures";

describe("BotService resources", () => {
  describe("with defaults", () => {
    it("creates exactly the expected children, named from the component name", async () => {
      const { children, run } = await defaultBot();
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
      const components = run.registrations.filter((r) => !r.custom && r.name === "bot");
      assert.deepEqual(
        components.map((c) => c.type),
        ["voxpersona:service:BotService"],
      );
    });

    it("parents every child to the component and asks the provider only for the region", async () => {
      const { run } = await defaultBot();
      const childUrns = run.registrations.map((r) => r.urn).filter((urn) => urn.includes("::bot-"));
      assert.equal(childUrns.length, 8);
      for (const urn of childUrns) {
        assert.match(urn, /^urn:pulumi:dev::voxpersona::voxpersona:service:BotService\$aws:/);
      }
      const component = run.registrations.find((r) => r.name === "bot");
      assert.deepEqual(
        run.registrations.filter((r) => r.parent === component?.urn).map((r) => r.urn),
        run.registrations.filter((r) => r.urn.includes("::bot-")).map((r) => r.urn),
      );
      assert.deepEqual([...new Set(run.invokes)].sort(), ["aws:index/getRegion:getRegion"]);
    });

    it("enables Container Insights on the cluster", async () => {
      const { children } = await defaultBot();
      assert.deepEqual(only(children, "aws:ecs/cluster:Cluster").inputs, {
        settings: [{ name: "containerInsights", value: "enabled" }],
      });
    });

    it("sets the log group retention and leaves the name to the provider's auto-naming", async () => {
      const { svc, children } = await defaultBot();
      assert.deepEqual(only(children, "aws:cloudwatch/logGroup:LogGroup").inputs, { retentionInDays: 30 });
      assert.equal(await valueOf(svc.logGroupName), "bot-logs-physical");
    });

    it("never runs two bots: one task, old one stopped first, circuit breaker with rollback", async () => {
      const { children } = await defaultBot();
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
      const { children } = await defaultBot();
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

    it("opens no inbound port and allows all outbound traffic", async () => {
      const { children } = await defaultBot();
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
      const { svc } = await defaultBot();
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

  describe("with overrides", () => {
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
  });
});
