import { strict as assert } from "node:assert";

import { resolveSecret, secretsPolicyDocument, type SecretGrant } from "../infra/secrets";

const WHERE = { partition: "aws", region: "eu-central-1", accountId: "123456789012" };
const SM_ARN = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:voxpersona/dev/database-url-AbCdEf";
const SSM_ARN = "arn:aws:ssm:eu-central-1:123456789012:parameter/voxpersona/dev/bot-token";

describe("resolveSecret", () => {
  it("turns a Secrets Manager name into the name for ECS and a 6-character-suffix ARN for IAM", () => {
    assert.deepEqual(resolveSecret("DATABASE_URL", "voxpersona/dev/database-url", WHERE), {
      env: "DATABASE_URL",
      valueFrom: "voxpersona/dev/database-url",
      iamResource:
        "arn:aws:secretsmanager:eu-central-1:123456789012:secret:voxpersona/dev/database-url-??????",
      action: "secretsmanager:GetSecretValue",
    });
  });

  it("builds the IAM ARN from the given partition, region and account", () => {
    const grant = resolveSecret("API_KEY", "k", {
      partition: "aws-cn",
      region: "cn-north-1",
      accountId: "000000000001",
    });
    assert.equal(grant.iamResource, "arn:aws-cn:secretsmanager:cn-north-1:000000000001:secret:k-??????");
  });

  it("accepts every character Secrets Manager allows in a name, up to 512 of them", () => {
    const name = "a/b_c+d=e.f@g-h";
    assert.equal(resolveSecret("X", name, WHERE).valueFrom, name);
    assert.equal(resolveSecret("X", "n".repeat(512), WHERE).valueFrom, "n".repeat(512));
  });

  it("uses a full Secrets Manager ARN as is, for ECS and IAM", () => {
    assert.deepEqual(resolveSecret("DATABASE_URL", SM_ARN, WHERE), {
      env: "DATABASE_URL",
      valueFrom: SM_ARN,
      iamResource: SM_ARN,
      action: "secretsmanager:GetSecretValue",
    });
  });

  it("accepts a full Secrets Manager ARN from another region of the same partition", () => {
    const other = "arn:aws:secretsmanager:us-east-1:123456789012:secret:shared-Zz0099";
    assert.equal(resolveSecret("X", other, WHERE).iamResource, other);
  });

  it("uses an SSM parameter ARN as is, with ssm:GetParameters", () => {
    assert.deepEqual(resolveSecret("BOT_TOKEN", SSM_ARN, WHERE), {
      env: "BOT_TOKEN",
      valueFrom: SSM_ARN,
      iamResource: SSM_ARN,
      action: "ssm:GetParameters",
    });
  });

  it("refuses invalid env var names", () => {
    for (const env of ["database_url", "1TOKEN", "BOT-TOKEN", ""]) {
      assert.throws(() => resolveSecret(env, "x", WHERE), {
        message:
          `secret env name "${env}" is invalid: use upper-case letters, digits and "_" and do not start ` +
          `with a digit (e.g. DATABASE_URL)`,
      });
    }
  });

  it("refuses a malformed location", () => {
    assert.throws(() => resolveSecret("X", "x", { ...WHERE, partition: "azure" }), {
      message: 'secret X: partition "azure" is not an AWS partition (e.g. "aws")',
    });
    assert.throws(() => resolveSecret("X", "x", { ...WHERE, region: "europe" }), {
      message: 'secret X: region "europe" is not an AWS region (e.g. "eu-central-1")',
    });
    assert.throws(() => resolveSecret("X", "x", { ...WHERE, accountId: "1234" }), {
      message: 'secret X: accountId "1234" must be 12 digits',
    });
  });

  it("refuses names with characters Secrets Manager does not allow, empty names and names over 512", () => {
    for (const ref of ["voxpersona dev", "a:b", "x#y", "", "n".repeat(513)]) {
      assert.throws(() => resolveSecret("X", ref, WHERE), {
        message:
          `secret X: "${ref}" is not a valid Secrets Manager secret name: use 1-512 characters from ` +
          `A-Z a-z 0-9 / _ + = . @ -`,
      });
    }
  });

  it("refuses an SSM-style name with a leading slash and says to give the ARN", () => {
    assert.throws(() => resolveSecret("BOT_TOKEN", "/voxpersona/dev/bot-token", WHERE), {
      message:
        'secret BOT_TOKEN: "/voxpersona/dev/bot-token" looks like an SSM parameter name; give its ARN ' +
        "(arn:<partition>:ssm:<region>:<account>:parameter/voxpersona/dev/bot-token) or a Secrets Manager " +
        'secret name without a leading "/"',
    });
  });

  it("refuses a partial Secrets Manager ARN (no 6-character suffix)", () => {
    const partial = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:voxpersona/dev/database-url";
    assert.throws(() => resolveSecret("DATABASE_URL", partial, WHERE), {
      message:
        `secret DATABASE_URL: "${partial}" is a partial Secrets Manager ARN (no 6-character suffix); use ` +
        'the full ARN as shown by "aws secretsmanager describe-secret" or just the secret name',
    });
  });

  it("refuses ARNs of other services, JSON-key suffixes and malformed ARNs", () => {
    for (const ref of [
      "arn:aws:s3:::bucket/key",
      `${SM_ARN}:password::`,
      "arn:aws:secretsmanager:eu-central-1:12345:secret:x-AbCdEf",
      "arn:aws:ssm:eu-central-1:123456789012:parameter",
    ]) {
      assert.throws(() => resolveSecret("X", ref, WHERE), {
        message:
          `secret X: "${ref}" is not a Secrets Manager secret ARN ` +
          "(arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<6 chars>) nor an SSM parameter " +
          "ARN (arn:<partition>:ssm:<region>:<account>:parameter/<name>); JSON keys and version suffixes " +
          "are not supported",
      });
    }
  });

  it("refuses ARNs from another partition than the stack's", () => {
    const cn = "arn:aws-cn:ssm:cn-north-1:123456789012:parameter/p";
    assert.throws(() => resolveSecret("X", cn, WHERE), {
      message:
        `secret X: ARN "${cn}" is in partition "aws-cn" but the stack deploys to partition "aws"; ` +
        "reference a secret in the stack's partition",
    });
    const cnSm = "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:s-AbCdEf";
    assert.throws(() => resolveSecret("X", cnSm, WHERE), /is in partition "aws-cn"/);
  });
});

