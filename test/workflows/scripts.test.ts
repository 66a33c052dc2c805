/**
 * The promotion and rollback scripts, run for real with bash the way the runner runs them, with `pulumi`
 * and `gh` replaced by stubs that record their calls and git against a local bare repository.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runGit } from "../helpers/git";
import { parse } from "yaml";
import { ROOT } from "../helpers/stackfiles";
import { PROD_PIN } from "./invariants";
import { PROMOTE, ROLLBACK, type Step, steps, workflows } from "./model";

const STAGING = `sha256:${"a".repeat(64)}`;
const HELD = `sha256:${"b".repeat(64)}`;
const ROLLED_BACK = `sha256:${"0123456789abcdef".repeat(4)}`;

function stepOf(file: string, job: string, pred: (s: Step) => boolean): string {
  const script = steps(workflows[file].jobs[job]).find(pred)?.run;
  assert.ok(script !== undefined, `no such step in ${file}/${job}`);
  return script;
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  output: string;
  summary: string;
  /** Each stubbed command line, as its words. */
  calls: string[][];
}

describe("workflows: the promotion and rollback scripts, run", () => {
  let dir = "";
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "wf-scripts-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /**
   * An executable stub on PATH that appends its command line to calls.log (arguments separated by US, calls
   * by RS, so an argument may hold newlines), then runs `body`.
   */
  const stub = (name: string, body: string): void => {
    mkdirSync(join(dir, "bin"), { recursive: true });
    const log = `printf '%s\\x1f' "${name}" "$@" >> "${dir}/calls.log"; printf '\\x1e' >> "${dir}/calls.log"`;
    writeFileSync(join(dir, "bin", name), `#!/bin/bash\n${log}\n${body}\n`);
    chmodSync(join(dir, "bin", name), 0o755);
  };
  const read = (file: string): string => {
    try {
      return readFileSync(join(dir, file), "utf8");
    } catch {
      return "";
    }
  };
  /** `bash -eo pipefail` as the runner runs `run:` steps, in `cwd`, with the stubs first on PATH. */
  const run = (script: string, env: Record<string, string>, cwd: string = dir): Run => {
    const r = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], {
      cwd,
      env: {
        PATH: `${join(dir, "bin")}:${process.env.PATH}`,
        HOME: dir,
        GIT_CONFIG_NOSYSTEM: "1",
        GITHUB_OUTPUT: join(dir, "output"),
        GITHUB_STEP_SUMMARY: join(dir, "summary.md"),
        ...env,
      },
      encoding: "utf8",
    });
    const calls = read("calls.log")
      .split("\x1e")
      .filter(Boolean)
      .map((c) => c.split("\x1f").slice(0, -1));
    return {
      status: r.status,
      stdout: r.stdout,
      stderr: r.stderr,
      output: read("output"),
      summary: read("summary.md"),
      calls,
    };
  };

  describe("promote.yml prod: pins the digest staging was verified with", () => {
    const script = stepOf(PROMOTE, "prod", (s) => (s.run ?? "").includes(PROD_PIN));
    /** The pin step with `pulumi config --stack prod --json` answering the committed config. */
    const pin = (committed: string | undefined, stagingDigest: string, configFails = false): Run => {
      const config = {
        "aws:region": { value: "eu-central-1", secret: false },
        ...(committed === undefined ? {} : { "voxpersona:imageDigest": { value: committed, secret: false } }),
      };
      writeFileSync(join(dir, "config.json"), JSON.stringify(config));
      stub(
        "pulumi",
        configFails
          ? 'if [ "$4" = --json ]; then echo "error: no stack" >&2; exit 255; fi'
          : `if [ "$1 $2 $3 $4" = "config --stack prod --json" ]; then cat "${dir}/config.json"; fi`,
      );
      return run(script, { STAGING_DIGEST: stagingDigest });
    };

    it("without a committed pin, pins staging's digest for this run and outputs it", () => {
      const r = pin(undefined, STAGING);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(r.calls, [
        ["pulumi", "config", "--stack", "prod", "--json"],
        ["pulumi", "config", "set", "--stack", "prod", "voxpersona:imageDigest", STAGING],
      ]);
      assert.equal(r.output, `digest=${STAGING}\n`);
      assert.equal(r.stdout, "");
    });

    it("keeps a committed pin and says so, naming both digests, in a notice and in the summary", () => {
      const r = pin(HELD, STAGING);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(r.calls, [["pulumi", "config", "--stack", "prod", "--json"]]);
      assert.equal(r.output, `digest=${HELD}\n`);
      assert.equal(
        r.stdout,
        `::notice::Pulumi.prod.yaml pins voxpersona:imageDigest ${HELD}: prod keeps it and does not take ` +
          `staging's verified ${STAGING}. Remove the pin in a pull request to promote again.\n`,
      );
      assert.equal(
        r.summary,
        "### prod is held by the pin committed in Pulumi.prod.yaml\n\n" +
          `- pinned (kept): \`${HELD}\`\n- staging verified: \`${STAGING}\`\n`,
      );
    });

    it("a committed pin equal to staging's digest is kept too, and named", () => {
      const r = pin(STAGING, STAGING);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(r.calls, [["pulumi", "config", "--stack", "prod", "--json"]]);
      assert.equal(r.output, `digest=${STAGING}\n`);
      assert.match(
        r.stdout,
        /^::notice::Pulumi\.prod\.yaml pins voxpersona:imageDigest sha256:a{64}, the digest/,
      );
    });

    for (const [what, digest] of [
      ["no digest from the staging job", ""],
      ["a malformed digest", "sha256:abc"],
      ["a tag", "staging"],
    ] as const) {
      it(`fails before touching Pulumi on ${what}`, () => {
        const r = pin(undefined, digest);
        assert.equal(r.status, 1);
        assert.deepEqual(r.calls, []);
        assert.match(r.stdout, /^::error::the staging job output no digest matching/);
        assert.equal(r.output, "");
      });
    }

    it("fails, pinning nothing, when the committed config cannot be read", () => {
      const r = pin(undefined, STAGING, true);
      assert.notEqual(r.status, 0);
      assert.deepEqual(r.calls, [["pulumi", "config", "--stack", "prod", "--json"]]);
      assert.equal(r.output, "");
    });
  });

  describe("rollback.yml pin: commits the pin to Pulumi.<stack>.yaml in a pull request", () => {
    const edit = stepOf(ROLLBACK, "pin", (s) => (s.run ?? "").includes("voxpersona:imageDigest: $DIGEST"));
    const open = stepOf(ROLLBACK, "pin", (s) => (s.run ?? "").includes("gh pr create"));
    const git = (cwd: string, ...args: string[]): string => runGit(dir, cwd, ...args);
    /**
     * A checkout of main (the committed stack files) with a bare `origin`, set up by one shell: a process
     * started from the test costs more than the git commands it runs.
     */
    const checkout = (files: Record<string, string>): string => {
      const origin = join(dir, "origin.git");
      const work = join(dir, "work");
      mkdirSync(work);
      for (const [name, text] of Object.entries(files)) writeFileSync(join(work, name), text);
      const setup = [
        'git init -q --bare -b main "$1"',
        'cd "$2"',
        "git init -q -b main",
        "git add -A",
        "git -c user.name=t -c user.email=t@example.com commit -qm main",
        'git remote add origin "$1"',
        "git push -q origin main",
      ].join(" && ");
      const r = spawnSync("bash", ["--noprofile", "--norc", "-c", setup, "checkout", origin, work], {
        env: { PATH: process.env.PATH, HOME: dir, GIT_CONFIG_NOSYSTEM: "1" },
        encoding: "utf8",
      });
      assert.equal(r.status, 0, `checkout: ${r.stderr}`);
      return work;
    };
    const stackFile = (stack: string): string => readFileSync(join(ROOT, `Pulumi.${stack}.yaml`), "utf8");
    const env = (stack: string, digest: string) => ({
      STACK: stack,
      DIGEST: digest,
      BASE: "main",
      RUN_URL: "https://github.com/owner/infra/actions/runs/7",
      GH_TOKEN: "token",
    });

    for (const stack of ["staging", "prod"]) {
      it(`pins ${stack}: one line under config:, the rest of the file unchanged`, () => {
        const work = checkout({ [`Pulumi.${stack}.yaml`]: stackFile(stack) });
        const r = run(edit, env(stack, ROLLED_BACK), work);
        assert.equal(r.status, 0, r.stderr);
        const text = readFileSync(join(work, `Pulumi.${stack}.yaml`), "utf8");
        const before = stackFile(stack).split("\n");
        const at = before.indexOf("config:") + 1;
        assert.deepEqual(text.split("\n"), [
          ...before.slice(0, at),
          `  voxpersona:imageDigest: ${ROLLED_BACK}`,
          ...before.slice(at),
        ]);
        const config = (parse(text) as { config: Record<string, unknown> }).config;
        assert.equal(config["voxpersona:imageDigest"], ROLLED_BACK);
        assert.deepEqual(
          { ...config, "voxpersona:imageDigest": undefined },
          { ...(parse(stackFile(stack)) as { config: object }).config, "voxpersona:imageDigest": undefined },
        );
      });
    }

    it("replaces a pin already committed, keeping a single key", () => {
      const pinned = stackFile("prod").replace("config:\n", `config:\n  voxpersona:imageDigest: ${HELD}\n`);
      const work = checkout({ "Pulumi.prod.yaml": pinned });
      assert.equal(run(edit, env("prod", ROLLED_BACK), work).status, 0);
      assert.equal(readFileSync(join(work, "Pulumi.prod.yaml"), "utf8"), pinned.replace(HELD, ROLLED_BACK));
    });

    it("pushes rollback/<stack>-<12 hex> with that one change and opens the pull request against main", () => {
      stub("gh", 'if [ "$1 $2" = "pr create" ]; then echo https://github.com/owner/infra/pull/9; fi');
      const work = checkout({ "Pulumi.prod.yaml": stackFile("prod") });
      assert.equal(run(edit, env("prod", ROLLED_BACK), work).status, 0);
      const r = run(open, env("prod", ROLLED_BACK), work);
      assert.equal(r.status, 0, r.stderr);
      const branch = "rollback/prod-0123456789ab";
      const origin = join(dir, "origin.git");
      assert.equal(git(origin, "log", "-1", "--format=%s", branch), `Hold prod at ${ROLLED_BACK} (rollback)`);
      assert.equal(git(origin, "diff", "--name-only", `main..${branch}`), "Pulumi.prod.yaml");
      assert.equal(
        git(origin, "diff", "-U0", `main..${branch}`)
          .split("\n")
          .filter((l) => /^[+-][^+-]/.test(l))
          .join("\n"),
        `+  voxpersona:imageDigest: ${ROLLED_BACK}`,
      );
      assert.deepEqual(r.calls, [
        ["gh", "pr", "list", "--head", branch, "--state", "open", "--json", "url", "--jq", '.[0].url // ""'],
        [
          "gh",
          "pr",
          "create",
          "--base",
          "main",
          "--head",
          branch,
          "--title",
          `Hold prod at ${ROLLED_BACK} (rollback)`,
          "--body",
          `prod was rolled back to \`${ROLLED_BACK}\` by https://github.com/owner/infra/actions/runs/7 (pulumi up ` +
            "and verify-deploy succeeded).\n\nMerging commits the pin to `Pulumi.prod.yaml`: the next promotion " +
            "keeps prod at this digest instead of silently undoing the rollback (promote.yml prints both " +
            "digests).\n\nTo follow the upstream stack again, close this pull request, or later remove " +
            "`voxpersona:imageDigest` from `Pulumi.prod.yaml` in another one.",
        ],
      ]);
      assert.equal(r.summary, "- pin proposed: https://github.com/owner/infra/pull/9\n");
    });

    it("opens nothing when main already pins that digest, or when the pull request is already open", () => {
      stub("gh", 'if [ "$1 $2" = "pr list" ]; then echo https://github.com/owner/infra/pull/8; fi');
      const pinned = stackFile("prod").replace(
        "config:\n",
        `config:\n  voxpersona:imageDigest: ${ROLLED_BACK}\n`,
      );
      const work = checkout({ "Pulumi.prod.yaml": pinned });
      assert.equal(run(edit, env("prod", ROLLED_BACK), work).status, 0);
      const same = run(open, env("prod", ROLLED_BACK), work);
      assert.equal(same.status, 0, same.stderr);
      assert.deepEqual(same.calls, []);
      assert.equal(same.summary, `Pulumi.prod.yaml on main already pins ${ROLLED_BACK}: nothing to commit\n`);

      assert.equal(run(edit, env("prod", HELD), work).status, 0);
      const again = run(open, env("prod", HELD), work);
      assert.equal(again.status, 0, again.stderr);
      assert.deepEqual(
        again.calls.map((c) => c.slice(0, 5)),
        [["gh", "pr", "list", "--head", `rollback/prod-${"b".repeat(12)}`]],
      );
      assert.match(again.summary, /- pin already proposed: https:\/\/github\.com\/owner\/infra\/pull\/8\n$/);
    });
  });
});
