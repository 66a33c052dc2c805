import { strict as assert } from "node:assert";

import {
  CredentialInConfigError,
  credentialShape,
  grantFor,
  parseSecretRef,
  secretsPolicyDocument,
} from "../infra/service/secrets";

const REGION = "eu-central-1";
const SM_ARN = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:voxpersona/dev/database-url-AbCdEf";
const SSM_ARN = "arn:aws:ssm:eu-central-1:123456789012:parameter/voxpersona/dev/bot-token";
const parse = (ref: string, stack = "dev") => parseSecretRef("X", ref, stack, REGION);

describe("parseSecretRef", () => {
  it("takes a Secrets Manager name under voxpersona/<stack>/ as a name to resolve", () => {
    assert.deepEqual(parseSecretRef("DATABASE_URL", "voxpersona/dev/database-url", "dev", REGION), {
      env: "DATABASE_URL",
      store: "secretsmanager",
      kind: "name",
      ref: "voxpersona/dev/database-url",
    });
  });

  it("takes an SSM parameter name under /voxpersona/<stack>/ as a name to resolve", () => {
    assert.deepEqual(parse("/voxpersona/prod/bot-token", "prod"), {
      env: "X",
      store: "ssm",
      kind: "name",
      ref: "/voxpersona/prod/bot-token",
    });
  });

  it("takes full ARNs of either store as given", () => {
    assert.deepEqual(parse(SM_ARN), { env: "X", store: "secretsmanager", kind: "arn", ref: SM_ARN });
    assert.deepEqual(parse(SSM_ARN), { env: "X", store: "ssm", kind: "arn", ref: SSM_ARN });
    // Another region of the same partition is fine: IAM can grant it.
    const other = "arn:aws:secretsmanager:us-east-1:123456789012:secret:shared-Zz0099";
    assert.equal(parse(other).ref, other);
  });

  it("confines names to the stack's own prefix: dev can never read prod's secrets", () => {
    for (const [ref, prefix] of [
      ["voxpersona/prod/database-url", "voxpersona/dev/"],
      ["database-url", "voxpersona/dev/"],
      ["voxpersona/dev/", "voxpersona/dev/"],
      ["voxpersona/development/x", "voxpersona/dev/"],
      ["/voxpersona/prod/bot-token", "/voxpersona/dev/"],
    ]) {
      assert.throws(() => parse(ref), {
        message:
          `must sit under "${prefix}": a stack reads only its own secrets (dev can never read prod's); ` +
          `name it ${prefix}x`,
      });
    }
    // The name it suggests is the variable's, in the stack's own prefix.
    assert.throws(() => parseSecretRef("TELEGRAM_BOT_TOKEN", "bot-token", "prod", REGION), {
      message:
        'must sit under "voxpersona/prod/": a stack reads only its own secrets (dev can never read prod\'s); ' +
        "name it voxpersona/prod/telegram-bot-token",
    });
  });

  it("refuses names with characters the store does not allow, empty names and names over the limit", () => {
    for (const ref of ["voxpersona dev", "a:b", "x#y", "", "n".repeat(513)]) {
      assert.throws(() => parse(ref), {
        message:
          "is not a valid Secrets Manager secret name: use 1-512 characters from A-Z a-z 0-9 / _ + = . @ -",
      });
    }
    assert.throws(() => parse("/voxpersona/dev/a b"), {
      message:
        'is not a valid SSM parameter name: use "/" followed by up to 2047 characters from A-Z a-z 0-9 / _ . -',
    });
  });

  it("refuses a partial Secrets Manager ARN (no 6-character suffix)", () => {
    assert.throws(() => parse("arn:aws:secretsmanager:eu-central-1:123456789012:secret:voxpersona/dev/db"), {
      message:
        'is a partial Secrets Manager ARN (no 6-character suffix); use the full ARN as shown by "aws ' +
        'secretsmanager describe-secret" or just the secret name',
    });
  });

  it("refuses ARNs of other services, JSON-key suffixes and malformed ARNs", () => {
    for (const ref of [
      "arn:aws:s3:::bucket/key",
      `${SM_ARN}:password::`,
      "arn:aws:secretsmanager:eu-central-1:12345:secret:x-AbCdEf",
      "arn:aws:ssm:eu-central-1:123456789012:parameter",
    ]) {
      assert.throws(() => parse(ref), {
        message:
          "is not a Secrets Manager secret ARN (arn:<partition>:secretsmanager:<region>:<account>:secret:" +
          "<name>-<6 chars>) nor an SSM parameter ARN (arn:<partition>:ssm:<region>:<account>:parameter/<name>); " +
          "JSON keys and version suffixes are not supported",
      });
    }
  });

  it("refuses ARNs from another partition than the stack's", () => {
    for (const ref of [
      "arn:aws-cn:ssm:cn-north-1:123456789012:parameter/p",
      "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:s-AbCdEf",
    ]) {
      assert.throws(() => parse(ref), {
        message:
          'is in partition "aws-cn" but the stack deploys to partition "aws"; reference a secret in the ' +
          "stack's partition",
      });
    }
  });

  it("refuses a credential pasted where the secret's name belongs, without repeating it", () => {
    const cases: [string, string][] = [
      ["postgresql://bot:hunter2@db.example:5432/vox", "a URL with a user name or password in it"],
      [`sk-${"a".repeat(40)}`, 'an API key ("sk-…")'],
      [`sk-ant-api03-${"B".repeat(30)}`, 'an API key ("sk-…")'],
      [`ghp_${"c".repeat(36)}`, 'a GitHub token ("ghp_…")'],
      ["AKIAIOSFODNN7EXAMPLE", 'an AWS access key id ("AKIA…")'],
      [`123456789:${"A".repeat(35)}`, "a Telegram bot token (<bot id>:<secret>)"],
      ["eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig", "a JSON Web Token"],
    ];
    for (const [value, shape] of cases) {
      assert.equal(credentialShape(value), shape, value);
      assert.throws(
        () => parse(value),
        (err: Error) =>
          err instanceof CredentialInConfigError &&
          err.message ===
            `looks like ${shape}, not the name of a secret: a secret's value never belongs in stack config` &&
          !err.message.includes(value),
      );
    }
  });

  it("does not mistake ordinary names and ARNs for credentials", () => {
    for (const value of [
      "voxpersona/dev/database-url",
      SM_ARN,
      SSM_ARN,
      "https://api.telegram.org",
      "task-sk-1",
    ]) {
      assert.equal(credentialShape(value), undefined, value);
    }
  });
});

