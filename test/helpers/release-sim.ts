/**
 * Histories of builds and promotions, run against a release scheme (the release repository's lifecycle
 * policy, its mutable tags, the tags a promotion writes) and the cache repositories' policies, through the
 * ECR model of ecr-lifecycle.ts, checking after every lifecycle run what must never expire:
 *
 * - `running`: an image a stack runs (after a failed deploy: the one the service still runs, the circuit
 *   breaker having rolled back, while the tags already moved);
 * - `history`: one of the last `keepHistory` promoted images of staging and prod (the rollback targets);
 * - `builds`: one of the last `keepBuildImages` dev builds (dev's history: its build tags);
 * - `cache`: the `main` scope of a cache repository.
 *
 * Histories are generated from a seed (mulberry32), so every run, and every number a test asserts, is the
 * same. The flow is CI's: dev builds (tags `git-<n>` and `dev`) and deploys; staging promotes dev's last
 * verified digest, prod staging's (a deploy that failed verify-deploy is never promoted); a rollback
 * promotes one of the stack's last promotions again.
 */
import { DAY_MS, SimPolicy, SimRepository } from "./ecr-lifecycle";

export const PROMOTE_STACKS = ["staging", "prod"] as const;
export type PromoteStack = (typeof PROMOTE_STACKS)[number];
export type Stack = "dev" | PromoteStack;
const UPSTREAM: Readonly<Record<PromoteStack, Stack>> = { staging: "dev", prod: "staging" };

/** What a version of the program registers and does, as far as expiry goes. */
export interface ReleaseScheme {
  readonly releasePolicy: SimPolicy;
  /** The release repository's tag mutability exclusion filters. */
  readonly mutableTags: readonly string[];
  /** Each cache repository's policy, by stage. */
  readonly cachePolicies: Readonly<Record<string, SimPolicy>>;
  readonly mainScope: string;
  /** The tags one promotion writes, in order, and the slot it took (the next promotion's `previousSlot`). */
  promotionTags(
    stack: PromoteStack,
    previousSlot: number | undefined,
    at: Date,
  ): { tags: string[]; slot?: number };
}

/** What must survive: the committed config's values. */
export interface Guarantees {
  readonly keepBuildImages: number;
  readonly keepHistory: Readonly<Record<PromoteStack, number>>;
}

export type Event =
  | { readonly at: number; readonly kind: "build"; readonly deployFails: boolean }
  /** A build in another scope than main (`pr-<n>`): its cache lands under that tag, for the stale-scope rule. */
  | { readonly at: number; readonly kind: "pr-build"; readonly pr: number }
  | {
      readonly at: number;
      readonly kind: "promote";
      readonly stack: PromoteStack;
      readonly deployFails: boolean;
    }
  | { readonly at: number; readonly kind: "rollback"; readonly stack: PromoteStack; readonly back: number }
  | { readonly at: number; readonly kind: "evaluate" };

export interface HistoryOptions {
  readonly seed: number;
  readonly days: number;
  /** Day 0, epoch ms (midnight UTC). */
  readonly start: number;
  /** Days (from, to inclusive) without any prod promotion; a prod rollback opens the day after each. */
  readonly prodFreezes: readonly { readonly from: number; readonly to: number }[];
  /** Days with 50 builds. */
  readonly burstDays: readonly number[];
  /** Chance that a promotion's deploy fails (the tags moved, the service still runs the previous image). */
  readonly failureRate: number;
  /** Consecutive failed deploys per promote stack at most (the protection's bound: keepHistory - 1). */
  readonly maxFailureStreak: number;
  /** Rollbacks go back at most this many promotions (keepHistory - 1 keeps them within the history). */
  readonly maxRollbackDepth: number;
}

