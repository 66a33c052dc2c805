/**
 * zod's findings, said in words a config author knows: "a list", "an object", "a finite number",
 * "true or false", with the key spelled as `pulumi config` spells it.
 */
import { z } from "zod";
import { Problem, fixFor, keyOf, rmCommand } from "./problems";
import { fieldsAt } from "./schema";

/** zod's type names (`issue.expected`) as a config author would say them. */
const EXPECTED: Readonly<Record<string, string>> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  object: "an object",
  record: "an object",
  array: "a list",
};

/** What a value is, in the same words. */
export function kindOf(value: unknown): string {
  if (value === null) return "empty (null)";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "number") return Number.isInteger(value) ? "a whole number" : "a number";
  if (typeof value === "boolean") return "true or false";
  if (typeof value === "string") return "a string";
  return typeof value === "object" ? "an object" : typeof value;
}

const expected = (type: string): string => EXPECTED[type] ?? type;

/** A message of our own schema (`must …`, `is …`), as opposed to one of zod's defaults. */
const isOwnMessage = (message: string): boolean => /^(?:must|is) /.test(message);

function typeMessage(issue: z.core.$ZodIssueInvalidType, value: unknown): string {
  if (typeof value === "number" && !Number.isFinite(value)) {
    return Number.isNaN(value)
      ? "must be a finite number"
      : "must be a finite number: a number of 1e309 or more overflows to Infinity";
  }
  if (issue.expected === "int" && typeof value === "number") return "must be a whole number";
  return `must be ${expected(issue.expected)}, not ${kindOf(value)}`;
}

function sizeMessage(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig): string {
  const small = issue.code === "too_small";
  const bound = Number(
    small ? (issue as z.core.$ZodIssueTooSmall).minimum : (issue as z.core.$ZodIssueTooBig).maximum,
  );
  if (issue.origin === "string") {
    return small && bound === 1
      ? "must not be empty"
      : `must be ${small ? "at least" : "at most"} ${bound} characters`;
  }
  if (issue.origin === "array") {
    return `must list ${small ? "at least" : "at most"} ${bound} item${bound === 1 ? "" : "s"}`;
  }
  return `must be ${small ? "at least" : "at most"} ${bound}`;
}

/** The value at `path` of the raw config. */
function valueAt(raw: Readonly<Record<string, unknown>>, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (acc, part) =>
      acc !== null && typeof acc === "object" ? (acc as Record<PropertyKey, unknown>)[part] : undefined,
    raw,
  );
}

/** One zod issue of a key's value as a problem. */
export function issueToProblem(
  issue: z.core.$ZodIssue,
  raw: Readonly<Record<string, unknown>>,
  stack: string,
): Problem {
  const key = keyOf(issue.path);
  const value = valueAt(raw, issue.path);
  if (issue.code === "invalid_type" && value === undefined) {
    return { key, message: `is required (${expected(issue.expected)})` };
  }
  if (issue.code === "unrecognized_keys") {
    const known = fieldsAt(issue.path);
    return {
      key,
      message: `has unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(", ")} (known: ${known.join(", ")})`,
      fix: `${rmCommand(stack, `${key}.${issue.keys[0]}`)} (see Pulumi.yaml for the fields)`,
    };
  }
  if (issue.code === "invalid_key") {
    return { key, message: issue.issues[0]?.message ?? issue.message, fix: rmCommand(stack, key) };
  }
  if (isOwnMessage(issue.message)) return { key, value, message: issue.message };
  if (issue.code === "invalid_type") {
    const message = typeMessage(issue, value);
    // An object or list key holding something else: `config set --path` cannot set a field of it.
    if (["object", "record", "array"].includes(issue.expected)) {
      return { key, value, message, fix: `${rmCommand(stack, key)}, then ${fixFor(stack, key)}` };
    }
    // A number or true/false where free text belongs (a variable, a build arg) was meant as that text.
    const freeText = /\.(?:environment|args)\.[^.]+$/.test(key);
    const asText = freeText && issue.expected === "string" && ["number", "boolean"].includes(typeof value);
    return { key, value, message, ...(asText ? { example: String(value) } : {}) };
  }
  if (issue.code === "too_small" || issue.code === "too_big")
    return { key, value, message: sizeMessage(issue) };
  if (issue.code === "invalid_value") {
    return { key, value, message: `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}` };
  }
  return { key, value, message: issue.message };
}
