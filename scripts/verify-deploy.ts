/**
 * `npm run verify-deploy -- --stack <stack> [--timeout-seconds 900] [--interval-seconds 10]
 *   [--outputs-file <json>]`
 *
 * Run by CI after every `pulumi up`: `pulumi up` exits 0 even when the ECS circuit breaker rolled the new
 * task definition back (see infra/deployment/classify.ts), so this polls the service until the deployment the stack
 * made is COMPLETED, or proves it was rolled back, failed, or is stuck.
 *
 * Reads the stack outputs `clusterName`, `serviceName` and `taskDefinitionArn` (from `pulumi stack output`,
 * or from a JSON file CI already saved). Talks to ECS through the SDK's default chain: region from
 * AWS_REGION, credentials from the environment, endpoint override via AWS_ENDPOINT_URL_ECS.
 *
 * Exit codes: 0 the service runs the stack's task definition; 1 it does not (rolled back, failed, stuck) or
 * it could not be checked (missing outputs, no Pulumi CLI, ECS call failed); 2 bad command line.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import { parseArgs } from "node:util";
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  type Failure,
  type Service,
  type Task,
} from "@aws-sdk/client-ecs";
import {
  type DeploymentTarget,
  type Verdict,
  classifyDeployment,
  formatFailureReport,
  formatSeconds,
  newestStoppedTasks,
} from "../infra/deployment";

export const USAGE =
  "usage: npm run verify-deploy -- --stack <stack> [--timeout-seconds 900] [--interval-seconds 10] " +
  "[--outputs-file <json>]";

export const EXIT = { verified: 0, notVerified: 1, usage: 2 } as const;

/** How many stopped tasks the failure report explains; older ones rarely add a new cause. */
export const STOPPED_TASKS_SHOWN = 3;

/** A bad command line: exit 2 with one line. */
export class UsageError extends Error {}

export interface VerifyOptions {
  readonly stack: string;
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly outputsFile?: string;
}

const FLAGS = {
  stack: { type: "string" },
  "timeout-seconds": { type: "string", default: "900" },
  "interval-seconds": { type: "string", default: "10" },
  "outputs-file": { type: "string" },
} as const;

/** Parses argv; seconds may be fractional so tests can poll every few milliseconds. */
export function parseVerifyArgs(argv: readonly string[]): VerifyOptions {
  const values = flags(argv);
  if (!values.stack) throw new UsageError("--stack is required");
  return {
    stack: values.stack,
    timeoutMs: seconds("--timeout-seconds", values["timeout-seconds"]) * 1000,
    intervalMs: seconds("--interval-seconds", values["interval-seconds"]) * 1000,
    outputsFile: values["outputs-file"],
  };
}

function flags(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], options: FLAGS, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError(parseArgsMessage(err as Error));
  }
}

function seconds(flag: string, text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value <= 0) {
    throw new UsageError(`${flag} must be a positive number of seconds (got "${text}")`);
  }
  return value;
}

/**
 * Node's parseArgs messages span several lines; keep them on one. An unknown option's advice is about
 * positional arguments, which this command has none of, so only its first sentence is kept.
 */
function parseArgsMessage(err: Error & { code?: string }): string {
  const oneLine = err.message.replace(/\s*\n\s*/g, " ").trim();
  return err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" ? oneLine.split(". ")[0] : oneLine;
}

/** The outputs verify-deploy needs; stacks export them from stacks/common.ts. */
export const REQUIRED_OUTPUTS = ["clusterName", "serviceName", "taskDefinitionArn"] as const;

/** Picks the target out of `pulumi stack output --json`, naming any missing output and how to get it. */
export function targetFromOutputs(outputs: unknown, stack: string, source: string): DeploymentTarget {
  if (typeof outputs !== "object" || outputs === null || Array.isArray(outputs)) {
    throw new Error(`${source} must hold a JSON object of stack outputs (got ${JSON.stringify(outputs)})`);
  }
  const record = outputs as Record<string, unknown>;
  const missing = REQUIRED_OUTPUTS.filter((name) => record[name] === undefined || record[name] === null);
  if (missing.length > 0) {
    const what =
      missing.length === 1 ? `stack output ${missing[0]} is` : `stack outputs ${missing.join(", ")} are`;
    throw new Error(
      `${what} missing from ${source}: run \`pulumi up --stack ${stack}\` with the current program, which exports it`,
    );
  }
  for (const name of REQUIRED_OUTPUTS) {
    const value = record[name];
    if (typeof value !== "string" || value === "" || value === "[secret]") {
      throw new Error(
        `stack output ${name} in ${source} must be a plain non-empty string (got ${JSON.stringify(value)})`,
      );
    }
  }
  return {
    clusterName: record.clusterName as string,
    serviceName: record.serviceName as string,
    taskDefinitionArn: record.taskDefinitionArn as string,
  };
}

