/** BotService's one container definition: image, logging, stop timeout, environment and secrets. */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { valueOf } from "../helpers/pulumi-mocks";
import {
  ENVIRONMENT,
  IMAGE,
  OPENAI_ARN,
  REGION,
  SECRETS,
  SM_ARN,
  SSM_ARN,
  container,
  defaultBot,
  deploy,
  fullBot,
} from "./fixtures";

describe("BotService container definition", () => {
  it("renders one container with the exact image, awslogs, a stop timeout and no ports", async () => {
    const { svc, children } = await defaultBot();
    assert.deepEqual(container(children), {
      name: "voxpersona",
      image: IMAGE,
      essential: true,
      environment: [],
      secrets: [],
      logConfiguration: {
        logDriver: "awslogs",
        options: {
          "awslogs-group": await valueOf(svc.logGroupName),
          "awslogs-region": REGION,
          "awslogs-stream-prefix": "voxpersona",
        },
      },
      stopTimeout: 60,
    });
  });

  it("passes secrets only as secrets, sorted, with ECS-ready valueFrom", async () => {
    const { children } = await fullBot();
    const def = container(children);
    assert.deepEqual(def.secrets, [
      { name: "DATABASE_URL", valueFrom: SM_ARN },
      { name: "OPENAI_API_KEY", valueFrom: OPENAI_ARN },
      { name: "TELEGRAM_BOT_TOKEN", valueFrom: SSM_ARN },
    ]);
    assert.deepEqual(def.environment, [
      { name: "APP_ENV", value: "dev" },
      { name: "EMBEDDING_MODEL", value: "all-MiniLM-L6-v2" },
      { name: "LOG_LEVEL", value: "INFO" },
    ]);
    const refs = new Set(SECRETS.map((s) => s.valueFrom));
    const secretNames = new Set(SECRETS.map((s) => s.env));
    assert.deepEqual(
      Object.keys(ENVIRONMENT).sort(),
      def.environment.map((v) => v.name),
    );
    for (const variable of def.environment) {
      assert.ok(!refs.has(variable.value), variable.name);
      assert.ok(!secretNames.has(variable.name), variable.name);
    }
  });

  it("accepts an Output image reference and renders it unchanged", async () => {
    const { children } = await deploy("later", { imageRef: pulumi.output(IMAGE) });
    assert.equal(container(children).image, IMAGE);
  });
});
