/**
 * The ECS side of the verify-deploy tests: our cluster and service, and the JSON 1.1 bodies ECS sends for
 * them (response syntax of the ECS API reference:
 *   https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServices.html
 *   https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTasks.html
 *   https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTasks.html
 * timestamps are epoch seconds, as JSON 1.1 sends them; the SDK turns them into Dates). The rollback texts
 * are the ones ECS writes when the deployment circuit breaker trips.
 */
import type { DeploymentTarget } from "../../infra/deployment";
import { type AwsJsonFake, FAKE_AWS_ENV, TARGET_PREFIX, startAwsJsonFake } from "../helpers/aws-json-fake";

export const REGION = FAKE_AWS_ENV.AWS_REGION;
export const ACCOUNT = "123456789012";
export const CLUSTER = "voxpersona-dev";
export const SERVICE = "voxpersona-dev";
export const taskDefinition = (revision: number): string =>
  `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/voxpersona-dev:${revision}`;
export const OLD_TD = taskDefinition(7);
export const NEW_TD = taskDefinition(8);
export const TARGET: DeploymentTarget = {
  clusterName: CLUSTER,
  serviceName: SERVICE,
  taskDefinitionArn: NEW_TD,
};
export const OUTPUTS = {
  clusterName: CLUSTER,
  serviceName: SERVICE,
  taskDefinitionArn: NEW_TD,
  logGroupName: "/ecs/x",
};

export const OLD_ID = "ecs-svc/1111111111111111111";
export const NEW_ID = "ecs-svc/2222222222222222222";
export const ROLLBACK_ID = "ecs-svc/3333333333333333333";
export const STOPPED_TASK_ID = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
export const OLDER_TASK_ID = "9a8b7c6d5e4f30211203f4e5d6c7b8a9";
/** 2026-11-29T10:00:00Z in epoch seconds, the wire format of every JSON 1.1 timestamp. */
export const T0 = Date.UTC(2026, 10, 29, 10, 0, 0) / 1000;
export const iso = (epochSeconds: number): string => new Date(epochSeconds * 1000).toISOString();

// ---------------------------------------------------------------------------------------------------------
// Wire shapes (API reference field names; only the fields a real response carries for a Fargate service).

export type Json = Record<string, unknown>;

function deployment(fields: {
  id: string;
  status: "PRIMARY" | "ACTIVE";
  taskDefinition: string;
  rolloutState: "IN_PROGRESS" | "COMPLETED" | "FAILED";
  rolloutStateReason: string;
  running: number;
  desired: number;
  failedTasks?: number;
  createdAt: number;
}): Json {
  return {
    id: fields.id,
    status: fields.status,
    taskDefinition: fields.taskDefinition,
    desiredCount: fields.desired,
    pendingCount: 0,
    runningCount: fields.running,
    failedTasks: fields.failedTasks ?? 0,
    createdAt: fields.createdAt,
    updatedAt: fields.createdAt + 30,
    launchType: "FARGATE",
    platformVersion: "1.4.0",
    platformFamily: "Linux",
    networkConfiguration: {
      awsvpcConfiguration: {
        subnets: ["subnet-0abc"],
        securityGroups: ["sg-0abc"],
        assignPublicIp: "DISABLED",
      },
    },
    rolloutState: fields.rolloutState,
    rolloutStateReason: fields.rolloutStateReason,
  };
}

export function service(
  deployments: Json[],
  events: Array<[number, string]>,
  counts = { running: 1, desired: 1 },
): Json {
  return {
    serviceArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${CLUSTER}/${SERVICE}`,
    serviceName: SERVICE,
    clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${CLUSTER}`,
    status: "ACTIVE",
    desiredCount: counts.desired,
    runningCount: counts.running,
    pendingCount: 0,
    launchType: "FARGATE",
    platformVersion: "LATEST",
    platformFamily: "Linux",
    taskDefinition: (deployments[0] as { taskDefinition: string }).taskDefinition,
    deploymentConfiguration: {
      deploymentCircuitBreaker: { enable: true, rollback: true },
      maximumPercent: 200,
      minimumHealthyPercent: 100,
    },
    deployments,
    events: events.map(([at, message], i) => ({ id: `e-${i}`, createdAt: at, message })),
    createdAt: T0 - 86_400,
    createdBy: `arn:aws:iam::${ACCOUNT}:role/deployer`,
    schedulingStrategy: "REPLICA",
    deploymentController: { type: "ECS" },
  };
}