/** Reads the outputs JSON CI saved with `pulumi stack output --json --stack <stack> > <file>`. */
export function readOutputsFile(file: string, stack: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(
      `cannot read outputs file ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): ` +
        `save it with \`pulumi stack output --json --stack ${stack} > ${file}\``,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new Error(`outputs file ${file} is not JSON: ${(err as Error).message}`);
  }
}

/** Runs `pulumi stack output --json`; `command` is injectable so tests can play "not installed". */
export function readPulumiOutputs(stack: string, command = "pulumi"): Promise<unknown> {
  const args = ["stack", "output", "--json", "--show-secrets=false", "--stack", stack];
  return new Promise((resolve, reject) => {
    execFile(command, args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err !== null && (err as NodeJS.ErrnoException).code === "ENOENT") {
        reject(
          new Error(
            `${command} not found on PATH: install the Pulumi CLI (https://www.pulumi.com/docs/iac/download-install/) ` +
              "or pass --outputs-file <json>",
          ),
        );
      } else if (err !== null) {
        const detail = stderr.split("\n").find((l) => l.trim() !== "") ?? err.message;
        reject(new Error(`\`pulumi ${args.join(" ")}\` failed: ${detail.trim()}`));
      } else {
        try {
          resolve(JSON.parse(stdout) as unknown);
        } catch (parseErr) {
          reject(new Error(`\`pulumi ${args.join(" ")}\` printed no JSON: ${(parseErr as Error).message}`));
        }
      }
    });
  });
}

/** What DescribeServices said about the service: the service itself, or its `failures[]` entry. */
export interface DescribedService {
  readonly service?: Service;
  readonly failure?: Failure;
}

/** The ECS reads verify-deploy makes, behind an interface so the polling loop is testable. */
export interface EcsReader {
  describeService(target: DeploymentTarget): Promise<DescribedService>;
  /** Stopped tasks of the service (ECS keeps them about an hour), newest first, at most `count`. */
  stoppedTasks(target: DeploymentTarget, count: number): Promise<Task[]>;
}

/** The real reads, over an SDK client. */
export function ecsReader(client: ECSClient): EcsReader {
  return {
    async describeService(target) {
      const out = await awsCall(
        `DescribeServices of service ${target.serviceName} in cluster ${target.clusterName}`,
        () =>
          client.send(
            new DescribeServicesCommand({ cluster: target.clusterName, services: [target.serviceName] }),
          ),
      );
      return { service: out.services?.[0], failure: out.failures?.[0] };
    },
    async stoppedTasks(target, count) {
      const where = `service ${target.serviceName} in cluster ${target.clusterName}`;
      const listed = await awsCall(`ListTasks (STOPPED) of ${where}`, () =>
        client.send(
          new ListTasksCommand({
            cluster: target.clusterName,
            serviceName: target.serviceName,
            desiredStatus: "STOPPED",
            maxResults: 100,
          }),
        ),
      );
      const arns = listed.taskArns ?? [];
      if (arns.length === 0) return [];
      const described = await awsCall(`DescribeTasks of ${where}`, () =>
        client.send(new DescribeTasksCommand({ cluster: target.clusterName, tasks: arns })),
      );
      return newestStoppedTasks(described.tasks ?? [], count);
    },
  };
}

/** Runs one SDK call, rewording its error to name the call and, where known, the fix. */
async function awsCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const e = err as Error;
    throw new Error(`ECS ${what} failed: ${e.name}: ${e.message}${awsHint(e)}`);
  }
}

function awsHint(err: Error): string {
  if (/region is missing/i.test(err.message)) return " (set AWS_REGION)";
  if (err.name === "CredentialsProviderError")
    return " (configure AWS credentials, e.g. AWS_PROFILE or OIDC in CI)";
  return "";
}

/** Time, injectable so the polling loop can be tested without waiting. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly clock: Clock;
  /** Called after every in-progress poll with the verdict and the time waited so far. */
  readonly onProgress?: (verdict: Verdict, waitedMs: number) => void;
}

export interface WaitResult extends DescribedService {
  readonly verdict: Verdict;
  /** DescribeServices calls made. */
  readonly polls: number;
  readonly waitedMs: number;
  /** True when the timeout ended the wait with the verdict still in-progress. */
  readonly timedOut: boolean;
}

