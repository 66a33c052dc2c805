/**
 * Did the deployment `pulumi up` just made actually land? `classify.ts` gives the verdict over ECS
 * `DescribeServices` output (and explains why this check exists), `report.ts` the text CI prints when it
 * did not. Both pure; scripts/verify-deploy.ts polls ECS and uses them.
 */
export {
  type DeploymentTarget,
  type Verdict,
  type VerdictKind,
  classifyDeployment,
  taskDefinitionLabel,
} from "./classify";
export { type FailureReport, formatFailureReport, formatSeconds, newestStoppedTasks } from "./report";
