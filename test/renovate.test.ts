/**
 * renovate.json keeps every pin current through reviewed pull requests: the actions' commit SHAs (with their
 * `# vX.Y.Z` comments), the npm lockfile, and the base image in `BASE_IMAGE` (docker/Dockerfile and
 * infra/plan.ts, one pull request, pinned to its digest). Its regex managers are run here against the real
 * files, the way Renovate runs them (JavaScript regexes, Handlebars-style templates).
 */
import { strict as assert } from "node:assert";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_BUILD_ARGS } from "../infra/plan";
import { ROOT } from "./helpers/stackfiles";

const RENOVATE_FILE = "renovate.json";
const renovateText = readFileSync(join(ROOT, RENOVATE_FILE), "utf8");
/** The files whose `BASE_IMAGE` default Renovate must update, together. */
const BASE_IMAGE_FILES = ["docker/Dockerfile", "infra/plan.ts"];

interface CustomManager {
  customType?: string;
  managerFilePatterns?: string[];
  matchStrings?: string[];
  datasourceTemplate?: string;
  versioningTemplate?: string;
  autoReplaceStringTemplate?: string;
}
interface PackageRule {
  matchManagers?: string[];
  matchDepNames?: string[];
  matchPackageNames?: string[];
  matchUpdateTypes?: string[];
  enabled?: boolean;
  pinDigests?: boolean;
  automerge?: boolean;
  groupName?: string;
}
interface RenovateConfig {
  $schema?: string;
  extends?: string[];
  automerge?: boolean;
  enabledManagers?: string[];
  lockFileMaintenance?: { enabled?: boolean };
  customManagers?: CustomManager[];
  packageRules?: PackageRule[];
  [manager: string]: unknown;
}

/** A managerFilePatterns entry: `/regex/` (what this file uses) or a glob of one exact path. */
function filePattern(pattern: string): (path: string) => boolean {
  const m = /^\/(.*)\/$/.exec(pattern);
  return m === null ? (path) => path === pattern : (path) => new RegExp(m[1]).test(path);
}