/**
 * Polls DescribeServices until the verdict is final or `timeoutMs` has passed. The last poll happens at the
 * timeout itself (the final sleep is shortened), so a deployment finishing just in time still counts.
 */
export async function waitForDeployment(
  ecs: EcsReader,
  target: DeploymentTarget,
  options: WaitOptions,
): Promise<WaitResult> {
  const start = options.clock.now();
  for (let polls = 1; ; polls++) {
    const described = await ecs.describeService(target);
    const verdict = classifyDeployment(described.service, target, described.failure);
    const waitedMs = options.clock.now() - start;
    if (verdict.kind !== "in-progress") return { ...described, verdict, polls, waitedMs, timedOut: false };
    if (waitedMs >= options.timeoutMs) return { ...described, verdict, polls, waitedMs, timedOut: true };
    options.onProgress?.(verdict, waitedMs);
    await options.clock.sleep(Math.min(options.intervalMs, options.timeoutMs - waitedMs));
  }
}

export interface VerifyDeps {
  /** Creates the ECS client; called only once the command line and outputs are valid. */
  readonly createEcs: () => ECSClient;
  readonly clock: Clock;
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  /** The Pulumi CLI to run when there is no --outputs-file. @default "pulumi" */
  readonly pulumiCommand?: string;
}

/** The whole command; returns the exit code. */
export async function verifyMain(argv: readonly string[], deps: VerifyDeps): Promise<number> {
  let options: VerifyOptions;
  try {
    options = parseVerifyArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    deps.stderr(`verify-deploy: ${err.message} (${USAGE})`);
    return EXIT.usage;
  }
  const { stack } = options;
  let client: ECSClient | undefined;
  try {
    const target = await readTarget(options, deps.pulumiCommand);
    client = deps.createEcs();
    return await verifyTarget(options, target, ecsReader(client), deps);
  } catch (err) {
    deps.stderr(`${stack}: ${(err as Error).message}`);
    return EXIT.notVerified;
  } finally {
    client?.destroy();
  }
}

async function readTarget(options: VerifyOptions, pulumiCommand?: string): Promise<DeploymentTarget> {
  const { stack, outputsFile } = options;
  if (outputsFile !== undefined) {
    return targetFromOutputs(readOutputsFile(outputsFile, stack), stack, `outputs file ${outputsFile}`);
  }
  const outputs = await readPulumiOutputs(stack, pulumiCommand);
  return targetFromOutputs(outputs, stack, `\`pulumi stack output --stack ${stack}\``);
}

async function verifyTarget(
  options: VerifyOptions,
  target: DeploymentTarget,
  ecs: EcsReader,
  deps: VerifyDeps,
): Promise<number> {
  const { stack } = options;
  let lastReason = "";
  const result = await waitForDeployment(ecs, target, {
    timeoutMs: options.timeoutMs,
    intervalMs: options.intervalMs,
    clock: deps.clock,
    onProgress: (verdict, waitedMs) => {
      if (verdict.reason !== lastReason)
        deps.stdout(`${stack}: waiting (${formatSeconds(waitedMs)}): ${verdict.reason}`);
      lastReason = verdict.reason;
    },
  });
  if (result.verdict.kind === "completed") {
    deps.stdout(`${stack}: ${result.verdict.reason}`);
    return EXIT.verified;
  }
  const stopped = result.service === undefined ? {} : await stoppedTasksFor(ecs, target);
  const report = formatFailureReport({
    stack,
    verdict: result.verdict,
    waitedMs: result.timedOut ? result.waitedMs : undefined,
    service: result.service,
    ...stopped,
  });
  for (const line of report) deps.stderr(line);
  return EXIT.notVerified;
}

/** The stopped tasks for the report; a failure to list them is reported, not fatal. */
async function stoppedTasksFor(
  ecs: EcsReader,
  target: DeploymentTarget,
): Promise<{ stoppedTasks?: Task[]; stoppedTasksError?: string }> {
  try {
    return { stoppedTasks: await ecs.stoppedTasks(target, STOPPED_TASKS_SHOWN) };
  } catch (err) {
    return { stoppedTasksError: (err as Error).message };
  }
}

if (require.main === module) {
  void verifyMain(process.argv.slice(2), {
    createEcs: () => new ECSClient({}),
    clock: systemClock,
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`verify-deploy: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = EXIT.notVerified;
    },
  );
}
