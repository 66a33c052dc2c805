/** Stack configs the config tests start from, small edits of them, and the message a config fails with. */
import { strict as assert } from "node:assert";
import { StackConfigError, parseStackConfig } from "../../infra/config";
import { stackFileConfig } from "../helpers/stackfiles";

export const dev = stackFileConfig("dev");
export const staging = stackFileConfig("staging");

export function without(raw: Record<string, unknown>, ...keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(raw).filter(([k]) => !keys.includes(k)));
}
export function withService(raw: Record<string, unknown>, patch: object): Record<string, unknown> {
  return { ...raw, "voxpersona:service": { ...(raw["voxpersona:service"] as object), ...patch } };
}
export function withBuild(patch: object): Record<string, unknown> {
  return { ...dev, "voxpersona:build": { ...(dev["voxpersona:build"] as object), ...patch } };
}
/** The exact message parseStackConfig throws. */
export function errorOf(raw: Record<string, unknown>, stack: string, secretKeys: string[] = []): string {
  try {
    parseStackConfig(raw, stack, secretKeys);
  } catch (err) {
    assert.ok(err instanceof StackConfigError, "expected a StackConfigError");
    return err.message;
  }
  throw new Error("expected parseStackConfig to throw");
}