export const describeServicesOutput = (svc: Json): Json => ({ services: [svc], failures: [] });

export const newDeployment = (over: Partial<Parameters<typeof deployment>[0]> = {}): Json =>
  deployment({
    id: NEW_ID,
    status: "PRIMARY",
    taskDefinition: NEW_TD,
    rolloutState: "COMPLETED",
    rolloutStateReason: `ECS deployment ${NEW_ID} completed.`,
    running: 1,
    desired: 1,
    createdAt: T0,
    ...over,
  });

export const COMPLETED = service(
  [newDeployment()],
  [[T0 + 120, `(service ${SERVICE}) has reached a steady state.`]],
);
export const IN_PROGRESS = service(
  [
    newDeployment({
      rolloutState: "IN_PROGRESS",
      rolloutStateReason: `ECS deployment ${NEW_ID} in progress.`,
      running: 0,
    }),
    deployment({
      id: OLD_ID,
      status: "ACTIVE",
      taskDefinition: OLD_TD,
      rolloutState: "COMPLETED",
      rolloutStateReason: `ECS deployment ${OLD_ID} completed.`,
      running: 1,
      desired: 1,
      createdAt: T0 - 3600,
    }),
  ],
  [[T0 + 5, `(service ${SERVICE}) has started 1 tasks: (task ${STOPPED_TASK_ID}).`]],
);

/** What the circuit breaker leaves behind: a rollback PRIMARY of the old revision, ours FAILED beside it. */
export const ROLLED_BACK = service(
  [
    deployment({
      id: ROLLBACK_ID,
      status: "PRIMARY",
      taskDefinition: OLD_TD,
      rolloutState: "IN_PROGRESS",
      rolloutStateReason: `ECS deployment circuit breaker: rolling back to deploymentId ${OLD_ID}.`,
      running: 1,
      desired: 1,
      createdAt: T0 + 360,
    }),
    newDeployment({
      status: "ACTIVE",
      rolloutState: "FAILED",
      rolloutStateReason: "ECS deployment circuit breaker: tasks failed to start.",
      running: 0,
      desired: 0,
      failedTasks: 3,
    }),
  ],
  [
    [T0 + 360, `(service ${SERVICE}) rolling back to deployment ${OLD_ID}.`],
    [T0 + 359, `(service ${SERVICE}) (deployment ${NEW_ID}) deployment failed: tasks failed to start.`],
    [T0 + 5, `(service ${SERVICE}) has started 1 tasks: (task ${OLDER_TASK_ID}).`],
  ],
);

export const SECRETS_ERROR =
  "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: " +
  "unable to retrieve secret from asm: AccessDeniedException";

function stoppedTask(id: string, stoppedAt: number, reason: string, containerReason?: string): Json {
  return {
    taskArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${CLUSTER}/${id}`,
    clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${CLUSTER}`,
    taskDefinitionArn: NEW_TD,
    group: `service:${SERVICE}`,
    startedBy: NEW_ID,
    launchType: "FARGATE",
    lastStatus: "STOPPED",
    desiredStatus: "STOPPED",
    stopCode: "TaskFailedToStart",
    stoppedReason: reason,
    createdAt: stoppedAt - 40,
    stoppingAt: stoppedAt - 2,
    stoppedAt,
    containers: [
      {
        containerArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:container/${CLUSTER}/${id}/c0`,
        taskArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${CLUSTER}/${id}`,
        name: "voxpersona",
        lastStatus: "STOPPED",
        ...(containerReason === undefined ? {} : { reason: containerReason }),
      },
    ],
  };
}

export const STOPPED_TASKS = [
  stoppedTask(OLDER_TASK_ID, T0 + 60, SECRETS_ERROR),
  stoppedTask(STOPPED_TASK_ID, T0 + 340, SECRETS_ERROR, "CannotStartContainerError: secrets not injected"),
];

/** A fake whose DescribeServices answers `pages` in turn (the last one repeats). */
export async function ecsFake(pages: Json[]): Promise<AwsJsonFake> {
  let next = 0;
  return startAwsJsonFake(TARGET_PREFIX.ecs, {
    DescribeServices: () => pages[Math.min(next++, pages.length - 1)],
    ListTasks: () => ({ taskArns: STOPPED_TASKS.map((t) => t.taskArn) }),
    DescribeTasks: (input: { tasks: string[] }) => ({
      tasks: STOPPED_TASKS.filter((t) => input.tasks.includes(t.taskArn as string)),
      failures: [],
    }),
  });
}
