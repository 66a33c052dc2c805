/**
 * The shared mocks helper itself: it records what code registers, and it fails loudly, naming what is
 * missing, when the private Pulumi API it relies on is gone (e.g. after an @pulumi/pulumi upgrade).
 */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { ReadResourceRequest, RegisterResourceRequest } from "@pulumi/pulumi/proto/resource_pb";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { version } from "@pulumi/pulumi/version";
import {
  type PrivateApi,
  assertPrivateApi,
  childrenOf,
  missingPrivateApi,
  named,
  runComponent,
} from "./helpers/pulumi-mocks";

const INSTALLED: PrivateApi = {
  monitor: MockMonitor.prototype,
  registerRequest: RegisterResourceRequest.prototype,
  readRequest: ReadResourceRequest.prototype,
  settings,
};

/** A copy of `o` without `member`, as a future SDK version might ship it. */
function without(o: object, member: string): object {
  const copy: Record<string, unknown> = {};
  for (let p: object | null = o; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const key of Object.getOwnPropertyNames(p)) {
      if (!(key in copy)) copy[key] = (p as Record<string, unknown>)[key];
    }
  }
  delete copy[member];
  return copy;
}

class Part extends pulumi.CustomResource {
  constructor(name: string, props: { size: number }, opts: pulumi.CustomResourceOptions) {
    super("test:index:Part", name, props, opts);
  }
}

describe("pulumi-mocks helper", () => {
  it("finds every member of the private API it uses in the installed @pulumi/pulumi", () => {
    assert.deepEqual(missingPrivateApi(INSTALLED), []);
    assert.doesNotThrow(() => assertPrivateApi());
  });

  it("names each missing member and the version instead of silently recording nothing", () => {
    const upgraded: PrivateApi = {
      monitor: without(MockMonitor.prototype, "registerResource"),
      registerRequest: without(RegisterResourceRequest.prototype, "getRetainondelete"),
      readRequest: without(ReadResourceRequest.prototype, "getProperties"),
      settings: without(settings, "waitForRPCs"),
    };
    assert.throws(() => assertPrivateApi(upgraded, "4.0.0"), {
      message:
        "test/helpers/pulumi-mocks.ts cannot record registrations with @pulumi/pulumi 4.0.0: the private API " +
        "it uses is missing:\n" +
        "  - MockMonitor.prototype.registerResource\n" +
        "  - RegisterResourceRequest.prototype.getRetainondelete\n" +
        "  - ReadResourceRequest.prototype.getProperties\n" +
        "  - runtime/settings.waitForRPCs\n" +
        "See how that version's runtime/mocks.js, proto/resource_pb.js and runtime/settings.js register and " +
        "track a resource, and update this helper.",
    });
  });

  it("records a component and its children with inputs, parent, custom flag and options", async () => {
    const run = await runComponent(() => {
      const parent = new pulumi.ComponentResource("test:index:Thing", "thing");
      const first = new Part("thing-a", { size: 1 }, { parent });
      new Part("thing-b", { size: 2 }, { parent, dependsOn: [first], retainOnDelete: true });
      return parent;
    });
    assert.equal(run.error, undefined, run.error?.stack);
    const thing = named(run, "thing");
    assert.deepEqual(
      [thing.custom, thing.urn],
      [false, "urn:pulumi:dev::voxpersona::test:index:Thing::thing"],
    );
    const parts = childrenOf(run, thing);
    assert.deepEqual(
      parts.map((p) => [p.name, p.inputs, p.custom, p.retainOnDelete, p.dependencies]),
      [
        ["thing-a", { size: 1 }, true, false, []],
        ["thing-b", { size: 2 }, true, true, [named(run, "thing-a").urn]],
      ],
    );
    assert.deepEqual(run.invokes, []);
  });

  it("fails the run when the mocks create a resource its wrappers never saw", async () => {
    await assert.rejects(
      runComponent(async () => {
        // What an SDK that no longer registers through MockMonitor.registerResource would do.
        const monitor = pulumi.runtime.getMonitor() as unknown as { mocks: pulumi.runtime.Mocks };
        await monitor.mocks.newResource({
          type: "test:index:Hidden",
          name: "hidden",
          inputs: {},
          custom: true,
        });
      }),
      {
        message:
          "test/helpers/pulumi-mocks.ts: the mocks created test:index:Hidden hidden, but the wrapped " +
          `MockMonitor.prototype.registerResource/readResource of @pulumi/pulumi ${version} ` +
          "never saw it: the SDK no longer registers through them; update the wrappers",
      },
    );
  });
});
