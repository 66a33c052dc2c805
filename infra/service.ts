import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { LOG_RETENTION_DAYS } from "./config";
import {
  ENV_NAME_PATTERN,
  SECRET_NAME_MARKERS,
  grantFor,
  secretsPolicyDocument,
  type SecretGrant,
} from "./secrets";

export type CpuArchitecture = "X86_64" | "ARM64";

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
   * @default 21
   */
  readonly ephemeralStorageGiB?: pulumi.Input<number>;
  /**
   * Number of bot tasks: 1 runs the bot, 0 pauses it. Never more: two bots would poll the same updates.
   * @default 1
   */
  readonly desiredCount?: pulumi.Input<0 | 1>;
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

/** Name of the single container in the task definition. */
export const CONTAINER_NAME = "voxpersona";
/** Seconds between SIGTERM and SIGKILL: enough for the bot to finish an update and close its DB pool. */
export const STOP_TIMEOUT_SECONDS = 60;
export const DEFAULT_EPHEMERAL_STORAGE_GIB = 21;

const TASK_FAMILY = /^[A-Za-z0-9_-]{1,255}$/;
const DIGEST_REF = /^([^@\s]+)@sha256:[0-9a-f]{64}$/;

const ECS_TASKS_TRUST = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" },
  ],
});

/**
 * Throws unless `imageRef` is `<repository>@sha256:<64 hex>` with no tag. A tag (even next to a digest)
 * invites "which image is running?" confusion and lets a re-pushed tag change production.
 */
export function checkImageRef(owner: string, imageRef: string): void {
  const match = DIGEST_REF.exec(imageRef);
  const repository = match?.[1] ?? "";
  const lastSegment = repository.slice(repository.lastIndexOf("/") + 1);
  if (!match || lastSegment.includes(":")) {
    throw new Error(
      `${owner}: args.imageRef must be pinned by digest as <repositoryUrl>@sha256:<64 lowercase hex> ` +
        `without a tag (got "${imageRef}"); deploy the digest the image build produced, never a tag`,
    );
  }
}

/** Everything the container definition is rendered from, once all Outputs are known. */
export interface ContainerInputs {
  readonly image: string;
  readonly logGroupName: string;
  readonly region: string;
  readonly grants: readonly SecretGrant[];
  readonly environment: Readonly<Record<string, string>>;
}

/**
 * The task's `containerDefinitions` JSON: one essential container, secrets only as `secrets`, both lists
 * sorted by name so the task definition only changes when the content does.
 */
export function renderContainerDefinitions(owner: string, inputs: ContainerInputs): string {
  checkImageRef(owner, inputs.image);
  return JSON.stringify([
    {
      name: CONTAINER_NAME,
      image: inputs.image,
      essential: true,
      environment: Object.keys(inputs.environment)
        .sort()
        .map((key) => ({ name: key, value: inputs.environment[key] })),
      secrets: [...inputs.grants]
        .sort((a, b) => (a.env < b.env ? -1 : 1))
        .map((g) => ({ name: g.env, valueFrom: g.valueFrom })),
      logConfiguration: {
        logDriver: "awslogs",
        options: {
          "awslogs-group": inputs.logGroupName,
          "awslogs-region": inputs.region,
          "awslogs-stream-prefix": CONTAINER_NAME,
        },
      },
      stopTimeout: STOP_TIMEOUT_SECONDS,
    },
  ]);
}

function isPlain<T>(value: pulumi.Input<T> | undefined): value is T {
  return !pulumi.Output.isInstance(value) && !(value instanceof Promise);
}

/**
 * Checks what is known now; an Output (a value from another resource, or config stored as a secret) was
 * checked by whoever produced it and is checked again, where possible, once known.
 */
