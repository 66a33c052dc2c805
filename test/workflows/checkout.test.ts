/** The checkout, run for real. */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runGit } from "../helpers/git";
import { CHECKOUT_ACTION_FILE, PR, checkoutAction, checkoutActionSource, steps, workflows } from "./model";

// ---------------------------------------------------------------------------------------------------------
// the checkout, run for real: the bootstrap of a real job, then the action's script, with git, against
// file:// repositories, in shells that start with a loose (0002) umask as a runner's might

describe("workflows: the checkout writes every file with umask 0022", () => {
  let dir = "";
  let infraSha = "";
  let appSha = "";
  const bootstrap = steps(workflows[PR].jobs.build)[0]?.run ?? "";
  const actionScript = checkoutAction.runs?.steps?.[0]?.run ?? "";

  const git = (cwd: string, ...args: string[]): string => runGit(dir, cwd, ...args);
  /**
   * A repository under <dir>/server/owner/<name> with the given files (path → [mode, content]); its commit.
   * One shell makes it: a process started from the test costs more than the git commands it runs.
   */
  const repository = (name: string, files: Record<string, [number, string]>): string => {
    const repo = join(dir, "server", "owner", name);
    mkdirSync(repo, { recursive: true });
    for (const [path, [mode, content]] of Object.entries(files)) {
      mkdirSync(join(repo, path, ".."), { recursive: true });
      writeFileSync(join(repo, path), content, { mode });
    }
    const setup = [
      "git -c init.defaultBranch=main init -q",
      "git config uploadpack.allowAnySHA1InWant true",
      "git add -A",
      'git -c user.name=t -c user.email=t@example.com commit -qm "$1"',
      "git rev-parse HEAD",
    ].join(" && ");
    const r = spawnSync("bash", ["--noprofile", "--norc", "-c", setup, "repository", name], {
      cwd: repo,
      env: { PATH: process.env.PATH, HOME: dir, GIT_CONFIG_NOSYSTEM: "1" },
      encoding: "utf8",
    });
    assert.equal(r.status, 0, `repository ${name}: ${r.stderr}`);
    return r.stdout.trim();
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