describe("secretsPolicyDocument", () => {
  const grant = (env: string, ref: string): SecretGrant => resolveSecret(env, ref, WHERE);

  it("returns an empty statement list for no grants", () => {
    assert.deepEqual(secretsPolicyDocument([]), { Version: "2012-10-17", Statement: [] });
  });

  it("groups by action, sorts actions and resources, and drops duplicates", () => {
    const doc = secretsPolicyDocument([
      grant("BOT_TOKEN", SSM_ARN),
      grant("OPENAI_API_KEY", "voxpersona/dev/openai"),
      grant("DATABASE_URL", SM_ARN),
      grant("DATABASE_URL_RO", SM_ARN),
      grant("ANTHROPIC_API_KEY", "voxpersona/dev/anthropic"),
    ]);
    assert.deepEqual(doc, {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "ReadSecretsManagerSecrets",
          Effect: "Allow",
          Action: ["secretsmanager:GetSecretValue"],
          Resource: [
            "arn:aws:secretsmanager:eu-central-1:123456789012:secret:voxpersona/dev/anthropic-??????",
            SM_ARN,
            "arn:aws:secretsmanager:eu-central-1:123456789012:secret:voxpersona/dev/openai-??????",
          ],
        },
        {
          Sid: "ReadSsmParameters",
          Effect: "Allow",
          Action: ["ssm:GetParameters"],
          Resource: [SSM_ARN],
        },
      ],
    });
  });

  it("emits only the statement for the store actually used", () => {
    assert.deepEqual(secretsPolicyDocument([grant("BOT_TOKEN", SSM_ARN)]).Statement, [
      { Sid: "ReadSsmParameters", Effect: "Allow", Action: ["ssm:GetParameters"], Resource: [SSM_ARN] },
    ]);
  });

  it("never grants a wildcard other than the 6-character secret suffix", () => {
    const doc = secretsPolicyDocument([grant("A", "a"), grant("B", SM_ARN), grant("C", SSM_ARN)]);
    for (const statement of doc.Statement) {
      for (const resource of statement.Resource) {
        assert.ok(!resource.replace(/-\?{6}$/, "").includes("*"), resource);
        assert.ok(!resource.replace(/-\?{6}$/, "").includes("?"), resource);
      }
    }
  });
});
