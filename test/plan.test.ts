import { strict as assert } from "node:assert";
import {
  cacheFromRefs,
  cacheRef,
  cacheRepositoryUrl,
  cacheToSpec,
  prCacheRepositoryUrl,
} from "../infra/cache-refs";
import {
  DEFAULT_BUILD_ARGS,
  KNOWN_BUILD_ARGS,
  STAGES,
  buildPlan,
  planFor,
  stageClosure,
} from "../infra/plan";

const R = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/voxpersona";
const base = {
  stack: "dev",
  repositoryUrl: R,
  cacheScope: "main",
  mainScope: "main",
  context: "app",
  dockerfile: "docker/Dockerfile",
  platform: "linux/amd64",
};

describe("build plan", () => {
  it("lists the four stages in dependency order with their upstream stages", () => {
    const plan = buildPlan(base);
    assert.deepEqual(
      plan.stages.map((s) => [s.stage, s.target, s.dependsOn]),
      [
        ["system-base", "system-base", []],
        ["python-deps", "python-deps", ["system-base"]],
        ["ml-models", "ml-models", ["system-base"]],
        ["final", "final", ["python-deps", "ml-models"]],
      ],
    );
    for (const s of plan.stages) {
      for (const d of s.dependsOn)
        assert.ok(STAGES.indexOf(d) < STAGES.indexOf(s.stage), `${d} before ${s.stage}`);
    }
  });

  it("reads its own ref first, then upstream stages', in this scope (PR cache) and then main's (cache)", () => {
    const plan = buildPlan({ ...base, cacheScope: "pr-42" });
    const final = plan.stages.find((s) => s.stage === "final");
    assert.deepEqual(final?.cacheFrom, [
      `${R}/cache-pr/final:pr-42`,
      `${R}/cache-pr/python-deps:pr-42`,
      `${R}/cache-pr/system-base:pr-42`,
      `${R}/cache-pr/ml-models:pr-42`,
      `${R}/cache/final:main`,
      `${R}/cache/python-deps:main`,
      `${R}/cache/system-base:main`,
      `${R}/cache/ml-models:main`,
    ]);
    assert.deepEqual(cacheFromRefs(R, stageClosure("system-base"), "pr-42", "main"), [
      `${R}/cache-pr/system-base:pr-42`,
      `${R}/cache/system-base:main`,
    ]);
    assert.deepEqual(stageClosure("ml-models"), ["ml-models", "system-base"]);
  });

  it("reads main only once when building main, and never a PR cache repository", () => {
    const plan = buildPlan(base);
    assert.deepEqual(plan.stages.find((s) => s.stage === "python-deps")?.cacheFrom, [
      `${R}/cache/python-deps:main`,
      `${R}/cache/system-base:main`,
    ]);
    assert.deepEqual(plan.stages.find((s) => s.stage === "final")?.cacheFrom, [
      `${R}/cache/final:main`,
      `${R}/cache/python-deps:main`,
      `${R}/cache/system-base:main`,
      `${R}/cache/ml-models:main`,
    ]);
    assert.deepEqual(plan.cacheRefs, {
      "system-base": `${R}/cache/system-base:main`,
      "python-deps": `${R}/cache/python-deps:main`,
      "ml-models": `${R}/cache/ml-models:main`,
      final: `${R}/cache/final:main`,
    });
  });

  it("writes a PR scope only to the PR cache repositories, never to the cache repositories", () => {
    const plan = buildPlan({ ...base, cacheScope: "pr-42" });
    assert.deepEqual(
      plan.stages.map((s) => s.cacheTo),
      [
        `${R}/cache-pr/system-base:pr-42`,
        `${R}/cache-pr/python-deps:pr-42`,
        `${R}/cache-pr/ml-models:pr-42`,
        `${R}/cache-pr/final:pr-42`,
      ],
    );
    assert.deepEqual(plan.cacheRefs, {
      "system-base": `${R}/cache-pr/system-base:pr-42`,
      "python-deps": `${R}/cache-pr/python-deps:pr-42`,
      "ml-models": `${R}/cache-pr/ml-models:pr-42`,
      final: `${R}/cache-pr/final:pr-42`,
    });
    // Any scope but the main one is a PR scope, and the main scope is whatever the config names.
    assert.equal(cacheRef(R, "final", "feature-x", "main"), `${R}/cache-pr/final:feature-x`);
    assert.equal(cacheRef(R, "final", "trunk", "trunk"), `${R}/cache/final:trunk`);
    assert.equal(prCacheRepositoryUrl(R, "ml-models"), `${R}/cache-pr/ml-models`);
    assert.equal(cacheRepositoryUrl(R, "ml-models"), `${R}/cache/ml-models`);
  });

  it("exports cache with mode=max, an OCI image manifest and OCI media types (ECR)", () => {
    assert.equal(
      cacheToSpec(`${R}/cache/final:main`),
      `type=registry,ref=${R}/cache/final:main,mode=max,image-manifest=true,oci-mediatypes=true`,
    );
  });

  it("gives each stage only the args of its own closure, defaults overridden", () => {
    const plan = buildPlan({
      ...base,
      buildArgs: { TORCH_PACKAGES: "", EMBEDDING_MODELS: "BAAI/bge-m3@abc123" },
    });
    const args = Object.fromEntries(plan.stages.map((s) => [s.stage, s.buildArgs]));
    assert.deepEqual(args["system-base"], { BASE_IMAGE: "python:3.10.11-slim" });
    assert.deepEqual(args["python-deps"], {
      BASE_IMAGE: "python:3.10.11-slim",
      TORCH_INDEX_URL: "https://download.pytorch.org/whl/cpu",
      TORCH_PACKAGES: "",
    });
    assert.deepEqual(args["ml-models"], {
      BASE_IMAGE: "python:3.10.11-slim",
      EMBEDDING_MODELS: "BAAI/bge-m3@abc123",
      HF_HUB_PACKAGE: "huggingface_hub==0.26.2",
    });
    assert.deepEqual(Object.keys(args.final).sort(), [...KNOWN_BUILD_ARGS].sort());
    assert.equal(DEFAULT_BUILD_ARGS.EMBEDDING_MODELS, "BAAI/bge-m3 sentence-transformers/all-MiniLM-L6-v2");
  });

  it("tags only the final image: stack tag, then the build tag", () => {
    const plan = buildPlan({ ...base, buildTag: "git-0123abc" });
    assert.deepEqual(plan.tags, [`${R}:dev`, `${R}:git-0123abc`]);
    assert.deepEqual(
      plan.stages.map((s) => s.tags.length),
      [0, 0, 0, 2],
    );
  });

  it("refuses unknown build args and invalid tags", () => {
    assert.throws(
      () => buildPlan({ ...base, buildArgs: { TORCH: "x", PIP: "y" } }),
      new Error(
        'unknown build arg(s) "TORCH", "PIP": docker/Dockerfile declares BASE_IMAGE, TORCH_INDEX_URL, ' +
          "TORCH_PACKAGES, HF_HUB_PACKAGE, EMBEDDING_MODELS",
      ),
    );
    assert.throws(
      () => buildPlan({ ...base, cacheScope: "feature/x" }),
      new Error(
        'cache scope "feature/x" is not a valid image tag (allowed: ^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$)',
      ),
    );
    assert.throws(
      () => buildPlan({ ...base, buildTag: "-x" }),
      new Error('build tag "-x" is not a valid image tag (allowed: ^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$)'),
    );
  });

  it("is computed once: only registry refs depend on the repository URL, resolved by the caller", () => {
    const { repositoryUrl, ...input } = base;
    const suffixes: string[] = [];
    const relative = planFor({ ...input, buildTag: "git-1" }, (suffix) => {
      suffixes.push(suffix);
      return { at: suffix };
    });
    const final = relative.stages.find((s) => s.stage === "final");
    assert.deepEqual(final?.cacheTo, { at: "/cache/final:main" });
    assert.deepEqual(relative.tags, [{ at: ":dev" }, { at: ":git-1" }]);
    assert.deepEqual(final?.tags, relative.tags);
    assert.equal(final?.context, "app");
    // Every ref is a suffix of the repository URL: the same plan as with the URL known.
    const full = buildPlan({ ...input, buildTag: "git-1", repositoryUrl });
    assert.deepEqual(
      full.stages.flatMap((s) => [...s.cacheFrom, s.cacheTo]),
      relative.stages.flatMap((s) => [...s.cacheFrom, s.cacheTo]).map((r) => `${repositoryUrl}${r.at}`),
    );
    assert.ok(suffixes.every((s) => s.startsWith("/cache/") || s.startsWith(":")));
    // A PR plan's refs are suffixes too, its own in /cache-pr/, main's in /cache/.
    const pr = planFor({ ...input, cacheScope: "pr-42" }, (suffix) => suffix);
    assert.deepEqual(pr.stages.find((s) => s.stage === "ml-models")?.cacheFrom, [
      "/cache-pr/ml-models:pr-42",
      "/cache-pr/system-base:pr-42",
      "/cache/ml-models:main",
      "/cache/system-base:main",
    ]);
    assert.equal(pr.cacheRefs["ml-models"], "/cache-pr/ml-models:pr-42");
  });
});
