import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { renderBakeFile } from "../infra/bake";
import { parseStackConfig, planInputFromConfig } from "../infra/config";
import { cacheFromSpec, cacheToSpec } from "../infra/cache-refs";
import { STAGES, buildPlan } from "../infra/plan";
import { EXIT, main } from "../scripts/bake";
import { ROOT, stackFileConfig } from "./helpers/stackfiles";

const REGISTRY = "127.0.0.1:5000/voxpersona";

/** The command in-process, exactly as the CLI runs it but with its streams captured. */
function bake(...args: string[]): { status: number; stdout: string; stderr: string } {
  let stdout = "";
  let stderr = "";
  const status = main(args, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
  });
  return { status, stdout, stderr };
}

describe("npm run bake", () => {
  it("prints valid JSON whose targets, cache refs and args equal the plan's", () => {
    const r = bake("--stack", "dev", "--registry", REGISTRY);
    assert.deepEqual([r.status, r.stderr], [EXIT.ok, ""]);
    const file = JSON.parse(r.stdout);
    const config = parseStackConfig(stackFileConfig("dev"), "dev");
    const plan = buildPlan({ ...planInputFromConfig(config), repositoryUrl: REGISTRY });
    assert.deepEqual(file.group.default.targets, [...STAGES]);
    assert.deepEqual(Object.keys(file.target), [...STAGES]);
    for (const s of plan.stages) {
      const t = file.target[s.stage];
      assert.equal(t.target, s.target);
      assert.equal(t.context, "app");
      assert.equal(t.dockerfile, "../docker/Dockerfile");
      assert.deepEqual(t.platforms, ["linux/amd64"]);
      assert.deepEqual(t.args, s.buildArgs);
      assert.deepEqual(t["cache-from"], s.cacheFrom.map(cacheFromSpec));
      assert.deepEqual(t["cache-to"], [cacheToSpec(s.cacheTo)]);
      assert.deepEqual(t.output, ["type=cacheonly"]);
    }
    assert.deepEqual(file, renderBakeFile(plan));
    assert.deepEqual(file.target.final["cache-to"], [
      `type=registry,ref=${REGISTRY}/cache/final:main,mode=max,image-manifest=true,oci-mediatypes=true`,
    ]);
    // The main scope reads main's cache only, never a PR cache repository.
    assert.deepEqual(file.target.final["cache-from"], [
      `type=registry,ref=${REGISTRY}/cache/final:main`,
      `type=registry,ref=${REGISTRY}/cache/python-deps:main`,
      `type=registry,ref=${REGISTRY}/cache/system-base:main`,
      `type=registry,ref=${REGISTRY}/cache/ml-models:main`,
    ]);
  });

  it("takes scope, context, build args, tag and push", () => {
    const r = bake(
      "--stack",
      "dev",
      "--registry",
      REGISTRY,
      "--scope",
      "pr-7",
      "--context",
      "test/fixtures/app",
      "--build-arg",
      "TORCH_PACKAGES=",
      "--tag",
      "git-abc",
      "--push",
    );
    assert.equal(r.status, EXIT.ok, r.stderr);
    const file = JSON.parse(r.stdout);
    assert.equal(file.target["python-deps"].args.TORCH_PACKAGES, "");
    assert.equal(file.target.final.dockerfile, "../../../docker/Dockerfile");
    assert.deepEqual(file.target["system-base"]["cache-from"], [
      `type=registry,ref=${REGISTRY}/cache-pr/system-base:pr-7`,
      `type=registry,ref=${REGISTRY}/cache/system-base:main`,
    ]);
    assert.deepEqual(file.target["python-deps"]["cache-from"], [
      `type=registry,ref=${REGISTRY}/cache-pr/python-deps:pr-7`,
      `type=registry,ref=${REGISTRY}/cache-pr/system-base:pr-7`,
      `type=registry,ref=${REGISTRY}/cache/python-deps:main`,
      `type=registry,ref=${REGISTRY}/cache/system-base:main`,
    ]);
    assert.deepEqual(
      STAGES.map((stage) => file.target[stage]["cache-to"]),
      STAGES.map((stage) => [
        `type=registry,ref=${REGISTRY}/cache-pr/${stage}:pr-7,mode=max,image-manifest=true,oci-mediatypes=true`,
      ]),
    );
    assert.deepEqual(file.target.final.output, [
      `type=image,"name=${REGISTRY}:dev,${REGISTRY}:git-abc",push=true,store=false`,
    ]);
    assert.deepEqual(file.target["ml-models"].output, ["type=cacheonly"]);
  });

  it("fails with a clear message for a promote stack, a missing flag or a bad build arg", () => {
    assert.deepEqual(
      [
        bake("--stack", "prod", "--registry", REGISTRY).status,
        bake("--stack", "prod", "--registry", REGISTRY).stderr,
      ],
      [2, 'bake: stack "prod" has role "promote": it never builds; bake a build stack (dev)\n'],
    );
    assert.equal(
      bake("--stack", "dev").stderr,
      "bake: --stack and --registry are required\nusage: npm run --silent bake -- --stack <name> --registry " +
        "<host/repo> [--scope <scope>] [--context <dir>] [--build-arg KEY=VALUE]... [--tag <tag>] [--push]\n",
    );
    assert.equal(
      bake("--stack", "dev", "--registry", REGISTRY, "--build-arg", "NOPE=1").stderr,
      'bake: unknown build arg(s) "NOPE": docker/Dockerfile declares BASE_IMAGE, TORCH_INDEX_URL, ' +
        "TORCH_PACKAGES, HF_HUB_PACKAGE, EMBEDDING_MODELS\n",
    );
  });

  it("fails with exit code 2 and nothing on stdout for a bad registry, stack, build arg or option", () => {
    const cases: Array<[string[], string]> = [
      [
        ["--stack", "dev", "--registry", "voxpersona"],
        '--registry "voxpersona" must be <host>/<repository>, e.g. 127.0.0.1:5000/voxpersona',
      ],
      [
        ["--stack", "qa", "--registry", REGISTRY],
        `no stack file ${ROOT}/Pulumi.qa.yaml: --stack must name a stack of this project`,
      ],
      [
        ["--stack", "dev", "--registry", REGISTRY, "--build-arg", "=1"],
        '--build-arg "=1" must be KEY=VALUE (VALUE may be empty)',
      ],
      [["--stack", "dev", "--registry", REGISTRY, "--nope"], "Unknown option '--nope'"],
    ];
    for (const [argv, message] of cases) {
      assert.deepEqual(bake(...argv), { status: EXIT.usage, stdout: "", stderr: `bake: ${message}\n` });
    }
  });

  // The one real process: the contract CI relies on (`npm run --silent bake -- … > bake.json`).
  it("runs as `npm run --silent bake`: exactly the JSON on stdout, nothing on stderr, exit code 0", function () {
    this.timeout(60000);
    const argv = ["--stack", "dev", "--registry", REGISTRY, "--scope", "pr-7", "--tag", "git-abc", "--push"];
    const cli = spawnSync("npm", ["run", "--silent", "bake", "--", ...argv], { cwd: ROOT, encoding: "utf8" });
    const inProcess = bake(...argv);
    assert.deepEqual([inProcess.status, inProcess.stderr], [EXIT.ok, ""]);
    assert.deepEqual({ status: cli.status, stdout: cli.stdout, stderr: cli.stderr }, inProcess);
    assert.equal(cli.stdout.at(-1), "\n");
    assert.equal(
      JSON.parse(cli.stdout).target.final["cache-to"][0].split(",")[1],
      `ref=${REGISTRY}/cache-pr/final:pr-7`,
    );
  });
});

describe("planInputFromConfig", () => {
  it("maps a build stack's config to the plan input, with the run's scope and tag", () => {
    const config = parseStackConfig(
      { ...stackFileConfig("dev"), "voxpersona:cacheScope": "pr-7", "voxpersona:buildTag": "git-abc" },
      "dev",
    );
    assert.deepEqual(planInputFromConfig(config), {
      stack: "dev",
      cacheScope: "pr-7",
      mainScope: "main",
      context: "app",
      dockerfile: "docker/Dockerfile",
      platform: "linux/amd64",
      buildArgs: {},
      buildTag: "git-abc",
    });
  });

  it("refuses a stack that never builds", () => {
    assert.throws(
      () => planInputFromConfig(parseStackConfig(stackFileConfig("prod"), "prod")),
      new Error('stack "prod" has role "promote": it never builds; bake a build stack (dev)'),
    );
  });
});
