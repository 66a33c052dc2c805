/** The promotion tags (infra/release-tags.ts): names, slot order, promotion times, mutable tags. */
import { strict as assert } from "node:assert";
import { ENVIRONMENT_TAGS } from "../infra/promotion";
import {
  MAX_EXCLUSION_FILTERS,
  historyTag,
  historyTime,
  mutableTagFilters,
  nextSlot,
  promotionTags,
  promotionTime,
  slotOf,
  slotTag,
} from "../infra/release-tags";
import { wildcardMatches } from "./helpers/ecr-lifecycle";

const AT = new Date("2026-11-29T23:16:00.789Z");

describe("promotion tags", () => {
  it("name a slot and a promotion time, and read back", () => {
    assert.equal(slotTag("prod", 3), "prod-slot-3");
    assert.equal(historyTag("prod", AT), "prod-20261129T231600Z");
    assert.deepEqual(historyTime("prod-20261129T231600Z", "prod"), new Date("2026-11-29T23:16:00Z"));
    assert.equal(slotOf("prod-slot-3", "prod"), 3);
    for (const other of [
      "staging-20261129T231600Z",
      "prod-slot-3",
      "prod-20261399T231600Z",
      "prod",
      "git-1",
    ]) {
      assert.equal(historyTime(other, "prod"), undefined, other);
    }
    for (const other of ["prod-slot-", "prod-slot-03", "prod-slot-x", "staging-slot-1", "prod"]) {
      assert.equal(slotOf(other, "prod"), undefined, other);
    }
  });

  it("take the slots round-robin, starting at 0, and wrap to fewer slots", () => {
    const slots: number[] = [];
    let slot: number | undefined;
    for (let i = 0; i < 7; i++) slots.push((slot = nextSlot(slot, 5)));
    assert.deepEqual(slots, [0, 1, 2, 3, 4, 0, 1]);
    assert.equal(nextSlot(4, 3), 2);
    assert.equal(nextSlot(0, 1), 0);
  });

  it("are written slot first, environment tag last", () => {
    assert.deepEqual(promotionTags("staging", 2, AT), [
      "staging-slot-2",
      "staging-20261129T231600Z",
      "staging",
    ]);
  });

  it("record each promotion at least a second after the previous one, so no two share a history tag", () => {
    assert.equal(promotionTime(AT, "prod"), AT);
    assert.equal(promotionTime(AT, "prod", "prod-20261129T231500Z"), AT);
    assert.deepEqual(promotionTime(AT, "prod", "prod-20261129T231600Z"), new Date("2026-11-29T23:16:01Z"));
    assert.deepEqual(promotionTime(AT, "prod", "prod-20261129T231700Z"), new Date("2026-11-29T23:17:01Z"));
    // Another stack's tag, or none at all, says nothing about this one.
    assert.equal(promotionTime(AT, "prod", "staging-20261129T231700Z"), AT);
  });

  it("may move only the environment tags and the slots: 5 filters, ECR's maximum", () => {
    const filters = mutableTagFilters(ENVIRONMENT_TAGS);
    assert.deepEqual(filters, ["dev", "staging", "prod", "staging-slot-*", "prod-slot-*"]);
    assert.equal(filters.length, MAX_EXCLUSION_FILTERS);
    const mutable = (tag: string) => filters.some((f) => wildcardMatches(f, tag));
    for (const tag of ["prod", "dev", "prod-slot-0", "staging-slot-9"]) assert.ok(mutable(tag), tag);
    for (const tag of ["prod-20261129T231600Z", "git-3f9c2ab-81d04e7", "dev-slot-0", "production", "prod-"]) {
      assert.ok(!mutable(tag), tag);
    }
    assert.throws(
      () => mutableTagFilters(["dev", "qa", "staging", "prod"]),
      new Error(
        "4 environment tags need 7 tag mutability exclusion filters (dev, qa, staging, prod, qa-slot-*, " +
          "staging-slot-*, prod-slot-*); ECR allows at most 5",
      ),
    );
  });
});
