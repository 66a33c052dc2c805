/**
 * Helpers shared by the real-build tests (test/build/*.build.ts) and the cache bench (bench.ts): run
 * builds against the local dockerd + registry started by scripts/buildkit/up.sh, wipe the builder, read
 * BuildKit's plain progress, and query the registry API.
 *
 * They only work under scripts/buildkit/test-build.sh or bench.sh, which export BK_* and DOCKER_HOST; if
 * those are missing, or dockerd/the registry do not answer, every helper fails loudly.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface BuildkitEnv {
  /** Repository root. */
  readonly root: string;
  /** Debian's docker CLI (the one with the buildx plugin). */
  readonly docker: string;
  /** `127.0.0.1:5000` */
  readonly registry: string;
  /** Stand-in for python:3.10.11-slim in the local registry. */
  readonly baseImage: string;
  /** Local PEP 503 index with the stand-in torch wheel. */
  readonly torchIndexUrl: string;
}

function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") {
    throw new Error(
      `${name} is not set: run this through \`npm run test:build\` or \`npm run bench:cache\` ` +
        "(scripts/buildkit/*.sh start dockerd, the registry and the wheel index and export BK_*)",
    );
  }
  return value;
}

export function loadEnv(): BuildkitEnv {
  requireEnv("DOCKER_HOST");
  return {
    root: requireEnv("BK_ROOT"),
    docker: requireEnv("BK_DOCKER"),
    registry: requireEnv("BK_REGISTRY_ADDR"),
    baseImage: requireEnv("BK_BASE_IMAGE"),
    torchIndexUrl: requireEnv("BK_TORCH_INDEX_URL"),
  };
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
}

export interface RunOptions {
  readonly cwd?: string;
  /** Return a non-zero exit instead of throwing. */
  readonly allowFail?: boolean;
  readonly timeoutMs?: number;
}

/** Runs a command to completion; throws with the command and the end of its output on failure. */
export function run(cmd: string, args: readonly string[], options: RunOptions = {}): RunResult {
  const start = process.hrtime.bigint();
  const res = spawnSync(cmd, [...args], {
    cwd: options.cwd,
    encoding: "utf8",
    maxBuffer: 512 * 1024 * 1024,
    timeout: options.timeoutMs ?? 30 * 60 * 1000,
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (res.error) throw new Error(`${cmd} ${args.join(" ")}: ${res.error.message}`);
  const result = { code: res.status ?? -1, stdout: res.stdout, stderr: res.stderr, seconds };
  if (result.code !== 0 && options.allowFail !== true) {
    const tail = `${res.stdout}\n${res.stderr}`.trim().split("\n").slice(-40).join("\n");
    throw new Error(`\`${cmd} ${args.join(" ")}\` exited with ${result.code}:\n${tail}`);
  }
  return result;
}

export function docker(env: BuildkitEnv, args: readonly string[], options: RunOptions = {}): RunResult {
  return run(env.docker, args, options);
}

/** Fails loudly unless dockerd and the registry answer. */
export async function assertEnvironmentUp(env: BuildkitEnv): Promise<void> {
  const info = docker(env, ["info", "--format", "{{.ServerVersion}} {{.Driver}}"], { allowFail: true });
  if (info.code !== 0) {
    throw new Error(`dockerd does not answer on ${process.env.DOCKER_HOST}: ${info.stderr.trim()}`);
  }
  const res = await fetch(`http://${env.registry}/v2/`).catch((e: unknown) => {
    throw new Error(`registry ${env.registry} does not answer: ${String(e)}`);
  });
  if (res.status !== 200) throw new Error(`registry ${env.registry}/v2/ answered ${res.status}`);
}

/** Stops dockerd, deletes its data root and starts it again: the next build can only hit the registry. */
export function wipeBuilder(env: BuildkitEnv): void {
  run("bash", [path.join(env.root, "scripts/buildkit/wipe-builder.sh")]);
}

/** Copies the fixture app into a new temporary directory (the committed fixture is never modified). */
export function copyFixture(env: BuildkitEnv, label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `voxpersona-${label}-`));
  const app = path.join(dir, "app");
  fs.cpSync(path.join(env.root, "test/fixtures/app"), app, { recursive: true });
  return app;
}

/** Build args for an offline build: local base image, local torch index, no model download. */
export function offlineBuildArgs(env: BuildkitEnv): Record<string, string> {
  return {
    BASE_IMAGE: env.baseImage,
    TORCH_INDEX_URL: env.torchIndexUrl,
    TORCH_PACKAGES: "torch==2.5.1",
    HF_HUB_PACKAGE: "",
    EMBEDDING_MODELS: "",
  };
}

