/**
 * Did the deployment `pulumi up` just made actually land? Pure verdicts over ECS `DescribeServices` output
 * (the text CI prints when it did not is in `report.ts`).
 *
 * Why this exists: the bot's service runs with the deployment circuit breaker (rollback on) and the
 * provider's `waitForSteadyState`. When the new task definition's tasks cannot start, the breaker fails
 * that deployment and ECS creates a rollback deployment of the previous task definition. The provider's
 * wait only asks "is the service stable?", and the rollback *is* stable, so the update succeeds and
 * `pulumi up` exits 0 while the old image keeps running (terraform-provider-aws issue #19519, which the
 * Pulumi AWS provider inherits: https://github.com/hashicorp/terraform-provider-aws/issues/19519). So after
 * every `pulumi up`, CI compares what the service's PRIMARY deployment runs with the task definition the
 * stack just registered (scripts/verify-deploy.ts).
 *
 * By the time the provider returns, ECS has usually drained the failed deployment from `deployments[]`, so
 * "ours is not listed" alone cannot tell a rollback from a later deploy of something else; the rollback
 * deployment's `rolloutStateReason` and the service events ("rolling back to deployment ...") can.
 */
import type { Deployment, Failure, Service } from "@aws-sdk/client-ecs";

/**
 * - `completed`: the PRIMARY deployment runs the expected task definition, rollout COMPLETED, running ===
 *   desired, nothing else active.
 * - `in-progress`: not there yet; poll again.
 * - `rolled-back`: ECS failed the expected deployment and/or put a previous task definition back.
 * - `failed`: nothing to wait for: the service is gone, or someone deployed something else.
 */
export type VerdictKind = "completed" | "in-progress" | "rolled-back" | "failed";

export interface Verdict {
  readonly kind: VerdictKind;
  /** One line for humans naming the service, task definitions and deployment ids involved. */
  readonly reason: string;
}

/** What the stack says should be running: its `clusterName`, `serviceName` and `taskDefinitionArn` outputs. */
export interface DeploymentTarget {
  readonly clusterName: string;
  readonly serviceName: string;
  readonly taskDefinitionArn: string;
}

/**
 * How far before the PRIMARY deployment's creation a "rolling back" event still counts as evidence that
 * the PRIMARY is that rollback: ECS creates both in the same step, but their clocks are not one field.
 */
const ROLLBACK_EVENT_SLACK_MS = 60_000;
const ROLLBACK_TEXT = /rolling back|rolled back/i;

/** `arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>` -> `<family>:<revision>`. */
export function taskDefinitionLabel(arn: string | undefined): string {
  if (arn === undefined || arn === "") return "(none)";
  const slash = arn.indexOf(":task-definition/");
  return slash < 0 ? arn : arn.slice(slash + ":task-definition/".length);
}

/**
 * Classifies the service as DescribeServices returned it. `service` is undefined when DescribeServices put
 * it in `failures[]` instead (`failure`, e.g. reason MISSING).
 */
export function classifyDeployment(
  service: Service | undefined,
  target: DeploymentTarget,
  failure?: Failure,
): Verdict {
  if (service === undefined) return missingService(target, failure);
  const name = service.serviceName ?? target.serviceName;
  if (service.status === "INACTIVE" || service.status === "DRAINING") {
    const meaning = service.status === "INACTIVE" ? "deleted" : "being deleted";
    return {
      kind: "failed",
      reason: `service ${name} in cluster ${target.clusterName} is ${service.status} (${meaning})`,
    };
  }
  const deployments = service.deployments ?? [];
  const primary = deployments.find((d) => d.status === "PRIMARY");
  if (primary === undefined) {
    return {
      kind: "failed",
      reason: `service ${name} has no PRIMARY deployment, so what it runs cannot be told (is its deployment controller ECS?)`,
    };
  }
  const expected = target.taskDefinitionArn;
  const ours = deployments.filter((d) => d.taskDefinition === expected);
  const failedOurs = ours.find((d) => d.rolloutState === "FAILED");
  if (failedOurs !== undefined) return failedDeployment(name, primary, failedOurs, expected);
  if (primary.taskDefinition !== expected) return replacedDeployment(service, name, primary, ours, expected);
  return rolloutProgress(name, primary, deployments);
}

