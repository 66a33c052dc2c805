import { strict as assert } from "node:assert";
import { cacheLifecyclePolicy, prCacheLifecyclePolicy, releaseLifecyclePolicy } from "../infra/lifecycle";
import { STAGES } from "../infra/plan";
import {
  ACCOUNT,
  BUILT_DIGEST,
  REGION,
  REGISTRY_HOST,
  StackRun,
  named,
  ofType,
} from "./helpers/pulumi-mocks";
import { DEV_DIGEST, STAGING_DIGEST, UPSTREAM, sharedRun } from "./helpers/shared-runs";
import { FIXTURE_APP, stackConfig, stackFileConfig } from "./helpers/stackfiles";

const REPO = `${REGISTRY_HOST}/voxpersona`;

/** A run of dev (the committed stack file with `extra` keys); the tests below only read runs. */
const devRun = (extra: Record<string, unknown> = {}): Promise<StackRun> =>
  sharedRun("dev", stackConfig("dev", extra), UPSTREAM);
const IMAGE = "docker-build:index:Image";
const PINNED = `sha256:${"3".repeat(64)}`;
/** How mocks show a secret input: `{ [SECRET_SIG]: SECRET_MARK, value }`. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_MARK = "1b47061264138c4ac30d75fd1eb44270";
const TAG_TYPE = "pulumi-nodejs:dynamic/environment-tag:EnvironmentTag";

function containerImage(run: StackRun): string {
  const [task] = ofType(run, "aws:ecs/taskDefinition:TaskDefinition");
  return JSON.parse(task.inputs.containerDefinitions)[0].image;
}

function typeCounts(run: StackRun): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of run.registrations) counts[r.type] = (counts[r.type] ?? 0) + 1;
  return counts;
}

/** Children of the bot service, identical for every stack. */
const SERVICE_TYPES = {
  "voxpersona:service:BotService": 1,
  "aws:ecs/cluster:Cluster": 1,
  "aws:cloudwatch/logGroup:LogGroup": 1,
  "aws:iam/role:Role": 2,
  "aws:iam/rolePolicy:RolePolicy": 1,
  "aws:ec2/securityGroup:SecurityGroup": 1,
  "aws:ecs/taskDefinition:TaskDefinition": 1,
  "aws:ecs/service:Service": 1,
};

