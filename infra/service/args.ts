/** The BotService component's arguments. */
import * as pulumi from "@pulumi/pulumi";
import type { CpuArchitecture, DesiredCount } from "./limits";

/** A container env var whose value ECS injects from Secrets Manager or SSM at task start. */
export interface BotSecretRef {
  /** Environment variable name inside the container, e.g. `DATABASE_URL`. */
  readonly env: string;
  /**
   * Full ARN of the Secrets Manager secret (with its 6-character suffix) or SSM parameter. ECS reads a bare
   * Secrets Manager name as an SSM parameter name, so names are refused (resolve them first).
   */
  readonly valueFrom: pulumi.Input<string>;
}

export interface BotServiceArgs {
  /**
   * Image to run, pinned by digest: `<repositoryUrl>@sha256:<64 hex>`. Tags are refused so that what runs
   * is exactly what was built and promoted.
   * @default required
   */
  readonly imageRef: pulumi.Input<string>;
  /**
   * ARN of the ECR repository holding `imageRef`; the only repository the execution role may pull from.
   * @default required
   */
  readonly repositoryArn: pulumi.Input<string>;
  /**
   * KMS key the release repository is encrypted with (ECR `encryption: KMS`); pulling its layers needs
   * `kms:Decrypt` on it. Unset for AES256 repositories.
   * @default undefined (no KMS grant)
   */
  readonly repositoryKmsKeyArn?: pulumi.Input<string>;
  /**
   * Fargate CPU units (256, 512, 1024, ...); must form a valid Fargate pair with `memory`.
   * @default required
   */
  readonly cpu: pulumi.Input<number>;
  /**
   * Task memory in MiB; must form a valid Fargate pair with `cpu`.
   * @default required
   */
  readonly memory: pulumi.Input<number>;
  /**
   * Task ephemeral storage in GiB (Fargate accepts 21..200). The embedding models are baked into the
   * image, so the image itself counts against it.
   * @default EPHEMERAL_STORAGE_GIB.default (30)
   */
  readonly ephemeralStorageGiB?: pulumi.Input<number>;
  /**
   * Number of bot tasks: 1 runs the bot, 0 pauses it. Never more: two bots would poll the same updates.
   * @default 1
   */
  readonly desiredCount?: pulumi.Input<DesiredCount>;
  /**
   * CloudWatch Logs retention in days; one of the values CloudWatch accepts (1, 3, 5, 7, 14, 30, ...).
   * @default required
   */
  readonly logRetentionDays: pulumi.Input<number>;
  /**
   * Subnets the task's network interface is placed in.
   * @default required
   */
  readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * VPC of `subnetIds`; the bot's security group is created in it.
   * @default required
   */
  readonly vpcId: pulumi.Input<string>;
  /**
   * Give the task a public IP; needed only in public subnets without a NAT gateway, since the bot must
   * reach Telegram, the database and model APIs.
   * @default false
   */
  readonly assignPublicIp?: pulumi.Input<boolean>;
  /**
   * Env vars injected from Secrets Manager / SSM; the execution role is granted read on exactly these.
   * @default []
   */
  readonly secrets?: readonly BotSecretRef[];
  /**
   * Plain, non-secret env vars. Keys that look secret (TOKEN, SECRET, PASSWORD, KEY, DATABASE_URL) or
   * that are also in `secrets` are refused.
   * @default {}
   */
  readonly environment?: Readonly<Record<string, pulumi.Input<string>>>;
  /**
   * CPU architecture of the image; must match the platform it was built for.
   * @default "X86_64"
   */
  readonly cpuArchitecture?: pulumi.Input<CpuArchitecture>;
  /**
   * Tags for every taggable child; tasks inherit the service's tags.
   * @default {} (none)
   */
  readonly tags?: Readonly<Record<string, string>>;
}
