/**
 * docker/Dockerfile against the build plan (infra/plan.ts) and the layer-order rules that keep rebuilds
 * cheap. Static checks only; test/build/*.build.ts (npm run test:build) builds it for real.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { Copy, DockerfileParser, Instruction, ModifiableInstruction } from "dockerfile-ast";
import { DEFAULT_BUILD_ARGS, STAGES, STAGE_ARGS, STAGE_DEPENDENCIES, StageName } from "../infra/plan";

const ROOT = path.resolve(__dirname, "..");
const DOCKERFILE = path.join(ROOT, "docker/Dockerfile");
const DOCKERIGNORE = path.join(ROOT, "docker/Dockerfile.dockerignore");

/** Stages allowed besides the plan's: compose's development target (must not be the last stage). */
const EXTRA_STAGES = ["development"];
/** Directories of application code (copied last, in final only). */
const APP_DIRS = ["src/", "prompts/", "prompts-by-scenario/", "sql_scripts/"];

interface Stage {
  readonly name: string;
  readonly from: string;
  readonly instructions: readonly Instruction[];
}

function parse(text: string): { stages: Stage[]; globalArgs: Map<string, string | null>; text: string } {
  const df = DockerfileParser.parse(text);
  const globalArgs = new Map<string, string | null>();
  for (const arg of df.getInitialARGs()) {
    const p = arg.getProperty();
    if (p) globalArgs.set(p.getName(), p.getValue());
  }
  const stages: Stage[] = [];
  let current: { name: string; from: string; instructions: Instruction[] } | undefined;
  for (const ins of df.getInstructions()) {
    if (ins.getKeyword() === "FROM") {
      const args = ins.getArguments().map((a) => a.getValue());
      const as = args.findIndex((a) => a.toUpperCase() === "AS");
      current = { name: as >= 0 ? args[as + 1] : "", from: args[0], instructions: [] };
      stages.push(current);
    } else if (current) {
      current.instructions.push(ins);
    }
  }
  return { stages, globalArgs, text };
}

function load(text = fs.readFileSync(DOCKERFILE, "utf8")): ReturnType<typeof parse> {
  return parse(text);
}

function stage(stages: readonly Stage[], name: string): Stage {
  const s = stages.find((st) => st.name === name);
  assert.ok(s, `docker/Dockerfile has no stage "${name}"`);
  return s;
}

function keyword(ins: Instruction): string {
  return ins.getKeyword();
}

function flagValue(ins: Instruction, name: string): string | null | undefined {
  if (!(ins instanceof Copy)) return undefined;
  const flag = ins.getFlags().find((f) => f.getName() === name);
  return flag === undefined ? undefined : flag.getValue();
}

function hasFlag(ins: Instruction, name: string): boolean {
  return ins instanceof Copy && ins.getFlags().some((f) => f.getName() === name);
}

/** COPY sources (without flags), e.g. ["requirements.txt"]. */
function copySources(ins: Instruction): string[] {
  const args = ins
    .getArguments()
    .map((a) => a.getValue())
    .filter((a) => !a.startsWith("--"));
  return args.slice(0, -1);
}

/** Upstream stages of a stage: its FROM (if a stage) and every COPY --from=<stage>. */
function edges(stages: readonly Stage[], s: Stage): string[] {
  const names = new Set(stages.map((st) => st.name));
  const ups = new Set<string>();
  if (names.has(s.from)) ups.add(s.from);
  for (const ins of s.instructions) {
    const from = flagValue(ins, "from");
    if (typeof from === "string") ups.add(from);
  }
  return [...ups].sort();
}

function ownArgs(s: Stage): Map<string, string | null> {
  const args = new Map<string, string | null>();
  for (const ins of s.instructions.filter((i) => keyword(i) === "ARG")) {
    const raw = ins.getArgumentsContent() ?? "";
    const eq = raw.indexOf("=");
    const name = eq < 0 ? raw.trim() : raw.slice(0, eq).trim();
    let value: string | null = eq < 0 ? null : raw.slice(eq + 1).trim();
    if (value !== null && /^".*"$/.test(value)) value = value.slice(1, -1);
    args.set(name, value);
  }
  return args;
}

/** Flags (`--mount=...`) and arguments of an instruction, continuation lines joined. */
function runText(ins: Instruction): string {
  const flags =
    ins instanceof ModifiableInstruction ? ins.getFlags().map((f) => `--${f.getName()}=${f.getValue()}`) : [];
  return [...flags, ins.getArgumentsContent() ?? ""].join(" ").trim();
}

/** Runs every check of this file against a Dockerfile text; used on the real file and on mutations. */
function checkAll(text: string): void {
  const { stages, globalArgs } = parse(text);
  checkNoSyntaxLine(text);
  checkGraph(stages);
  checkArgs(stages, globalArgs);
  checkSystemBase(stages);
  checkPythonDeps(stages);
  checkFinal(stages);
}

