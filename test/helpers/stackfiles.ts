import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

export const ROOT = path.resolve(__dirname, "..", "..");

/** The `config:` block of a committed Pulumi.<stack>.yaml, as typed YAML values. */
export function stackFileConfig(stack: string): Record<string, unknown> {
  const doc = parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as {
    config: Record<string, unknown>;
  };
  return doc.config;
}

/** The same config the way the Pulumi runtime hands it over: every value a string, objects as JSON. */
export function asRuntimeConfig(config: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
  );
}

/** The application the tests build: the real one (`./app`, a build stack's context) is not in this repo. */
export const FIXTURE_APP = "test/fixtures/app";

/**
 * The committed stack file of `stack` as a run takes it: a build stack's context is `FIXTURE_APP`; `extra`
 * keys are added or replace the file's.
 */
export function stackConfig(stack: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const config = stackFileConfig(stack);
  const build = config["voxpersona:build"] as object | undefined;
  return {
    ...config,
    ...(build ? { "voxpersona:build": { ...build, context: FIXTURE_APP } } : {}),
    ...extra,
  };
}
