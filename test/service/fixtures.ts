/**
 * What the BotService tests share: the arguments, the known ARNs, and one run of the component under the
 * shared mocks (test/helpers/pulumi-mocks.ts) with the accessors the checks read it through.
 */
import { strict as assert } from "node:assert";
import { type BotServiceArgs, BotService } from "../../infra/service";
import {
  ACCOUNT,
  REGION,
  type Registration,
  type StackRun,
  childrenOf,
  named,
  runComponent,
} from "../helpers/pulumi-mocks";

export { ACCOUNT, REGION };

export interface ContainerDefinition {
  name: string;
  image: string;
  essential: boolean;
  environment: { name: string; value: string }[];
  secrets: { name: string; valueFrom: string }[];
  logConfiguration: { logDriver: string; options: Record<string, string> };
  stopTimeout: number;
  portMappings?: unknown;
}

export const REPO_URL = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/voxpersona`;
export const REPO_ARN = `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/voxpersona`;
export const DIGEST = "a".repeat(64);
export const IMAGE = `${REPO_URL}@sha256:${DIGEST}`;
export const SM_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:voxpersona/dev/database-url-AbCdEf`;
export const SSM_ARN = `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/voxpersona/dev/bot-token`;
export const OPENAI_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:voxpersona/dev/openai-api-key-Zz99Yy`;

/** Three secrets (SSM and Secrets Manager) and a plain environment, in no particular order. */
export const SECRETS = [
  { env: "TELEGRAM_BOT_TOKEN", valueFrom: SSM_ARN },
  { env: "DATABASE_URL", valueFrom: SM_ARN },
  { env: "OPENAI_API_KEY", valueFrom: OPENAI_ARN },
];
export const ENVIRONMENT = { LOG_LEVEL: "INFO", APP_ENV: "dev", EMBEDDING_MODEL: "all-MiniLM-L6-v2" };

export const ECS_TRUST = {
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" },
  ],
};

/** The execution role's statements for every service: ECR login, pulling the release image, writing logs. */
export const BASE_STATEMENTS = (logGroupArn: string) => [
  { Sid: "EcrLogin", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: ["*"] },
  {
    Sid: "PullReleaseImage",
    Effect: "Allow",
    Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
    Resource: [REPO_ARN],
  },
  {
    Sid: "WriteBotLogs",
    Effect: "Allow",
    Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
    Resource: [`${logGroupArn}:*`],
  },
];

export function baseArgs(overrides: Partial<BotServiceArgs> = {}): BotServiceArgs {
  return {
    imageRef: IMAGE,
    repositoryArn: REPO_ARN,
    cpu: 1024,
    memory: 2048,
    logRetentionDays: 30,
    subnetIds: ["subnet-a", "subnet-b"],
    vpcId: "vpc-123",
    ...overrides,
  };
}

export interface Deployed {
  readonly svc: BotService;
  /** The custom resources parented to the component. */
  readonly children: Registration[];
  readonly run: StackRun;
}

/** Declares the component under the mocks and waits until every child has been registered. */
export async function deploy(name: string, overrides: Partial<BotServiceArgs> = {}): Promise<Deployed> {
  const run = await runComponent(() => new BotService(name, baseArgs(overrides)));
  assert.equal(run.error, undefined, run.error?.stack);
  return { svc: run.value as BotService, children: childrenOf(run, named(run, name)), run };
}

const shared = new Map<string, Promise<Deployed>>();
/**
 * One deployment per name and (JSON) arguments, for checks that only read it: the same runs serve every
 * file of this folder.
 */
export function deployOnce(name: string, overrides: Partial<BotServiceArgs> = {}): Promise<Deployed> {
  const key = JSON.stringify([name, overrides]);
  if (!shared.has(key)) shared.set(key, deploy(name, overrides));
  return shared.get(key) as Promise<Deployed>;
}

/** The component with only the required arguments, named "bot". */
export const defaultBot = (): Promise<Deployed> => deployOnce("bot");
/** The component "full" with SECRETS and ENVIRONMENT. */
export const fullBot = (): Promise<Deployed> =>
  deployOnce("full", { secrets: SECRETS, environment: ENVIRONMENT });

export function only(children: Registration[], type: string): Registration {
  const matches = children.filter((c) => c.type === type);
  assert.equal(matches.length, 1, `expected exactly one ${type}`);
  return matches[0];
}

export function container(children: Registration[]): ContainerDefinition {
  const defs = JSON.parse(
    only(children, "aws:ecs/taskDefinition:TaskDefinition").inputs.containerDefinitions,
  );
  assert.equal(defs.length, 1);
  return defs[0] as ContainerDefinition;
}

export function executionPolicy(children: Registration[]) {
  return JSON.parse(only(children, "aws:iam/rolePolicy:RolePolicy").inputs.policy);
}