export interface BakeFileOptions {
  /** `<host>/<repository>` */
  readonly registry: string;
  readonly scope: string;
  readonly context: string;
  readonly push: boolean;
  readonly buildArgs: Readonly<Record<string, string>>;
}

/** Writes the bake file the project's `bake` command prints (this project's per-stage cache refs). */
export function writeBakeFile(env: BuildkitEnv, options: BakeFileOptions, file: string): unknown {
  const args = ["run", "--silent", "bake", "--", "--stack", "dev", "--registry", options.registry];
  args.push("--scope", options.scope, "--context", options.context);
  for (const [k, v] of Object.entries(options.buildArgs)) args.push("--build-arg", `${k}=${v}`);
  if (options.push) args.push("--push");
  const res = run("npm", args, { cwd: env.root });
  fs.writeFileSync(file, res.stdout);
  return JSON.parse(res.stdout) as unknown;
}

export interface BuildRun {
  readonly seconds: number;
  readonly log: string;
  /**
   * buildx 0.13 with the `docker` driver follows an image output with `push=true` by its own
   * `docker push`, which fails with "tag does not exist" when the output has `store=false` (nothing was
   * stored). BuildKit itself has pushed the image by then. True when that was the only error and the
   * exporter logged the manifest push for every name.
   */
  readonly followUpPushIgnored: boolean;
}

const IGNORABLE_ERROR = /failed to configure registry cache importer: .*: not found/;

