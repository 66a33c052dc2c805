/**
 * Keys in a misspelled namespace (`voxpersonna:imageDigest`): the program never reads them, so a pinned
 * rollback digest or any other setting would be dropped without a word. The rule names the key meant and
 * moves it, never showing a secret value.
 */
import { credentialShape } from "../service/secrets";
import { Problem, rmCommand, setCommand, shellWord } from "./problems";
import { NAMESPACE, SECRET_CAPABLE_KEYS, configKey as k, rawSchema } from "./schema";
import type { Rule } from "./rules";

/** Namespaces of the config that are not misspellings of ours: the providers' and Pulumi's own. */
const OTHER_NAMESPACES: readonly string[] = ["aws", "pulumi"];

/**
 * The optimal string alignment distance: insertions, deletions, substitutions and swaps of two adjacent
 * letters, each 1.
 */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/** Whether `namespace` is a misspelling of ours: any case, up to 2 letters added, missing, changed or swapped. */
export function isNearMissNamespace(namespace: string): boolean {
  return (
    namespace !== NAMESPACE &&
    !OTHER_NAMESPACES.includes(namespace) &&
    editDistance(namespace.toLowerCase(), NAMESPACE) <= 2
  );
}

/** Our key `name` stands for: itself when it is one, else the nearest within 2 edits. */
function meantKey(name: string): string | undefined {
  const ours = Object.keys(rawSchema.shape).filter((key) => key.startsWith(`${NAMESPACE}:`));
  const exact = ours.find((key) => key === k(name));
  if (exact !== undefined) return exact;
  const scored = ours
    .map((key) => ({
      key,
      d: editDistance(key.slice(NAMESPACE.length + 1).toLowerCase(), name.toLowerCase()),
    }))
    .filter(({ d }) => d <= 2)
    .sort((x, y) => x.d - y.d);
  return scored[0]?.key;
}

/** Every key in a misspelled namespace: the key meant, or that there is none, and the fix. */
export const namespaceRule: Rule = ({ raw, stack, secretKeys }) => {
  const problems: Problem[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const colon = key.indexOf(":");
    if (colon < 0 || !isNearMissNamespace(key.slice(0, colon))) continue;
    const name = key.slice(colon + 1);
    const meant = meantKey(name);
    const namespace = `namespace "${key.slice(0, colon)}" is not this project's (${NAMESPACE})`;
    if (meant === undefined) {
      problems.push({
        key,
        message: `is not a key of this program: its ${namespace}, and ${NAMESPACE} has no key "${name}"`,
        fix: rmCommand(stack, key),
      });
      continue;
    }
    const secret = secretKeys.includes(key);
    const structured =
      (typeof value === "object" && value !== null) || (typeof value === "string" && /^\s*[[{]/.test(value));
    const hidden = secret || (typeof value === "string" && credentialShape(value) !== undefined);
    const fix = structured
      ? `rename the key in Pulumi.${stack}.yaml from ${key}: to ${meant}: (its value, secret or not, stays as it is)`
      : hidden
        ? `pulumi config set --stack ${stack}${secret && SECRET_CAPABLE_KEYS.includes(meant) ? " --secret" : ""} ` +
          `'${meant}' "$(pulumi config get --stack ${stack} '${key}')", then ${rmCommand(stack, key)}`
        : `${rmCommand(stack, key)}, then ${setCommand(stack, meant, shellWord(String(value)))}`;
    problems.push({
      key,
      message: `is not a key of this program: did you mean ${meant}? Its ${namespace}, so the program would silently run without it`,
      fix,
    });
  }
  return problems;
};
