/**
 * Runs the stack entry (`stacks/index.ts`) under Pulumi's mocks and records every registration, including
 * the options the engine would receive (parent, dependencies, retainOnDelete), which the public mocks API
 * does not show.
 */
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
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
  readonly read: boolean;
}

let log: Registration[] = [];
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

interface RegisterRequest {
  getObject(): { toJavaScript(): unknown } | undefined;
  getType(): string;
  getName(): string;
  getParent(): string;
  getDependenciesList(): string[];
  getRetainondelete(): boolean;
}
type MonitorMethod = (this: MockMonitor, req: RegisterRequest, cb: unknown) => Promise<void>;
const proto = MockMonitor.prototype as unknown as Record<string, MonitorMethod> & {
  newUrn(parent: string, type: string, name: string): string;
};
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
    read: false,
  });
  return originalRegister.call(this, req, cb);
};
proto.readResource = function (req, cb) {
  log.push({
    type: req.getType(),
    name: req.getName(),
    inputs: undefined,
    wire: (req as unknown as { getProperties(): { toJavaScript(): unknown } }).getProperties().toJavaScript(),
    urn: "",
    parent: req.getParent(),
    dependencies: [],
    read: true,
  });
  return originalRead.call(this, req, cb);
};

function record(type: string, name: string, inputs: unknown): void {
  const r = [...log].reverse().find((x) => x.type === type && x.name === name && x.inputs === undefined);
  if (r) r.inputs = inputs;
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
      default:
        state.name = args.inputs.name ?? `${args.name}-physical`;
        state.arn = `arn:aws:mock:${REGION}:${ACCOUNT}:${args.name}`;
    }
    return { id: `${args.name}-id`, state };
  },
  call(args) {
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
        return { partition: "aws", id: "aws" };
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

async function settle(): Promise<void> {
  let last = -1;
  for (let stable = 0; stable < 5;) {
    await new Promise((r) => setTimeout(r, 10));
    stable = log.length === last ? stable + 1 : 0;
    last = log.length;
  }
}

export interface StackRun {
  readonly registrations: Registration[];
  readonly outputs?: Record<string, unknown>;
  readonly error?: Error;
}

/** Runs the entry for `stack` with `config` (YAML form); `upstream` maps qualified stack names to outputs. */
export async function runStack(
  stack: string,
  config: Record<string, unknown>,
  upstream: Record<string, Record<string, unknown>> = {},
  runOptions: RunOptions = {},
): Promise<StackRun> {
  log = [];
  upstreams = upstream;
  options = runOptions;
  await pulumi.runtime.setMocks(mocks, "voxpersona", stack, runOptions.preview ?? false, ORG);
  pulumi.runtime.setAllConfig(asRuntimeConfig(config), [...(runOptions.secretKeys ?? [])]);
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
  await settle();
  return { registrations: [...log], outputs, error };
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
