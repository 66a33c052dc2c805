/**
 * The promotion chain (infra/promotion.ts `CHAIN`), keys in a misspelled namespace and the default network
 * placement, as parseStackConfig reports them: the exact message, the key, the fix with the real value.
 */
import { strict as assert } from "node:assert";
import { parseStackConfig } from "../../infra/config";
import { editDistance, isNearMissNamespace } from "../../infra/config/namespace-rule";
import { CHAIN, CHAIN_WORDS, ENVIRONMENT_TAGS, upstreamNameProblem } from "../../infra/promotion";
import { asRuntimeConfig, stackFileConfig } from "../helpers/stackfiles";
import { dev, errorOf, staging, withService } from "./fixtures";

const prod = stackFileConfig("prod");
const PINNED = `sha256:${"3".repeat(64)}`;
const CHAIN_TEXT = "(the chain: dev builds, staging promotes dev, prod promotes staging)";
const one = (stack: string, line: string) => `Invalid stack config for "${stack}" (1 problem):\n  - ${line}`;

describe("the promotion chain: one table decides every stack's role and upstream", () => {
  it("is dev builds, staging promotes dev, prod promotes staging", () => {
    assert.deepEqual(CHAIN, {
      dev: { role: "build" },
      staging: { role: "promote", upstream: "dev" },
      prod: { role: "promote", upstream: "staging" },
    });
    assert.deepEqual(Object.keys(CHAIN), [...ENVIRONMENT_TAGS]);
    assert.equal(`(the chain: ${CHAIN_WORDS})`, CHAIN_TEXT);
  });

  it("accepts the committed stack files and every form qualifyStackName takes", () => {
    for (const stack of ["dev", "staging", "prod"]) {
      assert.equal(parseStackConfig(stackFileConfig(stack), stack).role, CHAIN[stack as "dev"].role);
    }
    for (const upstream of ["dev", "voxpersona/dev", "acme/voxpersona/dev", "other-org/voxpersona/dev"]) {
      const c = parseStackConfig({ ...staging, "voxpersona:upstreamStack": upstream }, "staging");
      assert.deepEqual(c.promote, { upstreamStack: upstream });
    }
    assert.equal(upstreamNameProblem("voxpersona/staging", "prod", "voxpersona"), undefined);
  });

  it("prod with role build: it would push :prod straight from a build", () => {
    assert.equal(
      errorOf({ ...prod, "voxpersona:role": "build" }, "prod"),
      one(
        "prod",
        `voxpersona:role (got "build"): must be "promote" on prod: prod never builds, it runs only the digest ` +
          `staging runs ${CHAIN_TEXT}. Fix: pulumi config set --stack prod 'voxpersona:role' promote`,
      ),
    );
  });

  it("a build stack's keys on prod: the role and every key the chain's role needs or forbids, together", () => {
    const { "voxpersona:secrets": _secrets, ...devKeys } = dev;
    assert.ok(_secrets);
    assert.equal(
      errorOf(devKeys, "prod"),
      'Invalid stack config for "prod" (3 problems):\n' +
        `  - voxpersona:role (got "build"): must be "promote" on prod: prod never builds, it runs only the ` +
        `digest staging runs ${CHAIN_TEXT}. Fix: pulumi config set --stack prod 'voxpersona:role' promote\n` +
        "  - voxpersona:upstreamStack: is required for a promote stack: it names the stack whose image digest " +
        "this stack runs. Fix: pulumi config set --stack prod 'voxpersona:upstreamStack' staging\n" +
        "  - voxpersona:build: must not be set on a promote stack: promote stacks never build, they run an " +
        "upstream digest. Fix: pulumi config rm --stack prod 'voxpersona:build'",
    );
  });

  it("dev with role promote", () => {
    assert.equal(
      errorOf({ ...dev, "voxpersona:role": "promote" }, "dev"),
      one(
        "dev",
        `voxpersona:role (got "promote"): must be "build" on dev: dev builds the image the other stacks ` +
          `promote ${CHAIN_TEXT}. Fix: pulumi config set --stack dev 'voxpersona:role' build`,
      ),
    );
  });

  const STAGING_TAIL =
    `must be dev (or voxpersona/dev, <org>/voxpersona/dev): staging never builds, it runs only the digest dev ` +
    `runs ${CHAIN_TEXT}. Fix: pulumi config set --stack staging 'voxpersona:upstreamStack' dev`;
  for (const [upstream, why] of [
    ["prod", "names prod, which comes after staging in the chain: a cycle"],
    ["acme/voxpersona/prod", "names prod, which comes after staging in the chain: a cycle"],
    ["staging", "names staging itself"],
    ["../dev", 'is not a stack name: ".." is a path step, not a name'],
    ["dev/./x", 'is not a stack name: "." is a path step, not a name'],
    ["./dev", 'is not a stack name: "." is a path step, not a name'],
    ["acme/other/dev", 'names a stack of project "other", not of this project'],
    ["other/dev", 'names a stack of project "other", not of this project'],
    ["dev//x", "is not a stack name: it has an empty part"],
    ["/dev", "is not a stack name: it has an empty part"],
    [
      "a/b/voxpersona/dev",
      "is not a stack name: it has 4 parts, a stack name at most 3 (<org>/<project>/<stack>)",
    ],
    ["a b/voxpersona/dev", 'is not a stack name: "a b" is not a name (letters, digits, "_", "." and "-")'],
    ["", "is empty"],
    ["qa", 'names "qa", which is no stack of the chain'],
  ] as const) {
    it(`staging ← ${JSON.stringify(upstream)}: ${why}`, () => {
      assert.equal(
        errorOf({ ...staging, "voxpersona:upstreamStack": upstream }, "staging"),
        one("staging", `voxpersona:upstreamStack (got ${JSON.stringify(upstream)}): ${why}; ${STAGING_TAIL}`),
      );
    });
  }

  it("prod ← dev: an image would reach prod without staging ever running it", () => {
    assert.equal(
      errorOf({ ...prod, "voxpersona:upstreamStack": "dev" }, "prod"),
      one(
        "prod",
        'voxpersona:upstreamStack (got "dev"): names dev, which skips staging; must be staging (or ' +
          "voxpersona/staging, <org>/voxpersona/staging): prod never builds, it runs only the digest staging " +
          `runs ${CHAIN_TEXT}. Fix: pulumi config set --stack prod 'voxpersona:upstreamStack' staging`,
      ),
    );
  });

  it("a stack outside the chain is reported once, by its name, and keeps its configured role", () => {
    assert.equal(
      errorOf({ ...staging, "voxpersona:upstreamStack": "prod" }, "qa"),
      one(
        "qa",
        'stack name (got "qa"): must be one of dev, staging, prod: the stack name is the image\'s environment ' +
          "tag, which the registry keeps mutable and protects from expiry. Fix: pulumi stack select dev (or " +
          "pulumi stack init dev)",
      ),
    );
  });
});

