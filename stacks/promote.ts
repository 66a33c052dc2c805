/**
 * A promote stack (staging, prod): runs exactly the digest its upstream stack runs, or the pinned one.
 * It never builds. The digest is resolved and validated before any resource is declared.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../infra/config";
import { EnvironmentTag } from "../infra/environment-tag";
import { DIGEST_OUTPUT, digestRef, qualifyStackName, resolvePromotedDigest } from "../infra/promotion";
import { botService, runtimeSecrets, serviceOutputs } from "./common";

/** Resolves an Output that is known at preview time (StackReference outputs are). */
function known<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply(resolve));
}

export async function promoteStack(config: StackConfig) {
  const promote = config.promote;
  if (promote === undefined)
    throw new Error(`stack "${config.stack}": a promote stack needs voxpersona:upstreamStack`);
  const upstream = qualifyStackName(promote.upstreamStack, pulumi.getOrganization(), pulumi.getProject());

  // A pinned digest needs nothing from upstream; otherwise read (not create) the upstream's outputs.
  const upstreamOutputs =
    promote.pinnedDigest === undefined ? await known(new pulumi.StackReference(upstream).outputs) : undefined;
  const { digest } = resolvePromotedDigest({
    stack: config.stack,
    upstream,
    pinnedDigest: promote.pinnedDigest,
    upstreamOutputs,
  });

  const secrets = await runtimeSecrets(config);

  const repository = aws.ecr.getRepositoryOutput({ name: config.registry.name });
  const imageRef = repository.repositoryUrl.apply((url) => digestRef(url, digest));

  // Promote (slot, history and environment tags) before the service, as before slots existed. The tags make
  // the new digest safe from expiry before ECS pulls it, a pinned rollback digest included. Moving them
  // first costs nothing when the deploy then fails: the image the service keeps running (the circuit
  // breaker's rollback) keeps the slot of its own promotion. The lifecycle simulator measured it over three
  // generated 120-day histories (test/lifecycle-sim.test.ts): with this order and the slots, none of the 44
  // images left running by 55 failed promote deploys expired, and no rollback target did; with the policy
  // before slots, 3 of those images expired while running and 9 of 19 prod rollbacks found their target
  // gone. Deploying first would not keep the tag back on a failed deploy anyway: a rolled-back deployment
  // still ends "stable", so `pulumi up` goes on (README). The bound: a running image stays protected through
  // keepHistory - 1 failed promotions after it, not more (the simulator shows both).
  const tag = new EnvironmentTag(`voxpersona-${config.stack}-tag`, {
    region: config.region,
    repositoryName: config.registry.name,
    digest,
    tag: config.stack,
    keepHistory: config.registry.keepHistory,
  });
  const service = botService(config, imageRef, repository.arn, secrets, { dependsOn: [tag] });

  return {
    [DIGEST_OUTPUT]: tag.digest,
    imageRef,
    repositoryUrl: repository.repositoryUrl,
    ...serviceOutputs(service),
  };
}
