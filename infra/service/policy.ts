/**
 * The IAM documents of the bot's roles, as pure data: the ECS tasks trust policy both roles share and the
 * execution role's inline policy (pull the release image, write the bot's logs, read exactly the secrets
 * the container gets).
 */
import { type SecretGrant, secretsPolicyDocument } from "./secrets";

/** A plain IAM policy document, ready for `JSON.stringify`. */
export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly PolicyStatement[];
}

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: "Allow";
  readonly Action: readonly string[];
  readonly Resource: readonly string[];
}

/** Lets ECS tasks (the agent and the container) assume a role. */
export const ECS_TASKS_TRUST = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" },
  ],
});

export interface ExecutionPolicyInputs {
  /** The release repository the image is pulled from. */
  readonly repositoryArn: string;
  /** KMS key of the release repository, when it is KMS-encrypted. */
  readonly kmsKeyArn?: string;
  /** The bot's log group. */
  readonly logGroupArn: string;
  /** The secrets injected into the container. */
  readonly grants: readonly SecretGrant[];
}

/** The execution role's inline policy: least privilege for pulling, logging and injecting secrets. */
export function executionRolePolicy(inputs: ExecutionPolicyInputs): PolicyDocument {
  const statements: PolicyStatement[] = [
    // GetAuthorizationToken is account-wide by design; IAM cannot scope it to a repository.
    { Sid: "EcrLogin", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: ["*"] },
    {
      Sid: "PullReleaseImage",
      Effect: "Allow",
      Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
      Resource: [inputs.repositoryArn],
    },
  ];
  if (inputs.kmsKeyArn) {
    statements.push({
      Sid: "DecryptReleaseImage",
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: [inputs.kmsKeyArn],
    });
  }
  statements.push({
    Sid: "WriteBotLogs",
    Effect: "Allow",
    Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
    Resource: [`${inputs.logGroupArn}:*`],
  });
  return {
    Version: "2012-10-17",
    Statement: [...statements, ...secretsPolicyDocument(inputs.grants).Statement],
  };
}
