/**
 * Checks, before any resource is declared, that a build stack can build at all: the context and the
 * Dockerfile exist, and the Dockerfile has the stages and build args the plan drives. Without this, a
 * missing checkout or a renamed stage would surface only as a provider error in the middle of an update.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { DockerfileParser } from "dockerfile-ast";
import type { BuildConfig } from "./config";
import { DEFAULT_BUILD_ARGS, KNOWN_BUILD_ARGS, STAGES, STAGE_DEPENDENCIES, StageName } from "./plan";

/** The `FROM` line that starts `stage`: from the first stage it is built from, or from the base image. */
function fromLine(stage: StageName): string {
  return `FROM ${STAGE_DEPENDENCIES[stage][0] ?? "${BASE_IMAGE}"} AS ${stage}`;
}

/** Throws one error listing every problem; `root` is the directory relative paths are read from. */
export function checkBuildInputs(build: BuildConfig, stack: string, root: string): void {
  const problems: string[] = [];
  const context = path.resolve(root, build.context);
  const dockerfile = path.resolve(root, build.dockerfile);
  if (!fs.existsSync(context) || !fs.statSync(context).isDirectory()) {
    problems.push(
      `voxpersona:build.context "${build.context}" is not a directory (looked for ${context}): check out the ` +
        `VoxPersona application there, or point the key at your checkout: pulumi config set --stack ${stack} ` +
        `--path 'voxpersona:build.context' ../voxpersona`,
    );
  }
  if (!fs.existsSync(dockerfile) || !fs.statSync(dockerfile).isFile()) {
    problems.push(
      `voxpersona:build.dockerfile "${build.dockerfile}" is not a file (looked for ${dockerfile}): ` +
        `pulumi config set --stack ${stack} --path 'voxpersona:build.dockerfile' docker/Dockerfile`,
    );
  } else {
    const parsed = DockerfileParser.parse(fs.readFileSync(dockerfile, "utf8"));
    const stages = parsed.getFROMs().map((f) => f.getBuildStage());
    const missingStages = STAGES.filter((s) => !stages.includes(s));
    if (missingStages.length > 0) {
      problems.push(
        `voxpersona:build.dockerfile "${build.dockerfile}" has no stage ${missingStages.map((s) => `"${s}"`).join(", ")} ` +
          `(it has: ${stages.filter((s) => s !== undefined).join(", ") || "none"}): the build plan builds ` +
          `${STAGES.join(", ")} with one cache ref each; name each stage, e.g. "${fromLine(missingStages[0])}"`,
      );
    }
    const declared = parsed.getARGs().map((a) => a.getProperty()?.getName());
    const missingArgs = KNOWN_BUILD_ARGS.filter((a) => !declared.includes(a));
    if (missingArgs.length > 0) {
      problems.push(
        `voxpersona:build.dockerfile "${build.dockerfile}" does not declare ARG ${missingArgs.join(", ")}: the ` +
          `build plan passes them (set by voxpersona:build.args or their defaults in infra/plan.ts); declare ` +
          `each, e.g. ARG ${missingArgs[0]}=${DEFAULT_BUILD_ARGS[missingArgs[0]]}`,
      );
    }
  }
  if (problems.length > 0) {
    throw new Error(`Cannot build stack "${stack}":\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}