function checkBuildLog(what: string, code: number, log: string): boolean {
  if (code === 0) return false;
  const errors = log.split("\n").filter((l) => /^(#\d+ )?ERROR[: ]/.test(l) && !IGNORABLE_ERROR.test(l));
  const followUp = errors.filter((l) => /ERROR: tag does not exist: /.test(l));
  const names = [...new Set(followUp.map((l) => l.replace(/.*tag does not exist: /, "").trim()))];
  const pushed = names.every((n) => log.includes(`pushing manifest for ${n}@sha256:`));
  if (errors.length > 0 && followUp.length === errors.length && names.length > 0 && pushed) return true;
  const tail = log.trim().split("\n").slice(-60).join("\n");
  throw new Error(`${what} failed (exit ${code}):\n${tail}`);
}

/** `docker buildx bake -f FILE --progress=plain [targets]`, timed. */
export function bake(env: BuildkitEnv, file: string, targets: readonly string[] = []): BuildRun {
  const res = docker(env, ["buildx", "bake", "-f", file, "--progress=plain", ...targets], {
    allowFail: true,
    cwd: env.root,
  });
  const log = res.stdout + res.stderr;
  const followUpPushIgnored = checkBuildLog(`docker buildx bake -f ${file}`, res.code, log);
  return { seconds: res.seconds, log, followUpPushIgnored };
}

/** `docker buildx build --progress=plain ...`, timed. */
export function buildx(env: BuildkitEnv, args: readonly string[]): BuildRun {
  const res = docker(env, ["buildx", "build", "--progress=plain", ...args], {
    allowFail: true,
    cwd: env.root,
  });
  const log = res.stdout + res.stderr;
  const followUpPushIgnored = checkBuildLog("docker buildx build", res.code, log);
  return { seconds: res.seconds, log, followUpPushIgnored };
}

export type StepStatus = "cached" | "executed";

export interface Step {
  /** `<stage> <i>/<n> <instruction>` */
  readonly key: string;
  readonly stage: string;
  readonly instruction: string;
  /** The RUN marker of a RUN step (`python-deps/torch`), if it has one. */
  readonly marker?: string;
  readonly status: StepStatus;
  /** Why: "RUN marker printed", "RUN marker absent", "CACHED", "DONE". */
  readonly evidence: string;
}

/** Every RUN in docker/Dockerfile echoes `VOXPERSONA_RUN <stage>/<step>` first: printed iff it ran. */
export const RUN_MARKER = "VOXPERSONA_RUN";

/** The markers printed by RUN steps that really executed in this build. */
export function executedRunMarkers(log: string): string[] {
  const re = new RegExp(`^#\\d+ [\\d.]+ ${RUN_MARKER} (\\S+)\\s*$`, "gm");
  return [...new Set([...log.matchAll(re)].map((m) => m[1]))].sort();
}

/**
 * The Dockerfile steps of a build (FROM excluded) and whether each executed, from plain progress.
 * RUN steps are decided by their marker (a RUN hit whose layers had to be downloaded prints DONE, not
 * CACHED). Other steps count as cached only when BuildKit printed CACHED for them; a lazy COPY --link
 * hit prints DONE and is therefore counted as executed (conservative).
 */
export function parseSteps(log: string): Step[] {
  const header = /^#(\d+) \[(?:(\S+) )?(\S+) (\d+)\/(\d+)\] (.+)$/;
  const byVertex = new Map<string, { key: string; stage: string; instruction: string }>();
  const status = new Map<string, Set<string>>();
  for (const line of log.split("\n")) {
    const h = header.exec(line);
    if (h) {
      const [, id, , stage, i, n, instruction] = h;
      byVertex.set(id, { key: `${stage} ${i}/${n} ${instruction}`, stage, instruction });
      continue;
    }
    const s = /^#(\d+) (CACHED|DONE|ERROR)\b/.exec(line);
    if (s && byVertex.has(s[1])) {
      const key = byVertex.get(s[1])!.key;
      if (!status.has(key)) status.set(key, new Set());
      status.get(key)!.add(s[2]);
    }
  }
  const markers = new Set(executedRunMarkers(log));
  const steps = new Map<string, Step>();
  for (const { key, stage, instruction } of byVertex.values()) {
    if (steps.has(key) || /^FROM\s/.test(instruction)) continue;
    const seen = status.get(key) ?? new Set<string>();
    const marker = new RegExp(`${RUN_MARKER} (\\S+?)["'\\s]`).exec(instruction)?.[1];
    let st: StepStatus;
    let evidence: string;
    if (/^RUN\s/.test(instruction) && marker !== undefined) {
      st = markers.has(marker) ? "executed" : "cached";
      evidence = markers.has(marker) ? `marker ${marker} printed` : `marker ${marker} absent`;
    } else if (seen.has("CACHED") && !seen.has("DONE")) {
      st = "cached";
      evidence = "CACHED";
    } else {
      st = "executed";
      evidence = [...seen].join("+") || "no status";
    }
    steps.set(key, { key, stage, instruction, marker, status: st, evidence });
  }
  return [...steps.values()];
}

export interface StepSummary {
  readonly total: number;
  readonly executed: number;
  readonly cached: number;
  readonly hitPercent: number;
  /** Steps of the dependency stages (everything except final). */
  readonly dependencyTotal: number;
  readonly dependencyCached: number;
  readonly dependencyHitPercent: number;
  readonly executedSteps: readonly string[];
  readonly runMarkers: readonly string[];
}

export function summarizeSteps(steps: readonly Step[], log: string): StepSummary {
  const dep = steps.filter((s) => s.stage !== "final");
  const cached = steps.filter((s) => s.status === "cached").length;
  const depCached = dep.filter((s) => s.status === "cached").length;
  const pct = (a: number, b: number): number => (b === 0 ? 100 : Math.round((1000 * a) / b) / 10);
  return {
    total: steps.length,
    executed: steps.length - cached,
    cached,
    hitPercent: pct(cached, steps.length),
    dependencyTotal: dep.length,
    dependencyCached: depCached,
    dependencyHitPercent: pct(depCached, dep.length),
    executedSteps: steps.filter((s) => s.status === "executed").map((s) => s.key.slice(0, 80)),
    runMarkers: executedRunMarkers(log),
  };
}

export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const ACCEPT = [
  OCI_MANIFEST,
  OCI_INDEX,
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
].join(", ");

export interface Manifest {
  readonly contentType: string;
  readonly digest: string;
  readonly body: {
    mediaType?: string;
    config?: { mediaType: string; digest: string };
    layers?: { mediaType: string; digest: string; size: number }[];
    manifests?: { digest: string; platform?: { os: string; architecture: string } }[];
  };
}

/** GET /v2/<name>/manifests/<reference> with OCI and Docker Accept headers. */
export async function getManifest(env: BuildkitEnv, name: string, reference: string): Promise<Manifest> {
  const url = `http://${env.registry}/v2/${name}/manifests/${reference}`;
  const res = await fetch(url, { headers: { Accept: ACCEPT } });
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${await res.text()}`);
  return {
    contentType: res.headers.get("content-type") ?? "",
    digest: res.headers.get("docker-content-digest") ?? "",
    body: (await res.json()) as Manifest["body"],
  };
}

/** The linux/amd64 image manifest behind a tag (follows an index if there is one). */
export async function getImageManifest(env: BuildkitEnv, name: string, tag: string): Promise<Manifest> {
  const m = await getManifest(env, name, tag);
  if (m.body.manifests === undefined) return m;
  const entry = m.body.manifests.find((d) => d.platform?.architecture === "amd64") ?? m.body.manifests[0];
  return getManifest(env, name, entry.digest);
}

/** Deletes a directory made by copyFixture (its parent temp dir). */
export function removeFixtureCopy(app: string): void {
  fs.rmSync(path.dirname(app), { recursive: true, force: true });
}
