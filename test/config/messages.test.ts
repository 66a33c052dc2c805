/**
 * The words of config messages: what was expected, phrased for a config author, and fix hints whose
 * `pulumi config set` examples are real values the stack files accept.
 */
import { strict as assert } from "node:assert";
import { parseStackConfig } from "../../infra/config";
import { fixFor } from "../../infra/config/problems";
import { leafKeys } from "../../infra/config/schema";
import { asRuntimeConfig, stackFileConfig } from "../helpers/stackfiles";
import { dev, staging, withService, withBuild, errorOf } from "./fixtures";

describe("parseStackConfig: what was expected, in words a config author knows", () => {
  it("a list or an empty value where an object belongs", () => {
    assert.equal(
      errorOf({ ...staging, "voxpersona:service": [] }, "staging"),
      'Invalid stack config for "staging" (1 problem):\n' +
        "  - voxpersona:service (got []): must be an object, not a list. Fix: pulumi config rm --stack staging " +
        "'voxpersona:service', then pulumi config set --stack staging --path 'voxpersona:service.cpu' 2048 " +
        "(and its other fields, see Pulumi.yaml)",
    );
    // `voxpersona:network:` with nothing after it is YAML's null.
    assert.equal(
      errorOf({ ...staging, "voxpersona:network": null }, "staging"),
      'Invalid stack config for "staging" (1 problem):\n' +
        "  - voxpersona:network (got null): must be an object, not empty (null). Fix: pulumi config rm --stack " +
        "staging 'voxpersona:network', then pulumi config set --stack staging --path 'voxpersona:network.vpcId' " +
        "vpc-0123456789abcdef0 (and subnetIds[0], [1], …)",
    );
    assert.equal(
      errorOf({ ...dev, "voxpersona:secrets": ["voxpersona/dev/database-url"] }, "dev"),
      'Invalid stack config for "dev" (1 problem):\n' +
        '  - voxpersona:secrets (got ["voxpersona/dev/database-url"]): must be an object, not a list. Fix: ' +
        "pulumi config rm --stack dev 'voxpersona:secrets', then pulumi config set --stack dev --path " +
        "'voxpersona:secrets.DATABASE_URL' voxpersona/dev/database-url (one per variable)",
    );
    assert.equal(
      errorOf({ ...dev, "voxpersona:network": { vpcId: "vpc-0a1", subnetIds: "subnet-0b2" } }, "dev"),
      'Invalid stack config for "dev" (1 problem):\n' +
        '  - voxpersona:network.subnetIds (got "subnet-0b2"): must be a list, not a string. Fix: pulumi config ' +
        "rm --stack dev --path 'voxpersona:network.subnetIds', then pulumi config set --stack dev --path " +
        "'voxpersona:network.subnetIds[0]' subnet-0123456789abcdef0 (and [1], … for more)",
    );
  });

  it("a number too large to hold (1e309 reads as Infinity), in the YAML and the runtime form", () => {
    const expected =
      'Invalid stack config for "staging" (1 problem):\n' +
      "  - voxpersona:service.memory (got Infinity): must be a finite number: a number of 1e309 or more " +
      "overflows to Infinity. Fix: pulumi config set --stack staging --path 'voxpersona:service.memory' 8192";
    assert.equal(errorOf(withService(staging, { memory: Infinity }), "staging"), expected);
    const runtime = asRuntimeConfig(staging);
    const service = runtime["voxpersona:service"].replace('"memory":8192', '"memory":1e309');
    assert.notEqual(service, runtime["voxpersona:service"]);
    assert.equal(errorOf({ ...runtime, "voxpersona:service": service }, "staging"), expected);
  });

  it("a fraction, true or false, and empty values", () => {
    assert.equal(
      errorOf(withService(staging, { cpu: 1024.5 }), "staging"),
      'Invalid stack config for "staging" (1 problem):\n' +
        "  - voxpersona:service.cpu (got 1024.5): must be a whole number. Fix: pulumi config set --stack staging " +
        "--path 'voxpersona:service.cpu' 2048",
    );
    assert.equal(
      errorOf({ ...dev, "voxpersona:registry": { scanOnPush: "yes" } }, "dev"),
      'Invalid stack config for "dev" (1 problem):\n' +
        '  - voxpersona:registry.scanOnPush (got "yes"): must be true or false, not a string. Fix: pulumi config ' +
        "set --stack dev --path 'voxpersona:registry.scanOnPush' true",
    );
    assert.equal(
      errorOf(
        {
          ...withBuild({ context: "" }),
          "voxpersona:network": { vpcId: "vpc-0a1", subnetIds: [] },
        },
        "dev",
      ),
      'Invalid stack config for "dev" (2 problems):\n' +
        '  - voxpersona:build.context (got ""): must not be empty. Fix: pulumi config set --stack dev --path ' +
        "'voxpersona:build.context' app\n" +
        "  - voxpersona:network.subnetIds (got []): must list at least 1 item. Fix: pulumi config set --stack dev " +
        "--path 'voxpersona:network.subnetIds[0]' subnet-0123456789abcdef0 (and [1], … for more)",
    );
  });

  it("an unknown field, with the fields there are", () => {
    assert.equal(
      errorOf(withService(staging, { cpus: 2048 }), "staging"),
      'Invalid stack config for "staging" (1 problem):\n' +
        '  - voxpersona:service: has unknown field(s) "cpus" (known: cpu, memory, ephemeralStorageGiB, ' +
        "desiredCount, logRetentionDays, assignPublicIp, cpuArchitecture, environment). Fix: pulumi config rm " +
        "--stack staging --path 'voxpersona:service.cpus' (see Pulumi.yaml for the fields)",
    );
  });

  it("a number or true/false where text belongs is set as text, unless the key is secret", () => {
    assert.equal(
      errorOf(withService(dev, { environment: { PORT: 8080, VERBOSE: true } }), "dev"),
      'Invalid stack config for "dev" (2 problems):\n' +
        "  - voxpersona:service.environment.PORT (got 8080): must be a string, not a whole number. Fix: pulumi " +
        "config set --stack dev --path --type string 'voxpersona:service.environment.PORT' 8080\n" +
        "  - voxpersona:service.environment.VERBOSE (got true): must be a string, not true or false. Fix: pulumi " +
        "config set --stack dev --path --type string 'voxpersona:service.environment.VERBOSE' true",
    );
    const hidden = errorOf(withService(dev, { environment: { PORT: 8080 } }), "dev", ["voxpersona:service"]);
    assert.equal(
      hidden,
      'Invalid stack config for "dev" (1 problem):\n' +
        "  - voxpersona:service.environment.PORT (a value of 4 characters): must be a string, not a whole " +
        "number. Fix: pulumi config set --stack dev --path 'voxpersona:service.environment.PORT' INFO",
    );
    assert.ok(!hidden.includes("8080"));
  });

  it("names a KMS key, VPC and subnet by example, never by placeholder", () => {
    const message = errorOf(
      {
        ...dev,
        "voxpersona:registry": { encryption: "KMS", kmsKeyArn: "alias" },
        "voxpersona:network": { vpcId: "vpc-XYZ", subnetIds: ["sub"] },
      },
      "dev",
    );
    assert.equal(
      message,
      'Invalid stack config for "dev" (3 problems):\n' +
        '  - voxpersona:registry.kmsKeyArn (got "alias"): must be the ARN of a KMS key or alias. Fix: pulumi ' +
        "config set --stack dev --path 'voxpersona:registry.kmsKeyArn' " +
        "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab\n" +
        '  - voxpersona:network.vpcId (got "vpc-XYZ"): must be a VPC id: vpc- followed by lowercase hex digits. ' +
        "Fix: pulumi config set --stack dev --path 'voxpersona:network.vpcId' vpc-0123456789abcdef0\n" +
        '  - voxpersona:network.subnetIds[0] (got "sub"): must be a subnet id: subnet- followed by lowercase hex ' +
        "digits. Fix: pulumi config set --stack dev --path 'voxpersona:network.subnetIds[0]' " +
        "subnet-0123456789abcdef0",
    );
    assert.doesNotMatch(message, /<[a-z ]+>/);
  });
});