export const BURST_BUILDS = 50;

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A generated history: builds every weekday (bursts, weekends), promotions, freezes, failures, rollbacks. */
export function generateHistory(o: HistoryOptions): Event[] {
  const rand = prng(o.seed);
  const int = (min: number, max: number) => min + Math.floor(rand() * (max - min + 1));
  const at = (day: number, fromHour: number, toHour: number) =>
    o.start + day * DAY_MS + Math.floor((fromHour + rand() * (toHour - fromHour)) * 3600) * 1000;
  const frozen = (day: number) => o.prodFreezes.some((f) => day >= f.from && day <= f.to);
  const streak: Record<PromoteStack, number> = { staging: 0, prod: 0 };
  const deployFails = (stack: PromoteStack): boolean => {
    const fails = streak[stack] < o.maxFailureStreak && rand() < o.failureRate;
    streak[stack] = fails ? streak[stack] + 1 : 0;
    return fails;
  };
  const events: Event[] = [];
  for (let day = 0; day < o.days; day++) {
    const weekend = day % 7 >= 5;
    const builds = o.burstDays.includes(day) ? BURST_BUILDS : weekend ? int(0, 2) : int(1, 8);
    for (let i = 0; i < builds; i++)
      events.push({ at: at(day, 6, 20), kind: "build", deployFails: rand() < 0.05 });
    for (let i = int(0, weekend ? 0 : 4); i > 0; i--)
      events.push({ at: at(day, 6, 20), kind: "pr-build", pr: int(1, 40) });
    if (o.prodFreezes.some((f) => f.to === day - 1)) {
      // The end of a freeze: prod goes back to the image it ran before its last promotion.
      events.push({ at: at(day, 5, 6), kind: "rollback", stack: "prod", back: 1 });
      streak.prod = 0;
    }
    if (!weekend) {
      for (const [stack, chance] of [
        ["staging", 0.9],
        ["staging", 0.3],
        ["prod", frozen(day) ? 0 : 0.45],
      ] as const) {
        if (rand() < chance) {
          events.push({ at: at(day, 8, 22), kind: "promote", stack, deployFails: deployFails(stack) });
        }
      }
      for (const stack of ["staging", "prod"] as const) {
        if (rand() < 0.08 && !(stack === "prod" && frozen(day))) {
          events.push({ at: at(day, 8, 22), kind: "rollback", stack, back: int(1, o.maxRollbackDepth) });
          streak[stack] = 0;
        }
      }
    }
    events.push({ at: at(day, 0, 24), kind: "evaluate" });
  }
  // Stable: events at the same second keep the order above.
  return events
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.at - b.e.at || a.i - b.i)
    .map(({ e }) => e);
}

export type Property = "running" | "history" | "builds" | "cache";

export interface Violation {
  readonly property: Property;
  /** The stack (or the cache stage) it is about. */
  readonly of: string;
  readonly digest: string;
  /** Day of the lifecycle run that expired it. */
  readonly day: number;
}

export interface RunResult {
  /** Each image that broke a property, once (its first lifecycle run). */
  readonly violations: readonly Violation[];
  readonly stats: {
    readonly builds: number;
    readonly prBuilds: number;
    readonly promotions: Readonly<Record<PromoteStack, number>>;
    readonly failedDeploys: Readonly<Record<Stack, number>>;
    /** Failed promote deploys, and how many of the images they left running later expired while running. */
    readonly imagesLeftRunning: number;
    readonly imagesLeftRunningLost: number;
    readonly rollbacks: Readonly<Record<PromoteStack, number>>;
    /** Rollbacks whose target had expired: they cannot run. */
    readonly rollbacksImpossible: Readonly<Record<PromoteStack, number>>;
    /**
     * Promotions after which the one-step rollback target (the image promoted before) had expired by the
     * time the next promotion came (or the history ended), of the promotions that had one.
     */
    readonly oneStepTargetLost: Readonly<Record<PromoteStack, readonly [lost: number, of: number]>>;
    readonly maxReleaseImages: number;
    readonly lifecycleRuns: number;
  };
}

const digestOf = (n: number) => `sha256:${n.toString(16).padStart(64, "0")}`;

