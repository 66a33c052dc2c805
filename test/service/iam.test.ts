/**
 * BotService's IAM: both roles trust only ECS tasks, the task role has no permissions, and the execution
 * role is granted exactly what starting the task needs (the pure policy document, then as deployed).
 */
import { strict as assert } from "node:assert";
import { executionRolePolicy } from "../../infra/service/policy";
import {
  ACCOUNT,
  BASE_STATEMENTS,
  ECS_TRUST,
  OPENAI_ARN,
  REGION,
  REPO_ARN,
  SM_ARN,
  SSM_ARN,
  defaultBot,
  executionPolicy,
  fullBot,
} from "./fixtures";

describe("BotService IAM", () => {
  it("trusts only ECS tasks in both roles and gives the task role no policy at all", async () => {
    const { children } = await defaultBot();
    const roles = children.filter((c) => c.type === "aws:iam/role:Role");
    assert.deepEqual(
      roles.map((r) => ({
        name: r.name,
        inputs: { ...r.inputs, assumeRolePolicy: JSON.parse(r.inputs.assumeRolePolicy) },
      })),
      [
        {
          name: "bot-exec-role",
          inputs: {
            description: "ECS agent for the VoxPersona bot: pulls the image, writes logs, injects secrets",
            assumeRolePolicy: ECS_TRUST,
          },
        },
        {
          name: "bot-task-role",
          inputs: {
            description: "VoxPersona bot task: intentionally without permissions",
            assumeRolePolicy: ECS_TRUST,
          },
        },
      ],
    );
    const policies = children.filter(
      (c) => c.type.startsWith("aws:iam/rolePolicy") || c.type.startsWith("aws:iam/policy"),
    );
    assert.deepEqual(
      policies.map((p) => `${p.type} ${p.inputs.role}`),
      ["aws:iam/rolePolicy:RolePolicy bot-exec-role-physical"],
    );
  });

  it("grants the execution role exactly ECR login, pulls from the release repository and log writes", async () => {
    const { children } = await defaultBot();
    assert.deepEqual(executionPolicy(children), {
      Version: "2012-10-17",
      Statement: BASE_STATEMENTS(`arn:aws:logs:${REGION}:${ACCOUNT}:log-group:bot-logs-physical`),
    });
  });

  it("adds exactly the secret read statements to the execution role", async () => {
    const { children } = await fullBot();
    assert.deepEqual(executionPolicy(children), {
      Version: "2012-10-17",
      Statement: [
        ...BASE_STATEMENTS(`arn:aws:logs:${REGION}:${ACCOUNT}:log-group:full-logs-physical`),
        {
          Sid: "ReadSecretsManagerSecrets",
          Effect: "Allow",
          Action: ["secretsmanager:GetSecretValue"],
          // Exactly the resolved ARNs, sorted: no wildcard.
          Resource: [SM_ARN, OPENAI_ARN],
        },
        { Sid: "ReadSsmParameters", Effect: "Allow", Action: ["ssm:GetParameters"], Resource: [SSM_ARN] },
      ],
    });
  });
});

describe("executionRolePolicy (pure)", () => {
  const LOGS = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:bot`;
  const KMS = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

  it("grants pull, logs and exactly the given secrets, and decrypt only with a KMS key", () => {
    const grants = [
      { env: "DATABASE_URL", valueFrom: SM_ARN, action: "secretsmanager:GetSecretValue" as const },
    ];
    const plain = executionRolePolicy({ repositoryArn: REPO_ARN, logGroupArn: LOGS, grants });
    assert.deepEqual(plain, {
      Version: "2012-10-17",
      Statement: [
        ...BASE_STATEMENTS(LOGS),
        {
          Sid: "ReadSecretsManagerSecrets",
          Effect: "Allow",
          Action: ["secretsmanager:GetSecretValue"],
          Resource: [SM_ARN],
        },
      ],
    });
    const kms = executionRolePolicy({
      repositoryArn: REPO_ARN,
      logGroupArn: LOGS,
      grants: [],
      kmsKeyArn: KMS,
    });
    assert.deepEqual(
      kms.Statement.map((st) => st.Sid),
      ["EcrLogin", "PullReleaseImage", "DecryptReleaseImage", "WriteBotLogs"],
    );
    assert.deepEqual(kms.Statement[2], {
      Sid: "DecryptReleaseImage",
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: [KMS],
    });
  });
});
