/**
 * `npm run lint:shell` (part of `npm run lint`): shellcheck over every shell script in the repository.
 *
 * - Files: everything git lists, tracked or new (.gitignore respected, so node_modules/ and .buildkit/ are
 *   left out), whose name ends in .sh or whose first line is a sh/bash shebang (.ci/run, hooks). Sourced
 *   files are followed (-x) from the directory of the script that sources them.
 * - The `run` scripts of the local composite actions (.github/actions/<name>/action.yml, shell: bash): each
 *   is checked as a file of its own and its findings are reported at their lines in action.yml.
 *   (Workflow `run:` steps are not: they hold `${{ }}` expressions, which are not shell.)
 *
 * Fails, naming the install command, when shellcheck is not installed: a lint that skips is no lint.
 */
import { spawnSync } from "node:child_process";
import { lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isMap, isScalar, isSeq, parseDocument } from "yaml";

const ROOT = join(__dirname, "..");
const INSTALL = "apt-get install -y shellcheck";
const SHELLCHECK_ARGS = ["--external-sources", "--source-path=SCRIPTDIR"];
const SHEBANG = /^#!\s*(\/usr\/bin\/env\s+)?(\/usr)?(\/bin\/)?(ba|da)?sh\b/;

function fail(message: string): never {
  console.error(`lint:shell: ${message}`);
  process.exit(1);
}

/** Files git would commit: tracked ones plus untracked ones .gitignore does not exclude. */
function repositoryFiles(): string[] {
  const r = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: ROOT,
    encoding: "utf8",
  });
  if (r.status !== 0) fail(`git ls-files failed: ${r.stderr || r.error?.message}`);
  // Regular files only: not deleted ones still in the index, symlinks, or submodules.
  const isFile = (f: string): boolean =>
    lstatSync(join(ROOT, f), { throwIfNoEntry: false })?.isFile() ?? false;
  return [...new Set(r.stdout.split("\0"))].filter((f) => f !== "" && isFile(f)).sort();
}

function isShellScript(file: string): boolean {
  if (file.endsWith(".sh")) return true;
  return SHEBANG.test(readFileSync(join(ROOT, file), "utf8").split("\n", 1)[0]);
}

interface ExtractedScript {
  /** Where the script really lives, for the report. */
  source: string;
  /** Line in `source` of the script's first line, minus one. */
  lineOffset: number;
  script: string;
}

/** The bash `run` scripts of a composite action, with where their first line is in action.yml. */
function actionScripts(file: string): ExtractedScript[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  const doc = parseDocument(text);
  if (doc.errors.length > 0) fail(`${file}: ${doc.errors[0].message}`);
  const steps = doc.getIn(["runs", "steps"], true);
  if (!isSeq(steps)) return [];
  return steps.items.flatMap((step) => {
    if (!isMap(step)) return [];
    const run = step.get("run", true);
    const shell = step.get("shell");
    if (!isScalar(run) || typeof run.value !== "string" || !run.range) return [];
    if (shell !== "bash")
      fail(`${file}: a run step with shell ${JSON.stringify(shell)}; only bash is checked`);
    // A block scalar (`run: |`) starts on the line after its indicator; a plain one on the same line.
    const indicatorLine = text.slice(0, run.range[0]).split("\n").length - 1;
    const block = run.type === "BLOCK_LITERAL" || run.type === "BLOCK_FOLDED";
    return [{ source: file, lineOffset: indicatorLine + (block ? 1 : 0), script: run.value }];
  });
}

const version = spawnSync("shellcheck", ["--version"], { encoding: "utf8" });
if (version.error !== undefined || version.status !== 0) {
  fail(`shellcheck is not installed (or does not run); install it with \`${INSTALL}\``);
}

const files = repositoryFiles();
const scripts = files.filter(isShellScript);
const actions = files.filter((f) => /^\.github\/actions\/[^/]+\/action\.ya?ml$/.test(f));
let failed = false;

const direct = spawnSync("shellcheck", [...SHELLCHECK_ARGS, "--", ...scripts], {
  cwd: ROOT,
  encoding: "utf8",
});
process.stdout.write(direct.stdout);
process.stderr.write(direct.stderr);
if (direct.status !== 0) failed = true;

const extracted = actions.flatMap(actionScripts);
const tmp = mkdtempSync(join(tmpdir(), "lint-shell-"));
try {
  for (const [n, s] of extracted.entries()) {
    const path = join(tmp, `script-${n + 1}.sh`);
    writeFileSync(path, s.script);
    const r = spawnSync("shellcheck", [...SHELLCHECK_ARGS, "--shell=bash", "--", path], { encoding: "utf8" });
    // Findings at their place in action.yml: "In <tmp file> line N:" -> "In <action.yml> line N+offset:".
    const where = new RegExp(`^In ${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} line (\\d+):`, "gm");
    const at = (out: string): string =>
      out.replace(where, (_, line: string) => `In ${s.source} line ${Number(line) + s.lineOffset}:`);
    process.stdout.write(at(r.stdout));
    process.stderr.write(at(r.stderr));
    if (r.status !== 0) failed = true;
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const count = extracted.length;
const what = `${scripts.length} scripts and ${count} run script${count === 1 ? "" : "s"} of local actions`;
if (failed) fail(`shellcheck found problems in ${what} (above)`);
const v = /version: (\S+)/.exec(version.stdout)?.[1] ?? "?";
console.log(`lint:shell: shellcheck ${v}: no findings in ${what} (${[...scripts, ...actions].join(", ")})`);