describe("keys in a misspelled namespace are refused, never silently dropped", () => {
  it("tells a misspelling of voxpersona from the other namespaces", () => {
    for (const ns of [
      "voxpersonna",
      "voxpesona",
      "VoxPersona",
      "VOXPERSONA",
      "vox-persona",
      "voxpresona",
      "vxpersona",
      "voxpersona_",
    ]) {
      assert.ok(isNearMissNamespace(ns), ns);
    }
    for (const ns of ["voxpersona", "aws", "pulumi", "docker-build", "awsx", "random", "vox", "persona"]) {
      assert.ok(!isNearMissNamespace(ns), ns);
    }
    assert.deepEqual(
      [
        ["voxpersona", "voxpresona"],
        ["voxpersona", "voxpersonna"],
        ["voxpersona", "vox-persona"],
        ["voxpersona", "xovpersona"],
        ["kitten", "sitting"],
      ].map(([a, b]) => editDistance(a, b)),
      [1, 1, 1, 2, 3],
    );
  });

  it("a rollback pin under voxpersonna: the key, the key meant, and the move with its value", () => {
    assert.equal(
      errorOf({ ...prod, "voxpersonna:imageDigest": PINNED }, "prod"),
      one(
        "prod",
        "voxpersonna:imageDigest: is not a key of this program: did you mean voxpersona:imageDigest? Its " +
          'namespace "voxpersonna" is not this project\'s (voxpersona), so the program would silently run ' +
          "without it. Fix: pulumi config rm --stack prod 'voxpersonna:imageDigest', then pulumi config set " +
          `--stack prod 'voxpersona:imageDigest' ${PINNED}`,
      ),
    );
  });

  it("in the runtime's form too (allConfig holds every namespace)", () => {
    const raw = asRuntimeConfig({ ...prod, "VoxPersona:imageDigest": PINNED });
    assert.match(
      errorOf(raw, "prod"),
      /^ {2}- VoxPersona:imageDigest: is not a key of this program: did you mean voxpersona:imageDigest\?/m,
    );
    // Other namespaces pass untouched.
    const c = parseStackConfig(
      asRuntimeConfig({ ...prod, "aws:profile": "ops", "docker-build:host": "x" }),
      "prod",
    );
    assert.equal(c.role, "promote");
  });

  it("a value stored as a secret is moved without being shown", () => {
    const message = errorOf({ ...prod, "voxpesona:imageDigest": PINNED }, "prod", ["voxpesona:imageDigest"]);
    assert.equal(
      message,
      one(
        "prod",
        "voxpesona:imageDigest: is not a key of this program: did you mean voxpersona:imageDigest? Its " +
          'namespace "voxpesona" is not this project\'s (voxpersona), so the program would silently run without ' +
          "it. Fix: pulumi config set --stack prod 'voxpersona:imageDigest' \"$(pulumi config get --stack prod " +
          "'voxpesona:imageDigest')\", then pulumi config rm --stack prod 'voxpesona:imageDigest'",
      ),
    );
    assert.ok(!message.includes(PINNED));
    const db = "postgresql://bot:hunter2@db.example:5432/vox";
    const secrets = errorOf({ ...prod, "voxPersona:secrets": { DATABASE_URL: db } }, "prod", [
      "voxPersona:secrets",
    ]);
    assert.equal(
      secrets,
      one(
        "prod",
        "voxPersona:secrets: is not a key of this program: did you mean voxpersona:secrets? Its namespace " +
          '"voxPersona" is not this project\'s (voxpersona), so the program would silently run without it. Fix: ' +
          "rename the key in Pulumi.prod.yaml from voxPersona:secrets: to voxpersona:secrets: (its value, secret " +
          "or not, stays as it is)",
      ),
    );
    assert.ok(!secrets.includes("hunter2"));
    const pasted = errorOf({ ...prod, "voxpersonaa:imageDigest": db }, "prod");
    assert.match(pasted, /"\$\(pulumi config get --stack prod 'voxpersonaa:imageDigest'\)"/);
    assert.ok(!pasted.includes("hunter2"));
  });

  it("a misspelled key name too: the nearest key, or none", () => {
    assert.equal(
      errorOf({ ...prod, "vox-persona:imageDigst": PINNED, "voxpersonna:colour": "x" }, "prod"),
      'Invalid stack config for "prod" (2 problems):\n' +
        "  - vox-persona:imageDigst: is not a key of this program: did you mean voxpersona:imageDigest? Its " +
        'namespace "vox-persona" is not this project\'s (voxpersona), so the program would silently run without ' +
        "it. Fix: pulumi config rm --stack prod 'vox-persona:imageDigst', then pulumi config set --stack prod " +
        `'voxpersona:imageDigest' ${PINNED}\n` +
        '  - voxpersonna:colour: is not a key of this program: its namespace "voxpersonna" is not this ' +
        'project\'s (voxpersona), and voxpersona has no key "colour". Fix: pulumi config rm --stack prod ' +
        "'voxpersonna:colour'",
    );
  });
});

