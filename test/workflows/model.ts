/**
 * The GitHub Actions workflows and the checkout action as data, and the helpers the workflow tests share.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { ROOT } from "../helpers/stackfiles";

export const WORKFLOW_DIR = join(ROOT, ".github", "workflows");

export interface Step {
  name?: string;
  id?: string;
  if?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}

export interface Job {
  needs?: string | string[];
  "timeout-minutes"?: number;
  if?: string;
  permissions?: unknown;
  environment?: unknown;
  concurrency?: { group?: string; "cancel-in-progress"?: boolean };
  outputs?: Record<string, string>;
  strategy?: { matrix?: Record<string, unknown> };
  env?: Record<string, unknown>;
  steps?: Step[];
}

export interface Workflow {
  name?: string;
  on?: Record<string, unknown>;
  permissions?: unknown;
  concurrency?: { group?: string; "cancel-in-progress"?: boolean };
  env?: Record<string, unknown>;
  jobs: Record<string, Job>;
}

export type Workflows = Record<string, Workflow>;

export interface ActionInput {
  description?: string;
  required?: boolean;
  default?: unknown;
}

/** A composite action's action.yml (the parts the checks read). */
export interface Action {
  name?: string;
  inputs?: Record<string, ActionInput>;
  runs?: { using?: string; steps?: (Step & { shell?: string })[] };
}

export const sources: Record<string, string> = Object.fromEntries(
  readdirSync(WORKFLOW_DIR)
    .filter((f) => f.endsWith(".yml") || f.endsWith(".yaml"))
    .sort()
    .map((f) => [f, readFileSync(join(WORKFLOW_DIR, f), "utf8")]),
);
export const workflows: Workflows = Object.fromEntries(
  Object.entries(sources).map(([f, text]) => [f, parse(text) as Workflow]),
);

/**
 * The local composite action every job that builds or previews gets its tree from. actionlint lints
 * workflows, not action.yml files, so its structure is checked here (checkoutActionViolations).
 */
export const CHECKOUT_ACTION = "./.github/actions/checkout";
export const CHECKOUT_ACTION_FILE = ".github/actions/checkout/action.yml";
export const checkoutActionSource = readFileSync(join(ROOT, CHECKOUT_ACTION_FILE), "utf8");
export const checkoutAction = parse(checkoutActionSource) as Action;

/** README.md: its "CI trust boundary (OIDC)" section documents the roles the workflows assume. */
export const readme = readFileSync(join(ROOT, "README.md"), "utf8");

export const PR = "pull-request.yml";
export const DEPLOY_DEV = "deploy-dev.yml";
export const PROMOTE = "promote.yml";
export const ROLLBACK = "rollback.yml";
export const PR_NUMBER = "${{ github.event.pull_request.number }}";
export const DIGEST_PATTERN = "^sha256:[0-9a-f]{64}$";

// ---------------------------------------------------------------------------------------------------------
// helpers

export const steps = (job: Job): Step[] => job.steps ?? [];
export const runs = (job: Job): string =>
  steps(job)
    .map((s) => s.run ?? "")
    .join("\n");
export const usesAction = (step: Step, action: string): boolean => (step.uses ?? "").split("@")[0] === action;
export const stepsUsing = (job: Job, action: string): Step[] =>
  steps(job).filter((s) => usesAction(s, action));
export const pulumiCommands = (job: Job): string[] =>
  stepsUsing(job, "pulumi/actions").flatMap((s) =>
    s.with?.command === undefined ? [] : [String(s.with.command)],
  );
export const needsOf = (job: Job): string[] => (job.needs === undefined ? [] : [job.needs].flat());
/** The options of a workflow_dispatch `stack` choice input (rollback.yml), or []. */
export const stackOptions = (wf: Workflow | undefined): string[] => {
  const input = (wf?.on?.workflow_dispatch as { inputs?: Record<string, { options?: unknown }> } | undefined)
    ?.inputs?.stack;
  return Array.isArray(input?.options) ? input.options.map(String) : [];
};
export const allJobs = (wfs: Workflows): [string, string, Job][] =>
  Object.entries(wfs).flatMap(([file, wf]) =>
    Object.entries(wf.jobs).map(([id, job]): [string, string, Job] => [file, id, job]),
  );

/** Jobs whose result depends on the files' modes: they build the image or run the Pulumi program. */
export const buildsOrPreviews = (job: Job): boolean =>
  runs(job).includes("docker buildx bake") || pulumiCommands(job).some((c) => ["preview", "up"].includes(c));

/** The commands of a script, one a line, trimmed, comments and blank lines skipped. */
export const commands = (script: string): string[] =>
  script
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));

/** The first command of a script, comments and blank lines skipped. */
export const firstCommand = (script: string): string => commands(script)[0] ?? "";

/**
 * A script that writes files with umask 0022: its first command sets it, not in a subshell (which would
 * end with it), and each of `after` (in order) comes after it. Violations are prefixed with `where`.
 */
export function umaskFirstViolations(where: string, script: string, after: string[]): string[] {
  const v: string[] = [];
  if (firstCommand(script) !== "umask 0022") v.push(`${where}: the script must start with umask 0022`);
  if (/\(\s*umask|umask 0022\s*\)|umask 0022\s*&/.test(script))
    v.push(`${where}: umask confined to a subshell`);
  let at = script.indexOf("umask 0022");
  for (const needle of after) {
    const next = script.indexOf(needle);
    if (at < 0 || next < at) {
      v.push(`${where}: ${JSON.stringify(needle)} must come after umask 0022 (and the steps before it)`);
      break;
    }
    at = next;
  }
  return v;
}

/** Commands that write or replace a checked-out tree. */
export const WRITES_TREE = /\bgit\b.*\s(clone|checkout|switch|restore|pull|reset|read-tree|checkout-index)\b/;
