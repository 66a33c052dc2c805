/**
 * Promotes an image that already exists in ECR, by digest: puts the environment tag (`staging`, `prod`) on
 * it, with the promotion's slot tag and history tag (infra/release-tags.ts).
 *
 * Every tag lands on the same manifest (infra/ecr-tags.ts): no rebuild, no new digest. The release
 * repository's lifecycle policy never expires an image an environment tag or a slot points at, and each
 * promotion takes the slot of the oldest of the environment's last `keepHistory` promotions (round-robin;
 * the resource's state remembers the last slot): the image a stack runs, and the ones it ran before, outlive
 * the stack that built them.
 *
 * The provider is a dynamic provider: the SDK serializes the provider object with everything its functions
 * capture, and Pulumi's dynamic-provider host loads that text with `require-from-string` into a module that
 * has no other exports (`@pulumi/pulumi/cmd/dynamic-provider/index.js`). So nothing the provider calls may
 * be reached through this module's `exports` (which is what CommonJS output makes of a module's own
 * `export const`), and no method may use `this`: everything it uses is a plain local below, exported at the
 * end under a second name for the program and the tests. What it imports from local modules (the ECR tag
 * operations of `./ecr-tags`, the tag names of `./release-tags`, the identifier patterns of `./patterns`)
 * travels with it: the serializer captures an imported local module by value (only the properties used),
 * and a function captured there must not reach its own module's `exports` either.
 * `test/environment-tag.host.test.ts` loads the serialized provider in that host and drives it over gRPC.
 */
import * as pulumi from "@pulumi/pulumi";
import {
  AWS_REGION_PATTERN,
  DIGEST_PATTERN,
  DIGEST_WORDS,
  ECR_REPOSITORY_PATTERN,
  IMAGE_TAG_PATTERN,
} from "./patterns";
import { KEEP_HISTORY } from "./registry/defaults";
import { EcrApi, digestOfTag, tagsByDigest } from "./ecr-tags";
import { nextSlot, promotionTags, promotionTime } from "./release-tags";

export interface EnvironmentTagInputs {
  /**
   * AWS region of the repository.
   * @default required
   */
  readonly region: pulumi.Input<string>;
  /**
   * ECR repository holding the image.
   * @default required
   */
  readonly repositoryName: pulumi.Input<string>;
  /**
   * Digest to tag (`sha256:<64 hex>`): the image must already be in the repository.
   * @default required
   */
  readonly digest: pulumi.Input<string>;
  /**
   * Tag to put on it (the environment's name).
   * @default required
   */
  readonly tag: pulumi.Input<string>;
  /**
   * How many slot tags (`<tag>-slot-<i>`) the environment's promotions take in turn: its last that many
   * promoted images stay protected from expiry (`voxpersona:registry.keepHistory`, 1-10).
   * @default required
   */
  readonly keepHistory: pulumi.Input<number>;
}

export interface TagState {
  readonly region: string;
  readonly repositoryName: string;
  readonly digest: string;
  readonly tag: string;
  /** Absent in state written before promotion slots existed (its next update adopts the digest). */
  readonly keepHistory?: number;
  /** The slot the last promotion took. */
  readonly slot?: number;
  /** The history tag the last promotion put (`prod-20261129T231600Z`). */
  readonly historyTag?: string;
}

/** Loads the AWS SDK inside the host; credentials and endpoint come from the same environment as aws's. */
function ecrClient(region: string): EcrApi {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ECR } = require("@aws-sdk/client-ecr") as typeof import("@aws-sdk/client-ecr");
  return new ECR({ region }) as unknown as EcrApi;
}

/** The state: the inputs, and the last promotion's slot and history tag when there was one. */
function stateOf(inputs: TagState, slot?: number, historyTag?: string): TagState {
  return {
    region: inputs.region,
    repositoryName: inputs.repositoryName,
    digest: inputs.digest,
    tag: inputs.tag,
    ...(inputs.keepHistory === undefined ? {} : { keepHistory: inputs.keepHistory }),
    ...(slot === undefined ? {} : { slot }),
    ...(historyTag === undefined ? {} : { historyTag }),
  };
}

/**
 * One promotion: the slot after the previous promotion's, then the slot tag, a new history tag and the
 * environment tag, all on the digest (infra/release-tags.ts: protection first).
 */