describe("dev stack (build)", function () {
  this.timeout(60000);
  let run: StackRun;
  before(async () => {
    run = await devRun();
    assert.equal(run.error, undefined, run.error?.stack);
  });

  it("registers exactly the registry, the four stage builds and the service", () => {
    assert.deepEqual(typeCounts(run), {
      "voxpersona:registry:Registry": 1,
      // release + 4 cache + 4 PR cache repositories, each with its lifecycle policy
      "aws:ecr/repository:Repository": 9,
      "aws:ecr/lifecyclePolicy:LifecyclePolicy": 9,
      "voxpersona:image:StagedImage": 1,
      [IMAGE]: 4,
      ...SERVICE_TYPES,
    });
  });

  it("creates the release repository: immutable but for environment tags and slots, scanned, encrypted, retained", () => {
    const release = named(run, "voxpersona-release");
    assert.deepEqual(release.inputs, {
      name: "voxpersona",
      imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
      imageTagMutabilityExclusionFilters: [
        { filter: "dev", filterType: "WILDCARD" },
        { filter: "staging", filterType: "WILDCARD" },
        { filter: "prod", filterType: "WILDCARD" },
        { filter: "staging-slot-*", filterType: "WILDCARD" },
        { filter: "prod-slot-*", filterType: "WILDCARD" },
      ],
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfigurations: [{ encryptionType: "AES256" }],
      forceDelete: false,
      tags: { project: "voxpersona", stack: "dev", "managed-by": "pulumi" },
    });
    assert.equal(release.retainOnDelete, true);
    // The policy stays with the retained repository; nothing is adopted unless asked.
    assert.equal(named(run, "voxpersona-release-lifecycle").retainOnDelete, true);
    assert.deepEqual(
      run.registrations.filter((r) => r.importId).map((r) => r.name),
      [],
    );
    assert.deepEqual(JSON.parse(named(run, "voxpersona-release-lifecycle").inputs.policy), {
      rules: [
        ...["dev", "staging", "prod"].map((tag, i) => ({
          rulePriority: i + 1,
          description: `keep the image the ${tag} stack runs (one image carries the tag, so none expires)`,
          selection: {
            tagStatus: "tagged",
            tagPatternList: [tag],
            countType: "imageCountMoreThan",
            countNumber: 1,
          },
          action: { type: "expire" },
        })),
        // Every promotion slot a promote stack may use (keepHistory is at most 10), before any expiry.
        ...["staging", "prod"].flatMap((env, e) =>
          Array.from({ length: 10 }, (_, i) => ({
            rulePriority: 4 + e * 10 + i,
            description: `keep the image in ${env}'s promotion slot ${i} (one of its last promotions)`,
            selection: {
              tagStatus: "tagged",
              tagPatternList: [`${env}-slot-${i}`],
              countType: "imageCountMoreThan",
              countNumber: 1,
            },
            action: { type: "expire" },
          })),
        ),
        {
          rulePriority: 24,
          description: "keep the 30 newest build-tagged images",
          selection: {
            tagStatus: "tagged",
            tagPatternList: ["*"],
            countType: "imageCountMoreThan",
            countNumber: 30,
          },
          action: { type: "expire" },
        },
        {
          rulePriority: 25,
          description: "expire untagged images after 7 days",
          selection: {
            tagStatus: "untagged",
            countType: "sinceImagePushed",
            countUnit: "days",
            countNumber: 7,
          },
          action: { type: "expire" },
        },
      ],
    });
  });

  it("creates one mutable cache repository per stage with its own lifecycle days", () => {
    const days = { "system-base": 90, "python-deps": 30, "ml-models": 90, final: 14 };
    for (const stage of STAGES) {
      const repo = named(run, `voxpersona-cache-${stage}`);
      assert.deepEqual(repo.inputs, {
        name: `voxpersona/cache/${stage}`,
        imageTagMutability: "MUTABLE",
        imageScanningConfiguration: { scanOnPush: false },
        encryptionConfigurations: [{ encryptionType: "AES256" }],
        forceDelete: true,
        tags: { project: "voxpersona", stack: "dev", "managed-by": "pulumi" },
      });
      assert.notEqual(repo.retainOnDelete, true);
      assert.deepEqual(
        JSON.parse(named(run, `voxpersona-cache-${stage}-lifecycle`).inputs.policy),
        cacheLifecyclePolicy("main", days[stage]),
      );
    }
    assert.deepEqual(cacheLifecyclePolicy("main", 30).rules[1].selection, {
      tagStatus: "tagged",
      tagPatternList: ["*"],
      countType: "sinceImagePushed",
      countUnit: "days",
      countNumber: 30,
    });
  });

  it("creates one mutable PR cache repository per stage where every tag expires after 7 days", () => {
    for (const stage of STAGES) {
      const repo = named(run, `voxpersona-cache-pr-${stage}`);
      assert.deepEqual(repo.inputs, {
        name: `voxpersona/cache-pr/${stage}`,
        imageTagMutability: "MUTABLE",
        imageScanningConfiguration: { scanOnPush: false },
        encryptionConfigurations: [{ encryptionType: "AES256" }],
        forceDelete: true,
        tags: { project: "voxpersona", stack: "dev", "managed-by": "pulumi" },
      });
      assert.notEqual(repo.retainOnDelete, true);
      assert.deepEqual(JSON.parse(named(run, `voxpersona-cache-pr-${stage}-lifecycle`).inputs.policy), {
        rules: [
          {
            rulePriority: 1,
            description: "expire PR scopes not pushed for 7 days",
            selection: {
              tagStatus: "tagged",
              tagPatternList: ["*"],
              countType: "sinceImagePushed",
              countUnit: "days",
              countNumber: 7,
            },
            action: { type: "expire" },
          },
          {
            rulePriority: 2,
            description: "expire untagged cache manifests after 1 day",
            selection: {
              tagStatus: "untagged",
              countType: "sinceImagePushed",
              countUnit: "days",
              countNumber: 1,
            },
            action: { type: "expire" },
          },
        ],
      });
    }
    assert.deepEqual(prCacheLifecyclePolicy(3).rules[0].selection.countNumber, 3);
  });

  it("builds each stage with its target, own and upstream cache refs, and exports cache mode=max as OCI", () => {
    const images = ofType(run, IMAGE);
    assert.deepEqual(
      images.map((i) => [i.name, i.inputs.target]).sort(),
      STAGES.map((s) => [`voxpersona-dev-${s}`, s]).sort(),
    );
    const closure: Record<string, string[]> = {
      "system-base": ["system-base"],
      "python-deps": ["python-deps", "system-base"],
      "ml-models": ["ml-models", "system-base"],
      final: ["final", "python-deps", "system-base", "ml-models"],
    };
    for (const stage of STAGES) {
      const inputs = named(run, `voxpersona-dev-${stage}`).inputs;
      assert.deepEqual(
        inputs.cacheFrom,
        closure[stage].map((s) => ({ registry: { ref: `${REPO}/cache/${s}:main` } })),
      );
      assert.deepEqual(inputs.cacheTo, [
        {
          registry: {
            ref: `${REPO}/cache/${stage}:main`,
            mode: "max",
            imageManifest: true,
            ociMediaTypes: true,
          },
        },
      ]);
      assert.deepEqual(inputs.context, { location: FIXTURE_APP });
      assert.deepEqual(inputs.dockerfile, { location: "docker/Dockerfile" });
      assert.deepEqual(inputs.platforms, ["linux/amd64"]);
      assert.equal(inputs.push, false);
      assert.equal(inputs.buildOnPreview, false);
      // The credentials travel as a Pulumi secret.
      assert.equal(inputs.registries[SECRET_SIG], SECRET_MARK);
      assert.deepEqual(inputs.registries.value, [
        { address: REGISTRY_HOST, username: "AWS", password: "ecr-token" },
      ]);
      assert.deepEqual(
        inputs.exports,
        stage === "final" ? [{ registry: { store: false } }] : [{ cacheonly: {} }],
      );
      assert.deepEqual(inputs.tags, stage === "final" ? [`${REPO}:dev`] : undefined);
    }
    assert.deepEqual(named(run, "voxpersona-dev-python-deps").inputs.buildArgs, {
      BASE_IMAGE: "python:3.10.11-slim",
      TORCH_INDEX_URL: "https://download.pytorch.org/whl/cpu",
      TORCH_PACKAGES: "torch==2.5.1",
    });
  });

  it("builds stages in dependency order and retains everything it pushes", () => {
    const urn = (stage: string) => named(run, `voxpersona-dev-${stage}`).urn;
    const imageUrns = new Set(ofType(run, IMAGE).map((i) => i.urn));
    // Stage-to-stage edges only (every stage also depends on the repository whose URL its refs contain).
    const deps = (stage: string) =>
      named(run, `voxpersona-dev-${stage}`).dependencies.filter((d) => imageUrns.has(d));
    assert.deepEqual(deps("system-base"), []);
    assert.deepEqual(deps("python-deps"), [urn("system-base")]);
    assert.deepEqual(deps("ml-models"), [urn("system-base")]);
    assert.deepEqual([...deps("final")].sort(), [urn("python-deps"), urn("ml-models")].sort());
    for (const image of ofType(run, IMAGE)) assert.equal(image.retainOnDelete, true, image.name);
    const parent = named(run, "voxpersona-dev").urn;
    for (const image of ofType(run, IMAGE)) assert.equal(image.parent, parent);
  });

  it("runs the service on the built digest and exports the small contract", () => {
    assert.equal(containerImage(run), `${REPO}@${BUILT_DIGEST}`);
    assert.deepEqual(run.outputs, {
      imageDigest: BUILT_DIGEST,
      imageRef: `${REPO}@${BUILT_DIGEST}`,
      repositoryUrl: REPO,
      serviceName: "voxpersona-dev-svc-physical",
      clusterName: "voxpersona-dev-cluster-physical",
      logGroupName: named(run, "voxpersona-dev-logs").inputs.name ?? "voxpersona-dev-logs-physical",
      taskDefinitionArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/voxpersona-dev:1`,
      cacheRefs: Object.fromEntries(STAGES.map((s) => [s, `${REPO}/cache/${s}:main`])),
      prCacheRepositoryUrls: {
        "system-base": `${REPO}/cache-pr/system-base`,
        "python-deps": `${REPO}/cache-pr/python-deps`,
        "ml-models": `${REPO}/cache-pr/ml-models`,
        final: `${REPO}/cache-pr/final`,
      },
      prCacheRepositoryArns: {
        "system-base": `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/voxpersona/cache-pr/system-base`,
        "python-deps": `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/voxpersona/cache-pr/python-deps`,
        "ml-models": `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/voxpersona/cache-pr/ml-models`,
        final: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/voxpersona/cache-pr/final`,
      },
    });
    assert.equal(ofType(run, TAG_TYPE).length, 0);
  });

  it("adopts the release repository and its policy that a destroyed dev left behind, and nothing else", async () => {
    const adopted = await devRun({
      "voxpersona:registry": {
        ...(stackFileConfig("dev")["voxpersona:registry"] as object),
        adoptExisting: true,
      },
    });
    assert.equal(adopted.error, undefined, adopted.error?.stack);
    assert.deepEqual(
      adopted.registrations
        .filter((r) => r.importId)
        .map((r) => [r.type, r.name, r.importId, r.retainOnDelete]),
      [
        ["aws:ecr/repository:Repository", "voxpersona-release", "voxpersona", true],
        ["aws:ecr/lifecyclePolicy:LifecyclePolicy", "voxpersona-release-lifecycle", "voxpersona", true],
      ],
    );
    // Adopting changes nothing the program declares: the same inputs as a fresh create.
    assert.deepEqual(named(adopted, "voxpersona-release").inputs, named(run, "voxpersona-release").inputs);
  });

  it("encrypts every repository with the configured KMS key and lets the task decrypt the image", async () => {
    const key = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    const kms = await devRun({
      "voxpersona:registry": { name: "voxpersona", encryption: "KMS", kmsKeyArn: key },
    });
    assert.equal(kms.error, undefined);
    for (const repo of ofType(kms, "aws:ecr/repository:Repository")) {
      assert.deepEqual(
        repo.inputs.encryptionConfigurations,
        [{ encryptionType: "KMS", kmsKey: key }],
        repo.name,
      );
    }
    const policy = JSON.parse(ofType(kms, "aws:iam/rolePolicy:RolePolicy")[0].inputs.policy);
    assert.deepEqual(
      policy.Statement.find((st: { Sid: string }) => st.Sid === "DecryptReleaseImage"),
      { Sid: "DecryptReleaseImage", Effect: "Allow", Action: ["kms:Decrypt"], Resource: [key] },
    );
    const aes = JSON.parse(ofType(run, "aws:iam/rolePolicy:RolePolicy")[0].inputs.policy);
    assert.equal(
      aes.Statement.filter((st: { Action: string[] }) => st.Action.includes("kms:Decrypt")).length,
      0,
    );
  });

  it("a PR build writes its scope to the PR cache repositories, reads its own then main's, never writes main's", async () => {
    const pr = await devRun({ "voxpersona:cacheScope": "pr-42", "voxpersona:buildTag": "git-0123456789ab" });
    assert.equal(pr.error, undefined);
    const closure: Record<string, string[]> = {
      "system-base": ["system-base"],
      "python-deps": ["python-deps", "system-base"],
      "ml-models": ["ml-models", "system-base"],
      final: ["final", "python-deps", "system-base", "ml-models"],
    };
    for (const stage of STAGES) {
      const inputs = named(pr, `voxpersona-dev-${stage}`).inputs;
      assert.equal(inputs.cacheTo.length, 1);
      assert.equal(inputs.cacheTo[0].registry.ref, `${REPO}/cache-pr/${stage}:pr-42`);
      assert.deepEqual(inputs.cacheFrom, [
        ...closure[stage].map((s) => ({ registry: { ref: `${REPO}/cache-pr/${s}:pr-42` } })),
        ...closure[stage].map((s) => ({ registry: { ref: `${REPO}/cache/${s}:main` } })),
      ]);
    }
    assert.deepEqual(
      pr.outputs?.cacheRefs,
      Object.fromEntries(STAGES.map((s) => [s, `${REPO}/cache-pr/${s}:pr-42`])),
    );
    assert.deepEqual(named(pr, "voxpersona-dev-final").inputs.tags, [
      `${REPO}:dev`,
      `${REPO}:git-0123456789ab`,
    ]);
  });
});

