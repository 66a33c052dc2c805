/** A build stack (dev): the registry, the staged image, and the bot running that image's digest. */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { StackConfig, planInputFromConfig } from "../infra/config";
import { RegistryCredentials, StagedImage } from "../infra/image";
import { checkBuildInputs } from "../infra/preflight";
import { DIGEST_OUTPUT } from "../infra/promotion";
import { Registry } from "../infra/registry";
import { botService, isSecretConfig, runtimeSecrets, serviceOutputs, stackTags } from "./common";

/** Push credentials for the registry's account: an ECR authorization token (the password stays secret). */
function ecrCredentials(registryId: pulumi.Input<string>): pulumi.Input<RegistryCredentials>[] {
  const auth = aws.ecr.getAuthorizationTokenOutput({ registryId });
  return [
    {
      address: auth.proxyEndpoint.apply((e) => e.replace(/^https:\/\//, "")),
      username: auth.userName,
      password: pulumi.secret(auth.password),
    },
  ];
}

export async function buildStack(config: StackConfig) {
  const build = config.build;
  if (build === undefined) throw new Error(`stack "${config.stack}": a build stack needs voxpersona:build`);
  // Pulumi runs the program from the project directory, where the config's relative paths start.
  checkBuildInputs(build, config.stack, process.cwd());
  const secrets = await runtimeSecrets(config);

  const registry = new Registry("voxpersona", {
    name: config.registry.name,
    encryption: config.registry.encryption,
    kmsKeyArn: config.registry.kmsKeyArn,
    scanOnPush: config.registry.scanOnPush,
    keepBuildImages: config.registry.keepBuildImages,
    adoptExisting: config.registry.adoptExisting,
    mainScope: config.cache.mainScope,
    cacheLifecycleDays: config.cache.lifecycleDays,
    tags: stackTags(config),
  });

  const image = new StagedImage(`voxpersona-${config.stack}`, {
    repositoryUrl: registry.repositoryUrl,
    registries: ecrCredentials(registry.registryId),
    plan: planInputFromConfig(config),
    secret: isSecretConfig(config, "build"),
  });

  const service = botService(config, image.imageRef, registry.repositoryArn, secrets);

  return {
    [DIGEST_OUTPUT]: image.digest,
    imageRef: image.imageRef,
    repositoryUrl: registry.repositoryUrl,
    ...serviceOutputs(service),
    cacheRefs: image.cacheRefs,
    // The repositories pull requests write their cache to: the pull-request role's push permission names
    // exactly these (README, "CI trust boundary (OIDC)").
    prCacheRepositoryUrls: registry.prCacheRepositoryUrls,
    prCacheRepositoryArns: registry.prCacheRepositoryArns,
  };
}
