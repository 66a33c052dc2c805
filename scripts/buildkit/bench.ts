/**
 * `npm run bench:cache` (through scripts/buildkit/bench.sh, which starts the environment): times the
 * fixture app's build in three scenarios (cold, code-only change, requirements-only change) for four cache
 * setups, with the builder wiped before every build, all in one run. Writes bench/results/latest.{json,md}
 * and a timestamped JSON.
 *
 * Setups:
 * - per-stage:   this project's bake file (scripts/bake.ts): one registry cache ref per stage, mode=max,
 *                OCI image manifests; final pushed with `type=image,push=true,store=false`.
 * - no-cache:    `docker buildx build --target final --push`, no cache import/export.
 * - min-ref:     one `:cache` ref, default mode=min (docker-build's ECR example): `--cache-to
 *                type=registry,ref=<repo>:cache --cache-from type=registry,ref=<repo>:cache --push`.
 * - inline:      `--cache-to type=inline --cache-from <image> --push` (what awsx.ecr.Image does).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  BuildRun,
  BuildkitEnv,
  StepSummary,
  assertEnvironmentUp,
  bake,
  buildx,
  copyFixture,
  docker,
  loadEnv,
  offlineBuildArgs,
  parseSteps,
  removeFixtureCopy,
  run,
  summarizeSteps,
  wipeBuilder,
  writeBakeFile,
} from "./lib";

const SCENARIOS = ["cold", "code-only", "requirements-only"] as const;
type Scenario = (typeof SCENARIOS)[number];

interface Setup {
  readonly id: string;
  readonly title: string;
  /** Prepares the setup for a fixture copy; returns the build of one scenario. */
  readonly prepare: (env: BuildkitEnv, app: string) => () => BuildRun;
}

interface Cell {
  readonly seconds: number;
  readonly ratioToCold: number;
  readonly steps: StepSummary;
  readonly followUpPushIgnored: boolean;
}

function buildxArgs(env: BuildkitEnv, app: string, extra: readonly string[]): string[] {
  const args = [
    "-f",
    path.join(env.root, "docker/Dockerfile"),
    "--target",
    "final",
    "--platform",
    "linux/amd64",
  ];
  for (const [k, v] of Object.entries(offlineBuildArgs(env))) args.push("--build-arg", `${k}=${v}`);
  return [...args, ...extra, app];
}

const SETUPS: readonly Setup[] = [
  {
    id: "per-stage",
    title: "per-stage refs, mode=max, bake file of this project (final: push, store=false)",
    prepare: (env, app) => {
      const file = path.join(path.dirname(app), "bake.json");
      writeBakeFile(
        env,
        {
          registry: `${env.registry}/bench/per-stage`,
          scope: "main",
          context: app,
          push: true,
          buildArgs: offlineBuildArgs(env),
        },
        file,
      );
      return () => bake(env, file);
    },
  },
  {
    id: "no-cache",
    title: "no cache",
    prepare: (env, app) => () =>
      buildx(env, buildxArgs(env, app, ["-t", `${env.registry}/bench/no-cache:dev`, "--push"])),
  },
  {
    id: "min-ref",
    title: "one `:cache` ref, mode=min (docker-build's ECR example)",
    prepare: (env, app) => {
      const repo = `${env.registry}/bench/min-ref`;
      const extra = [
        `--cache-to=type=registry,ref=${repo}:cache`,
        `--cache-from=type=registry,ref=${repo}:cache`,
        "-t",
        `${repo}:dev`,
        "--push",
      ];
      return () => buildx(env, buildxArgs(env, app, extra));
    },
  },
  {
    id: "inline",
    title: "inline cache (what awsx.ecr.Image does)",
    prepare: (env, app) => {
      const image = `${env.registry}/bench/inline:dev`;
      const extra = ["--cache-to=type=inline", `--cache-from=${image}`, "-t", image, "--push"];
      return () => buildx(env, buildxArgs(env, app, extra));
    },
  },
];

function change(app: string, scenario: Scenario): void {
  if (scenario === "code-only") fs.appendFileSync(path.join(app, "src/helpers.py"), 'CODE_VERSION = "2"\n');
  if (scenario === "requirements-only") fs.appendFileSync(path.join(app, "requirements.txt"), "PyYAML\n");
}

function fmtCell(c: Cell, scenario: Scenario): string {
  const time =
    scenario === "cold" ? c.seconds.toFixed(1) : `${c.seconds.toFixed(1)} (${c.ratioToCold.toFixed(3)})`;
  return `${time}<br>${c.steps.executed} run / ${c.steps.cached} cached (${c.steps.hitPercent} %)`;
}

