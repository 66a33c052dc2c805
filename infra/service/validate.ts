/**
 * BotService's argument checks (pure). Each names the argument (`args.desiredCount`) and what it accepts;
 * the component turns a failure into a `ResourceError` on itself.
 *
 * Only what is known now is checked: an Output (a value from another resource, or config stored as a secret)
 * was checked by whoever produced it and is checked again, where possible, once known.
 */
import * as pulumi from "@pulumi/pulumi";
import { DIGEST_SOURCE } from "../patterns";
import type { BotServiceArgs } from "./args";
import {
  CPU_ARCHITECTURES,
  DEFAULT_CPU_ARCHITECTURE,
  DEFAULT_DESIRED_COUNT,
  DESIRED_COUNTS,
  EPHEMERAL_STORAGE_GIB,
  FARGATE_MEMORY,
  LOG_RETENTION_DAYS,
} from "./limits";
import { ENV_NAME_PATTERN, SECRET_NAME_MARKERS, grantFor } from "./secrets";

const TASK_FAMILY = /^[A-Za-z0-9_-]{1,255}$/;
const DIGEST_REF = new RegExp(`^([^@\\s]+)@${DIGEST_SOURCE}$`);

function isPlain<T>(value: pulumi.Input<T> | undefined): value is T {
  return !pulumi.Output.isInstance(value) && !(value instanceof Promise);
}

/**
 * Throws unless `imageRef` is `<repository>@sha256:<64 hex>` with no tag. A tag (even next to a digest)
 * invites "which image is running?" confusion and lets a re-pushed tag change production.
 */
export function checkImageRef(owner: string, imageRef: string): void {
  const match = DIGEST_REF.exec(imageRef);
  const repository = match?.[1] ?? "";
  const lastSegment = repository.slice(repository.lastIndexOf("/") + 1);
  if (!match || lastSegment.includes(":")) {
    throw new Error(
      `${owner}: args.imageRef must be pinned by digest as <repositoryUrl>@sha256:<64 lowercase hex> ` +
        `without a tag (got "${imageRef}"); deploy the digest the image build produced, never a tag`,
    );
  }
}

/** The task size: positive integers forming a Fargate pair, storage in Fargate's range. */
function checkSize(owner: string, args: BotServiceArgs): void {
  for (const field of ["cpu", "memory"] as const) {
    const value = args[field];
    if (isPlain(value) && (!Number.isInteger(value) || value <= 0)) {
      throw new Error(`${owner}: args.${field} must be a positive integer (got ${String(value)})`);
    }
  }
  const allowed = isPlain(args.cpu) ? FARGATE_MEMORY[args.cpu] : undefined;
  if (isPlain(args.cpu) && allowed === undefined) {
    throw new Error(
      `${owner}: args.cpu must be a Fargate CPU size: ${Object.keys(FARGATE_MEMORY).join(", ")} ` +
        `(got ${args.cpu})`,
    );
  }
  if (allowed !== undefined && isPlain(args.memory) && !allowed.includes(args.memory)) {
    throw new Error(
      `${owner}: args.memory ${args.memory} is not a Fargate size for args.cpu ${String(args.cpu)}; ` +
        `allowed: ${allowed.join(", ")}`,
    );
  }
  const { min, max } = EPHEMERAL_STORAGE_GIB;
  const storage = args.ephemeralStorageGiB ?? EPHEMERAL_STORAGE_GIB.default;
  if (isPlain(storage) && (!Number.isInteger(storage) || storage < min || storage > max)) {
    throw new Error(
      `${owner}: args.ephemeralStorageGiB must be an integer from ${min} to ${max} (got ${String(storage)}): ` +
        `that is the range Fargate accepts`,
    );
  }
}