describe("default network placement: a task in the default VPC can pull its image", () => {
  it("refuses assignPublicIp false without voxpersona:network, with both ways out", () => {
    assert.equal(
      errorOf(withService(staging, { assignPublicIp: false }), "staging"),
      one(
        "staging",
        "voxpersona:service.assignPublicIp (got false): must be true while voxpersona:network is unset: the " +
          "task then runs in the default VPC, whose subnets reach the internet only through an internet gateway, " +
          "so without a public IP it cannot pull its image from ECR and never starts. Fix: pulumi config set " +
          "--stack staging --path 'voxpersona:service.assignPublicIp' true, or configure voxpersona:network with " +
          "private subnets that have a NAT gateway, or VPC endpoints for ECR, S3, CloudWatch Logs and Secrets " +
          "Manager (the bot's own calls to Telegram and the model APIs still need a route out): pulumi config " +
          "set --stack staging --path 'voxpersona:network.vpcId' vpc-0123456789abcdef0 (and subnetIds[0], [1], …)",
      ),
    );
  });

  it("accepts false with a network of private subnets, and true anywhere", () => {
    const network = { vpcId: "vpc-0abc", subnetIds: ["subnet-01", "subnet-02"] };
    const c = parseStackConfig(
      { ...withService(staging, { assignPublicIp: false }), "voxpersona:network": network },
      "staging",
    );
    assert.equal(c.service.assignPublicIp, false);
    assert.equal(
      parseStackConfig(withService(staging, { assignPublicIp: true }), "staging").service.assignPublicIp,
      true,
    );
  });

  it("hides the value of a secret service key here too", () => {
    const message = errorOf(withService(staging, { assignPublicIp: false }), "staging", [
      "voxpersona:service",
    ]);
    assert.match(
      message,
      /^ {2}- voxpersona:service\.assignPublicIp \(a value of 5 characters\): must be true/m,
    );
  });
});
