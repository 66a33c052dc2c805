/**
 * Runs Pulumi's own dynamic-provider host (`@pulumi/pulumi/cmd/dynamic-provider/index.js`, the program the
 * engine starts for `pulumi-nodejs:dynamic` resources) as a child process and drives it over its gRPC
 * ResourceProvider interface, as the engine does: Configure, then Check/Diff/Create/Update/Read/Delete with
 * the resource's properties, whose `__provider` field carries the provider text the SDK serialized.
 *
 * The host loads that text with `require-from-string` and calls `.handler()`: exactly the path that made a
 * provider referencing its own module's `exports` fail in a real run and pass under mocks.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import * as readline from "node:readline";

const PULUMI_DIR = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
// The generated clients take their gRPC runtime from @pulumi/pulumi's dependency tree; use the same one.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const grpc = require(
  require.resolve("@grpc/grpc-js", { paths: [PULUMI_DIR] }),
) as typeof import("@grpc/grpc-js");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const provrpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const provproto = require("@pulumi/pulumi/proto/provider_pb");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const structproto = require("google-protobuf/google/protobuf/struct_pb");

export const HOST_SCRIPT = path.join(PULUMI_DIR, "cmd", "dynamic-provider", "index.js");

type Props = Record<string, unknown>;

export interface DiffResult {
  readonly changes: "none" | "some" | "unknown";
  readonly replaces: string[];
  readonly deleteBeforeReplace: boolean;
}

export interface CheckResult {
  readonly inputs: Props;
  readonly failures: { property: string; reason: string }[];
}

export interface DynamicHost {
  /** Everything the host wrote to stderr (the host logs provider errors there). */
  readonly stderr: () => string;
  check(urn: string, olds: Props, news: Props): Promise<CheckResult>;
  diff(urn: string, id: string, olds: Props, news: Props): Promise<DiffResult>;
  create(urn: string, properties: Props): Promise<{ id: string; properties: Props }>;
  update(urn: string, id: string, olds: Props, news: Props): Promise<Props>;
  read(urn: string, id: string, properties: Props): Promise<{ id: string; properties: Props }>;
  delete(urn: string, id: string, properties: Props): Promise<void>;
  stop(): Promise<void>;
}

const struct = (value: Props) => structproto.Struct.fromJavaScript(value);

/**
 * Starts the host with `env` added to this process's environment, in `cwd` (the engine runs it in the
 * program's directory, which is where the serialized provider's `require` calls resolve from).
 */
export async function startDynamicHost(env: Record<string, string>, cwd: string): Promise<DynamicHost> {
  // The engine passes its own address; the host only requires that an argument is present.
  const child: ChildProcess = spawn(process.execPath, [HOST_SCRIPT, "127.0.0.1:0"], {
    cwd,
    env: { ...process.env, ...env, PULUMI_PROJECT: "voxpersona", PULUMI_STACK: "staging" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<string>((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once("line", (line) => resolve(line.trim()));
    child.once("exit", (code) => reject(new Error(`dynamic-provider host exited (${code}): ${stderr}`)));
  });
  const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const rpc = (method: string, req: unknown): Promise<any> =>
    new Promise((resolve, reject) =>
      client[method](req, (err: Error | null, res: unknown) => (err ? reject(err) : resolve(res))),
    );

  const configure = new provproto.ConfigureRequest();
  configure.setArgs(struct({}));
  await rpc("configure", configure);

  return {
    stderr: () => stderr,
    async check(urn, olds, news) {
      const req = new provproto.CheckRequest();
      req.setUrn(urn);
      req.setOlds(struct(olds));
      req.setNews(struct(news));
      const res = await rpc("check", req);
      return {
        inputs: res.getInputs().toJavaScript(),
        failures: res.getFailuresList().map((f: { getProperty(): string; getReason(): string }) => ({
          property: f.getProperty(),
          reason: f.getReason(),
        })),
      };
    },
    async diff(urn, id, olds, news) {
      const req = new provproto.DiffRequest();
      req.setUrn(urn);
      req.setId(id);
      req.setOlds(struct(olds));
      req.setNews(struct(news));
      const res = await rpc("diff", req);
      const kinds = provproto.DiffResponse.DiffChanges;
      const changes = res.getChanges();
      return {
        changes: changes === kinds.DIFF_SOME ? "some" : changes === kinds.DIFF_NONE ? "none" : "unknown",
        replaces: res.getReplacesList(),
        deleteBeforeReplace: res.getDeletebeforereplace(),
      };
    },
    async create(urn, properties) {
      const req = new provproto.CreateRequest();
      req.setUrn(urn);
      req.setProperties(struct(properties));
      const res = await rpc("create", req);
      return { id: res.getId(), properties: res.getProperties().toJavaScript() };
    },
    async update(urn, id, olds, news) {
      const req = new provproto.UpdateRequest();
      req.setUrn(urn);
      req.setId(id);
      req.setOlds(struct(olds));
      req.setNews(struct(news));
      const res = await rpc("update", req);
      return res.getProperties().toJavaScript();
    },
    async read(urn, id, properties) {
      const req = new provproto.ReadRequest();
      req.setUrn(urn);
      req.setId(id);
      req.setProperties(struct(properties));
      const res = await rpc("read", req);
      return { id: res.getId(), properties: res.getProperties()?.toJavaScript() ?? {} };
    },
    async delete(urn, id, properties) {
      const req = new provproto.DeleteRequest();
      req.setUrn(urn);
      req.setId(id);
      req.setProperties(struct(properties));
      await rpc("delete", req);
    },
    async stop() {
      client.close();
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}
