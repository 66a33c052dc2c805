/**
 * What CI prints when a deployment did not land: the verdict's headline, the service's deployments and
 * newest events, and the stopped tasks' reasons (usually the real cause). Pure formatting.
 */
import type { Deployment, Service, ServiceEvent, Task } from "@aws-sdk/client-ecs";
import { type Verdict, type VerdictKind, taskDefinitionLabel } from "./classify";

const DEFAULT_MAX_EVENTS = 10;

/** The newest `count` tasks by `stoppedAt` (falling back to `createdAt`), newest first. */
export function newestStoppedTasks(tasks: readonly Task[], count: number): Task[] {
  const at = (t: Task): number => (t.stoppedAt ?? t.createdAt)?.getTime() ?? 0;
  return [...tasks].sort((a, b) => at(b) - at(a)).slice(0, count);
}

export interface FailureReport {
  /** Stack name; every headline starts with it so logs of several stacks stay apart. */
  readonly stack: string;
  readonly verdict: Verdict;
  /** Set when the wait timed out with the verdict still in-progress: the deployment is stuck. */
  readonly waitedMs?: number;
  /** The service as last described, for its deployments and events. */
  readonly service?: Service;
  /** Stopped tasks to explain, newest first; their `stoppedReason` usually names the real cause. */
  readonly stoppedTasks?: readonly Task[];
  /** Why the stopped tasks are missing, when listing them failed. */
  readonly stoppedTasksError?: string;
  /** How many of the newest service events to show. @default 10 */
  readonly maxEvents?: number;
}

/** The lines CI prints when a deployment did not land: headline, deployments, events, stopped tasks. */
export function formatFailureReport(report: FailureReport): string[] {
  const lines = [headline(report)];
  if (report.service !== undefined) {
    lines.push(...deploymentsTable(report.service.deployments ?? []));
    lines.push(...eventLines(report.service.events ?? [], report.maxEvents ?? DEFAULT_MAX_EVENTS));
  }
  if (report.stoppedTasksError !== undefined) {
    lines.push(`stopped tasks: could not list them: ${report.stoppedTasksError}`);
  } else if (report.stoppedTasks !== undefined) {
    lines.push(...stoppedTaskLines(report.stoppedTasks));
  }
  return lines;
}

/** `120000` -> `120s`, `250` -> `0.3s`: the wait is reported to a tenth of a second. */
export function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))}s`;
}

function headline(report: FailureReport): string {
  const { stack, verdict } = report;
  if (report.waitedMs !== undefined && verdict.kind === "in-progress") {
    return `${stack}: STUCK: still not finished after waiting ${formatSeconds(report.waitedMs)}: ${verdict.reason}`;
  }
  const label: Record<VerdictKind, string> = {
    completed: "COMPLETED",
    "in-progress": "NOT FINISHED",
    "rolled-back": "ROLLED BACK",
    failed: "FAILED",
  };
  return `${stack}: ${label[verdict.kind]}: ${verdict.reason}`;
}

function deploymentsTable(deployments: readonly Deployment[]): string[] {
  if (deployments.length === 0) return ["deployments: none"];
  const header = ["ID", "STATUS", "TASK DEFINITION", "ROLLOUT", "RUNNING/DESIRED", "REASON"];
  const rows = deployments.map((d) => [
    d.id ?? "-",
    d.status ?? "-",
    taskDefinitionLabel(d.taskDefinition),
    d.rolloutState ?? "-",
    `${d.runningCount ?? 0}/${d.desiredCount ?? 0}`,
    d.rolloutStateReason ?? "",
  ]);
  return ["deployments:", ...alignColumns([header, ...rows]).map((row) => `  ${row}`)];
}

/** Pads every column but the last to its widest cell, two spaces apart. */
function alignColumns(rows: readonly string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i])))
      .join("  ")
      .trimEnd(),
  );
}

function eventLines(events: readonly ServiceEvent[], max: number): string[] {
  if (events.length === 0) return ["events: none"];
  const newest = [...events]
    .sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0))
    .slice(0, max);
  return [
    `events (newest ${newest.length} of ${events.length}):`,
    ...newest.map((e) => `  ${isoTime(e.createdAt)} ${e.message ?? ""}`.trimEnd()),
  ];
}

function stoppedTaskLines(tasks: readonly Task[]): string[] {
  if (tasks.length === 0) return ["stopped tasks: none"];
  const lines = [`stopped tasks (newest ${tasks.length}):`];
  for (const task of tasks) {
    const id = task.taskArn?.slice(task.taskArn.lastIndexOf("/") + 1) ?? "-";
    const stopCode = task.stopCode ? ` (${task.stopCode})` : "";
    lines.push(
      `  ${id} ${taskDefinitionLabel(task.taskDefinitionArn)} stopped ${isoTime(task.stoppedAt)}${stopCode}: ` +
        (task.stoppedReason ?? "no stoppedReason"),
    );
    for (const c of task.containers ?? []) {
      if (c.reason === undefined && c.exitCode === undefined) continue;
      const parts = [c.exitCode === undefined ? undefined : `exit code ${c.exitCode}`, c.reason];
      lines.push(`    container ${c.name ?? "-"}: ${parts.filter(Boolean).join(": ")}`);
    }
  }
  return lines;
}

function isoTime(date: Date | undefined): string {
  return date === undefined ? "(no time)" : date.toISOString();
}
