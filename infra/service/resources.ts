/** The AWS resources of a BotService, one function per concern; the component wires them together. */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import type { BotServiceArgs } from "./args";
import { DEFAULT_CPU_ARCHITECTURE, DEFAULT_DESIRED_COUNT, EPHEMERAL_STORAGE_GIB } from "./limits";
import { ECS_TASKS_TRUST, executionRolePolicy } from "./policy";
import type { SecretGrant } from "./secrets";

type Tags = BotServiceArgs["tags"];

/** The execution role (pull, logs, secrets: `policy.ts`) and the task role, which has no permissions. */
export function createRoles(
  name: string,
  args: BotServiceArgs,
  inputs: { logGroupArn: pulumi.Output<string>; grants: pulumi.Output<SecretGrant[]> },
  opts: pulumi.CustomResourceOptions,
) {
  const executionRole = new aws.iam.Role(
    `${name}-exec-role`,
    {
      description: "ECS agent for the VoxPersona bot: pulls the image, writes logs, injects secrets",
      assumeRolePolicy: ECS_TASKS_TRUST,
      tags: args.tags,
    },
    opts,
  );
  const executionPolicy = new aws.iam.RolePolicy(
    `${name}-exec-policy`,
    {
      role: executionRole.name,
      policy: pulumi
        .all([args.repositoryArn, inputs.logGroupArn, inputs.grants, args.repositoryKmsKeyArn])
        .apply(([repositoryArn, logGroupArn, grants, kmsKeyArn]) =>
          JSON.stringify(executionRolePolicy({ repositoryArn, logGroupArn, grants, kmsKeyArn })),
        ),
    },
    opts,
  );
  // The bot only talks to Telegram, PostgreSQL and model APIs with credentials from its secrets, so the
  // role it runs as gets no permissions at all.
  const taskRole = new aws.iam.Role(
    `${name}-task-role`,
    {
      description: "VoxPersona bot task: intentionally without permissions",
      assumeRolePolicy: ECS_TASKS_TRUST,
      tags: args.tags,
    },
    opts,
  );
  return { executionRole, executionPolicy, taskRole };
}

/** No inbound rule at all: the bot only calls out. */
export function createSecurityGroup(
  name: string,
  vpcId: pulumi.Input<string>,
  tags: Tags,
  opts: pulumi.CustomResourceOptions,
) {
  return new aws.ec2.SecurityGroup(
    `${name}-sg`,
    {
      description: "VoxPersona bot: no inbound, all outbound (Telegram, PostgreSQL, model APIs)",
      vpcId,
      // An explicit empty list makes Pulumi remove any inbound rule added by hand.
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
      tags,
    },
    opts,
  );
}

/** A digest-pinned Fargate task of one container. */
export function createTaskDefinition(
  name: string,
  args: BotServiceArgs,
  inputs: {
    containerDefinitions: pulumi.Output<string>;
    executionRoleArn: pulumi.Output<string>;
    taskRoleArn: pulumi.Output<string>;
  },
  opts: pulumi.CustomResourceOptions,
) {
  return new aws.ecs.TaskDefinition(
    `${name}-task`,
    {
      family: name,
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: pulumi.output(args.cpu).apply(String),
      memory: pulumi.output(args.memory).apply(String),
      ephemeralStorage: { sizeInGib: args.ephemeralStorageGiB ?? EPHEMERAL_STORAGE_GIB.default },
      runtimePlatform: {
        operatingSystemFamily: "LINUX",
        cpuArchitecture: args.cpuArchitecture ?? DEFAULT_CPU_ARCHITECTURE,
      },
      executionRoleArn: inputs.executionRoleArn,
      taskRoleArn: inputs.taskRoleArn,
      containerDefinitions: inputs.containerDefinitions,
      tags: args.tags,
    },
    opts,
  );
}

/** The service: never two bots at once, and a deploy only counts once its task runs. */
export function createService(
  name: string,
  args: BotServiceArgs,
  inputs: {
    clusterArn: pulumi.Output<string>;
    taskDefinitionArn: pulumi.Output<string>;
    securityGroupId: pulumi.Output<string>;
  },
  opts: pulumi.CustomResourceOptions,
) {
  return new aws.ecs.Service(
    `${name}-svc`,
    {
      cluster: inputs.clusterArn,
      taskDefinition: inputs.taskDefinitionArn,
      launchType: "FARGATE",
      desiredCount: args.desiredCount ?? DEFAULT_DESIRED_COUNT,
      // Stop the old task before starting the new one: two bots polling the same updates would answer
      // twice. The cost is a short gap in service during each deploy.
      deploymentMaximumPercent: 100,
      deploymentMinimumHealthyPercent: 0,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      networkConfiguration: {
        subnets: args.subnetIds,
        securityGroups: [inputs.securityGroupId],
        assignPublicIp: args.assignPublicIp ?? false,
      },
      // The bot has no health endpoint, so "deployed" only means something if we wait for the task to
      // reach steady state; a crash-looping image then fails `pulumi up` instead of passing silently.
      waitForSteadyState: true,
      propagateTags: "SERVICE",
      tags: args.tags,
    },
    opts,
  );
}
