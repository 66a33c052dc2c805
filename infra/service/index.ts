/**
 * The BotService component: one Fargate task running the VoxPersona bot. Its arguments are in `args.ts`,
 * their checks in `validate.ts`, the container definition in `container.ts`, the IAM documents in
 * `policy.ts` and the limits they follow in `limits.ts`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import type { BotServiceArgs } from "./args";
import { renderContainerDefinitions } from "./container";
import { createRoles, createSecurityGroup, createService, createTaskDefinition } from "./resources";
import { type SecretGrant, grantFor } from "./secrets";
import { validateServiceArgs } from "./validate";

export type { BotSecretRef, BotServiceArgs } from "./args";
export { CONTAINER_NAME, STOP_TIMEOUT_SECONDS, renderContainerDefinitions } from "./container";
export type { CpuArchitecture } from "./limits";
export { checkImageRef } from "./validate";

/** Runs `fn`; a failure becomes an error of `resource`, so the engine names the component. */
function onResource<T>(resource: pulumi.Resource, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new pulumi.ResourceError((err as Error).message, resource);
  }
}

/**
 * One Fargate task running the VoxPersona bot: cluster, logs, least-privilege roles, an egress-only
 * security group, a digest-pinned task definition and a service that never runs two bots at once.
 */
export class BotService extends pulumi.ComponentResource {
  public readonly serviceName: pulumi.Output<string>;
  public readonly clusterName: pulumi.Output<string>;
  public readonly logGroupName: pulumi.Output<string>;
  public readonly taskDefinitionArn: pulumi.Output<string>;
  public readonly executionRoleArn: pulumi.Output<string>;
  public readonly taskRoleArn: pulumi.Output<string>;
  public readonly securityGroupId: pulumi.Output<string>;

  constructor(name: string, args: BotServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("voxpersona:service:BotService", name, {}, opts);
    const owner = `BotService "${name}"`;
    onResource(this, () => validateServiceArgs(name, owner, args));
    const parent = { parent: this };
    const tags = args.tags;

    const secrets = args.secrets ?? [];
    // Checked again once known: an ARN from an Output (a secret config value) must be full as well.
    const grants: pulumi.Output<SecretGrant[]> = pulumi
      .all(secrets.map((s) => s.valueFrom))
      .apply((arns) => onResource(this, () => arns.map((arn, i) => grantFor(secrets[i].env, arn))));

    const cluster = new aws.ecs.Cluster(
      `${name}-cluster`,
      { settings: [{ name: "containerInsights", value: "enabled" }], tags },
      parent,
    );
    // Auto-named so stacks sharing an account never collide and a replacement never fights the old group.
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { retentionInDays: args.logRetentionDays, tags },
      parent,
    );
    const roles = createRoles(name, args, { logGroupArn: logGroup.arn, grants }, parent);
    const securityGroup = createSecurityGroup(name, args.vpcId, tags, parent);

    const containerDefinitions = this.containerDefinitions(owner, args, logGroup.name, grants);
    const taskDefinition = createTaskDefinition(
      name,
      args,
      {
        containerDefinitions,
        executionRoleArn: roles.executionRole.arn,
        taskRoleArn: roles.taskRole.arn,
      },
      parent,
    );
    const service = createService(
      name,
      args,
      {
        clusterArn: cluster.arn,
        taskDefinitionArn: taskDefinition.arn,
        securityGroupId: securityGroup.id,
      },
      // Without the inline policy in place the first task cannot pull the image or read its secrets.
      { parent: this, dependsOn: [roles.executionPolicy] },
    );

    this.serviceName = service.name;
    this.clusterName = cluster.name;
    this.logGroupName = logGroup.name;
    this.taskDefinitionArn = taskDefinition.arn;
    this.executionRoleArn = roles.executionRole.arn;
    this.taskRoleArn = roles.taskRole.arn;
    this.securityGroupId = securityGroup.id;
    this.registerOutputs({
      serviceName: this.serviceName,
      clusterName: this.clusterName,
      logGroupName: this.logGroupName,
      taskDefinitionArn: this.taskDefinitionArn,
      executionRoleArn: this.executionRoleArn,
      taskRoleArn: this.taskRoleArn,
      securityGroupId: this.securityGroupId,
    });
  }

  /** The container definition JSON, rendered once every input is known. */
  private containerDefinitions(
    owner: string,
    args: BotServiceArgs,
    logGroupName: pulumi.Output<string>,
    grants: pulumi.Output<SecretGrant[]>,
  ): pulumi.Output<string> {
    const region = aws.getRegionOutput({}, { parent: this }).region;
    return pulumi
      .all([args.imageRef, logGroupName, region, grants, pulumi.output(args.environment ?? {})])
      .apply(([image, group, awsRegion, granted, environment]) =>
        // An Output image (the digest of the image build) is only checked here, once known.
        onResource(this, () =>
          renderContainerDefinitions(owner, {
            image,
            logGroupName: group,
            region: awsRegion,
            grants: granted,
            environment,
          }),
        ),
      );
  }
}
