import { strict as assert } from "node:assert";
import {
  AWS_REGION_PATTERN,
  DIGEST_PATTERN,
  ECR_REPOSITORY_PATTERN,
  IMAGE_TAG_PATTERN,
  KMS_KEY_ARN_PATTERN,
  SECRET_NAME_PATTERN,
} from "../infra/patterns";
import { ENVIRONMENT_TAGS, isEnvironment, upstreamOf } from "../infra/promotion";

/** Each pattern: what it must accept, and what it must refuse. */
const CASES: [string, RegExp, string[], string[]][] = [
  [
    "AWS region",
    AWS_REGION_PATTERN,
    ["eu-central-1", "us-gov-west-1", "cn-north-1", "us-isob-east-1", "ap-southeast-5"],
    ["Frankfurt", "eu-central", "eu-central-1a", "EU-CENTRAL-1", ""],
  ],
  [
    "digest",
    DIGEST_PATTERN,
    [`sha256:${"0a".repeat(32)}`],
    [`sha256:${"A".repeat(64)}`, `sha256:${"a".repeat(63)}`, "latest", `sha512:${"a".repeat(64)}`],
  ],
  [
    "image tag",
    IMAGE_TAG_PATTERN,
    ["dev", "git-3f9c2ab-81d04e7", "pr-42", "_x", "v1.2", "a".repeat(128)],
    ["feature/x", "-x", ".x", "", "a".repeat(129)],
  ],
  [
    "secret name",
    SECRET_NAME_PATTERN,
    ["voxpersona/dev/database-url", "a+b=c.d@e_f"],
    ["voxpersona dev", "a:b", "", "n".repeat(513)],
  ],
  [
    "ECR repository",
    ECR_REPOSITORY_PATTERN,
    ["voxpersona", "voxpersona/cache/final", "a.b_c-d"],
    ["Voxpersona", "voxpersona/", "-vox", "vox//cache"],
  ],
  [
    "KMS key ARN",
    KMS_KEY_ARN_PATTERN,
    [
      "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      "arn:aws-us-gov:kms:us-gov-west-1:123456789012:alias/voxpersona",
    ],
    ["key", "arn:aws:kms:eu-central-1:12345:key/x", "arn:aws:s3:eu-central-1:123456789012:key/x"],
  ],
];

describe("identifier patterns (infra/patterns.ts, one definition each)", () => {
  for (const [name, pattern, good, bad] of CASES) {
    it(`${name}: accepts ${good.length}, refuses ${bad.length}`, () => {
      for (const value of good) assert.ok(pattern.test(value), `${name} should accept ${value}`);
      for (const value of bad) assert.ok(!pattern.test(value), `${name} should refuse ${value}`);
    });
  }
});

describe("environments (infra/promotion.ts)", () => {
  it("are the stacks, in promotion order, each promoting the one before it", () => {
    assert.deepEqual(ENVIRONMENT_TAGS, ["dev", "staging", "prod"]);
    assert.deepEqual(ENVIRONMENT_TAGS.map(upstreamOf), ["dev", "dev", "staging"]);
    assert.deepEqual(["dev", "qa", "prod"].map(isEnvironment), [true, false, true]);
  });
});