describe("grantFor", () => {
  it("grants exactly the full ARN with the action of its store", () => {
    assert.deepEqual(grantFor("DATABASE_URL", SM_ARN), {
      env: "DATABASE_URL",
      valueFrom: SM_ARN,
      action: "secretsmanager:GetSecretValue",
    });
    assert.deepEqual(grantFor("BOT_TOKEN", SSM_ARN), {
      env: "BOT_TOKEN",
      valueFrom: SSM_ARN,
      action: "ssm:GetParameters",
    });
  });

  it("refuses a bare name (ECS would look it up in SSM) and a partial ARN", () => {
    for (const ref of [
      "voxpersona/dev/database-url",
      "arn:aws:secretsmanager:eu-central-1:123456789012:secret:db",
    ]) {
      assert.throws(() => grantFor("DATABASE_URL", ref), {
        message:
          "secret DATABASE_URL: valueFrom must be the full ARN of a Secrets Manager secret (…:secret:<name>-<6 " +
          `chars>) or of an SSM parameter (got "${ref}"); ECS reads a bare name as an SSM parameter and the ` +
          "task never starts",
      });
    }
  });

  it("never echoes a credential it is handed", () => {
    const token = `123456789:${"A".repeat(35)}`;
    assert.throws(
      () => grantFor("TELEGRAM_BOT_TOKEN", token),
      (err: Error) =>
        err.message.includes('(got "a value of 45 characters")') && !err.message.includes(token),
    );
  });
});

describe("secretsPolicyDocument", () => {
  it("returns an empty statement list for no grants", () => {
    assert.deepEqual(secretsPolicyDocument([]), { Version: "2012-10-17", Statement: [] });
  });

  it("groups by action, sorts actions and resources, drops duplicates, and has no wildcard", () => {
    const anthropic =
      "arn:aws:secretsmanager:eu-central-1:123456789012:secret:voxpersona/dev/anthropic-Qq11Ww";
    const doc = secretsPolicyDocument([
      grantFor("BOT_TOKEN", SSM_ARN),
      grantFor("DATABASE_URL", SM_ARN),
      grantFor("DATABASE_URL_RO", SM_ARN),
      grantFor("ANTHROPIC_API_KEY", anthropic),
    ]);
    assert.deepEqual(doc, {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "ReadSecretsManagerSecrets",
          Effect: "Allow",
          Action: ["secretsmanager:GetSecretValue"],
          Resource: [anthropic, SM_ARN],
        },
        { Sid: "ReadSsmParameters", Effect: "Allow", Action: ["ssm:GetParameters"], Resource: [SSM_ARN] },
      ],
    });
    for (const resource of doc.Statement.flatMap((s) => s.Resource)) {
      assert.ok(!/[*?]/.test(resource), resource);
    }
  });
});
