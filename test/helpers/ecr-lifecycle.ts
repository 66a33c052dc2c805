/**
 * A small, pure model of how ECR applies a lifecycle policy to a repository, and of a repository's tags, for
 * checking the policies this program registers against histories of builds and promotions.
 *
 * Semantics, from the Amazon ECR User Guide, "How lifecycle policies work" / "Lifecycle policy evaluation
 * rules" (https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html) and "Lifecycle
 * policy properties" (lifecycle_policy_parameters.html); test/lifecycle-sim.test.ts reproduces the worked
 * examples of "Examples of lifecycle policies" (lifecycle_policy_examples.html):
 * - all rules are evaluated at once, then applied by `rulePriority`, lowest first; an image is expired by
 *   exactly one or zero rules;
 * - an image that matches the tagging requirements of a rule cannot be expired by a rule with a lower
 *   priority (a higher `rulePriority` value); later rules still count it ("identify them as if they
 *   haven't been expired");
 * - `tagStatus`: `tagged` (with `tagPatternList` or `tagPrefixList`: an image matches when *every* pattern,
 *   or prefix, matches one of its tags; `*` is the only wildcard, at most 4 per pattern), `untagged`
 *   (neither list), `any` (every image; such a rule must have the highest `rulePriority`);
 * - `imageCountMoreThan` N: the matching images sorted newest first by *push* time, all after the first N
 *   are marked; `sinceImagePushed` N `days`: every matching image pushed more than N days ago. Expiry is
 *   always by push time: adding or moving a tag never makes an image younger (the push time is all ECR
 *   keeps: aws/containers-roadmap#2746);
 * - `countNumber` is a positive integer; `countUnit` only with `sinceImagePushed`; unique `rulePriority`;
 *   one rule at most selects untagged images; the selections are unique.
 * Mutability (user guide, "Image tag mutability"; API reference, ImageTagMutabilityExclusionFilter): in an
 * IMMUTABLE_WITH_EXCLUSION repository a tag that no WILDCARD exclusion filter matches can never move.
 */

export const DAY_MS = 24 * 60 * 60 * 1000;

export interface SimSelection {
  readonly tagStatus: "tagged" | "untagged" | "any";
  readonly tagPatternList?: readonly string[];
  readonly tagPrefixList?: readonly string[];
  readonly countType: "imageCountMoreThan" | "sinceImagePushed";
  readonly countUnit?: "days";
  readonly countNumber: number;
}

export interface SimRule {
  readonly rulePriority: number;
  readonly description?: string;
  readonly selection: SimSelection;
  readonly action: { readonly type: "expire" };
}

/** A lifecycle policy as JSON has it (the program's `LifecyclePolicy` is one). */
export interface SimPolicy {
  readonly rules: readonly SimRule[];
}

export interface SimImage {
  readonly digest: string;
  readonly tags: readonly string[];
  /** Push time, epoch milliseconds. */
  readonly pushedAt: number;
}

const compiled = new Map<string, RegExp>();

/** `*` matches any run of characters, everything else itself (lifecycle patterns and WILDCARD filters). */
export function wildcardMatches(pattern: string, tag: string): boolean {
  let re = compiled.get(pattern);
  if (re === undefined) {
    const source = pattern
      .split("*")
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*");
    re = new RegExp(`^${source}$`);
    compiled.set(pattern, re);
  }
  return re.test(tag);
}

/** Whether the rule's tag selection (tagStatus and lists) takes the image. */
export function selects(selection: SimSelection, image: SimImage): boolean {
  switch (selection.tagStatus) {
    case "any":
      return true;
    case "untagged":
      return image.tags.length === 0;
    case "tagged": {
      if (image.tags.length === 0) return false;
      const patterns = selection.tagPatternList ?? [];
      const prefixes = selection.tagPrefixList ?? [];
      return (
        patterns.every((p) => image.tags.some((t) => wildcardMatches(p, t))) &&
        prefixes.every((p) => image.tags.some((t) => t.startsWith(p)))
      );
    }
  }
}