describe("fix hints: every key has a real example, and the examples are accepted", () => {
  /** The `pulumi config set` in a fix hint, as [key, value] with Pulumi's typing of `--path` values. */
  function setOf(fix: string): [string, unknown] {
    const m = /^pulumi config set --stack \S+( --path)?( --type string)? '([^']+)' (\S+)/.exec(fix);
    assert.ok(m, fix);
    const [, path, asText, key, word] = m;
    // What `"$(pulumi stack output --stack dev imageDigest)"` prints.
    const text = word.startsWith('"$(') ? `sha256:${"e".repeat(64)}` : word.replace(/^'(.*)'$/, "$1");
    if (!path || asText) return [key, text];
    return [
      key,
      /^(?:true|false)$/.test(text) ? text === "true" : /^-?\d+$/.test(text) ? Number(text) : text,
    ];
  }

  /** `raw` with `key` (`voxpersona:network.subnetIds[0]`) set to `value`, the way `--path` sets it. */
  function setPath(raw: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
    const [top, ...parts] = key.split(/\.|(?=\[)/);
    const out = structuredClone(raw);
    if (parts.length === 0) return { ...out, [top]: value };
    let node = (out[top] ??= {}) as Record<string, unknown>;
    parts.forEach((part, i) => {
      const name = part.replace(/^\[(\d+)\]$/, "$1");
      if (i === parts.length - 1) node[name] = value;
      else node = (node[name] ??= parts[i + 1].startsWith("[") ? [] : {}) as Record<string, unknown>;
    });
    return out;
  }

  it("gives every key a placeholder-free `pulumi config set` with a real value", () => {
    const keys = leafKeys();
    assert.ok(keys.length >= 30, String(keys.length));
    for (const key of keys) {
      const fix = fixFor("staging", key);
      assert.match(fix, /^pulumi config set /, key);
      assert.doesNotMatch(fix, /<[^>]*>/, key);
    }
  });

  for (const [stack, skip] of [
    ["dev", ["voxpersona:upstreamStack", "voxpersona:imageDigest"]],
    ["staging", ["voxpersona:build"]],
  ] as const) {
    it(`${stack}: the stack file with every fix applied still parses`, () => {
      let raw = stackFileConfig(stack);
      for (const key of leafKeys().filter((k) => !skip.some((s) => k.startsWith(s)))) {
        const [setKey, value] = setOf(fixFor(stack, key));
        raw = setPath(raw, setKey, value);
      }
      const c = parseStackConfig(raw, stack);
      assert.deepEqual([c.service.cpu, c.service.memory], [2048, 8192]);
      assert.deepEqual(c.network, {
        vpcId: "vpc-0123456789abcdef0",
        subnetIds: ["subnet-0123456789abcdef0"],
      });
      assert.equal(
        c.registry.kmsKeyArn,
        "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      );
      assert.deepEqual(
        c.secrets.find((s) => s.env === "DATABASE_URL")?.ref,
        `voxpersona/${stack}/database-url`,
      );
      if (stack === "staging") assert.equal(c.promote?.pinnedDigest, `sha256:${"e".repeat(64)}`);
      else assert.equal(c.build?.buildTag, "git-3f9c2ab-81d04e7");
    });
  }
});
