/**
 * `npm run --silent bake -- --stack <name> --registry <host/repo> [--scope <scope>] [--context <dir>]
 *   [--build-arg KEY=VALUE]... [--tag <tag>] [--push]`
 *
 * Prints the `docker buildx bake` JSON file for a build stack, rendered from the same plan and stack config
 * as `pulumi up`. Pipe it to a file and run `docker buildx bake -f <file>`. Exits 0 with the JSON on stdout,
 * or 2 with one `bake: <reason>` message on stderr.
 *
 * `main` is the whole command with its streams injected, so tests run it in-process.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import { renderBakeFile } from "../infra/bake";
import { parseStackConfig, planInputFromConfig } from "../infra/config";
import { buildPlan } from "../infra/plan";

const USAGE =
  "usage: npm run --silent bake -- --stack <name> --registry <host/repo> [--scope <scope>] " +
  "[--context <dir>] [--build-arg KEY=VALUE]... [--tag <tag>] [--push]";

/** The repository root: where the committed `Pulumi.<stack>.yaml` files are. */
const ROOT = path.resolve(__dirname, "..");

export const EXIT = { ok: 0, usage: 2 } as const;

export interface BakeIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Where the `Pulumi.<stack>.yaml` files are. @default the repository root */
  readonly root?: string;
}

/** The whole command: writes the bake file or one error message, and returns the exit code. */
export function main(argv: readonly string[], io: BakeIo): number {
  let json: string;
  try {
    json = renderBakeJson(argv, io.root ?? ROOT);
  } catch (err) {
    io.stderr(`bake: ${(err as Error).message}\n`);
    return EXIT.usage;
  }
  io.stdout(json + "\n");
  return EXIT.ok;
}

/** The bake file for a command line, as pretty-printed JSON; throws on a bad command line or config. */
export function renderBakeJson(argv: readonly string[], root: string): string {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      stack: { type: "string" },
      registry: { type: "string" },
      scope: { type: "string" },
      context: { type: "string" },
      "build-arg": { type: "string", multiple: true },
      tag: { type: "string" },
      push: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (!values.stack || !values.registry) throw new Error(`--stack and --registry are required\n${USAGE}`);
  if (!/^[a-z0-9.-]+(?::\d+)?\/[a-z0-9._/-]+$/.test(values.registry)) {
    throw new Error(
      `--registry "${values.registry}" must be <host>/<repository>, e.g. 127.0.0.1:5000/voxpersona`,
    );
  }
  const file = path.join(root, `Pulumi.${values.stack}.yaml`);
  if (!fs.existsSync(file))
    throw new Error(`no stack file ${file}: --stack must name a stack of this project`);
  const doc = (parseYaml(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  const input = planInputFromConfig(parseStackConfig(doc.config ?? {}, values.stack));
  const args: Record<string, string> = { ...input.buildArgs };
  for (const pair of values["build-arg"] ?? []) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new Error(`--build-arg "${pair}" must be KEY=VALUE (VALUE may be empty)`);
    args[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const plan = buildPlan({
    ...input,
    repositoryUrl: values.registry,
    cacheScope: values.scope ?? input.cacheScope,
    context: values.context ?? input.context,
    buildArgs: args,
    buildTag: values.tag ?? input.buildTag,
  });
  return JSON.stringify(renderBakeFile(plan, { push: values.push }), null, 2);
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  });
}