describe("promote stacks (staging, prod)", function () {
  this.timeout(60000);
  const upstream = {
    "acme/voxpersona/dev": { imageDigest: DEV_DIGEST, imageRef: `${REPO}@${DEV_DIGEST}` },
    "acme/voxpersona/staging": { imageDigest: STAGING_DIGEST, imageRef: `${REPO}@${STAGING_DIGEST}` },
  };

  for (const [stack, up, digest] of [
    ["staging", "dev", DEV_DIGEST],
    ["prod", "staging", STAGING_DIGEST],
  ] as const) {
    it(`${stack} runs exactly ${up}'s digest, tags it "${stack}" and builds nothing`, async () => {
      const run = await sharedRun(stack, stackFileConfig(stack), upstream);
      assert.equal(run.error, undefined, run.error?.stack);
      assert.equal(ofType(run, IMAGE).length, 0);
      assert.equal(ofType(run, "aws:ecr/repository:Repository").length, 0);
      assert.deepEqual(typeCounts(run), {
        "pulumi:pulumi:StackReference": 1,
        [TAG_TYPE]: 1,
        ...SERVICE_TYPES,
      });
      assert.equal(ofType(run, "pulumi:pulumi:StackReference")[0].name, `acme/voxpersona/${up}`);
      const tag = ofType(run, TAG_TYPE)[0];
      assert.deepEqual(
        { ...tag.inputs, __provider: undefined },
        {
          region: REGION,
          repositoryName: "voxpersona",
          digest,
          tag: stack,
          keepHistory: 5,
          __provider: undefined,
        },
      );
      assert.match(tag.inputs.__provider, /PutImage|putImage/);
      assert.equal(containerImage(run), `${REPO}@${digest}`);
      // The service waits for the tag: the image is protected before a task runs it.
      assert.ok(named(run, `voxpersona-${stack}`).dependencies.includes(tag.urn));
      assert.deepEqual(run.outputs, {
        imageDigest: digest,
        imageRef: `${REPO}@${digest}`,
        repositoryUrl: REPO,
        serviceName: `voxpersona-${stack}-svc-physical`,
        clusterName: `voxpersona-${stack}-cluster-physical`,
        logGroupName: run.outputs?.logGroupName,
        taskDefinitionArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/voxpersona-${stack}:1`,
      });
      assert.equal(typeof run.outputs?.logGroupName, "string");
    });
  }

  it("a pinned digest wins and the upstream is not even read", async () => {
    const run = await sharedRun(
      "prod",
      { ...stackFileConfig("prod"), "voxpersona:imageDigest": PINNED },
      upstream,
    );
    assert.equal(run.error, undefined);
    assert.equal(ofType(run, "pulumi:pulumi:StackReference").length, 0);
    assert.equal(containerImage(run), `${REPO}@${PINNED}`);
    assert.equal(ofType(run, TAG_TYPE)[0].inputs.digest, PINNED);
    assert.equal(run.outputs?.imageDigest, PINNED);
  });

  const PIN_HINT =
    "or pin a digest: pulumi config set --stack staging voxpersona:imageDigest sha256:<64 hex>";
  for (const [what, outputs, message] of [
    [
      "an upstream that was never deployed",
      undefined,
      'upstream stack "acme/voxpersona/dev" has no outputs: it has not been deployed (or was destroyed), so there ' +
        `is no image to promote to "staging". Run \`pulumi up --stack dev\` first, ${PIN_HINT}`,
    ],
    [
      "a missing upstream digest",
      { serviceName: "x" },
      'upstream stack "acme/voxpersona/dev" has no "imageDigest" output (it exports: serviceName). Run ' +
        `\`pulumi up --stack dev\` to publish it, ${PIN_HINT}`,
    ],
    [
      "a malformed upstream digest",
      { imageDigest: "sha256:1234" },
      'upstream stack "acme/voxpersona/dev" output "imageDigest" is "sha256:1234", not a digest (sha256: ' +
        `followed by 64 lowercase hex digits). Run \`pulumi up --stack dev\` to fix its outputs, ${PIN_HINT}`,
    ],
  ] as const) {
    it(`refuses ${what} and registers nothing but the read of the upstream`, async () => {
      const run = await sharedRun(
        "staging",
        stackFileConfig("staging"),
        outputs ? { "acme/voxpersona/dev": outputs } : {},
      );
      assert.deepEqual(run.error, new Error(message));
      assert.deepEqual(
        run.registrations.map((r) => [r.type, r.name, r.read]),
        [["pulumi:pulumi:StackReference", "acme/voxpersona/dev", true]],
      );
    });
  }

  it("refuses a malformed pinned digest before anything is registered", async () => {
    const run = await sharedRun(
      "staging",
      { ...stackFileConfig("staging"), "voxpersona:imageDigest": "latest" },
      upstream,
    );
    assert.match(
      run.error?.message ?? "",
      /^Invalid stack config for "staging" \(1 problem\):\n {2}- voxpersona:imageDigest \(got "latest"\)/,
    );
    assert.deepEqual(run.registrations, []);
  });
});

describe("invalid config", function () {
  this.timeout(60000);
  it("registers zero resources", async () => {
    const run = await devRun({ "voxpersona:service": { cpu: 1024, memory: 16384 } });
    assert.equal(
      run.error?.message,
      'Invalid stack config for "dev" (1 problem):\n' +
        "  - voxpersona:service.memory (got 16384): is not a Fargate size for cpu 1024; allowed: 2048, 3072, " +
        "4096, 5120, 6144, 7168, 8192. Fix: pulumi config set --stack dev --path 'voxpersona:service.memory' 4096",
    );
    assert.deepEqual(run.registrations, []);
  });

  it("a build stack without its application checkout stops before anything is registered", async () => {
    const run = await sharedRun("dev", stackFileConfig("dev"), UPSTREAM);
    assert.equal(
      run.error?.message,
      'Cannot build stack "dev":\n' +
        `  - voxpersona:build.context "app" is not a directory (looked for ${process.cwd()}/app): check out the ` +
        "VoxPersona application there, or point the key at your checkout: pulumi config set --stack dev --path " +
        "'voxpersona:build.context' ../voxpersona",
    );
    assert.deepEqual(run.registrations, []);
  });

  it("the same config minus the mistake registers resources (the check above can fail)", async () => {
    const run = await devRun();
    assert.ok(run.registrations.length > 0);
  });

  it("uses the configured network instead of the default VPC", async () => {
    const run = await sharedRun(
      "staging",
      {
        ...stackFileConfig("staging"),
        "voxpersona:network": { vpcId: "vpc-0abc", subnetIds: ["subnet-01", "subnet-02"] },
        "voxpersona:imageDigest": PINNED,
      },
      {},
    );
    assert.equal(run.error, undefined);
    assert.equal(ofType(run, "aws:ec2/securityGroup:SecurityGroup")[0].inputs.vpcId, "vpc-0abc");
    assert.deepEqual(ofType(run, "aws:ecs/service:Service")[0].inputs.networkConfiguration.subnets, [
      "subnet-01",
      "subnet-02",
    ]);
    const dflt = await sharedRun(
      "staging",
      { ...stackFileConfig("staging"), "voxpersona:imageDigest": PINNED },
      {},
    );
    assert.equal(ofType(dflt, "aws:ec2/securityGroup:SecurityGroup")[0].inputs.vpcId, "vpc-0default");
  });
});

describe("release lifecycle rules", () => {
  it("protect every environment tag before any expiry rule", () => {
    const rules = releaseLifecyclePolicy(["dev", "staging", "prod"], 5).rules;
    const expiring = rules.filter(
      (r) => r.selection.countType === "sinceImagePushed" || r.selection.countNumber > 1,
    );
    for (const r of rules.slice(0, 3)) {
      assert.equal(r.selection.countNumber, 1);
      assert.ok(expiring.every((e) => e.rulePriority > r.rulePriority));
    }
    assert.equal(ACCOUNT.length, 12);
  });
});
