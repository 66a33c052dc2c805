import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BuildConfig } from "../infra/config";
import { checkBuildInputs } from "../infra/preflight";
import { ROOT } from "./helpers/stackfiles";

const build: BuildConfig = {
  context: "test/fixtures/app",
  dockerfile: "docker/Dockerfile",
  platform: "linux/amd64",
  args: {},
  cacheScope: "main",
};
const REAL = fs.readFileSync(path.join(ROOT, "docker/Dockerfile"), "utf8");

/** A project dir with the fixture context and `dockerfile` as docker/Dockerfile. */
function project(dockerfile: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "voxpersona-preflight-"));
  fs.mkdirSync(path.join(dir, "docker"));
  fs.writeFileSync(path.join(dir, "docker/Dockerfile"), dockerfile);
  fs.mkdirSync(path.join(dir, "test/fixtures/app"), { recursive: true });
  return dir;
}

describe("build preflight", () => {
  it("accepts the real Dockerfile and fixture context", () => {
    assert.doesNotThrow(() => checkBuildInputs(build, "dev", ROOT));
  });

  it("names a missing context and a missing Dockerfile together", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "voxpersona-preflight-"));
    assert.throws(
      () => checkBuildInputs(build, "dev", dir),
      new Error(
        'Cannot build stack "dev":\n' +
          `  - voxpersona:build.context "test/fixtures/app" is not a directory (looked for ${dir}/test/fixtures/app): ` +
          "check out the VoxPersona application there, or point the key at your checkout: pulumi config set " +
          "--stack dev --path 'voxpersona:build.context' ../voxpersona\n" +
          `  - voxpersona:build.dockerfile "docker/Dockerfile" is not a file (looked for ${dir}/docker/Dockerfile): ` +
          "pulumi config set --stack dev --path 'voxpersona:build.dockerfile' docker/Dockerfile",
      ),
    );
  });

  it("names a stage the plan builds but the Dockerfile lacks", () => {
    const dir = project(REAL.replace("AS ml-models", "AS models"));
    assert.throws(
      () => checkBuildInputs(build, "dev", dir),
      new Error(
        'Cannot build stack "dev":\n' +
          '  - voxpersona:build.dockerfile "docker/Dockerfile" has no stage "ml-models" (it has: system-base, ' +
          "python-deps, models, development, final): the build plan builds system-base, python-deps, ml-models, " +
          'final with one cache ref each; name each stage, e.g. "FROM system-base AS ml-models"',
      ),
    );
  });

  it("names a build arg the plan passes but the Dockerfile does not declare", () => {
    const dir = project(REAL.replace(/^ARG TORCH_INDEX_URL=.*$/m, ""));
    assert.throws(
      () => checkBuildInputs(build, "dev", dir),
      new Error(
        'Cannot build stack "dev":\n' +
          '  - voxpersona:build.dockerfile "docker/Dockerfile" does not declare ARG TORCH_INDEX_URL: the build ' +
          "plan passes them (set by voxpersona:build.args or their defaults in infra/plan.ts); declare each, " +
          "e.g. ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu",
      ),
    );
  });
});