function missingService(target: DeploymentTarget, failure: Failure | undefined): Verdict {
  const why = [failure?.reason ?? "not returned", failure?.detail].filter(Boolean).join(": ");
  return {
    kind: "failed",
    reason:
      `service ${target.serviceName} not found in cluster ${target.clusterName} (DescribeServices: ${why}): ` +
      "it was deleted, or the stack outputs name a service that never existed",
  };
}

/** Our deployment's rollout is FAILED: the circuit breaker tripped (and, with rollback on, ECS reverts). */
function failedDeployment(name: string, primary: Deployment, ours: Deployment, expected: string): Verdict {
  const failure =
    `the deployment of ${taskDefinitionLabel(expected)} (${ours.id ?? "no id"}) FAILED: ` +
    (ours.rolloutStateReason ?? "no rolloutStateReason");
  if (primary.taskDefinition === expected)
    return { kind: "rolled-back", reason: `service ${name}: ${failure}` };
  return {
    kind: "rolled-back",
    reason: `ECS rolled back service ${name} to ${taskDefinitionLabel(primary.taskDefinition)}; ${failure}`,
  };
}

/** The PRIMARY runs another task definition: a rollback, or (with no trace of one) someone else's deploy. */
function replacedDeployment(
  service: Service,
  name: string,
  primary: Deployment,
  ours: readonly Deployment[],
  expected: string,
): Verdict {
  const running = taskDefinitionLabel(primary.taskDefinition);
  const wanted = taskDefinitionLabel(expected);
  if (ours.length > 0) {
    return {
      kind: "rolled-back",
      reason:
        `ECS rolled back service ${name} to ${running} (PRIMARY deployment ${primary.id ?? "no id"}: ` +
        `${primary.rolloutStateReason ?? "no rolloutStateReason"}) while ${wanted} was still rolling out`,
    };
  }
  const evidence = rollbackEvidence(service, primary);
  if (evidence !== undefined) {
    return {
      kind: "rolled-back",
      reason: `ECS rolled back service ${name} to ${running} and already drained the deployment of ${wanted} (${evidence})`,
    };
  }
  return {
    kind: "failed",
    reason:
      `${wanted} is not among the deployments of service ${name}; its PRIMARY runs ${running}: ` +
      "something else was deployed after this program's pulumi up",
  };
}

/** Text showing that `primary` is a rollback deployment, if ECS left any. */
function rollbackEvidence(service: Service, primary: Deployment): string | undefined {
  if (ROLLBACK_TEXT.test(primary.rolloutStateReason ?? "")) return primary.rolloutStateReason;
  const since = (primary.createdAt?.getTime() ?? Number.POSITIVE_INFINITY) - ROLLBACK_EVENT_SLACK_MS;
  const event = (service.events ?? []).find(
    (e) =>
      ROLLBACK_TEXT.test(e.message ?? "") && (e.createdAt?.getTime() ?? Number.NEGATIVE_INFINITY) >= since,
  );
  return event?.message;
}

/** The PRIMARY runs our task definition: done, or still converging. */
function rolloutProgress(name: string, primary: Deployment, deployments: readonly Deployment[]): Verdict {
  const label = taskDefinitionLabel(primary.taskDefinition);
  const counts = `${primary.runningCount ?? 0}/${primary.desiredCount ?? 0} running`;
  const subject = `deployment ${primary.id ?? "(no id)"} of ${label} to service ${name}`;
  if (primary.rolloutState !== "COMPLETED") {
    const failedTasks = primary.failedTasks ? `, ${primary.failedTasks} failed tasks so far` : "";
    const state = primary.rolloutState ?? "without a rolloutState";
    return { kind: "in-progress", reason: `${subject} is ${state} (${counts}${failedTasks})` };
  }
  if ((primary.runningCount ?? 0) !== (primary.desiredCount ?? 0)) {
    return { kind: "in-progress", reason: `${subject} is COMPLETED but only ${counts}` };
  }
  const others = deployments.filter((d) => d !== primary && d.status !== "INACTIVE");
  if (others.length > 0) {
    const ids = others.map((d) => `${d.id ?? "(no id)"} ${d.status ?? ""}`.trim()).join(", ");
    return {
      kind: "in-progress",
      reason: `${subject} is COMPLETED but older deployments are still active: ${ids}`,
    };
  }
  return { kind: "completed", reason: `service ${name} runs ${label} (${counts}, rollout COMPLETED)` };
}