function checkNoSyntaxLine(text: string): void {
  assert.equal(DockerfileParser.parse(text).getDirectives().length, 0, "no parser directive");
  assert.doesNotMatch(text, /^\s*#\s*syntax\s*=/im, "no `# syntax=` line (it pulls a frontend image)");
}

function checkGraph(stages: readonly Stage[]): void {
  const names = stages.map((s) => s.name);
  const planned = names.filter((n) => !EXTRA_STAGES.includes(n));
  assert.deepEqual(planned, [...STAGES], "the plan's stages, in the plan's order");
  assert.equal(names[names.length - 1], "final", "final is the last (default) stage");
  for (const s of stages) {
    if (EXTRA_STAGES.includes(s.name)) continue;
    assert.deepEqual(
      edges(stages, s),
      [...STAGE_DEPENDENCIES[s.name as StageName]].sort(),
      `upstream stages (FROM / COPY --from) of ${s.name}`,
    );
  }
  assert.equal(stage(stages, "system-base").from, "${BASE_IMAGE}", "system-base is FROM ${BASE_IMAGE}");
  const dev = stages.find((s) => s.name === "development");
  if (dev) assert.deepEqual(edges(stages, dev), ["ml-models", "python-deps"], "development's upstreams");
}

function checkArgs(stages: readonly Stage[], globalArgs: Map<string, string | null>): void {
  assert.deepEqual([...globalArgs.keys()], ["BASE_IMAGE"], "the only global ARG is BASE_IMAGE");
  assert.equal(globalArgs.get("BASE_IMAGE"), DEFAULT_BUILD_ARGS.BASE_IMAGE, "BASE_IMAGE default");
  for (const s of stages) {
    const args = ownArgs(s);
    const expected = EXTRA_STAGES.includes(s.name) ? [] : STAGE_ARGS[s.name as StageName];
    assert.deepEqual([...args.keys()].sort(), [...expected].sort(), `ARGs declared by ${s.name}`);
    for (const [name, value] of args) {
      assert.equal(value, DEFAULT_BUILD_ARGS[name], `default of ARG ${name} in ${s.name}`);
    }
  }
}

function checkSystemBase(stages: readonly Stage[]): void {
  const s = stage(stages, "system-base");
  const runs = s.instructions.filter((i) => keyword(i) === "RUN").map(runText);
  const apt = runs.filter((r) => /apt-get install/.test(r));
  assert.equal(apt.length, 1, "the system packages are installed in one RUN");
  assert.match(
    apt[0],
    /apt-get install[^&]*--no-install-recommends/,
    "apt-get install --no-install-recommends",
  );
  for (const pkg of ["build-essential", "ffmpeg", "gcc", "g\\+\\+", "libpq-dev", "pkg-config"]) {
    assert.match(apt[0], new RegExp(`\\s${pkg}(\\s|$)`), `system package ${pkg}`);
  }
  for (const target of ["/var/cache/apt", "/var/lib/apt"]) {
    assert.match(
      apt[0],
      new RegExp(`--mount=type=cache,target=${target},sharing=locked`),
      `cache mount ${target}`,
    );
  }
  assert.match(apt[0], /rm -f \/etc\/apt\/apt\.conf\.d\/docker-clean/, "docker-clean removed");
  assert.ok(
    s.instructions.some((i) => keyword(i) === "WORKDIR" && runText(i) === "/app"),
    "WORKDIR /app",
  );
  assert.ok(
    runs.some((r) => /chown 10001:10001 \/app\/logs/.test(r)),
    "/app/logs owned by the app user",
  );
}

function checkPythonDeps(stages: readonly Stage[]): void {
  const s = stage(stages, "python-deps");
  const idx = (pred: (i: Instruction) => boolean): number => s.instructions.findIndex(pred);
  const torch = idx((i) => keyword(i) === "RUN" && /--index-url "\$\{TORCH_INDEX_URL\}"/.test(runText(i)));
  const reqCopy = idx((i) => keyword(i) === "COPY" && copySources(i).join(" ") === "requirements.txt");
  const reqRun = idx((i) => keyword(i) === "RUN" && /pip install -r/.test(runText(i)));
  assert.ok(torch >= 0, "python-deps installs torch from ${TORCH_INDEX_URL}");
  assert.ok(reqCopy >= 0, "python-deps copies requirements.txt alone");
  assert.ok(reqRun >= 0, "python-deps installs the requirements");
  assert.ok(torch < reqCopy, "the torch RUN comes before COPY requirements.txt");
  assert.ok(reqCopy < reqRun, "requirements are installed after being copied");
  const reqRunText = runText(s.instructions[reqRun]);
  for (const gpu of ["faiss-gpu", "triton", "nvidia-", "torch", "torchvision", "torchaudio"]) {
    assert.ok(reqRunText.includes(gpu), `the requirements filter drops ${gpu}`);
  }
  // requirements.txt is copied before any application code anywhere in the file.
  const order = stages.flatMap((st) => st.instructions.filter((i) => keyword(i) === "COPY"));
  const firstApp = order.findIndex((i) =>
    copySources(i).some((src) => APP_DIRS.includes(src) || src === "."),
  );
  const req = order.findIndex((i) => copySources(i).includes("requirements.txt"));
  assert.ok(req >= 0 && (firstApp < 0 || req < firstApp), "requirements.txt is copied before any code");
  for (const st of stages.filter((x) => x.name !== "final")) {
    for (const i of st.instructions.filter((x) => keyword(x) === "COPY" && !hasFlag(x, "from"))) {
      assert.deepEqual(
        copySources(i),
        ["requirements.txt"],
        `${st.name} copies nothing but requirements.txt`,
      );
    }
  }
}

function checkFinal(stages: readonly Stage[]): void {
  const s = stage(stages, "final");
  const kinds = s.instructions.map(keyword);
  assert.ok(!kinds.includes("RUN"), "final has no RUN (it would unpack every parent layer)");
  const copies = s.instructions.filter((i) => keyword(i) === "COPY");
  for (const c of copies) assert.ok(hasFlag(c, "link"), `COPY --link: ${c.getArgumentsContent()}`);
  const appCopies = copies.filter((c) => !hasFlag(c, "from")).map((c) => copySources(c).join(" "));
  assert.deepEqual(appCopies, APP_DIRS, "final copies exactly the application directories");
  // After the last COPY only metadata follows; the application COPYs are the last layers.
  const lastCopy = kinds.lastIndexOf("COPY");
  const tail = kinds.slice(lastCopy + 1);
  assert.ok(
    tail.every((k) => ["ENV", "USER", "CMD", "LABEL", "EXPOSE"].includes(k)),
    `only metadata after the code: ${tail}`,
  );
  const firstAppCopy = s.instructions.findIndex(
    (i) => keyword(i) === "COPY" && !hasFlag(i, "from") && copySources(i).length > 0,
  );
  assert.ok(
    s.instructions.slice(firstAppCopy).every((i) => keyword(i) !== "COPY" || !hasFlag(i, "from")),
    "the application COPYs come after the models COPY",
  );
  const cmds = s.instructions.filter((i) => keyword(i) === "CMD");
  assert.equal(cmds.length, 1, "one CMD");
  assert.deepEqual(JSON.parse(cmds[0].getArgumentsContent() ?? "null"), ["python", "src/main.py"]);
  const users = s.instructions.filter((i) => keyword(i) === "USER").map(runText);
  assert.equal(users.length, 1, "one USER");
  assert.doesNotMatch(users[0], /^(root|0)(:|$)/, "USER is not root");
  assert.match(users[0], /^10001(:10001)?$/, "USER is the fixed uid 10001");
  const env = s.instructions
    .filter((i) => keyword(i) === "ENV")
    .map(runText)
    .join(" ");
  for (const kv of ["PYTHONPATH=/app", "PYTHONUNBUFFERED=1", "HF_HOME=/opt/hf"]) {
    assert.ok(env.split(/\s+/).includes(kv), `ENV ${kv}`);
  }
  const models = copies.find((c) => flagValue(c, "from") === "ml-models");
  assert.deepEqual(models && copySources(models), ["/opt/hf"], "models copied from ml-models' HF_HOME");
}

describe("docker/Dockerfile", () => {
  const text = fs.readFileSync(DOCKERFILE, "utf8");
  const { stages } = load(text);

  it("has no # syntax= line (the built-in frontend is used; nothing is pulled from Docker Hub)", () => {
    checkNoSyntaxLine(text);
  });

  it("has the plan's stages and FROM / COPY --from edges (STAGES, STAGE_DEPENDENCIES)", () => {
    checkGraph(stages);
  });

  it("declares the plan's ARGs per stage with the plan's defaults (STAGE_ARGS, DEFAULT_BUILD_ARGS)", () => {
    checkArgs(stages, load(text).globalArgs);
  });

  it("system-base: one apt RUN with --no-install-recommends and cache mounts, WORKDIR /app, logs owned by the app user", () => {
    checkSystemBase(stages);
  });

  it("python-deps: torch before COPY requirements.txt, GPU lines filtered; requirements before any code", () => {
    checkPythonDeps(stages);
  });

  it("final: no RUN, COPY --link only, code last, non-root USER, CMD python src/main.py", () => {
    checkFinal(stages);
  });

  it("passes every check as a whole", () => {
    checkAll(text);
  });

  // Each mutation breaks one rule; the checks must notice it (so none of them is vacuous).
  const mutations: [string, (t: string) => string][] = [
    ["adds a # syntax line", (t) => `# syntax=docker/dockerfile:1\n${t}`],
    [
      "builds ml-models from python-deps",
      (t) => t.replace("FROM system-base AS ml-models", "FROM python-deps AS ml-models"),
    ],
    [
      "drops the models COPY from final",
      (t) => t.replace(/(FROM python-deps AS final\n)COPY --link --from=ml-models[^\n]*\n/, "$1"),
    ],
    [
      "renames a stage",
      (t) => t.replace(/AS python-deps/, "AS deps").replace(/FROM python-deps/g, "FROM deps"),
    ],
    [
      "changes the torch default",
      (t) => t.replace("ARG TORCH_PACKAGES=torch==2.5.1", "ARG TORCH_PACKAGES=torch==2.4.0"),
    ],
    [
      "declares an extra ARG in final",
      (t) => t.replace("FROM python-deps AS final\n", "FROM python-deps AS final\nARG EXTRA=1\n"),
    ],
    [
      "changes the BASE_IMAGE default",
      (t) => t.replace("ARG BASE_IMAGE=python:3.10.11-slim", "ARG BASE_IMAGE=python:3.11-slim"),
    ],
    [
      "copies requirements before torch",
      (t) => {
        const copy = "COPY requirements.txt ./\n";
        return t
          .replace(copy, "")
          .replace("ARG TORCH_PACKAGES=torch==2.5.1\n", `ARG TORCH_PACKAGES=torch==2.5.1\n${copy}`);
      },
    ],
    ["copies the code into python-deps", (t) => t.replace("COPY requirements.txt ./\n", "COPY . ./\n")],
    [
      "adds a RUN to final",
      (t) =>
        t.replace(
          /USER 10001:10001\nCMD \["python", "src\/main.py"\]\n$/,
          'RUN true\nUSER 10001:10001\nCMD ["python", "src/main.py"]\n',
        ),
    ],
    ["drops --link from a code COPY", (t) => t.replace("COPY --link src/ ./src/", "COPY src/ ./src/")],
    [
      "puts a layer after the code",
      (t) =>
        t.replace(
          /(COPY --link sql_scripts\/ \.\/sql_scripts\/\n)/,
          "$1COPY --link --from=ml-models /opt/hf /opt/hf2\n",
        ),
    ],
    [
      "changes CMD",
      (t) => t.replace(/CMD \["python", "src\/main.py"\]\n$/, 'CMD ["python", "-m", "src.main"]\n'),
    ],
    [
      "runs final as root",
      (t) =>
        t.replace(
          /USER 10001:10001\nCMD \["python", "src\/main.py"\]\n$/,
          'USER root\nCMD ["python", "src/main.py"]\n',
        ),
    ],
    ["drops --no-install-recommends", (t) => t.replace("install -y --no-install-recommends", "install -y")],
    ["drops a system package", (t) => t.replace("        ffmpeg \\\n", "")],
    ["stops filtering faiss-gpu", (t) => t.replace("faiss-gpu|", "")],
    ["makes final not the last stage", (t) => `${t}\nFROM final AS extra\n`],
  ];
  for (const [what, mutate] of mutations) {
    it(`rejects a Dockerfile that ${what}`, () => {
      const mutated = mutate(text);
      assert.notEqual(mutated, text, `mutation "${what}" did not apply`);
      assert.throws(() => checkAll(mutated), assert.AssertionError);
    });
  }
});

describe("docker/Dockerfile.dockerignore", () => {
  const lines = fs
    .readFileSync(DOCKERIGNORE, "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));

  it("excludes what the original design excludes, at any depth where it can be nested", () => {
    for (const pattern of [
      "logs/",
      "**/*.log",
      "**/*.tmp",
      ".git/",
      "**/.gitignore",
      "**/__pycache__/",
      "**/*.pyc",
      "**/*.pyo",
      "**/.vscode/",
      "**/.idea/",
      "**/.qoder/",
      "**/test_*.py",
      "**/*_test.py",
      "**/*.md",
      "!README.md",
    ]) {
      assert.ok(lines.includes(pattern), `pattern ${pattern}`);
    }
  });

  it("re-includes README.md after excluding *.md (order matters)", () => {
    assert.ok(lines.indexOf("!README.md") > lines.indexOf("**/*.md"));
  });

  it("never excludes what the image needs", () => {
    for (const needed of ["src", "requirements.txt", "prompts", "prompts-by-scenario", "sql_scripts"]) {
      assert.ok(!lines.some((l) => l.replace(/^\*\*\//, "").replace(/\/$/, "") === needed), needed);
    }
  });
});
