/**
 * The one set of Pulumi mocks for the tests: runs the stack entry (`stacks/index.ts`, `runStack`) or any code
 * that declares resources (`runComponent`) under them and records every registration, including the options
 * the engine would receive (parent, dependencies, retainOnDelete), which the public mocks API does not show.
 *
 * Those options are only visible to the SDK's private mock monitor, so this module wraps
 * `MockMonitor.prototype.registerResource` / `readResource` and reads the requests' getters; a run ends when
 * the runtime's (internal) `waitForRPCs` says nothing is in flight. All of it is checked when the module loads
 * (`assertPrivateApi`), and every run checks that each resource the mocks created was seen by the wrappers,
 * so an @pulumi/pulumi upgrade that moves them fails loudly instead of recording nothing.
 */
import * as pulumi from "@pulumi/pulumi";
import { ReadResourceRequest, RegisterResourceRequest } from "@pulumi/pulumi/proto/resource_pb";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { version as pulumiVersion } from "@pulumi/pulumi/version";
import { asRuntimeConfig } from "./stackfiles";

export const ACCOUNT = "123456789012";
export const REGION = "eu-central-1";
export const REGISTRY_HOST = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;
export const ORG = "acme";
/** The digest the mocked docker-build returns for the final image. */
export const BUILT_DIGEST = `sha256:${"f".repeat(64)}`;

export interface Registration {
  readonly type: string;
  readonly name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  inputs: any;
  /**
   * The inputs exactly as the SDK put them on the wire (RegisterResourceRequest.object): unknowns as the
   * unknown sentinel, secrets wrapped in the secret signature object.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly wire: any;
  readonly urn: string;
  readonly parent: string;
  readonly dependencies: readonly string[];
  readonly retainOnDelete?: boolean;
  /** The `import` option: the ID of an existing resource to adopt ("" when not set). */
  readonly importId?: string;
  /** A custom resource (a provider's), as opposed to a component. */
  readonly custom: boolean;
  readonly read: boolean;
}

let log: Registration[] = [];
/** Invoke tokens, in call order. */
let invokes: string[] = [];
/** Resources the mocks created that no wrapper recorded: the private API no longer works as this expects. */
let unrecorded: string[] = [];
let upstreams: Record<string, Record<string, unknown>> = {};
let options: RunOptions = {};

/** How a run differs from a plain `pulumi up` against existing resources. */
export interface RunOptions {
  /** Run as `pulumi preview`. @default false */
  readonly preview?: boolean;
  /**
   * In preview: return no provider-computed outputs (URLs, ARNs, digests, names), so they are unknown, as
   * on the first deployment or a replacement. @default false
   */
  readonly firstDeploy?: boolean;
  /** Config keys stored as secrets. @default [] */
  readonly secretKeys?: readonly string[];
  /** Secrets Manager names / SSM names or ARNs that do not exist in the account. @default [] */
  readonly missingSecrets?: readonly string[];
}

/** The ARN Secrets Manager gives a secret: its name plus "-" and 6 random characters. */
export function secretArn(name: string): string {
  return `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-Ab12Cd`;
}

// ---------------------------------------------------------------------------------------------------------
// The private API: MockMonitor's methods, the getters of the requests they receive, and the runtime's wait
// for in-flight RPCs (settle).

/** The getters each wrapped method reads from its request. */
const REQUEST_GETTERS = {
  registerResource: [
    "getObject",
    "getType",
    "getName",
    "getParent",
    "getCustom",
    "getDependenciesList",
    "getRetainondelete",
    "getImportid",
  ],
  readResource: ["getProperties", "getType", "getName", "getParent"],
} as const;

type Getters<K extends keyof typeof REQUEST_GETTERS> = {
  [G in (typeof REQUEST_GETTERS)[K][number]]: G extends "getObject" | "getProperties"
    ? () => { toJavaScript(): unknown } | undefined
    : G extends "getDependenciesList"
      ? () => string[]
      : G extends "getCustom" | "getRetainondelete"
        ? () => boolean
        : () => string;
};
type Method<R> = (this: MockMonitor, req: R, cb: unknown) => Promise<void>;
interface MonitorProto {
  registerResource: Method<Getters<"registerResource">>;
  readResource: Method<Getters<"readResource">>;
  newUrn(parent: string, type: string, name: string): string;
}

/** Where the private API lives: the prototypes and module this helper wraps or calls. */
export interface PrivateApi {
  /** `MockMonitor.prototype` (runtime/mocks). */
  readonly monitor: object;
  /** `RegisterResourceRequest.prototype` (proto/resource_pb). */
  readonly registerRequest: object;
  /** `ReadResourceRequest.prototype` (proto/resource_pb). */
  readonly readRequest: object;
  /** The runtime/settings module. */
  readonly settings: object;
}

