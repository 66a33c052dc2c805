/** The deployment verdicts and the failure report, for the cases the command tests do not drive. */
import { strict as assert } from "node:assert";
import type { Service } from "@aws-sdk/client-ecs";
import { classifyDeployment, formatFailureReport } from "../../infra/deployment";
import {
  CLUSTER,
  NEW_ID,
  NEW_TD,
  OLD_ID,
  OLD_TD,
  ROLLBACK_ID,
  SERVICE,
  T0,
  TARGET,
  iso,
  taskDefinition,
} from "./ecs";

describe("deployment verdicts", () => {
  /** The service as the SDK hands it over, for the cases the CLI tests above do not drive. */
  const sdkService = (over: Partial<Service>): Service => ({
    serviceName: SERVICE,
    status: "ACTIVE",
    deployments: [],
    events: [],
    ...over,
  });
  const primary = (taskDefinition: string, rolloutStateReason: string, createdAt: Date) => ({
    id: ROLLBACK_ID,
    status: "PRIMARY",
    taskDefinition,
    rolloutState: "COMPLETED" as const,
    rolloutStateReason,
    runningCount: 1,
    desiredCount: 1,
    createdAt,
  });

  it("recognises a finished rollback whose failed deployment ECS already drained", () => {
    const at = new Date((T0 + 360) * 1000);
    const svc = sdkService({
      deployments: [primary(OLD_TD, `ECS deployment ${ROLLBACK_ID} completed.`, at)],
      events: [{ createdAt: at, message: `(service ${SERVICE}) rolling back to deployment ${OLD_ID}.` }],
    });
    assert.deepEqual(classifyDeployment(svc, TARGET), {
      kind: "rolled-back",
      reason:
        `ECS rolled back service ${SERVICE} to voxpersona-dev:7 and already drained the deployment of ` +
        `voxpersona-dev:8 ((service ${SERVICE}) rolling back to deployment ${OLD_ID}.)`,
    });
  });

  it("calls a foreign task definition without any rollback trace someone else's deploy", () => {
    const at = new Date((T0 + 7200) * 1000);
    const svc = sdkService({
      deployments: [primary(taskDefinition(9), `ECS deployment ${ROLLBACK_ID} completed.`, at)],
      events: [
        { createdAt: new Date(T0 * 1000), message: `(service ${SERVICE}) rolling back to deployment x.` },
      ],
    });
    assert.deepEqual(classifyDeployment(svc, TARGET), {
      kind: "failed",
      reason:
        `voxpersona-dev:8 is not among the deployments of service ${SERVICE}; its PRIMARY runs voxpersona-dev:9: ` +
        "something else was deployed after this program's pulumi up",
    });
  });

  it("fails an INACTIVE or DRAINING service", () => {
    assert.deepEqual(classifyDeployment(sdkService({ status: "DRAINING" }), TARGET), {
      kind: "failed",
      reason: `service ${SERVICE} in cluster ${CLUSTER} is DRAINING (being deleted)`,
    });
    assert.equal(classifyDeployment(sdkService({ status: "INACTIVE" }), TARGET).kind, "failed");
  });

  it("waits while an older deployment is still draining", () => {
    const at = new Date(T0 * 1000);
    const svc = sdkService({
      deployments: [
        { ...primary(NEW_TD, "done", at), id: NEW_ID },
        { id: OLD_ID, status: "ACTIVE", taskDefinition: OLD_TD, runningCount: 1, desiredCount: 0 },
      ],
    });
    assert.deepEqual(classifyDeployment(svc, TARGET), {
      kind: "in-progress",
      reason:
        `deployment ${NEW_ID} of voxpersona-dev:8 to service ${SERVICE} is COMPLETED but older deployments ` +
        `are still active: ${OLD_ID} ACTIVE`,
    });
  });

  it("shows only the newest events", () => {
    const events = [1, 3, 2].map((n) => ({ createdAt: new Date((T0 + n) * 1000), message: `event ${n}` }));
    const lines = formatFailureReport({
      stack: "prod",
      verdict: { kind: "failed", reason: "r" },
      service: sdkService({ events }),
      maxEvents: 2,
    });
    assert.deepEqual(lines, [
      "prod: FAILED: r",
      "deployments: none",
      "events (newest 2 of 3):",
      `  ${iso(T0 + 3)} event 3`,
      `  ${iso(T0 + 2)} event 2`,
    ]);
  });
});
