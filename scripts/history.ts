/**
 * `npm run history -- --stack <staging|prod> [--repository <name>] [--region <region>] [--count <n>]`
 *
 * A promote stack's last promotions, newest first, from the release repository itself: every promotion
 * tags its digest `<stack>-<UTC time>` for good (infra/release-tags.ts), and the stack's last `keepHistory`
 * promoted digests each hold a slot the lifecycle policy protects. For each: when it was promoted (the
 * history tag), when the image was pushed (DescribeImages `imagePushedAt`), its tags, whether the
 * environment tag points at it (the promotion the stack runs, unless its deploy failed: verify-deploy says
 * which), and the commands that roll the stack back to it.
 *
 * The repository and region come from `Pulumi.<stack>.yaml` (parsed and checked by the program's own
 * config parser: `voxpersona:registry.name`, `aws:region`, `voxpersona:registry.keepHistory`), unless
 * given as flags. Talks to ECR through the SDK's default chain (credentials from the environment, endpoint
 * override via AWS_ENDPOINT_URL_ECR).
 *
 * Exit codes: 0 listed (an empty history included); 1 ECR could not be read; 2 bad command line or config.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { DescribeImagesCommand, ECRClient, type ImageDetail } from "@aws-sdk/client-ecr";
import { parse as parseYaml } from "yaml";
import { parseStackConfig } from "../infra/config";
import { AWS_REGION_PATTERN, ECR_REPOSITORY_PATTERN } from "../infra/patterns";
import { historyTime, slotOf } from "../infra/release-tags";

export const USAGE =
  "usage: npm run history -- --stack <staging|prod> [--repository <name>] [--region <region>] [--count <n>]";

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** The repository root: where the committed `Pulumi.<stack>.yaml` files are. */
const ROOT = path.resolve(__dirname, "..");

/** A bad command line or stack config: exit 2 with one message (and the usage, for a bad command line). */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly withUsage = false,
  ) {
    super(message);
  }
}

export interface HistoryOptions {
  readonly stack: string;
  readonly repository: string;
  readonly region: string;
  /** How many promotions to list. */
  readonly count: number;
}

const FLAGS = {
  stack: { type: "string" },
  repository: { type: "string" },
  region: { type: "string" },
  count: { type: "string" },
} as const;

/** The options of a command line, the stack file filling in what the flags leave out. */
export function resolveOptions(argv: readonly string[], root: string): HistoryOptions {
  let values: { stack?: string; repository?: string; region?: string; count?: string };
  try {
    values = parseArgs({ args: [...argv], options: FLAGS, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\s*\n\s*/g, " ").split(". ")[0], true);
  }
  const stack = values.stack;
  if (!stack) throw new UsageError("--stack is required", true);
  let count: number | undefined;
  if (values.count !== undefined) {
    count = Number(values.count);
    if (!Number.isInteger(count) || count < 1) {
      throw new UsageError(`--count must be a positive integer (got "${values.count}")`, true);
    }
  }
  let { repository, region } = values;
  if (repository === undefined || region === undefined || count === undefined) {
    const config = stackConfig(stack, root);
    repository ??= config.registry.name;
    region ??= config.region;
    count ??= config.registry.keepHistory;
  }
  if (!ECR_REPOSITORY_PATTERN.test(repository)) {
    throw new UsageError(`--repository "${repository}" is not an ECR repository name`);
  }
  if (!AWS_REGION_PATTERN.test(region)) throw new UsageError(`--region "${region}" is not an AWS region`);
  return { stack, repository, region, count };
}

