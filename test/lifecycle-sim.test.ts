/**
 * The lifecycle policies this program registers, run through a model of ECR's lifecycle semantics
 * (helpers/ecr-lifecycle.ts) over generated histories of builds and promotions (helpers/release-sim.ts).
 *
 * First the model reproduces the worked examples of the Amazon ECR User Guide, "Examples of lifecycle
 * policies" (https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_examples.html), with
 * the rules of "How lifecycle policies work" (LifecyclePolicies.html). Then it runs what the Registry
 * component registers (`releaseLifecyclePolicy`, `cacheLifecyclePolicy`, `mutableTagFilters`, the committed
 * stack files' values) and what a promotion writes (`nextSlot`, `promotionTags`, as the environment tag's
 * provider does), and the release policy before promotion slots existed, over the same histories.
 */
import { strict as assert } from "node:assert";
import { parseStackConfig } from "../infra/config";
import {
  type LifecyclePolicy,
  type LifecycleRule,
  cacheLifecyclePolicy,
  releaseLifecyclePolicy,
} from "../infra/lifecycle";
import { STAGES } from "../infra/plan";
import { ENVIRONMENT_TAGS } from "../infra/promotion";
import { KEEP_HISTORY } from "../infra/registry/defaults";
import { mutableTagFilters, nextSlot, promotionTags, slotTag } from "../infra/release-tags";
import { DAY_MS, SimImage, SimPolicy, SimRule, expiredImages, policyProblems } from "./helpers/ecr-lifecycle";
import {
  type Event,
  type Guarantees,
  type HistoryOptions,
  type PromoteStack,
  type ReleaseScheme,
  type RunResult,
  countViolations,
  generateHistory,
  runHistory,
} from "./helpers/release-sim";
import { stackFileConfig } from "./helpers/stackfiles";

const NOW = Date.UTC(2026, 10, 29, 12);
const daysAgo = (days: number) => NOW - days * DAY_MS;
const image = (digest: string, tags: string[], ageDays: number): SimImage => ({
  digest,
  tags,
  pushedAt: daysAgo(ageDays),
});
const rule = (rulePriority: number, selection: SimRule["selection"]): SimRule => ({
  rulePriority,
  selection,
  action: { type: "expire" },
});
const expired = (policy: SimPolicy, images: SimImage[]) =>
  expiredImages(policy, images, NOW).map((e) => e.digest);

