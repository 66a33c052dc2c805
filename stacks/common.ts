import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../infra/config";
import { resolvePlacement } from "../infra/network";
import { BotService } from "../infra/service";

/** The bot's service for a stack, running `imageRef`. */
export function botService(
  config: StackConfig,
  imageRef: pulumi.Input<string>,
  repositoryArn: pulumi.Input<string>,
  opts?: pulumi.ComponentResourceOptions,
): BotService {
  const placement = resolvePlacement(config.network);
  return new BotService(
    `voxpersona-${config.stack}`,
    {
      imageRef,
      repositoryArn,
      repositoryKmsKeyArn: config.registry.encryption === "KMS" ? config.registry.kmsKeyArn : undefined,
      cpu: config.service.cpu,
      memory: config.service.memory,
      ephemeralStorageGiB: config.service.ephemeralStorageGiB,
      desiredCount: config.service.desiredCount,
      logRetentionDays: config.service.logRetentionDays,
      subnetIds: placement.subnetIds,
      vpcId: placement.vpcId,
      assignPublicIp: config.service.assignPublicIp,
      cpuArchitecture: config.service.cpuArchitecture,
      secrets: Object.entries(config.secrets).map(([env, ref]) => ({ env, ref })),
      environment: config.service.environment,
      tags: stackTags(config),
    },
    opts,
  );
}

export function stackTags(config: StackConfig): Record<string, string> {
  return { project: "voxpersona", stack: config.stack, "managed-by": "pulumi" };
}

/** The outputs every stack exports: a small, stable contract other stacks and CI read. */
export function serviceOutputs(service: BotService) {
  return {
    serviceName: service.serviceName,
    clusterName: service.clusterName,
    logGroupName: service.logGroupName,
  };
}
