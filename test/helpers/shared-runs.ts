/**
 * Runs of the stack entry that tests only read, shared between them: one run per distinct stack, config,
 * upstream outputs and options, made when a test first asks for it, whichever file that test is in. Each is
 * frozen, so a test that changed what it read would fail instead of changing what the next test reads.
 */
import { RunOptions, StackRun, runStack } from "./pulumi-mocks";

export const DEV_DIGEST = `sha256:${"1".repeat(64)}`;
export const STAGING_DIGEST = `sha256:${"2".repeat(64)}`;

/** The upstream stacks' outputs a promote stack reads: the digest each one runs. */
export const UPSTREAM: Readonly<Record<string, Record<string, unknown>>> = {
  "acme/voxpersona/dev": { imageDigest: DEV_DIGEST },
  "acme/voxpersona/staging": { imageDigest: STAGING_DIGEST },
};

const runs = new Map<string, Promise<StackRun>>();

/** Freezes the plain objects and arrays of `value`, all the way down; anything else is left as it is. */
function deepFreeze<T>(value: T): T {
  const plain =
    Array.isArray(value) ||
    (typeof value === "object" &&
      value !== null &&
      [Object.prototype, null].includes(Object.getPrototypeOf(value)));
  if (!plain || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const v of Object.values(value as object)) deepFreeze(v);
  return value;
}

/** `runStack(stack, config, upstream, options)`, run once for every test that asks for the same. */
export function sharedRun(
  stack: string,
  config: Record<string, unknown>,
  upstream: Record<string, Record<string, unknown>>,
  options: RunOptions = {},
): Promise<StackRun> {
  const key = JSON.stringify([stack, config, upstream, options]);
  let run = runs.get(key);
  if (run === undefined) {
    run = runStack(stack, config, upstream, options).then(deepFreeze);
    runs.set(key, run);
  }
  return run;
}