describe("ECR lifecycle model: the user guide's examples", () => {
  it("filtering on image age: tagged prod* older than 14 days (sinceImagePushed counts from the push)", () => {
    const policy = {
      rules: [
        rule(1, {
          tagStatus: "tagged",
          tagPatternList: ["prod*"],
          countType: "sinceImagePushed",
          countUnit: "days",
          countNumber: 14,
        }),
      ],
    };
    const images = [image("A", ["prod-1"], 15), image("B", ["prod-2"], 13), image("C", ["beta-1"], 30)];
    assert.deepEqual(expired(policy, images), ["A"]);
    // The archived guide's version of the example: untagged images older than 14 days.
    const untagged = {
      rules: [
        {
          ...policy.rules[0],
          selection: {
            ...policy.rules[0].selection,
            tagStatus: "untagged" as const,
            tagPatternList: undefined,
          },
        },
      ],
    };
    assert.deepEqual(expired(untagged, [image("A", [], 15), image("B", [], 13), image("C", ["x"], 30)]), [
      "A",
    ]);
  });

  it("filtering on image count: keep only one untagged image", () => {
    const policy = {
      rules: [rule(1, { tagStatus: "untagged", countType: "imageCountMoreThan", countNumber: 1 })],
    };
    const images = [image("A", [], 3), image("B", [], 2), image("C", [], 1), image("D", ["v1"], 9)];
    assert.deepEqual(expired(policy, images), ["A", "B"]);
  });

  // Image A ["beta-1", "prod-1"] 10 days, B ["beta-2", "prod-2"] 9 days, C ["beta-3"] 8 days.
  const multipleRulesRepo = () => [
    image("A", ["beta-1", "prod-1"], 10),
    image("B", ["beta-2", "prod-2"], 9),
    image("C", ["beta-3"], 8),
  ];
  for (const [form, prod, beta] of [
    ["tagPatternList (current guide)", { tagPatternList: ["prod*"] }, { tagPatternList: ["beta*"] }],
    ["tagPrefixList (archived guide)", { tagPrefixList: ["prod"] }, { tagPrefixList: ["beta"] }],
  ] as const) {
    const keepOne = (priority: number, list: object) =>
      rule(priority, { tagStatus: "tagged", ...list, countType: "imageCountMoreThan", countNumber: 1 });

    it(`multiple rules, example A (${form}): B is seen by rule 1, so rule 2 cannot expire it: A only`, () => {
      assert.deepEqual(expired({ rules: [keepOne(1, prod), keepOne(2, beta)] }, multipleRulesRepo()), ["A"]);
    });

    it(`multiple rules, example B (${form}): beta first marks A and B; prod sees nothing new: A and B`, () => {
      assert.deepEqual(expired({ rules: [keepOne(1, beta), keepOne(2, prod)] }, multipleRulesRepo()), [
        "A",
        "B",
      ]);
    });
  }

  for (const [form, list] of [
    ["tagPatternList", { tagPatternList: ["alpha*", "beta*"] }],
    ["tagPrefixList", { tagPrefixList: ["alpha", "beta"] }],
  ] as const) {
    it(`multiple tags in a single rule, example A (${form}): only images with every tag; C is older than 5 days`, () => {
      const images = [
        image("A", ["alpha-1"], 12),
        image("B", ["beta-1"], 11),
        image("C", ["alpha-2", "beta-2"], 10),
        image("D", ["alpha-3"], 4),
        image("E", ["beta-3"], 3),
        image("F", ["alpha-4", "beta-4"], 2),
      ];
      const policy = {
        rules: [
          rule(1, {
            tagStatus: "tagged",
            ...list,
            countType: "sinceImagePushed",
            countUnit: "days",
            countNumber: 5,
          }),
        ],
      };
      assert.deepEqual(expired(policy, images), ["C"]);
    });

    it(`multiple tags in a single rule, example B (${form}): tags are not exclusive: A and B`, () => {
      const images = [
        image("A", ["alpha-1", "beta-1", "gamma-1"], 10),
        image("B", ["alpha-2", "beta-2"], 9),
        image("C", ["alpha-3", "beta-3", "gamma-2"], 8),
      ];
      const policy = {
        rules: [rule(1, { tagStatus: "tagged", ...list, countType: "imageCountMoreThan", countNumber: 1 })],
      };
      assert.deepEqual(expired(policy, images), ["A", "B"]);
    });
  }

  it("all images, example A: tagStatus any keeps the newest image of all: A, B and C", () => {
    const images = [
      image("A", ["alpha-1"], 4),
      image("B", ["beta-1"], 3),
      image("C", [], 2),
      image("D", ["alpha-2"], 1),
    ];
    const policy = {
      rules: [rule(1, { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 1 })],
    };
    assert.deepEqual(expired(policy, images), ["A", "B", "C"]);
  });

  it("all images, example B: every rule type; what earlier rules identified is out of the any rule's reach: A, B, D", () => {
    // D and E are both "1 day ago"; the guide keeps E as the newest, so E was pushed after D (by an hour here).
    const images = [
      image("A", ["alpha-1", "beta-1"], 4),
      image("B", [], 3),
      image("C", ["alpha-2"], 2),
      { digest: "D", tags: ["git hash"], pushedAt: daysAgo(1) - 3600_000 },
      image("E", [], 1),
    ];
    const policy = {
      rules: [
        rule(1, {
          tagStatus: "tagged",
          tagPatternList: ["alpha*"],
          countType: "imageCountMoreThan",
          countNumber: 1,
        }),
        rule(2, { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 1 }),
        rule(3, { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 1 }),
      ],
    };
    assert.deepEqual(
      expiredImages(policy, images, NOW).map((e) => [e.digest, e.rulePriority]),
      [
        ["A", 1],
        ["B", 2],
        ["D", 3],
      ],
    );
  });

  it("refuses the policies ECR refuses", () => {
    const count = { countType: "imageCountMoreThan", countNumber: 1 } as const;
    assert.deepEqual(
      policyProblems({
        rules: [
          rule(1, { tagStatus: "any", ...count }),
          rule(2, { tagStatus: "tagged", ...count }),
          rule(2, { tagStatus: "untagged", tagPatternList: ["x"], ...count }),
          rule(4, { tagStatus: "untagged", countType: "sinceImagePushed", countNumber: 0 }),
          rule(5, { tagStatus: "tagged", tagPatternList: ["*a*b*c*d*"], ...count }),
        ],
      }),
      [
        "rulePriority values must be unique",
        "rule 1: a tagStatus any rule must have the highest rulePriority",
        "rule 2: tagged needs a tagPatternList or a tagPrefixList",
        "rule 2: untagged takes no tag list",
        "rule 4: countNumber must be a positive integer",
        'rule 4: countUnit "days" goes with sinceImagePushed, and only with it',
        'rule 5: more than 4 wildcards in "*a*b*c*d*"',
        "only one rule may select untagged images",
      ],
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// The program's policies over generated histories.

const dev = parseStackConfig(stackFileConfig("dev"), "dev");
const keepHistory: Record<PromoteStack, number> = {
  staging: parseStackConfig(stackFileConfig("staging"), "staging").registry.keepHistory,
  prod: parseStackConfig(stackFileConfig("prod"), "prod").registry.keepHistory,
};
const guarantees: Guarantees = { keepBuildImages: dev.registry.keepBuildImages, keepHistory };
const cachePolicies = Object.fromEntries(
  STAGES.map((s) => [s, cacheLifecyclePolicy(dev.cache.mainScope, dev.cache.lifecycleDays[s])]),
);

/** What the program registers (the Registry component's defaults: ENVIRONMENT_TAGS) and promotes. */
const current: ReleaseScheme = {
  releasePolicy: releaseLifecyclePolicy(ENVIRONMENT_TAGS, dev.registry.keepBuildImages),
  mutableTags: mutableTagFilters(ENVIRONMENT_TAGS),
  cachePolicies,
  mainScope: dev.cache.mainScope,
  promotionTags: (stack, previousSlot, at) => {
    const slot = nextSlot(previousSlot, keepHistory[stack]);
    return { tags: promotionTags(stack, slot, at), slot };
  },
};

/**
 * The release policy before promotion slots (`git show 77eeff3:infra/lifecycle.ts`, releaseLifecyclePolicy),
 * verbatim but for the descriptions: each environment tag protected, then the newest `keepBuildImages`
 * tagged images by push time, then untagged after 7 days. Only the environment tags were mutable, and a
 * promotion moved only the environment tag.
 */
function previousPolicy(environmentTags: readonly string[], keepBuildImages: number): LifecyclePolicy {
  const protect = environmentTags.map((tag, i): LifecycleRule => ({
    rulePriority: i + 1,
    description: `keep the image the ${tag} stack runs`,
    selection: {
      tagStatus: "tagged",
      tagPatternList: [tag],
      countType: "imageCountMoreThan",
      countNumber: 1,
    },
    action: { type: "expire" },
  }));
  const next = environmentTags.length + 1;
  return {
    rules: [
      ...protect,
      {
        rulePriority: next,
        description: `keep the ${keepBuildImages} newest build-tagged images`,
        selection: {
          tagStatus: "tagged",
          tagPatternList: ["*"],
          countType: "imageCountMoreThan",
          countNumber: keepBuildImages,
        },
        action: { type: "expire" },
      },
      {
        rulePriority: next + 1,
        description: "expire untagged images after 7 days",
        selection: {
          tagStatus: "untagged",
          countType: "sinceImagePushed",
          countUnit: "days",
          countNumber: 7,
        },
        action: { type: "expire" },
      },
    ],
  };
}

const previous: ReleaseScheme = {
  releasePolicy: previousPolicy(ENVIRONMENT_TAGS, dev.registry.keepBuildImages),
  mutableTags: [...ENVIRONMENT_TAGS],
  cachePolicies,
  mainScope: dev.cache.mainScope,
  promotionTags: (stack) => ({ tags: [stack] }),
};

const START = Date.UTC(2026, 5, 1);
/** 120 days; prod frozen 30 days (a rollback when it thaws); 50-build bursts, one inside the freeze. */
const HISTORY: Omit<HistoryOptions, "seed"> = {
  days: 120,
  start: START,
  prodFreezes: [{ from: 40, to: 69 }],
  burstDays: [12, 55, 90],
  failureRate: 0.15,
  maxFailureStreak: Math.min(keepHistory.staging, keepHistory.prod) - 1,
  maxRollbackDepth: Math.min(keepHistory.staging, keepHistory.prod) - 1,
};

/** The numbers a run is judged by. */
function summary(r: RunResult) {
  return {
    violations: countViolations(r.violations),
    rollbacksImpossible: r.stats.rollbacksImpossible,
    oneStepTargetLost: r.stats.oneStepTargetLost,
    imagesLeftRunningLost: r.stats.imagesLeftRunningLost,
  };
}

describe("the program's lifecycle policies, simulated", () => {
  it("are policies ECR accepts, within its 30,720-character limit even at the largest settings", () => {
    assert.deepEqual(policyProblems(current.releasePolicy), []);
    for (const s of STAGES) assert.deepEqual(policyProblems(cachePolicies[s]), []);
    const largest = JSON.stringify(releaseLifecyclePolicy(ENVIRONMENT_TAGS, 1000));
    assert.ok(largest.length < 30720, `${largest.length} characters`);
    // Every slot a stack may use has its own rule, before every rule that expires anything.
    const rules = current.releasePolicy.rules;
    const expiring = rules.filter(
      (r) => r.selection.countType === "sinceImagePushed" || r.selection.countNumber > 1,
    );
    const slots = rules.filter((r) => r.selection.tagPatternList?.[0]?.includes("-slot-"));
    assert.deepEqual(
      slots.map((r) => r.selection.tagPatternList),
      ["staging", "prod"].flatMap((env) =>
        Array.from({ length: KEEP_HISTORY.max }, (_, i) => [slotTag(env, i)]),
      ),
    );
    for (const r of slots) {
      assert.equal(r.selection.countNumber, 1);
      assert.ok(expiring.every((e) => e.rulePriority > r.rulePriority));
    }
  });

  it("the committed stack files keep 5 promotions, 30 builds and the main cache scope", () => {
    assert.deepEqual(guarantees, { keepBuildImages: 30, keepHistory: { staging: 5, prod: 5 } });
    assert.equal(current.mainScope, "main");
  });

  const seeds = [1, 2, 3];
  const histories = seeds.map((seed) => generateHistory({ ...HISTORY, seed }));
  let runs: { now: RunResult[]; before: RunResult[] } | undefined;
  /** Each history run once against each scheme. */
  const results = () =>
    (runs ??= {
      now: histories.map((h) => runHistory(current, guarantees, h, START)),
      before: histories.map((h) => runHistory(previous, guarantees, h, START)),
    });

  it("the generated histories have what they should: hundreds of builds, bursts, a freeze, failures, rollbacks", () => {
    assert.deepEqual(results().now[0].stats, {
      builds: 594,
      prBuilds: 160,
      promotions: { staging: 109, prod: 48 },
      failedDeploys: { dev: 33, staging: 16, prod: 5 },
      rollbacks: { staging: 8, prod: 9 },
      rollbacksImpossible: { staging: 0, prod: 0 },
      oneStepTargetLost: { staging: [0, 108], prod: [0, 47] },
      maxReleaseImages: 83,
      lifecycleRuns: 120,
      imagesLeftRunning: 17,
      imagesLeftRunningLost: 0,
    });
    const prodDays = new Set(
      histories[0]
        .filter((e) => e.kind === "promote" && e.stack === "prod")
        .map((e) => Math.floor((e.at - START) / DAY_MS)),
    );
    assert.ok(
      [...prodDays].every((d) => d < 40 || d > 69),
      "no prod promotion in the freeze",
    );
    assert.ok([...prodDays].some((d) => d < 40) && [...prodDays].some((d) => d > 69));
  });

  it("now: no running image, no last-5 promotion, no last-30 build and no main cache scope ever expires", () => {
    assert.deepEqual(results().now.map(summary), [
      {
        violations: {},
        rollbacksImpossible: { staging: 0, prod: 0 },
        oneStepTargetLost: { staging: [0, 108], prod: [0, 47] },
        imagesLeftRunningLost: 0,
      },
      {
        violations: {},
        rollbacksImpossible: { staging: 0, prod: 0 },
        oneStepTargetLost: { staging: [0, 108], prod: [0, 36] },
        imagesLeftRunningLost: 0,
      },
      {
        violations: {},
        rollbacksImpossible: { staging: 0, prod: 0 },
        oneStepTargetLost: { staging: [0, 108], prod: [0, 29] },
        imagesLeftRunningLost: 0,
      },
    ]);
    assert.deepEqual(
      results().now.map((r) => r.stats.imagesLeftRunning),
      [17, 16, 11],
    );
  });

  it("before slots: rollback targets and images left running by failed deploys expired", () => {
    assert.deepEqual(
      histories.map((h) => summary(runHistory(previous, guarantees, h, START))),
      [
        {
          violations: { "history:prod": 24, "history:staging": 15 },
          rollbacksImpossible: { staging: 0, prod: 3 },
          oneStepTargetLost: { staging: [3, 108], prod: [8, 44] },
          imagesLeftRunningLost: 0,
        },
        {
          violations: { "history:prod": 22, "history:staging": 14, "running:prod": 3 },
          rollbacksImpossible: { staging: 0, prod: 6 },
          oneStepTargetLost: { staging: [3, 108], prod: [12, 30] },
          imagesLeftRunningLost: 3,
        },
        {
          violations: { "history:prod": 20, "history:staging": 15 },
          rollbacksImpossible: { staging: 0, prod: 0 },
          oneStepTargetLost: { staging: [3, 108], prod: [8, 29] },
          imagesLeftRunningLost: 0,
        },
      ],
    );
  });

  it("the totals stacks/promote.ts argues its promotion order with", () => {
    const total = (results: RunResult[], of: (r: RunResult) => number) =>
      results.reduce((n, r) => n + of(r), 0);
    const { now, before } = results();
    assert.deepEqual(
      [
        total(now, (r) => r.stats.failedDeploys.staging + r.stats.failedDeploys.prod),
        total(now, (r) => r.stats.imagesLeftRunning),
        total(now, (r) => r.stats.imagesLeftRunningLost),
        total(now, (r) => r.stats.rollbacksImpossible.staging + r.stats.rollbacksImpossible.prod),
      ],
      [55, 44, 0, 0],
    );
    assert.deepEqual(
      [
        total(before, (r) => r.stats.imagesLeftRunningLost),
        total(before, (r) => r.stats.rollbacks.prod),
        total(before, (r) => r.stats.rollbacksImpossible.prod),
        total(before, (r) => r.stats.oneStepTargetLost.prod[0]),
        total(before, (r) => r.stats.oneStepTargetLost.prod[1]),
      ],
      [3, 19, 9, 28, 103],
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// Hand-written histories: the review's two findings, and the bound of the running image's protection.

/** A history builder: builds, promotions and lifecycle runs at given days. */
function script() {
  const events: Event[] = [];
  const t = (day: number, minute: number) => START + day * DAY_MS + minute * 60_000;
  const api = {
    events,
    builds(day: number, count: number, deployFails = false) {
      for (let i = 0; i < count; i++) events.push({ at: t(day, 60 + i), kind: "build", deployFails });
      return api;
    },
    promote(day: number, stack: PromoteStack, deployFails = false, minute = 0) {
      events.push({ at: t(day, 600 + minute), kind: "promote", stack, deployFails });
      return api;
    },
    rollback(day: number, stack: PromoteStack, back: number) {
      events.push({ at: t(day, 700), kind: "rollback", stack, back });
      return api;
    },
    evaluate(day: number) {
      events.push({ at: t(day, 1200), kind: "evaluate" });
      return api;
    },
  };
  return api;
}

describe("the review's findings, replayed", () => {
  it("a 25-day prod freeze: the one-step rollback target survives now, and was gone before", () => {
    const s = script().builds(0, 1).promote(0, "staging").promote(0, "prod", false, 1).evaluate(0);
    s.builds(1, 1).promote(1, "staging").promote(1, "prod", false, 1).evaluate(1);
    // 25 days: 10 builds a day, staging promoted daily, prod frozen.
    for (let day = 2; day <= 26; day++) s.builds(day, 10).promote(day, "staging").evaluate(day);
    s.rollback(27, "prod", 1).evaluate(27);
    const now = runHistory(current, guarantees, s.events, START);
    assert.deepEqual(countViolations(now.violations), {});
    assert.deepEqual(now.stats.rollbacksImpossible, { staging: 0, prod: 0 });
    const before = runHistory(previous, guarantees, s.events, START);
    // Prod's previous image (build 1) was gone 4 days into the freeze, after 32 newer pushes.
    assert.deepEqual(
      before.violations.filter((v) => v.of === "prod"),
      [{ property: "history", of: "prod", digest: digest(1), day: 4 }],
    );
    assert.deepEqual(countViolations(before.violations), { "history:prod": 1, "history:staging": 23 });
    assert.deepEqual(before.stats.rollbacksImpossible, { staging: 0, prod: 1 });
  });

  it("a failed prod deploy: the image prod still runs survives now; before, 30 pushes later it was gone", () => {
    const s = script().builds(0, 1).promote(0, "staging").promote(0, "prod", false, 1).evaluate(0);
    s.builds(1, 1).promote(1, "staging").promote(1, "prod", true, 1).evaluate(1);
    for (let day = 2; day <= 5; day++) s.builds(day, 10).evaluate(day);
    assert.deepEqual(runHistory(current, guarantees, s.events, START).violations, []);
    const before = runHistory(previous, guarantees, s.events, START).violations;
    assert.deepEqual(
      before.filter((v) => v.of === "prod"),
      [
        { property: "running", of: "prod", digest: digest(1), day: 4 },
        { property: "history", of: "prod", digest: digest(1), day: 4 },
      ],
    );
    assert.deepEqual(countViolations(before), { "running:prod": 1, "history:prod": 1, "history:staging": 1 });
  });

  it("the bound: the running image stays protected through keepHistory - 1 failed promotions after it, not more", () => {
    const failing = (failures: number) => {
      const s = script().builds(0, 1).promote(0, "staging").promote(0, "prod", false, 1).evaluate(0);
      // Each day a new build reaches staging, and prod's deploy of it fails: prod still runs build 1.
      for (let day = 1; day <= failures; day++) {
        s.builds(day, 1).promote(day, "staging").promote(day, "prod", true, 1).evaluate(day);
      }
      for (let day = failures + 1; day <= failures + 4; day++) s.builds(day, 10).evaluate(day);
      return runHistory(current, guarantees, s.events, START).violations;
    };
    assert.deepEqual(failing(keepHistory.prod - 1), []);
    assert.deepEqual(failing(keepHistory.prod), [
      { property: "running", of: "prod", digest: digest(1), day: keepHistory.prod + 3 },
    ]);
  });
});

/** The digest of the n-th build of a simulated history. */
function digest(n: number): string {
  return `sha256:${n.toString(16).padStart(64, "0")}`;
}