/** The subset of Handlebars the templates use: `{{name}}` and `{{#if name}}…{{/if}}`. */
function render(template: string, values: Record<string, string | undefined>): string {
  return template
    .replace(/\{\{#if (\w+)\}\}(.*?)\{\{\/if\}\}/g, (_, name: string, body: string) =>
      values[name] ? body : "",
    )
    .replace(/\{\{(\w+)\}\}/g, (_, name: string) => values[name] ?? "");
}

const managerEnabled = (config: RenovateConfig, manager: string): boolean =>
  (config[manager] as { enabled?: boolean } | undefined)?.enabled !== false &&
  (config.enabledManagers === undefined || config.enabledManagers.includes(manager)) &&
  !(config.packageRules ?? []).some(
    (r) =>
      r.enabled === false &&
      (r.matchManagers ?? []).includes(manager) &&
      r.matchDepNames === undefined &&
      r.matchPackageNames === undefined &&
      r.matchUpdateTypes === undefined,
  );

/** What is wrong with a Renovate config for this repository, given how to read a repository file. */
function renovateViolations(config: RenovateConfig, read: (path: string) => string): string[] {
  const v: string[] = [];
  const rules = config.packageRules ?? [];
  if (config.$schema !== "https://docs.renovatebot.com/renovate-schema.json")
    v.push("$schema: not Renovate's");
  // Reviewed pull requests: nothing merges itself.
  if (config.automerge !== false) v.push("automerge must be false");
  if (rules.some((r) => r.automerge === true)) v.push("a package rule automerges");

  // 1. The actions: pinned to commit SHAs, with the version comment Renovate rewrites.
  if (!managerEnabled(config, "github-actions")) v.push("the github-actions manager is disabled");
  if (!(config.extends ?? []).includes("helpers:pinGitHubActionDigests"))
    v.push("extends must include helpers:pinGitHubActionDigests");
  if (!rules.some((r) => (r.matchManagers ?? []).includes("github-actions") && r.pinDigests === true))
    v.push("no rule pins github-actions to digests");

  // 2. npm: package.json and its lockfile, refreshed by lockfile maintenance too.
  if (!managerEnabled(config, "npm")) v.push("the npm manager is disabled");
  if (config.lockFileMaintenance?.enabled !== true) v.push("lockFileMaintenance must be enabled");
  if (read("package-lock.json") === "") v.push("no package-lock.json to maintain");

  // 3. BASE_IMAGE: one regex manager per file finds the default, and rewrites it pinned to a digest.
  if (!managerEnabled(config, "custom.regex")) v.push("the custom.regex manager is disabled");
  if (managerEnabled(config, "dockerfile"))
    v.push("the dockerfile manager would update docker/Dockerfile's BASE_IMAGE a second time");
  const [image, tag] = DEFAULT_BUILD_ARGS.BASE_IMAGE.split("@")[0].split(":");
  const digest = `sha256:${"0123456789abcdef".repeat(4)}`;
  for (const file of BASE_IMAGE_FILES) {
    const managers = (config.customManagers ?? []).filter(
      (m) => m.customType === "regex" && (m.managerFilePatterns ?? []).some((p) => filePattern(p)(file)),
    );
    if (managers.length !== 1) {
      v.push(`${file}: ${managers.length} regex managers match it, want 1`);
      continue;
    }
    const m = managers[0];
    const text = read(file);
    const found = (m.matchStrings ?? []).flatMap((s) => [...text.matchAll(new RegExp(s, "g"))]);
    if (found.length !== 1) {
      v.push(`${file}: the match strings find ${found.length} BASE_IMAGE defaults, want 1`);
      continue;
    }
    const g = found[0].groups ?? {};
    if (g.depName !== image || g.currentValue !== tag)
      v.push(`${file}: extracted ${g.depName}:${g.currentValue}, the default is ${image}:${tag}`);
    if (m.datasourceTemplate !== "docker" || m.versioningTemplate !== "docker")
      v.push(`${file}: datasource and versioning must be docker`);
    const template = m.autoReplaceStringTemplate ?? "";
    const same = { depName: g.depName, newValue: g.currentValue, newDigest: g.currentDigest };
    if (render(template, same) !== found[0][0])
      v.push(
        `${file}: the replacement template does not rebuild what it matched (${render(template, same)})`,
      );
    // What Renovate writes when it pins the digest is found again, with that digest.
    const pinned = render(template, { ...same, newDigest: digest });
    const again = (m.matchStrings ?? []).map((s) => new RegExp(s).exec(pinned)).find((x) => x !== null);
    if (again?.groups?.currentDigest !== digest || again[0] !== pinned)
      v.push(`${file}: the pinned form ${pinned} is not matched back with its digest`);
  }
  const group = rules.find(
    (r) =>
      (r.matchManagers ?? []).includes("custom.regex") &&
      (r.matchDepNames ?? []).includes(image) &&
      r.groupName !== undefined &&
      r.enabled !== false,
  );
  if (group === undefined) v.push(`BASE_IMAGE: no group puts both files in one pull request`);
  else if (group.pinDigests !== true) v.push("BASE_IMAGE: the group must pin the digest");
  return v;
}

const readRepo = (path: string): string =>
  existsSync(join(ROOT, path)) ? readFileSync(join(ROOT, path), "utf8") : "";

describe("renovate.json", () => {
  it("is valid JSON", () => {
    assert.doesNotThrow(() => JSON.parse(renovateText));
    assert.equal(typeof JSON.parse(renovateText), "object");
  });

  it("keeps the action SHAs, the npm lockfile and BASE_IMAGE (both files, by digest) current, reviewed", () => {
    assert.deepEqual(renovateViolations(JSON.parse(renovateText) as RenovateConfig, readRepo), []);
  });

  it("its BASE_IMAGE managers find exactly the default of the Dockerfile and of the plan", () => {
    const config = JSON.parse(renovateText) as RenovateConfig;
    const extracted = BASE_IMAGE_FILES.map((file) => {
      const m = (config.customManagers ?? []).find((c) =>
        (c.managerFilePatterns ?? []).some((p) => filePattern(p)(file)),
      );
      return new RegExp(m?.matchStrings?.[0] ?? "$^").exec(readRepo(file))?.[0];
    });
    assert.deepEqual(extracted, ["ARG BASE_IMAGE=python:3.10.11-slim", 'BASE_IMAGE: "python:3.10.11-slim"']);
  });

  describe("rejects a config that would let a pin go stale or merge unreviewed", () => {
    const base = (): RenovateConfig => JSON.parse(renovateText) as RenovateConfig;
    const cases: [string, (c: RenovateConfig) => void, (path: string) => string, string][] = [
      ["automerge", (c) => void (c.automerge = true), readRepo, "automerge must be false"],
      [
        "no digest pins for actions",
        (c) =>
          void (c.packageRules = c.packageRules?.filter((r) => !r.matchManagers?.includes("github-actions"))),
        readRepo,
        "no rule pins github-actions to digests",
      ],
      [
        "the actions manager off",
        (c) => void (c["github-actions"] = { enabled: false }),
        readRepo,
        "the github-actions manager is disabled",
      ],
      [
        "no lockfile maintenance",
        (c) => void (c.lockFileMaintenance = { enabled: false }),
        readRepo,
        "lockFileMaintenance must be enabled",
      ],
      [
        "the Dockerfile's manager pattern no longer matches it",
        (c) => void (c.customManagers![0].managerFilePatterns = ["/^Dockerfile$/"]),
        readRepo,
        "docker/Dockerfile: 0 regex managers match it, want 1",
      ],
      [
        "plan.ts's default written another way",
        (c) => c,
        (path) =>
          path === "infra/plan.ts"
            ? readRepo(path).replace('BASE_IMAGE: "', "BASE_IMAGE: '")
            : readRepo(path),
        "infra/plan.ts: the match strings find 0 BASE_IMAGE defaults, want 1",
      ],
      [
        "a template that drops the digest",
        (c) =>
          void (c.customManagers![1].autoReplaceStringTemplate = 'BASE_IMAGE: "{{depName}}:{{newValue}}"'),
        readRepo,
        "infra/plan.ts: the pinned form",
      ],
      [
        "a match string that cannot read a pinned digest back",
        (c) =>
          void (c.customManagers![0].matchStrings = [
            "ARG BASE_IMAGE=(?<depName>[a-z0-9./_-]+):(?<currentValue>[A-Za-z0-9._-]+)",
          ]),
        readRepo,
        "docker/Dockerfile: the pinned form",
      ],
      [
        "the Dockerfile updated twice",
        (c) => void delete c.dockerfile,
        readRepo,
        "the dockerfile manager would update docker/Dockerfile's BASE_IMAGE a second time",
      ],
      [
        "two pull requests for one base image",
        (c) => void (c.packageRules = c.packageRules?.filter((r) => r.groupName === undefined)),
        readRepo,
        "BASE_IMAGE: no group puts both files in one pull request",
      ],
    ];
    for (const [title, mutate, read, expected] of cases) {
      it(title, () => {
        const config = base();
        mutate(config);
        const found = renovateViolations(config, read);
        assert.ok(
          found.some((f) => f.includes(expected)),
          `expected ${JSON.stringify(expected)} in ${JSON.stringify(found)}`,
        );
      });
    }
    it("a file that is not JSON", () => {
      assert.throws(() => JSON.parse(renovateText.replace(/\}\s*$/, "},")), SyntaxError);
    });
  });
});
