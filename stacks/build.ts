/** A build stack (dev): the registry, the staged image, and the bot running that image's digest. */
import { ENVIRONMENT_TAGS, StackConfig } from "../infra/config";
import { StagedImage } from "../infra/image";
import { checkBuildInputs } from "../infra/preflight";
import { Registry } from "../infra/registry";
import { botService, isSecretConfig, runtimeSecrets, serviceOutputs, stackTags } from "./common";

export async function buildStack(config: StackConfig) {
  const build = config.build;
  if (build === undefined) throw new Error(`stack "${config.stack}": a build stack needs voxpersona:build`);
  // Pulumi runs the program from the project directory, where the config's relative paths start.
  checkBuildInputs(build, config.stack, process.cwd());
  const secrets = await runtimeSecrets(config);

  const registry = new Registry("voxpersona", {
    name: config.registry.name,
    environmentTags: ENVIRONMENT_TAGS,
    encryption: config.registry.encryption,
    kmsKeyArn: config.registry.kmsKeyArn,
    scanOnPush: config.registry.scanOnPush,
    keepBuildImages: config.registry.keepBuildImages,
    mainScope: config.cache.mainScope,
    cacheLifecycleDays: config.cache.lifecycleDays,
    tags: stackTags(config),
  });

  const image = new StagedImage(`voxpersona-${config.stack}`, {
    repositoryUrl: registry.repositoryUrl,
    registryId: registry.registryId,
    plan: {
      stack: config.stack,
      cacheScope: build.cacheScope,
      mainScope: config.cache.mainScope,
      context: build.context,
      dockerfile: build.dockerfile,
      platform: build.platform,
      buildArgs: build.args,
      buildTag: build.buildTag,
    },
    secret: isSecretConfig(config, "build"),
  });

  const service = botService(config, image.imageRef, registry.repositoryArn, secrets);

  return {
    imageDigest: image.digest,
    imageRef: image.imageRef,
    repositoryUrl: registry.repositoryUrl,
    ...serviceOutputs(service),
    cacheRefs: image.cacheRefs,
  };
}