async function promote(inputs: TagState, previous: TagState | undefined): Promise<TagState> {
  const slot = nextSlot(previous?.slot, inputs.keepHistory as number);
  const tags = promotionTags(inputs.tag, slot, promotionTime(new Date(), inputs.tag, previous?.historyTag));
  await tagsByDigest(ecrClient(inputs.region), {
    repositoryName: inputs.repositoryName,
    digest: inputs.digest,
    tags,
  });
  return stateOf(inputs, slot, tags[1]);
}

// The provider validates its own inputs (a program bug or a hand-edited state must not reach PutImage).
function inputFailures(news: Record<string, unknown>): pulumi.dynamic.CheckFailure[] {
  const rules: [keyof TagState, RegExp, string][] = [
    ["region", AWS_REGION_PATTERN, "an AWS region such as eu-central-1"],
    ["repositoryName", ECR_REPOSITORY_PATTERN, "an ECR repository name"],
    ["digest", DIGEST_PATTERN, DIGEST_WORDS],
    ["tag", IMAGE_TAG_PATTERN, "an image tag"],
  ];
  const failures = rules
    .filter(([key, pattern]) => typeof news[key] !== "string" || !pattern.test(news[key] as string))
    .map(([key, , what]) => ({
      property: key,
      reason: `${key} must be ${what} (got ${JSON.stringify(news[key])})`,
    }));
  const keep = news.keepHistory;
  if (!Number.isInteger(keep) || (keep as number) < KEEP_HISTORY.min || (keep as number) > KEEP_HISTORY.max) {
    failures.push({
      property: "keepHistory",
      reason: `keepHistory must be an integer from ${KEEP_HISTORY.min} to ${KEEP_HISTORY.max} (got ${JSON.stringify(keep)})`,
    });
  }
  return failures;
}

const provider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: Record<string, unknown>, news: Record<string, unknown>) {
    return { inputs: news, failures: inputFailures(news) };
  },
  async diff(_id: string, olds: TagState, news: TagState) {
    const changes = (["region", "repositoryName", "digest", "tag", "keepHistory"] as const).filter(
      (k) => olds[k] !== news[k],
    );
    return {
      changes: changes.length > 0,
      // A different repository or tag is a different tag; a new digest moves the same tag (a promotion), a
      // new keepHistory only changes the slots the next promotions take.
      replaces: changes.filter((k) => k !== "digest" && k !== "keepHistory"),
      deleteBeforeReplace: false,
    };
  },
  async create(inputs: TagState) {
    return { id: `${inputs.repositoryName}:${inputs.tag}`, outs: await promote(inputs, undefined) };
  },
  // A new digest is a promotion (or a rollback: a promotion of an older digest). So is the first update of a
  // state from before slots existed: the digest it runs takes slot 0. Otherwise only keepHistory changed.
  async update(_id: string, olds: TagState, news: TagState) {
    if (olds.digest !== news.digest || olds.slot === undefined) return { outs: await promote(news, olds) };
    return { outs: stateOf(news, olds.slot, olds.historyTag) };
  },
  // `pulumi refresh` sees a tag someone moved (the next `up` moves it back) or removed (it is re-created).
  async read(id: string, props: TagState) {
    const digest = await digestOfTag(ecrClient(props.region), props.repositoryName, props.tag);
    return digest === undefined
      ? { id: "", props: {} }
      : { id, props: { ...stateOf(props, props.slot, props.historyTag), digest } };
  },
  // Removing the tag could delete the image (ECR deletes an image with its last tag); the tag stays and the
  // next promotion moves it.
  async delete() {},
};

/** The environment tag of a promoted image (a dynamic resource; see module comment). */
export class EnvironmentTag extends pulumi.dynamic.Resource {
  // `declare`: a plain field would be re-initialised to undefined after super() under ES2022 class fields.
  declare public readonly digest: pulumi.Output<string>;
  declare public readonly tag: pulumi.Output<string>;
  declare public readonly repositoryName: pulumi.Output<string>;
  /** The slot the last promotion took (`<tag>-slot-<slot>`). */
  declare public readonly slot: pulumi.Output<number>;
  /** The last promotion's history tag. */
  declare public readonly historyTag: pulumi.Output<string>;

  constructor(name: string, args: EnvironmentTagInputs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      { slot: undefined, historyTag: undefined, ...args },
      opts,
      "environment-tag",
      "EnvironmentTag",
    );
  }
}

export { provider as environmentTagProvider };