/** Runs `events` against `scheme` and checks `guarantees` after every lifecycle run. */
export function runHistory(
  scheme: ReleaseScheme,
  guarantees: Guarantees,
  events: readonly Event[],
  start: number,
): RunResult {
  const release = new SimRepository("release", scheme.releasePolicy, scheme.mutableTags);
  const stages = Object.keys(scheme.cachePolicies);
  const cache = Object.fromEntries(
    stages.map((s) => [s, new SimRepository(`cache/${s}`, scheme.cachePolicies[s], "all")]),
  );
  const cacheMain: Record<string, string> = {};
  let manifests = 0;
  const builds: string[] = [];
  const running: Partial<Record<Stack, string>> = {};
  const verified: Partial<Record<Stack, string>> = {};
  const log: Record<PromoteStack, string[]> = { staging: [], prod: [] };
  const slot: Partial<Record<PromoteStack, number>> = {};
  const violations = new Map<string, Violation>();
  const leftRunning = new Set<string>();
  const lostRunning = new Set<string>();
  const stats = {
    builds: 0,
    prBuilds: 0,
    promotions: { staging: 0, prod: 0 },
    failedDeploys: { dev: 0, staging: 0, prod: 0 },
    rollbacks: { staging: 0, prod: 0 },
    rollbacksImpossible: { staging: 0, prod: 0 },
    oneStepTargetLost: { staging: [0, 0] as [number, number], prod: [0, 0] as [number, number] },
    maxReleaseImages: 0,
    lifecycleRuns: 0,
  };
  const violate = (v: Violation) => {
    const key = `${v.property}:${v.of}:${v.digest}`;
    if (!violations.has(key)) violations.set(key, v);
  };
  const oneStep = (stack: PromoteStack) => {
    const previous = log[stack].at(-2);
    if (previous === undefined) return;
    stats.oneStepTargetLost[stack][1]++;
    if (!release.has(previous)) stats.oneStepTargetLost[stack][0]++;
  };
  const promote = (stack: PromoteStack, digest: string, at: number, fails: boolean) => {
    oneStep(stack);
    const { tags, slot: taken } = scheme.promotionTags(stack, slot[stack], new Date(at));
    for (const tag of tags) release.tag(digest, tag);
    slot[stack] = taken;
    log[stack].push(digest);
    stats.promotions[stack]++;
    if (fails) {
      stats.failedDeploys[stack]++;
      if (running[stack] !== undefined) leftRunning.add(`${stack}:${running[stack]}`);
    } else {
      running[stack] = digest;
      verified[stack] = digest;
    }
  };

  for (const e of events) {
    const day = Math.floor((e.at - start) / DAY_MS);
    switch (e.kind) {
      case "build": {
        stats.builds++;
        const digest = digestOf(stats.builds);
        release.push(digest, [`git-${String(stats.builds).padStart(6, "0")}`, "dev"], e.at);
        builds.push(digest);
        for (const s of stages) {
          cacheMain[s] = digestOf(++manifests);
          cache[s].push(cacheMain[s], [scheme.mainScope], e.at);
        }
        if (e.deployFails) stats.failedDeploys.dev++;
        else running.dev = verified.dev = digest;
        break;
      }
      case "pr-build":
        stats.prBuilds++;
        for (const s of stages) cache[s].push(digestOf(++manifests), [`pr-${e.pr}`], e.at);
        break;
      case "promote": {
        const digest = verified[UPSTREAM[e.stack]];
        if (digest === undefined) break;
        promote(e.stack, digest, e.at, e.deployFails);
        break;
      }
      case "rollback": {
        const target = log[e.stack].at(-1 - e.back);
        if (target === undefined) break;
        stats.rollbacks[e.stack]++;
        if (!release.has(target)) {
          stats.rollbacksImpossible[e.stack]++;
          break;
        }
        promote(e.stack, target, e.at, false);
        break;
      }
      case "evaluate": {
        stats.lifecycleRuns++;
        stats.maxReleaseImages = Math.max(stats.maxReleaseImages, release.size);
        release.evaluate(e.at);
        for (const s of stages) cache[s].evaluate(e.at);
        for (const stack of ["dev", ...PROMOTE_STACKS] as const) {
          const digest = running[stack];
          if (digest !== undefined && !release.has(digest)) {
            violate({ property: "running", of: stack, digest, day });
            if (leftRunning.has(`${stack}:${digest}`)) lostRunning.add(`${stack}:${digest}`);
          }
        }
        for (const stack of PROMOTE_STACKS) {
          for (const digest of new Set(log[stack].slice(-guarantees.keepHistory[stack]))) {
            if (!release.has(digest)) violate({ property: "history", of: stack, digest, day });
          }
        }
        for (const digest of builds.slice(-guarantees.keepBuildImages)) {
          if (!release.has(digest)) violate({ property: "builds", of: "dev", digest, day });
        }
        for (const s of stages) {
          if (cacheMain[s] !== undefined && cache[s].digestOf(scheme.mainScope) !== cacheMain[s]) {
            violate({ property: "cache", of: s, digest: cacheMain[s], day });
          }
        }
        break;
      }
    }
  }
  // The last promotions' targets, at the end of the history.
  for (const stack of PROMOTE_STACKS) oneStep(stack);
  return {
    violations: [...violations.values()],
    stats: { ...stats, imagesLeftRunning: leftRunning.size, imagesLeftRunningLost: lostRunning.size },
  };
}

/** How many violations of each property, per stack. */
export function countViolations(violations: readonly Violation[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of violations) counts[`${v.property}:${v.of}`] = (counts[`${v.property}:${v.of}`] ?? 0) + 1;
  return counts;
}