/** Settings with a fixed set of values. */
function checkSettings(owner: string, args: BotServiceArgs): void {
  const desiredCount = args.desiredCount ?? DEFAULT_DESIRED_COUNT;
  if (isPlain(desiredCount) && !(DESIRED_COUNTS as readonly number[]).includes(desiredCount)) {
    throw new Error(
      `${owner}: args.desiredCount must be 0 or 1 (got ${String(desiredCount)}): the bot must never run ` +
        `twice; pass 1 to run it or 0 to pause it`,
    );
  }
  if (isPlain(args.logRetentionDays) && !LOG_RETENTION_DAYS.includes(args.logRetentionDays)) {
    throw new Error(
      `${owner}: args.logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(", ")} ` +
        `(got ${String(args.logRetentionDays)}): CloudWatch Logs accepts only these`,
    );
  }
  if (isPlain(args.subnetIds) && args.subnetIds.length === 0) {
    throw new Error(`${owner}: args.subnetIds must list at least one subnet of args.vpcId`);
  }
  const cpuArchitecture = args.cpuArchitecture ?? DEFAULT_CPU_ARCHITECTURE;
  if (isPlain(cpuArchitecture) && !(CPU_ARCHITECTURES as readonly string[]).includes(cpuArchitecture)) {
    throw new Error(
      `${owner}: args.cpuArchitecture must be ${CPU_ARCHITECTURES.map((a) => `"${a}"`).join(" or ")} ` +
        `(got "${String(cpuArchitecture)}")`,
    );
  }
}

function checkVariableName(owner: string, what: string, name: string): void {
  if (!ENV_NAME_PATTERN.test(name)) {
    throw new Error(
      `${owner}: ${what} "${name}" is not a valid variable name: use upper-case letters, digits and "_" ` +
        `and do not start with a digit`,
    );
  }
}

/** One reference per variable, each a full ARN; returns the variables and the plain ARNs. */
function checkSecrets(owner: string, args: BotServiceArgs): { envs: Set<string>; arns: Set<string> } {
  const envs = new Set<string>();
  const arns = new Set<string>();
  for (const secret of args.secrets ?? []) {
    checkVariableName(owner, "args.secrets env", secret.env);
    if (envs.has(secret.env)) {
      throw new Error(
        `${owner}: args.secrets declares ${secret.env} more than once; keep one reference per variable`,
      );
    }
    envs.add(secret.env);
    if (isPlain(secret.valueFrom)) {
      grantFor(secret.env, secret.valueFrom);
      arns.add(secret.valueFrom);
    }
  }
  return { envs, arns };
}

/** Plain variables: valid names, none that is (or names, or references) a secret. */
function checkEnvironment(owner: string, args: BotServiceArgs, secrets: ReturnType<typeof checkSecrets>) {
  for (const [key, value] of Object.entries(args.environment ?? {})) {
    checkVariableName(owner, "args.environment key", key);
    if (secrets.envs.has(key)) {
      throw new Error(
        `${owner}: args.environment.${key} is also declared in args.secrets; a variable must come from ` +
          `one place: remove it from the plain environment`,
      );
    }
    const marker = SECRET_NAME_MARKERS.find((m) => key.includes(m));
    if (marker !== undefined) {
      throw new Error(
        `${owner}: args.environment.${key} looks like a secret (name contains "${marker}"); plain ` +
          `environment values are readable by anyone who can describe the task definition: move it to ` +
          `args.secrets`,
      );
    }
    if (isPlain(value) && secrets.arns.has(value)) {
      throw new Error(
        `${owner}: args.environment.${key} is set to the secret reference "${value}", which would pass ` +
          `the reference, not the secret; declare it in args.secrets instead`,
      );
    }
  }
}

/** Every check of BotService's arguments. @throws the first problem found */
export function validateServiceArgs(name: string, owner: string, args: BotServiceArgs): void {
  if (!TASK_FAMILY.test(name)) {
    throw new Error(
      `${owner}: the name is also the task definition family and must be 1-255 letters, digits, "-" or "_"`,
    );
  }
  if (isPlain(args.imageRef)) checkImageRef(owner, args.imageRef);
  checkSize(owner, args);
  checkSettings(owner, args);
  checkEnvironment(owner, args, checkSecrets(owner, args));
}