const INSTALLED: PrivateApi = {
  monitor: MockMonitor.prototype,
  registerRequest: RegisterResourceRequest.prototype,
  readRequest: ReadResourceRequest.prototype,
  settings,
};

/** What of the private API this module uses is missing, as "Owner.member" each; empty when all is there. */
export function missingPrivateApi(api: PrivateApi): string[] {
  const has = (o: object, member: string) => typeof (o as Record<string, unknown>)[member] === "function";
  return [
    ...["registerResource", "readResource", "newUrn"]
      .filter((m) => !has(api.monitor, m))
      .map((m) => `MockMonitor.prototype.${m}`),
    ...REQUEST_GETTERS.registerResource
      .filter((g) => !has(api.registerRequest, g))
      .map((g) => `RegisterResourceRequest.prototype.${g}`),
    ...REQUEST_GETTERS.readResource
      .filter((g) => !has(api.readRequest, g))
      .map((g) => `ReadResourceRequest.prototype.${g}`),
    ...(has(api.settings, "waitForRPCs") ? [] : ["runtime/settings.waitForRPCs"]),
  ];
}

/** Throws, naming every missing member and the installed version, unless the private API is all there. */
export function assertPrivateApi(api: PrivateApi = INSTALLED, version: string = pulumiVersion): void {
  const missing = missingPrivateApi(api);
  if (missing.length === 0) return;
  throw new Error(
    `test/helpers/pulumi-mocks.ts cannot record registrations with @pulumi/pulumi ${version}: the private ` +
      `API it uses is missing:\n${missing.map((m) => `  - ${m}`).join("\n")}\n` +
      "See how that version's runtime/mocks.js, proto/resource_pb.js and runtime/settings.js register and " +
      "track a resource, and update this helper.",
  );
}

assertPrivateApi();
const proto = MockMonitor.prototype as unknown as MonitorProto;
const originalRegister = proto.registerResource;
const originalRead = proto.readResource;
proto.registerResource = function (req, cb) {
  log.push({
    type: req.getType(),
    name: req.getName(),
    inputs: undefined,
    wire: req.getObject()?.toJavaScript(),
    urn: proto.newUrn.call(this, req.getParent(), req.getType(), req.getName()),
    parent: req.getParent(),
    dependencies: req.getDependenciesList(),
    retainOnDelete: req.getRetainondelete(),
    importId: req.getImportid(),
    custom: req.getCustom(),
    read: false,
  });
  return originalRegister.call(this, req, cb);
};
proto.readResource = function (req, cb) {
  log.push({
    type: req.getType(),
    name: req.getName(),
    inputs: undefined,
    wire: req.getProperties()?.toJavaScript(),
    urn: "",
    parent: req.getParent(),
    dependencies: [],
    custom: true,
    read: true,
  });
  return originalRead.call(this, req, cb);
};

// ---------------------------------------------------------------------------------------------------------
// Stack traces. The runtime takes `new Error().stack` for every promise it makes (runtime/debuggable.js,
// `debuggablePromise`, for the leak report it may print at exit): about 1,900 in a run of dev. Under ts-node,
// source-map-support rewrites every stack frame by frame, which took most of a run's time. Only those
// stacks are formatted the way V8 formats them itself, unmapped; every other stack (the program's errors,
// `Resource.callsites`) stays source-mapped. (Should the SDK rename the function, runs only get slower.)

const mappedStackTrace = Error.prepareStackTrace;
if (mappedStackTrace !== undefined) {
  Error.prepareStackTrace = function (this: unknown, error: Error, frames: NodeJS.CallSite[]) {
    if (frames[0]?.getFunctionName() !== "debuggablePromise")
      return mappedStackTrace.call(this, error, frames);
    return [String(error), ...frames.map((frame) => `    at ${frame}`)].join("\n");
  };
}

function record(type: string, name: string, inputs: unknown): void {
  const r = [...log].reverse().find((x) => x.type === type && x.name === name && x.inputs === undefined);
  if (r) r.inputs = inputs;
  else unrecorded.push(`${type} ${name}`);
}

/** Fails a run in which the mocks created a resource that the wrappers above never saw. */
function assertAllRecorded(): void {
  if (unrecorded.length === 0) return;
  throw new Error(
    `test/helpers/pulumi-mocks.ts: the mocks created ${unrecorded.join(", ")}, but the wrapped ` +
      `MockMonitor.prototype.registerResource/readResource of @pulumi/pulumi ${pulumiVersion} never saw ` +
      "it: the SDK no longer registers through them; update the wrappers",
  );
}

