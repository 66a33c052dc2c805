import * as pulumi from "@pulumi/pulumi";
import { NAMESPACE, StackConfig } from "../infra/config";
import { BotSecretRef, BotService } from "../infra/service";
import { resolvePlacement } from "../infra/service/network";
import { resolveSecretArns } from "../infra/service/secret-arns";

/** Whether config key `voxpersona:<name>` is stored as a secret. */
export function isSecretConfig(config: StackConfig, name: string): boolean {
  return config.secretKeys.includes(`${NAMESPACE}:${name}`);
}

/** `value` as a secret Output when config key `voxpersona:<name>` is stored as a secret, else `value`. */
export function fromConfig<T>(config: StackConfig, name: string, value: T): pulumi.Input<T> {
  return isSecretConfig(config, name) ? (pulumi.secret(value) as pulumi.Output<T>) : value;
}

/**
 * The runtime secrets with the full ARNs ECS needs, looked up before any resource is declared.
 * @throws naming every secret that does not exist, with the command that creates it
 */
export async function runtimeSecrets(config: StackConfig): Promise<BotSecretRef[]> {
  const resolved = await resolveSecretArns(config.secrets, {
    region: config.region,
    describe: (env) => `${NAMESPACE}:secrets.${env}`,
  });
  return resolved.map(({ env, arn }) => ({ env, valueFrom: fromConfig(config, "secrets", arn) }));
}

/** The bot's service for a stack, running `imageRef`. */
export function botService(
  config: StackConfig,
  imageRef: pulumi.Input<string>,
  repositoryArn: pulumi.Input<string>,
  secrets: readonly BotSecretRef[],
  opts?: pulumi.ComponentResourceOptions,
): BotService {
  const placement = resolvePlacement(config.network);
  const service = <T>(value: T) => fromConfig(config, "service", value);
  const network = <T>(value: pulumi.Output<T>) =>
    isSecretConfig(config, "network") ? pulumi.secret(value) : value;
  return new BotService(
    `voxpersona-${config.stack}`,
    {
      imageRef,
      repositoryArn,
      repositoryKmsKeyArn: config.registry.encryption === "KMS" ? config.registry.kmsKeyArn : undefined,
      cpu: service(config.service.cpu),
      memory: service(config.service.memory),
      ephemeralStorageGiB: service(config.service.ephemeralStorageGiB),
      desiredCount: service(config.service.desiredCount),
      logRetentionDays: service(config.service.logRetentionDays),
      subnetIds: network(placement.subnetIds),
      vpcId: network(placement.vpcId),
      assignPublicIp: service(config.service.assignPublicIp),
      cpuArchitecture: service(config.service.cpuArchitecture),
      secrets,
      environment: Object.fromEntries(
        Object.entries(config.service.environment).map(([key, value]) => [key, service(value)]),
      ),
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
    taskDefinitionArn: service.taskDefinitionArn,
  };
}
