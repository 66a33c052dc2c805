/**
 * A loopback server that speaks the AWS JSON 1.1 protocol, so the real AWS SDK v3 clients can be pointed at
 * it with their `endpoint` option (or `AWS_ENDPOINT_URL_<SERVICE>`).
 *
 * Wire format (AWS JSON 1.1, as used by ECR and ECS; see the "AWS JSON 1.1 protocol" page of the Smithy
 * specification): every call is `POST /` with `Content-Type: application/x-amz-json-1.1` and
 * `X-Amz-Target: <service target prefix>.<Operation>`; the body is the input as JSON. A success is HTTP 200
 * with the output as JSON; an error is HTTP 4xx/5xx with a JSON body whose `__type` names the error shape
 * (the SDK turns it into `err.name`) and `message` its text.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

/** Target prefixes of the services the project talks to. */
export const TARGET_PREFIX = {
  ecr: "AmazonEC2ContainerRegistry_V20150921",
  ecs: "AmazonEC2ContainerServiceV20141113",
} as const;

/** Thrown by a handler to answer with an AWS error shape. */
export class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler = (input: any) => unknown;

export interface Call {
  readonly operation: string;
  readonly input: Record<string, unknown>;
  readonly contentType: string | undefined;
  readonly authorization: string | undefined;
}

export interface AwsJsonFake {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** Every call received, in order. */
  readonly calls: Call[];
  close(): Promise<void>;
}

/** Starts a fake answering `handlers[operation]` for `X-Amz-Target: <prefix>.<operation>`. */
export async function startAwsJsonFake(
  prefix: string,
  handlers: Readonly<Record<string, Handler>>,
): Promise<AwsJsonFake> {
  const calls: Call[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const reply = (status: number, body: unknown): void => {
          res.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
          res.end(JSON.stringify(body));
        };
        const target = String(req.headers["x-amz-target"] ?? "");
        const operation = target.startsWith(`${prefix}.`) ? target.slice(prefix.length + 1) : "";
        if (req.method !== "POST" || req.url !== "/" || operation === "") {
          reply(400, { __type: "UnknownOperationException", message: `${req.method} ${req.url} ${target}` });
          return;
        }
        let input: Record<string, unknown>;
        try {
          input = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
        } catch (err) {
          // Answered, not thrown: a throw here is an unhandled rejection and leaves the request hanging.
          reply(400, { __type: "SerializationException", message: `body is not JSON: ${String(err)}` });
          return;
        }
        calls.push({
          operation,
          input,
          contentType: req.headers["content-type"],
          authorization: req.headers.authorization,
        });
        // Own properties only, so "toString" and friends are unknown operations, not Object.prototype's.
        const handler = Object.hasOwn(handlers, operation) ? handlers[operation] : undefined;
        if (handler === undefined) {
          reply(400, { __type: "UnknownOperationException", message: `fake has no ${operation}` });
          return;
        }
        try {
          reply(200, (await handler(input)) ?? {});
        } catch (err) {
          if (err instanceof AwsError) reply(err.status, { __type: err.type, message: err.message });
          else reply(500, { __type: "InternalFailure", message: String(err) });
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Credentials and region for an SDK client talking to a fake (never real AWS). */
export const FAKE_AWS_ENV = {
  AWS_ACCESS_KEY_ID: "AKIDFAKEFAKEFAKEFAKE",
  AWS_SECRET_ACCESS_KEY: "fake-secret-access-key",
  AWS_REGION: "eu-central-1",
  AWS_EC2_METADATA_DISABLED: "true",
} as const;