function validate(name: string, owner: string, args: BotServiceArgs): void {
  if (!TASK_FAMILY.test(name)) {
    throw new Error(
      `${owner}: the name is also the task definition family and must be 1-255 letters, digits, "-" or "_"`,
    );
  }
  if (isPlain(args.imageRef)) {
    checkImageRef(owner, args.imageRef);
  }
  for (const field of ["cpu", "memory"] as const) {
    const value = args[field];
    if (isPlain(value) && (!Number.isInteger(value) || value <= 0)) {
      throw new Error(`${owner}: args.${field} must be a positive integer (got ${String(value)})`);
    }
  }
  const storage = args.ephemeralStorageGiB ?? DEFAULT_EPHEMERAL_STORAGE_GIB;
  if (isPlain(storage) && (!Number.isInteger(storage) || storage < 21 || storage > 200)) {
    throw new Error(
      `${owner}: args.ephemeralStorageGiB must be an integer from 21 to 200 (got ${String(storage)}): ` +
        `that is the range Fargate accepts`,
    );
  }
  const desiredCount = args.desiredCount ?? 1;
  if (isPlain(desiredCount) && desiredCount !== 0 && desiredCount !== 1) {
    throw new Error(
      `${owner}: args.desiredCount must be 0 or 1 (got ${String(desiredCount)}): the bot must never run ` +
        `twice; set voxpersona:service.desiredCount to 1`,
    );
  }
  if (isPlain(args.logRetentionDays) && !LOG_RETENTION_DAYS.includes(args.logRetentionDays)) {
    throw new Error(
      `${owner}: args.logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(", ")} ` +
        `(got ${String(args.logRetentionDays)}): CloudWatch Logs accepts only these`,
    );
  }
  if (isPlain(args.subnetIds) && args.subnetIds.length === 0) {
    throw new Error(`${owner}: args.subnetIds must list at least one subnet of args.vpcId`);
  }
  const cpuArchitecture = args.cpuArchitecture ?? "X86_64";
  if (isPlain(cpuArchitecture) && cpuArchitecture !== "X86_64" && cpuArchitecture !== "ARM64") {
    throw new Error(
      `${owner}: args.cpuArchitecture must be "X86_64" or "ARM64" (got "${String(cpuArchitecture)}")`,
    );
  }

  const secretEnvs = new Set<string>();
  const secretArns = new Set<string>();
  for (const secret of args.secrets ?? []) {
    if (!ENV_NAME_PATTERN.test(secret.env)) {
      throw new Error(
        `${owner}: args.secrets env "${secret.env}" is not a valid variable name: use upper-case letters, ` +
          `digits and "_" and do not start with a digit`,
      );
    }
    if (secretEnvs.has(secret.env)) {
      throw new Error(
        `${owner}: args.secrets declares ${secret.env} more than once; keep one reference per variable`,
      );
    }
    secretEnvs.add(secret.env);
    if (isPlain(secret.valueFrom)) {
      grantFor(secret.env, secret.valueFrom);
      secretArns.add(secret.valueFrom);
    }
  }

  for (const [key, value] of Object.entries(args.environment ?? {})) {
    if (!ENV_NAME_PATTERN.test(key)) {
      throw new Error(
        `${owner}: args.environment key "${key}" is not a valid variable name: use upper-case letters, ` +
          `digits and "_" and do not start with a digit`,
      );
    }
    if (secretEnvs.has(key)) {
      throw new Error(
        `${owner}: args.environment.${key} is also declared in args.secrets; a variable must come from ` +
          `one place: remove it from the plain environment`,
      );
    }
    const marker = SECRET_NAME_MARKERS.find((m) => key.includes(m));
    if (marker !== undefined) {
      throw new Error(
        `${owner}: args.environment.${key} looks like a secret (name contains "${marker}"); plain ` +
          `environment values are readable by anyone who can describe the task definition: move it to ` +
          `voxpersona:secrets`,
      );
    }
    if (isPlain(value) && secretArns.has(value)) {
      throw new Error(
        `${owner}: args.environment.${key} is set to the secret reference "${value}", which would pass ` +
          `the reference, not the secret; declare it in voxpersona:secrets instead`,
      );
    }
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
    validate(name, owner, args);

    const secrets = args.secrets ?? [];
    const environment = args.environment ?? {};
    const tags = args.tags;

    const region = aws.getRegionOutput({}, { parent: this }).region;
    // Checked again once known: an ARN from an Output (a secret config value) must be full as well.
    const grants: pulumi.Output<SecretGrant[]> = pulumi
      .all(secrets.map((s) => s.valueFrom))
      .apply((arns) => arns.map((arn, i) => grantFor(secrets[i].env, arn)));

    const cluster = new aws.ecs.Cluster(
      `${name}-cluster`,
      { settings: [{ name: "containerInsights", value: "enabled" }], tags },
      { parent: this },
    );

    // Auto-named so stacks sharing an account never collide and a replacement never fights the old group.
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { retentionInDays: args.logRetentionDays, tags },
      { parent: this },
    );

    const executionRole = new aws.iam.Role(
      `${name}-exec-role`,
      {
        description: "ECS agent for the VoxPersona bot: pulls the image, writes logs, injects secrets",
        assumeRolePolicy: ECS_TASKS_TRUST,
        tags,
      },
      { parent: this },
    );

    const executionPolicy = new aws.iam.RolePolicy(
      `${name}-exec-policy`,
      {
        role: executionRole.name,
        policy: pulumi
          .all([args.repositoryArn, logGroup.arn, grants, args.repositoryKmsKeyArn])
          .apply(([repoArn, logArn, granted, kmsKeyArn]) =>
            JSON.stringify({
              Version: "2012-10-17",
              Statement: [
                // GetAuthorizationToken is account-wide by design; IAM cannot scope it to a repository.
                {
                  Sid: "EcrLogin",
                  Effect: "Allow",
                  Action: ["ecr:GetAuthorizationToken"],
                  Resource: ["*"],
                },
                {
                  Sid: "PullReleaseImage",
                  Effect: "Allow",
                  Action: [
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:GetDownloadUrlForLayer",
                  ],
                  Resource: [repoArn],
                },
                ...(kmsKeyArn
                  ? [
                      {
                        Sid: "DecryptReleaseImage",
                        Effect: "Allow",
                        Action: ["kms:Decrypt"],
                        Resource: [kmsKeyArn],
                      },
                    ]
                  : []),
                {
                  Sid: "WriteBotLogs",
                  Effect: "Allow",
                  Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                  Resource: [`${logArn}:*`],
                },
                ...secretsPolicyDocument(granted).Statement,
              ],
            }),
          ),
      },
      { parent: this },
    );

    // The bot only talks to Telegram, PostgreSQL and model APIs with credentials from its secrets, so the
    // role it runs as gets no permissions at all.
    const taskRole = new aws.iam.Role(
      `${name}-task-role`,
      {
        description: "VoxPersona bot task: intentionally without permissions",
        assumeRolePolicy: ECS_TASKS_TRUST,
        tags,
      },
      { parent: this },
    );

    const securityGroup = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        description: "VoxPersona bot: no inbound, all outbound (Telegram, PostgreSQL, model APIs)",
        vpcId: args.vpcId,
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
      { parent: this },
    );

    const containerDefinitions = pulumi
      .all([args.imageRef, logGroup.name, region, grants, pulumi.output(environment)])
      .apply(([image, logGroupName, awsRegion, granted, env]) =>
        // Outputs (e.g. the digest from the image build) can only be checked once known; plain strings were
        // already checked above and re-checking them is free.
        renderContainerDefinitions(owner, {
          image,
          logGroupName,
          region: awsRegion,
          grants: granted,
          environment: env,
        }),
      );

    const taskDefinition = new aws.ecs.TaskDefinition(
      `${name}-task`,
      {
        family: name,
        requiresCompatibilities: ["FARGATE"],
        networkMode: "awsvpc",
        cpu: pulumi.output(args.cpu).apply(String),
        memory: pulumi.output(args.memory).apply(String),
        ephemeralStorage: { sizeInGib: args.ephemeralStorageGiB ?? DEFAULT_EPHEMERAL_STORAGE_GIB },
        runtimePlatform: {
          operatingSystemFamily: "LINUX",
          cpuArchitecture: args.cpuArchitecture ?? "X86_64",
        },
        executionRoleArn: executionRole.arn,
        taskRoleArn: taskRole.arn,
        containerDefinitions,
        tags,
      },
      { parent: this },
    );

    const service = new aws.ecs.Service(
      `${name}-svc`,
      {
        cluster: cluster.arn,
        taskDefinition: taskDefinition.arn,
        launchType: "FARGATE",
        desiredCount: args.desiredCount ?? 1,
        // Stop the old task before starting the new one: two bots polling the same updates would answer
        // twice. The cost is a short gap in service during each deploy.
        deploymentMaximumPercent: 100,
        deploymentMinimumHealthyPercent: 0,
        deploymentCircuitBreaker: { enable: true, rollback: true },
        networkConfiguration: {
          subnets: args.subnetIds,
          securityGroups: [securityGroup.id],
          assignPublicIp: args.assignPublicIp ?? false,
        },
        // The bot has no health endpoint, so "deployed" only means something if we wait for the task to
        // reach steady state; a crash-looping image then fails `pulumi up` instead of passing silently.
        waitForSteadyState: true,
        propagateTags: "SERVICE",
        tags,
      },
      // Without the inline policy in place the first task cannot pull the image or read its secrets.
      { parent: this, dependsOn: [executionPolicy] },
    );

    this.serviceName = service.name;
    this.clusterName = cluster.name;
    this.logGroupName = logGroup.name;
    this.taskDefinitionArn = taskDefinition.arn;
    this.executionRoleArn = executionRole.arn;
    this.taskRoleArn = taskRole.arn;
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
}
