/** The task's container definition, rendered from known values (pure). */
import type { SecretGrant } from "./secrets";
import { checkImageRef } from "./validate";

/** Name of the single container in the task definition. */
export const CONTAINER_NAME = "voxpersona";
/** Seconds between SIGTERM and SIGKILL: enough for the bot to finish an update and close its DB pool. */
export const STOP_TIMEOUT_SECONDS = 60;

/** Everything the container definition is rendered from, once all Outputs are known. */
export interface ContainerInputs {
  readonly image: string;
  readonly logGroupName: string;
  readonly region: string;
  readonly grants: readonly SecretGrant[];
  readonly environment: Readonly<Record<string, string>>;
}

/**
 * The task's `containerDefinitions` JSON: one essential container, secrets only as `secrets`, both lists
 * sorted by name so the task definition only changes when the content does.
 * @throws when `image` is not pinned by digest (an Output image is only checked here, once known)
 */
export function renderContainerDefinitions(owner: string, inputs: ContainerInputs): string {
  checkImageRef(owner, inputs.image);
  return JSON.stringify([
    {
      name: CONTAINER_NAME,
      image: inputs.image,
      essential: true,
      environment: Object.keys(inputs.environment)
        .sort()
        .map((key) => ({ name: key, value: inputs.environment[key] })),
      secrets: [...inputs.grants]
        .sort((a, b) => (a.env < b.env ? -1 : 1))
        .map((g) => ({ name: g.env, valueFrom: g.valueFrom })),
      logConfiguration: {
        logDriver: "awslogs",
        options: {
          "awslogs-group": inputs.logGroupName,
          "awslogs-region": inputs.region,
          "awslogs-stream-prefix": CONTAINER_NAME,
        },
      },
      stopTimeout: STOP_TIMEOUT_SECONDS,
    },
  ]);
}