/**
 * A failed invoke the way it reaches the program: a gRPC error whose `details` the SDK turns into the
 * Error's message (`runtime/invoke.js`), worded as the engine wraps a provider's multi-error.
 */
function engineError(token: string, reason: string): Error {
  const details = `invocation of ${token} returned an error: invoking ${token}: 1 error occurred:\n\t* ${reason}\n\n`;
  return Object.assign(new Error(details), { code: 2, details });
}

const mocks: pulumi.runtime.Mocks = {
  newResource(args) {
    record(args.type, args.name, args.inputs);
    const state: Record<string, unknown> = { ...args.inputs };
    if (options.firstDeploy && args.type !== "pulumi:pulumi:StackReference") {
      return { id: undefined, state };
    }
    switch (args.type) {
      case "aws:ecr/repository:Repository":
        state.repositoryUrl = `${REGISTRY_HOST}/${args.inputs.name}`;
        state.arn = `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${args.inputs.name}`;
        state.registryId = ACCOUNT;
        break;
      case "docker-build:index:Image":
        state.digest = args.inputs.target === "final" ? BUILT_DIGEST : `sha256:${"0".repeat(64)}`;
        break;
      case "pulumi:pulumi:StackReference":
        state.outputs = upstreams[args.inputs.name] ?? {};
        break;
      default: {
        const physical = args.inputs.name ?? `${args.name}-physical`;
        state.name = physical;
        switch (args.type) {
          case "aws:cloudwatch/logGroup:LogGroup":
            state.arn = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${physical}`;
            break;
          case "aws:iam/role:Role":
            state.arn = `arn:aws:iam::${ACCOUNT}:role/${physical}`;
            break;
          case "aws:ecs/taskDefinition:TaskDefinition":
            state.arn = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${args.inputs.family}:1`;
            break;
          default:
            state.arn = `arn:aws:mock:${REGION}:${ACCOUNT}:${args.name}`;
        }
      }
    }
    return { id: `${args.name}-id`, state };
  },
  call(args) {
    invokes.push(args.token);
    switch (args.token) {
      case "aws:ecr/getAuthorizationToken:getAuthorizationToken":
        return {
          proxyEndpoint: `https://${REGISTRY_HOST}`,
          userName: "AWS",
          password: "ecr-token",
          id: REGION,
        };
      case "aws:ecr/getRepository:getRepository":
        return {
          name: args.inputs.name,
          repositoryUrl: `${REGISTRY_HOST}/${args.inputs.name}`,
          arn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${args.inputs.name}`,
          registryId: ACCOUNT,
        };
      case "aws:ec2/getVpc:getVpc":
        return { id: "vpc-0default" };
      case "aws:ec2/getSubnets:getSubnets":
        return { ids: ["subnet-0a", "subnet-0b"] };
      case "aws:index/getPartition:getPartition":
        return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
      case "aws:index/getRegion:getRegion":
        return { name: REGION, region: REGION, id: REGION };
      case "aws:secretsmanager/getSecret:getSecret": {
        const ref = String(args.inputs.arn ?? args.inputs.name);
        if (options.missingSecrets?.includes(ref)) {
          throw engineError(
            args.token,
            `reading Secrets Manager Secret (${ref}): operation error Secrets Manager: DescribeSecret, ` +
              "ResourceNotFoundException: Secrets Manager can't find the specified secret.",
          );
        }
        const name = ref.startsWith("arn:") ? ref.replace(/^.*:secret:(.*)-[A-Za-z0-9]{6}$/, "$1") : ref;
        return { arn: args.inputs.arn ?? secretArn(name), name, id: ref };
      }
      case "aws:ssm/getParameter:getParameter": {
        const ref = String(args.inputs.name);
        if (options.missingSecrets?.includes(ref)) {
          throw engineError(args.token, `reading SSM Parameter (${ref}): ParameterNotFound`);
        }
        const arn = ref.startsWith("arn:") ? ref : `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${ref}`;
        return { arn, name: ref, id: ref, type: "SecureString", value: "encrypted" };
      }
      case "aws:index/getCallerIdentity:getCallerIdentity":
        return { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/ci`, userId: "AIDA", id: ACCOUNT };
      default:
        throw new Error(`unexpected invoke ${args.token}`);
    }
  },
};

export function valueOf<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply(resolve));
}

