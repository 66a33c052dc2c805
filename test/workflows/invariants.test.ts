/** The real workflows satisfy every invariant, and every invariant rejects a broken copy of them. */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
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
  type Step,
  type Workflows,
  allJobs,
  buildsOrPreviews,
  checkoutAction,
  readme,
  sources,
  steps,
  usesAction,
  workflows,
} from "./model";
import {
  BOOTSTRAP_CHECKOUT,
  PROD_PIN,
  actionPinViolations,
  awsSessionViolations,
  cacheScopeViolations,
  checkoutActionViolations,
  deployVerificationViolations,
  environmentViolations,
  hygieneViolations,
  jobPermissionViolations,
  oidcViolations,
  prBuildViolations,
  prTrustViolations,
  previewViolations,
  prodPinViolations,
  promoteViolations,
  rollbackConcurrencyViolations,
  rollbackPinViolations,
  rollbackViolations,
  topLevelPermissionViolations,
  umaskViolations,
} from "./invariants";

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
    [
      "every uses: is a full commit SHA with its # vX.Y.Z on the line, one pin per action",
      () => actionPinViolations(sources),
    ],
    [
      "pull-request jobs use the preview token and role, never the deploy token or a deploy role",
      prTrustViolations,
    ],
    [
      "each job assumes the role whose OIDC subject it presents; README's table says the same",
      (wfs) => oidcViolations(wfs),
    ],
    [
      "prod pins the digest the staging job verified before pulumi up; a committed pin wins, announced",
      prodPinViolations,
    ],
    [
      "rollback's concurrency group is never promote's, and nothing is cancelled in progress",
      rollbackConcurrencyViolations,
    ],
    [
      "a rollback commits its pin in a pull request once up and verify-deploy succeeded",
      rollbackPinViolations,
    ],
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
    [
      "contents: write on the job that holds AWS credentials",
      jobPermissionViolations,
      (w) => void (w[ROLLBACK].jobs.rollback.permissions = { contents: "write", "id-token": "write" }),
    ],
    [
      "the pin job without pull-requests: write",
      jobPermissionViolations,
      (w) => void (w[ROLLBACK].jobs.pin.permissions = { contents: "write" }),
    ],
    [
      "the pin job also assumes an AWS role",
      jobPermissionViolations,
      (w) =>
        void (w[ROLLBACK].jobs.pin.permissions = {
          contents: "write",
          "id-token": "write",
          "pull-requests": "write",
        }),
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
      "an action at a tag instead of a commit",
      hygieneViolations,
      (w) => void (steps(w[PR].jobs.test)[1].uses = "actions/setup-node@v4"),
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
// the trust boundary, the pins, promotion and rollback: each case names the violation it must cause

describe("workflows: the trust boundary, pins, promotion and rollback invariants each catch a regression", () => {
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
  const aws = (s: Step): boolean => usesAction(s, "aws-actions/configure-aws-credentials");
  /** The workflow sources with one file's text edited; the edit must change it. */
  const text = (file: string, edit: (t: string) => string): Record<string, string> => {
    const edited = edit(sources[file]);
    assert.notEqual(edited, sources[file], "the edit changed nothing");
    return { ...sources, [file]: edited };
  };
  /** README with one line of the role table edited. */
  const table = (role: string, edit: (line: string) => string): string => {
    const lines = readme.split("\n");
    const i = lines.findIndex((l) => l.startsWith(`| \`vars.${role}\``));
    assert.ok(i >= 0, `no README row for ${role}`);
    lines[i] = edit(lines[i]);
    return lines.join("\n");
  };
  const SETUP_NODE = /actions\/setup-node@[0-9a-f]{40} # v4\.4\.0/;
  const ROLE_CHOICE =
    "${{ inputs.stack == 'staging' && vars.AWS_ROLE_ARN_STAGING || inputs.stack == 'prod' && vars.AWS_ROLE_ARN_PROD || '' }}";
  const pinStep = (w: Workflows): Step => step(w, PROMOTE, "prod", (s) => (s.run ?? "").includes(PROD_PIN));

  const cases: [string, () => string[], string][] = [
    // action pins, in the raw text
    [
      "an action at a tag",
      () => actionPinViolations(text(PR, (t) => t.replace(SETUP_NODE, "actions/setup-node@v4"))),
      "actions/setup-node@v4 is not pinned to a full 40-hex commit SHA",
    ],
    [
      "an abbreviated SHA",
      () =>
        actionPinViolations(
          text(PROMOTE, (t) => t.replace("@7474bc4690e29a8392af63c5b98e7449536d5c3a", "@7474bc4")),
        ),
      "aws-actions/configure-aws-credentials@7474bc4 is not pinned to a full 40-hex commit SHA",
    ],
    [
      "a SHA without its version comment",
      () => actionPinViolations(text(DEPLOY_DEV, (t) => t.replace(" # v3.12.0", ""))),
      "docker/setup-buildx-action@8d2750c68a42422c14e847fe6c8ac0403b4cbd6f needs the release it is as a comment: # vX.Y.Z",
    ],
    [
      "a major-only version comment",
      () => actionPinViolations(text(ROLLBACK, (t) => t.replace("# v6.6.1", "# v6"))),
      "pulumi/actions@8582a9e8cc630786854029b4e09281acd6794b58 needs the release it is as a comment",
    ],
    [
      "one action pinned to two commits",
      () =>
        actionPinViolations(
          text(PROMOTE, (t) => t.replace(SETUP_NODE, `actions/setup-node@${"c".repeat(40)} # v4.4.0`)),
        ),
      "actions/setup-node is pinned 2 ways",
    ],
    [
      "a uses: the line check cannot read (flow style)",
      () =>
        actionPinViolations(
          text(PR, (t) =>
            t.replace(
              "- uses: docker/setup-buildx-action@8d2750c68a42422c14e847fe6c8ac0403b4cbd6f # v3.12.0",
              "- { uses: docker/setup-buildx-action@v3 }",
            ),
          ),
        ),
      `${PR}: 12 steps use an action but 11 lines read "uses: …"`,
    ],
    // the PR trust boundary
    [
      "the PR preview with the deploy token",
      () =>
        prTrustViolations(
          broken(
            (w) =>
              void (step(w, PR, "preview", (s) => s.with?.command === "preview").env!.PULUMI_ACCESS_TOKEN =
                "${{ secrets.PULUMI_ACCESS_TOKEN }}"),
          ),
        ),
      `${PR}/preview: references the deploy token secrets.PULUMI_ACCESS_TOKEN`,
    ],
    [
      "the deploy token under another name in a PR build",
      () =>
        prTrustViolations(
          broken(
            (w) =>
              void steps(w[PR].jobs.build).push({
                run: "true",
                env: { T: "${{ secrets.PULUMI_ACCESS_TOKEN }}" },
              }),
          ),
        ),
      `${PR}/build: references the deploy token`,
    ],
    [
      "the PR build with dev's deploy role",
      () =>
        prTrustViolations(
          broken(
            (w) => void (step(w, PR, "build", aws).with!["role-to-assume"] = "${{ vars.AWS_ROLE_ARN_DEV }}"),
          ),
        ),
      `${PR}/build: references the deploy role AWS_ROLE_ARN_DEV`,
    ],
    [
      "the one repository-wide deploy role again",
      () =>
        prTrustViolations(
          broken(
            (w) =>
              void (step(w, PROMOTE, "staging", aws).with!["role-to-assume"] =
                "${{ vars.AWS_DEPLOY_ROLE_ARN }}"),
          ),
        ),
      `${PROMOTE}/staging: AWS_DEPLOY_ROLE_ARN (one role for every environment) is gone`,
    ],
    [
      "a promotion with the preview token",
      () =>
        prTrustViolations(
          broken(
            (w) =>
              void (step(w, PROMOTE, "prod", (s) => s.with?.command === "up").env!.PULUMI_ACCESS_TOKEN =
                "${{ secrets.PULUMI_PREVIEW_TOKEN }}"),
          ),
        ),
      `${PROMOTE}/prod: the preview token belongs to pull requests`,
    ],
    // OIDC subjects: each role assumed only where its trust policy lets it
    [
      "prod promoted with staging's role",
      () =>
        oidcViolations(
          broken(
            (w) =>
              void (step(w, PROMOTE, "prod", aws).with!["role-to-assume"] =
                "${{ vars.AWS_ROLE_ARN_STAGING }}"),
          ),
        ),
      `${PROMOTE}/prod: as repo:<owner>/<repo>:environment:prod assumes vars.AWS_ROLE_ARN_STAGING, which trusts only repo:<owner>/<repo>:environment:staging`,
    ],
    [
      "a PR job in an environment",
      () => oidcViolations(broken((w) => void (w[PR].jobs.build.environment = "dev"))),
      `${PR}/build: a pull-request job runs without an environment (got "dev")`,
    ],
    [
      "deploy-dev without its environment",
      () => oidcViolations(broken((w) => void delete w[DEPLOY_DEV].jobs.deploy.environment)),
      `${DEPLOY_DEV}/deploy: assumes vars.AWS_ROLE_ARN_DEV without an environment outside pull_request`,
    ],
    [
      "a rollback of prod with staging's role",
      () =>
        oidcViolations(
          broken(
            (w) =>
              void (step(w, ROLLBACK, "rollback", aws).with!["role-to-assume"] = ROLE_CHOICE.replace(
                "vars.AWS_ROLE_ARN_PROD",
                "vars.AWS_ROLE_ARN_STAGING",
              )),
          ),
        ),
      `${ROLLBACK}/rollback: as repo:<owner>/<repo>:environment:prod assumes vars.AWS_ROLE_ARN_STAGING`,
    ],
    [
      "one role for every rollback",
      () =>
        oidcViolations(
          broken(
            (w) =>
              void (step(w, ROLLBACK, "rollback", aws).with!["role-to-assume"] =
                "${{ vars.AWS_ROLE_ARN_PROD }}"),
          ),
        ),
      `${ROLLBACK}/rollback: as repo:<owner>/<repo>:environment:staging assumes vars.AWS_ROLE_ARN_PROD`,
    ],
    [
      "a role choice that forgets prod",
      () =>
        oidcViolations(
          broken(
            (w) =>
              void (step(w, ROLLBACK, "rollback", aws).with!["role-to-assume"] = ROLE_CHOICE.replace(
                " || inputs.stack == 'prod' && vars.AWS_ROLE_ARN_PROD",
                "",
              )),
          ),
        ),
      `${ROLLBACK}/rollback: the role choice covers ["staging"], the stack input offers ["staging","prod"]`,
    ],
    [
      "a role choice that falls back to a role",
      () =>
        oidcViolations(
          broken(
            (w) =>
              void (step(w, ROLLBACK, "rollback", aws).with!["role-to-assume"] = ROLE_CHOICE.replace(
                "|| '' }}",
                "|| vars.AWS_ROLE_ARN_STAGING }}",
              )),
          ),
        ),
      "is neither ${{ vars.X }} nor a per-stack choice ending in ''",
    ],
    [
      "README names another subject for a role",
      () =>
        oidcViolations(
          workflows,
          table("AWS_ROLE_ARN_PROD", (l) => l.replace(":environment:prod`", ":environment:staging`")),
        ),
      "README: vars.AWS_ROLE_ARN_PROD trusts repo:<owner>/<repo>:environment:prod, the table says environment:staging",
    ],
    [
      "README misses a role",
      () =>
        oidcViolations(
          workflows,
          table("AWS_ROLE_ARN_DEV", () => ""),
        ),
      "README ### CI trust boundary (OIDC): no row for vars.AWS_ROLE_ARN_DEV",
    ],
    [
      "README's jobs column out of date",
      () =>
        oidcViolations(
          workflows,
          table("AWS_ROLE_ARN_STAGING", (l) => l.replace(", `rollback.yml/rollback`", "")),
        ),
      'README: vars.AWS_ROLE_ARN_STAGING is assumed by ["promote.yml/staging","rollback.yml/rollback"], the table says ["promote.yml/staging"]',
    ],
    [
      "README without the audience condition",
      () => oidcViolations(workflows, readme.replaceAll("`sts.amazonaws.com`", "`sts`")),
      "must name the audience condition",
    ],
    // prod runs the digest staging was verified with
    [
      "prod without the pin",
      () =>
        prodPinViolations(
          broken(
            (w) =>
              void (w[PROMOTE].jobs.prod.steps = steps(w[PROMOTE].jobs.prod).filter(
                (s) => !(s.run ?? "").includes(PROD_PIN),
              )),
          ),
        ),
      `${PROMOTE}/prod: no step runs ${PROD_PIN}`,
    ],
    [
      "the pin after pulumi up",
      () =>
        prodPinViolations(
          broken((w) => {
            const all = steps(w[PROMOTE].jobs.prod);
            all.push(...all.splice(all.indexOf(pinStep(w)), 1));
          }),
        ),
      `${PROMOTE}/prod: must pin staging's digest before pulumi up`,
    ],
    [
      "the pin of what staging runs by the time prod is approved",
      () =>
        prodPinViolations(
          broken((w) => void (pinStep(w).env!.STAGING_DIGEST = "${{ steps.staging-now.outputs.digest }}")),
        ),
      `${PROMOTE}/prod: STAGING_DIGEST must be \${{ needs.staging.outputs.digest }}`,
    ],
    [
      "a committed pin overridden",
      () => prodPinViolations(broken((w) => void (pinStep(w).run = `${PROD_PIN}\n`))),
      `${PROMOTE}/prod: must read a committed pin (pulumi config --stack prod --json) before pinning`,
    ],
    [
      "a committed pin kept silently",
      () =>
        prodPinViolations(
          broken((w) => void (pinStep(w).run = pinStep(w).run!.replaceAll("::notice::", ""))),
        ),
      `${PROMOTE}/prod: a committed pin that is kept must be announced naming both digests`,
    ],
    [
      "a second pin of prod's digest",
      () =>
        prodPinViolations(
          broken(
            (w) =>
              void steps(w[PROMOTE].jobs.prod).push({
                run: "pulumi config set --stack prod voxpersona:imageDigest x",
              }),
          ),
        ),
      "sets voxpersona:imageDigest too",
    ],
    [
      "staging's digest output set before its verification",
      () =>
        prodPinViolations(
          broken((w) => {
            const all = steps(w[PROMOTE].jobs.staging);
            const summary = all.findIndex((s) => s.id === "summary");
            all.splice(summary - 1, 0, ...all.splice(summary, 1));
          }),
        ),
      `${PROMOTE}/staging: the digest output must be set after verify-deploy`,
    ],
    [
      "staging's digest output from another step",
      () =>
        prodPinViolations(
          broken(
            (w) => void (w[PROMOTE].jobs.staging.outputs = { digest: "${{ steps.dev.outputs.digest }}" }),
          ),
        ),
      `${PROMOTE}/staging: must output digest from its summary step`,
    ],
    [
      "promotion pinning staging",
      () =>
        promoteViolations(
          broken(
            (w) =>
              void steps(w[PROMOTE].jobs.staging).push({
                run: 'pulumi config set --stack staging voxpersona:imageDigest "$D"',
              }),
          ),
        ),
      `${PROMOTE}/staging: must not build or pin anything`,
    ],
    // rollback concurrency
    [
      "rollback in promote's concurrency group",
      () =>
        rollbackConcurrencyViolations(
          broken((w) => void (w[ROLLBACK].jobs.rollback.concurrency!.group = "pulumi-${{ inputs.stack }}")),
        ),
      `${ROLLBACK}: concurrency group pulumi-prod is promote.yml's: a queued promotion would cancel a pending rollback of prod`,
    ],
    [
      "a rollback cancelled in progress",
      () =>
        rollbackConcurrencyViolations(
          broken((w) => void (w[ROLLBACK].jobs.rollback.concurrency!["cancel-in-progress"] = true)),
        ),
      `${ROLLBACK}/rollback: cancel-in-progress must be false`,
    ],
    [
      "rollback without a group",
      () => rollbackConcurrencyViolations(broken((w) => void delete w[ROLLBACK].jobs.rollback.concurrency)),
      `${ROLLBACK}/rollback: needs a concurrency group of its own`,
    ],
    [
      "a promotion cancelled in progress",
      () =>
        rollbackConcurrencyViolations(
          broken((w) => void (w[PROMOTE].jobs.prod.concurrency!["cancel-in-progress"] = true)),
        ),
      `${PROMOTE}/prod: must never cancel an up in progress`,
    ],
    // the rollback's pin, in a pull request
    [
      "no pin job",
      () => rollbackPinViolations(broken((w) => void delete w[ROLLBACK].jobs.pin)),
      `${ROLLBACK}: no pin job`,
    ],
    [
      "the pin committed whether or not the rollback worked",
      () => rollbackPinViolations(broken((w) => void (w[ROLLBACK].jobs.pin.needs = ["validate"]))),
      `${ROLLBACK}/pin: must need rollback`,
    ],
    [
      "the pin job with AWS credentials",
      () =>
        rollbackPinViolations(
          broken(
            (w) => void steps(w[ROLLBACK].jobs.pin).push({ uses: "aws-actions/configure-aws-credentials@x" }),
          ),
        ),
      `${ROLLBACK}/pin: holds no secret and no AWS role`,
    ],
    [
      "the pin on top of the run's commit, not the default branch",
      () => rollbackPinViolations(broken((w) => void delete steps(w[ROLLBACK].jobs.pin)[0].with!.ref)),
      `${ROLLBACK}/pin: must check out the default branch`,
    ],
    [
      "another branch name",
      () =>
        rollbackPinViolations(
          broken((w) => {
            const s = step(w, ROLLBACK, "pin", (x) => (x.run ?? "").includes("gh pr create"));
            s.run = s.run!.replace('branch="rollback/$STACK-${DIGEST:7:12}"', 'branch="pin-$STACK"');
          }),
        ),
      `${ROLLBACK}/pin: the branch must be rollback/<stack>-<12 hex of the digest>`,
    ],
    [
      "no pull request",
      () =>
        rollbackPinViolations(
          broken(
            (w) =>
              void (w[ROLLBACK].jobs.pin.steps = steps(w[ROLLBACK].jobs.pin).filter(
                (s) => !(s.run ?? "").includes("gh pr create"),
              )),
          ),
        ),
      `${ROLLBACK}/pin: must open the pull request (gh pr create) after pinning`,
    ],
    [
      "the pin of another digest",
      () =>
        rollbackPinViolations(
          broken(
            (w) =>
              void (step(w, ROLLBACK, "pin", (x) =>
                (x.run ?? "").includes("imageDigest: $DIGEST"),
              ).env!.DIGEST = "${{ inputs.previous }}"),
          ),
        ),
      `${ROLLBACK}/pin: STACK and DIGEST must be inputs.stack and inputs.digest`,
    ],
  ];
  for (const [title, check, expected] of cases) {
    it(title, () => {
      const found = check();
      assert.ok(
        found.some((f) => f.includes(expected)),
        `expected ${JSON.stringify(expected)} in ${JSON.stringify(found)}`,
      );
    });
  }
});
