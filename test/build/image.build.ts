/**
 * Real builds of the fixture app (test/fixtures/app) with BuildKit and a registry: run by
 * `npm run test:build` (scripts/buildkit/test-build.sh), never by `npm test`. Every build starts from a
 * wiped builder, so every cache hit comes from the per-stage cache refs in the registry, exactly as the
 * project's bake file (scripts/bake.ts) describes them.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  BuildRun,
  BuildkitEnv,
  OCI_MANIFEST,
  Step,
  assertEnvironmentUp,
  bake,
  buildx,
  copyFixture,
  docker,
  executedRunMarkers,
  getImageManifest,
  getManifest,
  loadEnv,
  offlineBuildArgs,
  parseSteps,
  removeFixtureCopy,
  wipeBuilder,
  writeBakeFile,
} from "../../scripts/buildkit/lib";
import { MANIFEST_MEDIA_TYPES } from "../../infra/ecr-tags";
import { STAGES } from "../../infra/plan";
import { FAKE_AWS_ENV } from "../helpers/aws-json-fake";
import { startDynamicHost } from "../helpers/dynamic-host";
import { RegistryStore, startEcrFake } from "../helpers/ecr-fake";
import { ofType, runStack } from "../helpers/pulumi-mocks";
import { stackFileConfig } from "../helpers/stackfiles";

const REPOSITORY = "voxpersona";
const SCOPE = "main";
const APP_UID = 10001;
const FIXTURE_MARKER = "VOXPERSONA_FIXTURE_OK";
const ALL_RUN_MARKERS = [
  "ml-models/download",
  "python-deps/requirements",
  "python-deps/torch",
  "system-base/apt",
  "system-base/user",
];

function log(message: string): void {
  console.log(`      ${message}`);
}

function report(name: string, build: BuildRun): Step[] {
  const steps = parseSteps(build.log);
  log(`${name}: ${build.seconds.toFixed(1)} s wall (builder wiped before)`);
  for (const s of steps) log(`  ${s.status.padEnd(8)} ${s.key.slice(0, 90)}  [${s.evidence}]`);
  if (build.followUpPushIgnored) {
    log(
      "  (buildx's follow-up `docker push` after store=false failed as expected; BuildKit pushed the image)",
    );
  }
  fs.writeFileSync(path.join(logDir, `${name}.log`), build.log);
  return steps;
}

function stepsOf(steps: readonly Step[], stage: string): Step[] {
  return steps.filter((s) => s.stage === stage);
}

let logDir = "";

describe("docker/Dockerfile built for real (BuildKit + registry, per-stage cache)", function () {
  let env: BuildkitEnv;
  let app: string;
  let bakeFile: string;
  let image: string;
  let previousLayers: string[] = [];
  /** Digests of the release image (dev tag) after each build, oldest first. */
  const pushedDigests: string[] = [];

  before(async function () {
    env = loadEnv();
    await assertEnvironmentUp(env);
    logDir = path.join(env.root, ".buildkit/logs/test-build");
    fs.mkdirSync(logDir, { recursive: true });
    app = copyFixture(env, "test-build");
    bakeFile = path.join(path.dirname(app), "bake.json");
    image = `${env.registry}/${REPOSITORY}:dev`;
    writeBakeFile(
      env,
      {
        registry: `${env.registry}/${REPOSITORY}`,
        scope: SCOPE,
        context: app,
        push: true,
        buildArgs: offlineBuildArgs(env),
      },
      bakeFile,
    );
    // BK_TEST_DOCKERFILE=<absolute path> builds another Dockerfile with the same bake file, to check that
    // these tests catch a broken one (e.g. code copied before the requirements install).
    const override = process.env.BK_TEST_DOCKERFILE;
    if (override !== undefined && override !== "") {
      const file = JSON.parse(fs.readFileSync(bakeFile, "utf8")) as {
        target: Record<string, { dockerfile: string }>;
      };
      for (const t of Object.values(file.target)) t.dockerfile = path.resolve(override);
      fs.writeFileSync(bakeFile, JSON.stringify(file, null, 2));
      log(`Dockerfile overridden: ${path.resolve(override)}`);
    }
    log(`fixture copy: ${app}`);
    log(
      `bake file:    ${bakeFile} (npm run bake -- --stack dev --registry ${env.registry}/${REPOSITORY} --push)`,
    );
  });

  after(function () {
    if (app !== undefined) removeFixtureCopy(app);
  });

  async function layersOfPushedImage(): Promise<string[]> {
    pushedDigests.push((await getManifest(env, REPOSITORY, "dev")).digest);
    const m = await getImageManifest(env, REPOSITORY, "dev");
    return (m.body.layers ?? []).map((l) => l.digest);
  }

  function runImage(args: readonly string[]): string {
    return docker(env, ["run", "--rm", image, ...args]).stdout;
  }

  it("1. cold build: the pushed image runs the app as non-root, has ffmpeg, and only the files it should", async function () {
    wipeBuilder(env);
    const cold = bake(env, bakeFile);
    report("1-cold", cold);
    const markers = executedRunMarkers(cold.log);
    log(`RUN steps executed: ${markers.join(", ")} (expected: all ${ALL_RUN_MARKERS.length})`);
    assert.deepEqual(markers, ALL_RUN_MARKERS, "a cold build must execute every RUN step");

    const out = runImage([]);
    log(`python src/main.py -> ${out.trim().split("\n")[0]}`);
    assert.match(out, new RegExp(`^${FIXTURE_MARKER} `, "m"), "the app's marker is printed");
    const uid = Number(/uid=(\d+)/.exec(out)?.[1]);
    log(`uid: ${uid} (expected ${APP_UID}, not 0)`);
    assert.notEqual(uid, 0, "the app must not run as root");
    assert.equal(uid, APP_UID);

    const ffmpeg = docker(env, ["run", "--rm", "--entrypoint", "ffmpeg", image, "-version"]).stdout;
    log(`ffmpeg -version -> ${ffmpeg.split("\n")[0]}`);
    assert.match(ffmpeg, /^ffmpeg version /);

    const perms = runImage([
      "sh",
      "-c",
      "touch /app/logs/probe && echo logs-writable; touch /app/src/probe 2>/dev/null && echo src-writable || echo src-readonly",
    ]);
    log(`write probe -> ${perms.trim().replace(/\n/g, ", ")}`);
    assert.deepEqual(perms.trim().split("\n"), ["logs-writable", "src-readonly"]);

    const files = runImage([
      "python",
      "-c",
      "import os\nfor r, ds, fs in os.walk('/app'):\n    for n in ds + fs: print(os.path.relpath(os.path.join(r, n), '/app'))",
    ])
      .trim()
      .split("\n")
      .sort();
    log(`/app in the image: ${files.join(" ")}`);
    for (const want of [
      "src/main.py",
      "src/helpers.py",
      "prompts/system.txt",
      "prompts-by-scenario/interview.txt",
      "sql_scripts/001_init.sql",
      "requirements.txt",
      "logs",
    ]) {
      assert.ok(files.includes(want), `image must contain /app/${want}`);
    }
    for (const unwanted of [
      "src/test_main.py",
      "src/helpers_test.py",
      "src/debug.log",
      "src/__pycache__",
      "src/__pycache__/main.cpython-311.pyc",
      "logs/run.log",
    ]) {
      assert.ok(!files.includes(unwanted), `image must not contain /app/${unwanted}`);
    }
    previousLayers = await layersOfPushedImage();
    log(`pushed image: ${previousLayers.length} layers`);
  });

  it("1b. the build context BuildKit receives honours docker/Dockerfile.dockerignore", function () {
    // A throwaway Dockerfile that copies the whole context, with the project's ignore file next to it
    // (the <Dockerfile>.dockerignore form), exported to a local directory.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "voxpersona-context-"));
    try {
      fs.writeFileSync(path.join(dir, "Context.Dockerfile"), "FROM scratch\nCOPY . /\n");
      fs.copyFileSync(
        path.join(env.root, "docker/Dockerfile.dockerignore"),
        path.join(dir, "Context.Dockerfile.dockerignore"),
      );
      const out = path.join(dir, "out");
      buildx(env, ["-f", path.join(dir, "Context.Dockerfile"), "--output", `type=local,dest=${out}`, app]);
      const seen = (fs.readdirSync(out, { recursive: true }) as string[]).map((p) =>
        p.split(path.sep).join("/"),
      );
      const files = seen.filter((p) => fs.statSync(path.join(out, p)).isFile()).sort();
      log(`context files: ${files.join(" ")}`);
      assert.deepEqual(files, [
        "README.md",
        "prompts-by-scenario/interview.txt",
        "prompts/system.txt",
        "requirements.txt",
        "sql_scripts/001_init.sql",
        "src/helpers.py",
        "src/main.py",
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("2. code-only change: every dependency step is a registry hit, no RUN executes, only the code layer changes", async function () {
    fs.appendFileSync(path.join(app, "src/helpers.py"), 'CODE_VERSION = "2"\n');
    wipeBuilder(env);
    const build = bake(env, bakeFile);
    const steps = report("2-code-change", build);
    const markers = executedRunMarkers(build.log);
    log(`RUN steps executed: [${markers.join(", ")}] (expected none)`);
    assert.deepEqual(markers, [], "no RUN may execute after a code-only change");
    for (const stage of ["system-base", "python-deps", "ml-models"]) {
      const notCached = stepsOf(steps, stage).filter((s) => s.status !== "cached");
      log(`${stage}: ${stepsOf(steps, stage).length} steps, not cached: [${notCached.map((s) => s.key)}]`);
      assert.ok(stepsOf(steps, stage).length > 0, `no steps of ${stage} seen in the progress output`);
      assert.deepEqual(notCached, [], `every ${stage} step must be a cache hit`);
    }
    const layers = await layersOfPushedImage();
    const changed = layers.map((d, i) => (d === previousLayers[i] ? -1 : i)).filter((i) => i >= 0);
    log(`layers: ${previousLayers.length} before, ${layers.length} now; changed positions: [${changed}]`);
    assert.equal(layers.length, previousLayers.length, "same number of layers");
    assert.equal(changed.length, 1, "exactly one layer (the src/ COPY) differs from the previous image");
    const srcLayerIndex = layers.length - 4; // COPY src, prompts, prompts-by-scenario, sql_scripts are last
    assert.equal(changed[0], srcLayerIndex, "the changed layer is the src/ COPY");
    const helper = runImage(["cat", "/app/src/helpers.py"]);
    assert.match(helper, /CODE_VERSION = "2"/, "the new code is in the image");
    previousLayers = layers;
  });

  it("3. requirements-only change: system-base, torch and ml-models stay cached; the requirements install re-runs", async function () {
    fs.appendFileSync(path.join(app, "requirements.txt"), "PyYAML\n");
    wipeBuilder(env);
    const build = bake(env, bakeFile);
    const steps = report("3-requirements-change", build);
    const markers = executedRunMarkers(build.log);
    log(`RUN steps executed: [${markers.join(", ")}] (expected [python-deps/requirements])`);
    assert.deepEqual(markers, ["python-deps/requirements"]);
    for (const stage of ["system-base", "ml-models"]) {
      const notCached = stepsOf(steps, stage).filter((s) => s.status !== "cached");
      log(`${stage}: not cached: [${notCached.map((s) => s.key)}]`);
      assert.ok(stepsOf(steps, stage).length > 0, `no steps of ${stage} seen in the progress output`);
      assert.deepEqual(notCached, [], `every ${stage} step must be a cache hit`);
    }
    const torch = stepsOf(steps, "python-deps").find((s) => s.marker === "python-deps/torch");
    log(`torch step: ${torch?.status} [${torch?.evidence}]`);
    assert.equal(torch?.status, "cached", "the torch step stays cached");
    const layers = await layersOfPushedImage();
    const same = layers.filter((d, i) => d === previousLayers[i]).length;
    log(`layers identical to the previous image: ${same} of ${layers.length}`);
  });

  it("4. every stage's cache in the registry is an OCI image manifest (what ECR accepts)", async function () {
    for (const stage of STAGES) {
      const m = await getManifest(env, `${REPOSITORY}/cache/${stage}`, SCOPE);
      log(
        `${REPOSITORY}/cache/${stage}:${SCOPE}: Content-Type ${m.contentType}, mediaType ${m.body.mediaType}, ` +
          `config ${m.body.config?.mediaType}, ${m.body.layers?.length} layers`,
      );
      assert.equal(m.contentType, OCI_MANIFEST);
      assert.equal(m.body.mediaType, OCI_MANIFEST);
      assert.equal(m.body.config?.mediaType, "application/vnd.buildkit.cacheconfig.v0");
      assert.ok((m.body.layers ?? []).length > 0, "the cache manifest references layers");
    }
  });

  it("5. promotion: the serialized tag provider, in Pulumi's dynamic-provider host, tags the pushed digest", async function () {
    const digests = [...new Set(pushedDigests)];
    assert.ok(digests.length >= 2, `two different pushed images to promote (got ${digests.join(", ")})`);
    const [previous, current] = [digests.at(-2) as string, digests.at(-1) as string];
    // The provider text the SDK serializes for staging's EnvironmentTag, as `pulumi up` sends it.
    const run = await runStack("staging", stackFileConfig("staging"), {
      "acme/voxpersona/dev": { imageDigest: current },
    });
    assert.equal(run.error, undefined, run.error?.stack);
    const tag = ofType(run, "pulumi-nodejs:dynamic/environment-tag:EnvironmentTag")[0];
    const store = new RegistryStore(`http://${env.registry}`, MANIFEST_MEDIA_TYPES);
    const ecr = await startEcrFake(store);
    const host = await startDynamicHost({ ...FAKE_AWS_ENV, AWS_ENDPOINT_URL_ECR: ecr.endpoint }, env.root);
    const urn = "urn:pulumi:staging::voxpersona::pulumi-nodejs:dynamic/environment-tag:EnvironmentTag::tag";
    try {
      const props = (digest: string) => ({ ...tag.inputs, repositoryName: REPOSITORY, digest });
      const created = await host.create(urn, props(current));
      assert.equal(created.properties.digest, current);
      // The promotion's slot and history tags name the very same manifest.
      assert.equal(created.properties.slot, 0);
      for (const t of ["staging-slot-0", String(created.properties.historyTag)]) {
        assert.equal((await getManifest(env, REPOSITORY, t)).digest, current, t);
      }
      const staging = await getManifest(env, REPOSITORY, "staging");
      log(`staging -> ${staging.digest} (dev pushed ${current}), ${staging.contentType}`);
      assert.equal(
        staging.digest,
        current,
        "the registry's staging tag resolves to the digest the build pushed",
      );
      assert.equal(
        staging.digest,
        (await getManifest(env, REPOSITORY, "dev")).digest,
        "same manifest as dev",
      );
      // A rollback (or the next promotion) moves the same tag with an update, in the next slot; the digest
      // rolled back from keeps its slot.
      const rolledBack = await host.update(urn, created.id, created.properties, props(previous));
      assert.equal((await getManifest(env, REPOSITORY, "staging")).digest, previous);
      assert.equal((await getManifest(env, REPOSITORY, "staging-slot-1")).digest, previous);
      assert.equal((await getManifest(env, REPOSITORY, String(rolledBack.historyTag))).digest, previous);
      assert.equal((await getManifest(env, REPOSITORY, "staging-slot-0")).digest, current);
      log(`rolled back: staging -> ${previous} (${String(rolledBack.historyTag)}, staging-slot-1)`);
      const read = await host.read(urn, created.id, props(current));
      assert.equal(read.properties.digest, previous, "refresh sees where the tag points now");
      assert.deepEqual(
        ecr.calls.map((c) => c.operation),
        [
          ...["BatchGetImage", "PutImage", "PutImage", "PutImage"],
          ...["BatchGetImage", "PutImage", "PutImage", "PutImage"],
          "BatchGetImage",
        ],
      );
    } finally {
      await host.stop();
      await ecr.close();
    }
  });
});
