/**
 * The release repository's promotion tags, besides the build tags (`git-…`) and the environment tags
 * (`staging`, `prod`, which move on every promotion):
 *
 * - history tag `<env>-<UTC timestamp>` (`prod-20261129T231600Z`): one per promotion, immutable, never
 *   moved. The record of what was promoted when (ECR keeps no time per tag, only the image's push time),
 *   read by `npm run history`.
 * - slot tag `<env>-slot-<i>` (`prod-slot-3`): `keepHistory` mutable tags per promoted environment, moved
 *   round-robin, one per promotion, so the last `keepHistory` promoted digests each hold one. The release
 *   lifecycle policy protects every slot with a rule of its own (infra/lifecycle.ts): the last promotions
 *   never expire, whatever their push time (ECR's `imageCountMoreThan` keeps the newest by *push* time, so a
 *   rule on `prod-*` would not keep the last promotions once a rollback promotes an old image).
 *
 * Only constants and plain function declarations, no imports: the environment tag's dynamic provider calls
 * `nextSlot`, `promotionTime` and `promotionTags`, and the SDK serializes them by value into the provider text (see
 * infra/environment-tag.ts). So no function here may reach another export of this module through `exports`:
 * they call each other only as function declarations.
 */

/** `prod`, 3 → `prod-slot-3`. */
export function slotTag(environment: string, slot: number): string {
  return `${environment}-slot-${slot}`;
}

/** `prod`, 2026-11-29T23:16:00.123Z → `prod-20261129T231600Z` (UTC, to the second). */
export function historyTag(environment: string, at: Date): string {
  return `${environment}-${at.toISOString().slice(0, 19).replace(/[-:]/g, "")}Z`;
}

/**
 * The slot a promotion takes: the one after the previous promotion's, round-robin over `keepHistory` slots,
 * so it overwrites the oldest of the last `keepHistory` promotions; slot 0 for an environment's first
 * promotion (or its first under this scheme).
 */
export function nextSlot(previous: number | undefined, keepHistory: number): number {
  return previous === undefined ? 0 : (previous + 1) % keepHistory;
}

/**
 * The tags a promotion puts on the promoted digest, in the order they are written: the slot first (from then
 * on the image is protected), the history tag, then the environment tag (which unprotects nothing: the
 * image it leaves keeps its own slot).
 */
export function promotionTags(environment: string, slot: number, at: Date): string[] {
  return [slotTag(environment, slot), historyTag(environment, at), environment];
}

/**
 * The time a promotion records: `now`, but at least a second after the environment's previous promotion
 * (its history tag), so two promotions never share a history tag (it is immutable: ECR would refuse the
 * second).
 */
export function promotionTime(now: Date, environment: string, previousHistoryTag?: string): Date {
  const previous =
    previousHistoryTag === undefined ? undefined : historyTime(previousHistoryTag, environment);
  const earliest = previous === undefined ? 0 : Math.floor(previous.getTime() / 1000) * 1000 + 1000;
  return now.getTime() >= earliest ? now : new Date(earliest);
}

/** The promotion time of a history tag of `environment`; undefined for any other tag. */
export function historyTime(tag: string, environment: string): Date | undefined {
  const prefix = `${environment}-`;
  if (!tag.startsWith(prefix)) return undefined;
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(tag.slice(prefix.length));
  if (m === null) return undefined;
  const at = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/** The slot number of a slot tag of `environment`; undefined for any other tag. */
export function slotOf(tag: string, environment: string): number | undefined {
  const prefix = `${environment}-slot-`;
  const rest = tag.startsWith(prefix) ? tag.slice(prefix.length) : "";
  return /^(?:0|[1-9]\d*)$/.test(rest) ? Number(rest) : undefined;
}

/**
 * The environments that are promoted (take slots and history tags): all but the first, which builds
 * (`ENVIRONMENT_TAGS` is in promotion order).
 */
export function promotedEnvironments(environmentTags: readonly string[]): string[] {
  return environmentTags.slice(1);
}

/** ECR's limit on a repository's tag mutability exclusion filters (API reference, PutImageTagMutability). */
const maxExclusionFilters = 5;
export { maxExclusionFilters as MAX_EXCLUSION_FILTERS };

/**
 * The tags of the immutable release repository that may move, as WILDCARD exclusion filters: every
 * environment tag, and the slots of each promoted environment (`prod-slot-*`). History tags and build tags
 * stay immutable. With dev, staging and prod that is 5 filters: ECR's maximum.
 * @throws when the environments need more filters than ECR allows
 */
export function mutableTagFilters(environmentTags: readonly string[]): string[] {
  const filters = [
    ...environmentTags,
    ...promotedEnvironments(environmentTags).map((env) => `${env}-slot-*`),
  ];
  if (filters.length > maxExclusionFilters) {
    throw new Error(
      `${environmentTags.length} environment tags need ${filters.length} tag mutability exclusion filters ` +
        `(${filters.join(", ")}); ECR allows at most ${maxExclusionFilters}`,
    );
  }
  return filters;
}