/** The policy problems ECR refuses a policy for; empty when it would accept it. */
export function policyProblems(policy: SimPolicy): string[] {
  const problems: string[] = [];
  const rules = policy.rules;
  const priorities = rules.map((r) => r.rulePriority);
  if (new Set(priorities).size !== priorities.length) problems.push("rulePriority values must be unique");
  const highest = Math.max(...priorities);
  const selections = new Set<string>();
  for (const r of rules) {
    const s = r.selection;
    const at = `rule ${r.rulePriority}`;
    if (!Number.isInteger(r.rulePriority) || r.rulePriority < 1) problems.push(`${at}: bad rulePriority`);
    if (!Number.isInteger(s.countNumber) || s.countNumber < 1) {
      problems.push(`${at}: countNumber must be a positive integer`);
    }
    if ((s.countType === "sinceImagePushed") !== (s.countUnit === "days")) {
      problems.push(`${at}: countUnit "days" goes with sinceImagePushed, and only with it`);
    }
    const lists = (s.tagPatternList?.length ?? 0) + (s.tagPrefixList?.length ?? 0);
    if (s.tagStatus === "tagged" && lists === 0) {
      problems.push(`${at}: tagged needs a tagPatternList or a tagPrefixList`);
    }
    if (s.tagStatus !== "tagged" && (s.tagPatternList !== undefined || s.tagPrefixList !== undefined)) {
      problems.push(`${at}: ${s.tagStatus} takes no tag list`);
    }
    if (s.tagPatternList !== undefined && s.tagPrefixList !== undefined) {
      problems.push(`${at}: tagPatternList and tagPrefixList together`);
    }
    for (const p of s.tagPatternList ?? []) {
      if (p.split("*").length - 1 > 4) problems.push(`${at}: more than 4 wildcards in "${p}"`);
    }
    if (s.tagStatus === "any" && r.rulePriority !== highest) {
      problems.push(`${at}: a tagStatus any rule must have the highest rulePriority`);
    }
    const key = JSON.stringify([s.tagStatus, s.tagPatternList ?? null, s.tagPrefixList ?? null]);
    if (s.tagStatus !== "any" && selections.has(key)) problems.push(`${at}: the same selection twice`);
    selections.add(key);
  }
  if (rules.filter((r) => r.selection.tagStatus === "untagged").length > 1) {
    problems.push("only one rule may select untagged images");
  }
  return problems;
}

export interface Expiry {
  readonly digest: string;
  /** The rule that expires it. */
  readonly rulePriority: number;
}

/** The images the policy expires at `now` (epoch ms), each with the rule that does. @throws on a bad policy */
export function expiredImages(policy: SimPolicy, images: readonly SimImage[], now: number): Expiry[] {
  const problems = policyProblems(policy);
  if (problems.length > 0) throw new Error(`invalid lifecycle policy: ${problems.join("; ")}`);
  const rules = [...policy.rules].sort((a, b) => a.rulePriority - b.rulePriority);
  /** Images some earlier rule's selection took: no later rule may expire them. */
  const taken = new Set<string>();
  const expired = new Map<string, number>();
  for (const rule of rules) {
    const s = rule.selection;
    const matching = images.filter((i) => selects(s, i));
    const marked =
      s.countType === "imageCountMoreThan"
        ? [...matching].sort((a, b) => b.pushedAt - a.pushedAt).slice(s.countNumber)
        : matching.filter((i) => now - i.pushedAt > s.countNumber * DAY_MS);
    for (const image of marked) {
      if (!taken.has(image.digest) && !expired.has(image.digest))
        expired.set(image.digest, rule.rulePriority);
    }
    for (const image of matching) taken.add(image.digest);
  }
  return images
    .filter((i) => expired.has(i.digest))
    .map((i) => ({ digest: i.digest, rulePriority: expired.get(i.digest) as number }));
}

/** A repository: images with push times and tags, tag mutability, and its lifecycle policy. */
export class SimRepository {
  private readonly images = new Map<string, { tags: Set<string>; pushedAt: number }>();

  /**
   * @param mutableTags WILDCARD exclusion filters of an IMMUTABLE_WITH_EXCLUSION repository, or "all" for a
   *   MUTABLE one
   */
  constructor(
    readonly name: string,
    readonly policy: SimPolicy,
    readonly mutableTags: readonly string[] | "all",
  ) {
    const problems = policyProblems(policy);
    if (problems.length > 0) throw new Error(`${name}: invalid lifecycle policy: ${problems.join("; ")}`);
  }

  /** A push: the manifest (new, or present with its first push time kept), then each tag. */
  push(digest: string, tags: readonly string[], at: number): void {
    if (!this.images.has(digest)) this.images.set(digest, { tags: new Set(), pushedAt: at });
    for (const tag of tags) this.tag(digest, tag);
  }

  /** PutImage of a present manifest under `tag`: moves the tag. @throws when the image is gone or the tag immutable */
  tag(digest: string, tag: string): void {
    const image = this.images.get(digest);
    if (image === undefined) throw new Error(`${this.name}: ${digest} is not in the repository`);
    const holder = this.digestOf(tag);
    if (holder === digest) return;
    if (holder !== undefined) {
      const mutable = this.mutableTags === "all" || this.mutableTags.some((f) => wildcardMatches(f, tag));
      if (!mutable) throw new Error(`${this.name}: tag ${tag} is immutable and already on ${holder}`);
      this.images.get(holder)?.tags.delete(tag);
    }
    image.tags.add(tag);
  }

  has(digest: string): boolean {
    return this.images.has(digest);
  }

  digestOf(tag: string): string | undefined {
    for (const [digest, image] of this.images) if (image.tags.has(tag)) return digest;
    return undefined;
  }

  tagsOf(digest: string): string[] {
    return [...(this.images.get(digest)?.tags ?? [])];
  }

  get size(): number {
    return this.images.size;
  }

  snapshot(): SimImage[] {
    return [...this.images].map(([digest, i]) => ({ digest, tags: [...i.tags], pushedAt: i.pushedAt }));
  }

  /** One lifecycle run at `now`: deletes what the policy expires and returns it. */
  evaluate(now: number): Expiry[] {
    const expired = expiredImages(this.policy, this.snapshot(), now);
    for (const e of expired) this.images.delete(e.digest);
    return expired;
  }
}