/** The value of an Output, or undefined when it is unknown (a preview with computed values). */
async function knownOrUndefined<T>(o: pulumi.Output<T>): Promise<T | undefined> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const known = await (o as any).isKnown;
  return known ? valueOf(o) : undefined;
}

/** Resolves when the runtime has no registration, read or invoke in flight (`@internal` in the SDK). */
const waitForRPCs = (settings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs;
/** How long one wait for in-flight RPCs may take before the log alone decides (an RPC that never ends). */
const RPC_WAIT_LIMIT_MS = 1000;

/**
 * Waits until nothing is in flight and a full turn of the event loop registered nothing new: what is
 * declared in callbacks of settled outputs is then registered too.
 */
async function settle(): Promise<void> {
  for (let last = -1; log.length !== last;) {
    last = log.length;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      waitForRPCs(),
      new Promise((resolve) => (timer = setTimeout(resolve, RPC_WAIT_LIMIT_MS))),
    ]);
    clearTimeout(timer);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

export interface StackRun {
  readonly registrations: Registration[];
  /** The invoke tokens the program called, in order. */
  readonly invokes: readonly string[];
  readonly outputs?: Record<string, unknown>;
  readonly error?: Error;
}

/** Installs the mocks for a fresh run: an empty log, the given config, project voxpersona, org acme. */
async function startRun(
  stack: string,
  config: Record<string, unknown>,
  upstream: Record<string, Record<string, unknown>>,
  runOptions: RunOptions,
): Promise<void> {
  log = [];
  invokes = [];
  unrecorded = [];
  upstreams = upstream;
  options = runOptions;
  await pulumi.runtime.setMocks(mocks, "voxpersona", stack, runOptions.preview ?? false, ORG);
  pulumi.runtime.setAllConfig(asRuntimeConfig(config), [...(runOptions.secretKeys ?? [])]);
}

/** Waits for the run's registrations to stop, then checks the wrappers saw every one. */
async function finishRun(): Promise<Pick<StackRun, "registrations" | "invokes">> {
  await settle();
  assertAllRecorded();
  return { registrations: [...log], invokes: [...invokes] };
}

/** Runs the entry for `stack` with `config` (YAML form); `upstream` maps qualified stack names to outputs. */
export async function runStack(
  stack: string,
  config: Record<string, unknown>,
  upstream: Record<string, Record<string, unknown>> = {},
  runOptions: RunOptions = {},
): Promise<StackRun> {
  await startRun(stack, config, upstream, runOptions);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const entry = require("../../stacks/index") as () => Promise<Record<string, unknown>>;
  let outputs: Record<string, unknown> | undefined;
  let error: Error | undefined;
  try {
    const raw = await entry();
    outputs = {};
    for (const [k, v] of Object.entries(raw)) {
      outputs[k] = pulumi.Output.isInstance(v) ? await knownOrUndefined(v) : v;
    }
  } catch (err) {
    error = err as Error;
  }
  return { ...(await finishRun()), outputs, error };
}

/**
 * Installs the mocks (stack `dev`, no config, an empty log) for code that declares resources outside
 * `runComponent`, e.g. a constructor expected to throw at once.
 */
export async function installMocks(runOptions: RunOptions & { readonly stack?: string } = {}): Promise<void> {
  await startRun(runOptions.stack ?? "dev", {}, {}, runOptions);
}

export interface ComponentRun<T> extends StackRun {
  /** What `declare` returned, unless it threw. */
  readonly value?: T;
}

/**
 * Runs `declare` (code that declares resources, e.g. `() => new BotService(...)`) under the same mocks as
 * `runStack`, in stack `dev` with no config, and returns its value or error with everything it registered.
 */
export async function runComponent<T>(
  declare: () => T | Promise<T>,
  runOptions: RunOptions & { readonly stack?: string } = {},
): Promise<ComponentRun<T>> {
  await installMocks(runOptions);
  let value: T | undefined;
  let error: Error | undefined;
  try {
    value = await declare();
  } catch (err) {
    error = err as Error;
  }
  return { ...(await finishRun()), value, error };
}

/** The custom resources registered with `parent` (a registration's urn) as their parent. */
export function childrenOf(run: StackRun, parent: Registration): Registration[] {
  return run.registrations.filter((r) => r.custom && r.parent === parent.urn);
}

export function ofType(run: StackRun, type: string): Registration[] {
  return run.registrations.filter((r) => r.type === type);
}

export function named(run: StackRun, name: string): Registration {
  const r = run.registrations.find((x) => x.name === name);
  if (!r)
    throw new Error(`no resource named ${name}; have ${run.registrations.map((x) => x.name).join(", ")}`);
  return r;
}