/** The stack's committed config, parsed as `pulumi up` parses it; only a promote stack has promotions. */
function stackConfig(stack: string, root: string) {
  const file = path.join(root, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) {
    throw new UsageError(
      `no stack file ${file}: --stack must name a stack of this project (or pass --repository, --region and --count)`,
    );
  }
  const doc = (parseYaml(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  let config;
  try {
    config = parseStackConfig(doc.config ?? {}, stack);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (config.role !== "promote") {
    throw new UsageError(
      `${stack} builds, it is never promoted: its history is its build tags (git-…), the newest ` +
        `${config.registry.keepBuildImages} of which are kept: aws ecr describe-images --region ${config.region} ` +
        `--repository-name ${config.registry.name} --filter tagStatus=TAGGED`,
    );
  }
  return config;
}

/** One promotion: the digest and its image as DescribeImages reports it. */
export interface Promotion {
  readonly promotedAt: Date;
  readonly historyTag: string;
  readonly digest: string;
  readonly pushedAt?: Date;
  readonly tags: readonly string[];
  /** The stack's slots the image holds (it is protected while it holds one). */
  readonly slots: readonly number[];
  /** The environment tag points at this digest. */
  readonly current: boolean;
}

export interface StackHistory {
  /** The last `count` promotions, newest first. */
  readonly promotions: readonly Promotion[];
  /** How many promotions the repository records in all. */
  readonly recorded: number;
  /** The environment tag's image when it has no history tag (promoted before history tags existed). */
  readonly untracked?: {
    readonly digest: string;
    readonly pushedAt?: Date;
    readonly tags: readonly string[];
  };
}

/** The stack's promotions, from the repository's images (pure). */
export function historyOf(images: readonly ImageDetail[], stack: string, count: number): StackHistory {
  const all: Promotion[] = [];
  let untracked: StackHistory["untracked"];
  for (const image of images) {
    const tags = [...(image.imageTags ?? [])].sort();
    const digest = image.imageDigest ?? "";
    const current = tags.includes(stack);
    const slots = tags.map((t) => slotOf(t, stack)).filter((s): s is number => s !== undefined);
    const promotions = tags.flatMap((historyTag) => {
      const promotedAt = historyTime(historyTag, stack);
      return promotedAt === undefined ? [] : [{ promotedAt, historyTag }];
    });
    for (const p of promotions) {
      all.push({ ...p, digest, pushedAt: image.imagePushedAt, tags, slots, current });
    }
    if (current && promotions.length === 0) untracked = { digest, pushedAt: image.imagePushedAt, tags };
  }
  all.sort(
    (a, b) => b.promotedAt.getTime() - a.promotedAt.getTime() || b.historyTag.localeCompare(a.historyTag),
  );
  // The environment tag marks the digest's latest promotion, not every promotion of it.
  const newestOfCurrent = all.find((p) => p.current);
  const promotions = all.slice(0, count).map((p) => ({ ...p, current: p === newestOfCurrent }));
  return { promotions, recorded: all.length, ...(untracked === undefined ? {} : { untracked }) };
}

/** `2026-11-29 23:16:00 UTC` */
export function utc(at: Date | undefined): string {
  return at === undefined ? "unknown" : `${at.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** The commands that make `stack` run `digest` again: the reviewed workflow, or by hand. */
export function rollbackCommands(stack: string, digest: string): [workflow: string, pulumi: string] {
  return [
    `gh workflow run rollback.yml -f stack=${stack} -f digest=${digest}`,
    `pulumi config set --stack ${stack} voxpersona:imageDigest ${digest} && pulumi up --stack ${stack}`,
  ];
}

/** The report's lines. */
export function formatHistory(options: HistoryOptions, history: StackHistory): string[] {
  const { stack } = options;
  const where = `ECR repository ${options.repository} in ${options.region}`;
  const lines: string[] = [];
  if (history.untracked !== undefined) {
    const u = history.untracked;
    lines.push(
      `${stack} tag: ${u.digest}, pushed ${utc(u.pushedAt)}, promoted before history tags existed ` +
        `(tags: ${u.tags.join(", ")}); its next promotion starts the history.`,
    );
  }
  if (history.promotions.length === 0) {
    lines.push(`${stack}: no promotion recorded in ${where} (history tags ${stack}-<UTC time>).`);
    return lines;
  }
  const shown = history.promotions.length;
  lines.push(
    `${stack}: the last ${shown} of ${history.recorded} recorded promotions, newest first (${where})`,
    "",
  );
  history.promotions.forEach((p, i) => {
    const [workflow, pulumi] = rollbackCommands(stack, p.digest);
    const slot =
      p.slots.length > 0
        ? `kept: slot ${p.slots.map((s) => `${stack}-slot-${s}`).join(", ")}`
        : "no slot: no longer protected, it may expire";
    lines.push(
      `${i + 1}. promoted ${utc(p.promotedAt)} (${p.historyTag})${p.current ? `  <- the ${stack} tag` : ""}`,
      `   ${p.digest}`,
      `   pushed ${utc(p.pushedAt)}; ${slot}`,
      `   tags: ${p.tags.join(", ")}`,
      ...(p.current
        ? [
            `   ${stack} runs it, unless its deploy failed (npm run verify-deploy -- --stack ${stack} tells);`,
            `   then ${stack} still runs the last one whose deploy succeeded.`,
          ]
        : []),
      `   ${p.current ? "pin it" : "roll back"}: ${workflow}`,
      `      or: ${pulumi}`,
      "",
    );
  });
  lines.push(
    `The promotion after a rollback moves ${stack} on again; to hold a rollback, commit the pin ` +
      `(voxpersona:imageDigest in Pulumi.${stack}.yaml) in a pull request.`,
  );
  return lines;
}

/** Every tagged image of the repository, through DescribeImages' pages. */
export async function describeTaggedImages(client: ECRClient, repository: string): Promise<ImageDetail[]> {
  const images: ImageDetail[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new DescribeImagesCommand({ repositoryName: repository, filter: { tagStatus: "TAGGED" }, nextToken }),
    );
    images.push(...(page.imageDetails ?? []));
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return images;
}

export interface HistoryDeps {
  /** Creates the ECR client; called only once the command line and config are valid. */
  readonly createEcr: (region: string) => ECRClient;
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  /** Where the `Pulumi.<stack>.yaml` files are. @default the repository root */
  readonly root?: string;
}

/** The whole command; returns the exit code. */
export async function historyMain(argv: readonly string[], deps: HistoryDeps): Promise<number> {
  let options: HistoryOptions;
  try {
    options = resolveOptions(argv, deps.root ?? ROOT);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    deps.stderr(`history: ${err.message}`);
    if (err.withUsage) deps.stderr(USAGE);
    return EXIT.usage;
  }
  const client = deps.createEcr(options.region);
  let images: ImageDetail[];
  try {
    images = await describeTaggedImages(client, options.repository);
  } catch (err) {
    const e = err as Error;
    const hint =
      e.name === "CredentialsProviderError" ? " (configure AWS credentials, e.g. AWS_PROFILE)" : "";
    deps.stderr(
      `history: ECR DescribeImages of repository ${options.repository} in ${options.region} failed: ` +
        `${e.name}: ${e.message}${hint}`,
    );
    return EXIT.failed;
  } finally {
    client.destroy();
  }
  for (const line of formatHistory(options, historyOf(images, options.stack, options.count)))
    deps.stdout(line);
  return EXIT.ok;
}

if (require.main === module) {
  void historyMain(process.argv.slice(2), {
    createEcr: (region) => new ECRClient({ region }),
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`history: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = EXIT.failed;
    },
  );
}