function main(): void {
  const env = loadEnv();
  const started = new Date();
  const logDir = path.join(env.root, ".buildkit/logs/bench");
  fs.mkdirSync(logDir, { recursive: true });
  const only = (process.env.BENCH_SETUPS ?? "").split(",").filter((s) => s !== "");
  const results: Record<string, Record<Scenario, Cell>> = {};

  for (const setup of SETUPS.filter((s) => only.length === 0 || only.includes(s.id))) {
    const app = copyFixture(env, `bench-${setup.id}`);
    try {
      const build = setup.prepare(env, app);
      const row = {} as Record<Scenario, Cell>;
      for (const scenario of SCENARIOS) {
        change(app, scenario);
        wipeBuilder(env);
        const res = build();
        fs.writeFileSync(path.join(logDir, `${setup.id}-${scenario}.log`), res.log);
        const steps = summarizeSteps(parseSteps(res.log), res.log);
        const cold = scenario === "cold" ? res.seconds : row.cold.seconds;
        row[scenario] = {
          seconds: Math.round(res.seconds * 10) / 10,
          ratioToCold: Math.round((res.seconds / cold) * 1000) / 1000,
          steps,
          followUpPushIgnored: res.followUpPushIgnored,
        };
        console.log(
          `[bench] ${setup.id.padEnd(10)} ${scenario.padEnd(18)} ${res.seconds.toFixed(1).padStart(6)} s  ` +
            `steps run ${steps.executed}, cached ${steps.cached} (${steps.hitPercent} %), dependency steps ` +
            `cached ${steps.dependencyCached}/${steps.dependencyTotal}, RUN executed [${steps.runMarkers.join(" ")}]`,
        );
      }
      results[setup.id] = row;
    } finally {
      removeFixtureCopy(app);
    }
  }

  const versions = {
    docker: docker(env, ["version", "--format", "{{.Server.Version}}"]).stdout.trim(),
    buildx: docker(env, ["buildx", "version"]).stdout.trim(),
    cpus: Number(run("nproc", []).stdout.trim()),
    torchStandInMiB: Number(process.env.TORCH_STANDIN_MIB ?? "350"),
  };

  const perStage = results["per-stage"];
  const goals =
    perStage === undefined
      ? undefined
      : {
          codeOnlyAtMost5PercentOfCold: perStage["code-only"].ratioToCold <= 0.05,
          codeOnlyAllDependencyStepsCached:
            perStage["code-only"].steps.dependencyCached === perStage["code-only"].steps.dependencyTotal,
          fasterThanEveryOtherSetupOnBothChanges: Object.entries(results)
            .filter(([id]) => id !== "per-stage")
            .every(
              ([, row]) =>
                perStage["code-only"].seconds < row["code-only"].seconds &&
                perStage["requirements-only"].seconds < row["requirements-only"].seconds,
            ),
        };

  const md: string[] = [
    `# Cache bench, ${started.toISOString()}`,
    "",
    `Fixture app (test/fixtures/app) on ${versions.cpus} CPUs, dockerd ${versions.docker}, ${versions.buildx}; ` +
      `stand-in torch wheel of ${versions.torchStandInMiB} MiB (incompressible); builder wiped before every build. ` +
      "Wall seconds of the whole build command (build, cache export, push); in brackets the ratio to that " +
      "setup's cold build; then Dockerfile steps (FROM excluded) executed / cached and the cache-hit %.",
    "",
    "| setup | cold | code-only change | requirements-only change |",
    "|---|---:|---:|---:|",
    ...SETUPS.filter((s) => results[s.id] !== undefined).map(
      (s) => `| ${s.id}: ${s.title} | ${SCENARIOS.map((sc) => fmtCell(results[s.id][sc], sc)).join(" | ")} |`,
    ),
    "",
  ];
  if (perStage !== undefined && goals !== undefined) {
    const c = perStage["code-only"];
    md.push(
      `Goal (per-stage): code-only rebuild ≤ 5 % of cold: ${(c.ratioToCold * 100).toFixed(1)} % ` +
        `(${goals.codeOnlyAtMost5PercentOfCold ? "met" : "NOT met"}); dependency steps cached: ` +
        `${c.steps.dependencyCached}/${c.steps.dependencyTotal} ` +
        `(${goals.codeOnlyAllDependencyStepsCached ? "met" : "NOT met"}); faster than every other setup on ` +
        `both change scenarios: ${goals.fasterThanEveryOtherSetupOnBothChanges ? "met" : "NOT met"}.`,
      "",
    );
  }
  md.push(
    "Step counts come from BuildKit's plain progress: a RUN step counts as executed iff it printed its " +
      "`VOXPERSONA_RUN` marker; other steps count as cached only if BuildKit printed CACHED (a lazy " +
      "`COPY --link` hit prints DONE and is counted as executed). Each cell is one measurement.",
    "",
  );

  const outDir = path.join(env.root, "bench/results");
  fs.mkdirSync(outDir, { recursive: true });
  const json = JSON.stringify(
    {
      startedAt: started.toISOString(),
      versions,
      setups: SETUPS.map((s) => ({ id: s.id, title: s.title })),
      results,
      goals,
    },
    null,
    2,
  );
  const stamp = started.toISOString().replace(/[:.]/g, "-");
  fs.writeFileSync(path.join(outDir, `${stamp}.json`), json + "\n");
  fs.writeFileSync(path.join(outDir, "latest.json"), json + "\n");
  fs.writeFileSync(path.join(outDir, "latest.md"), md.join("\n"));
  console.log("\n" + md.join("\n"));
  console.log(`[bench] wrote bench/results/latest.json, latest.md and ${stamp}.json`);
}

if (require.main === module) {
  void (async () => {
    try {
      await assertEnvironmentUp(loadEnv());
      main();
    } catch (err) {
      console.error(`[bench] ${(err as Error).message}`);
      process.exit(1);
    }
  })();
}
