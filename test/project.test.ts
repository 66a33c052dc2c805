import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { parseStackConfig } from "../infra/config";
import { ROOT, stackFileConfig } from "./helpers/stackfiles";

interface Declaration {
  type?: string;
  default?: unknown;
  description?: string;
}
const project = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as {
  name: string;
  runtime: { name: string; options: Record<string, unknown> };
  main: string;
  config: Record<string, Declaration>;
};
const TYPES: Record<string, (v: unknown) => boolean> = {
  string: (v) => typeof v === "string",
  boolean: (v) => typeof v === "boolean",
  integer: (v) => Number.isInteger(v),
  array: (v) => Array.isArray(v),
};

/** What Pulumi hands the program: project defaults, overridden by the stack file. */
function effectiveConfig(stack: string): Record<string, unknown> {
  const defaults = Object.fromEntries(
    Object.entries(project.config)
      .filter(([, d]) => d.default !== undefined)
      .map(([k, d]) => [`${project.name}:${k}`, d.default]),
  );
  return { ...defaults, ...stackFileConfig(stack) };
}

describe("Pulumi.yaml", () => {
  it("is the voxpersona nodejs project whose main exists", () => {
    assert.equal(project.name, "voxpersona");
    assert.equal(project.runtime.name, "nodejs");
    assert.ok(fs.existsSync(path.join(ROOT, project.main)), project.main);
  });

  it("declares only schemas Pulumi accepts: a scalar type, a description, a default of that type", () => {
    assert.deepEqual(Object.keys(project.config), ["role", "cacheScope"]);
    for (const [key, d] of Object.entries(project.config)) {
      // An entry without a type would be read as an object *value* and land in every stack's config.
      assert.ok(d.type !== undefined && d.type in TYPES, `${key}: type must be one of ${Object.keys(TYPES)}`);
      assert.ok((d.description ?? "").length > 20, `${key}: needs a description`);
      if (d.default !== undefined) assert.ok(TYPES[d.type](d.default), `${key}: default must be a ${d.type}`);
    }
  });

  it("sets every key declared without a default in every stack file (Pulumi requires it)", () => {
    for (const stack of ["dev", "staging", "prod"]) {
      for (const [key, d] of Object.entries(project.config)) {
        if (d.default === undefined)
          assert.ok(`voxpersona:${key}` in stackFileConfig(stack), `${stack}: ${key}`);
      }
    }
  });

  it("merged with each stack file, parses into the stack's role", () => {
    assert.equal(parseStackConfig(effectiveConfig("dev"), "dev").role, "build");
    assert.equal(parseStackConfig(effectiveConfig("staging"), "staging").role, "promote");
    assert.equal(parseStackConfig(effectiveConfig("prod"), "prod").role, "promote");
  });

  it("documents every key the program reads", () => {
    const text = fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8");
    for (const key of [
      "upstreamStack",
      "imageDigest",
      "buildTag",
      "build",
      "cache",
      "registry",
      "service",
      "network",
      "secrets",
    ]) {
      assert.match(text, new RegExp(`^# voxpersona:${key} `, "m"), key);
    }
  });
});
