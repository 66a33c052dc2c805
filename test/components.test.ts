/**
 * StagedImage and Registry under Pulumi's mocks: what each registers from its own arguments, and that their
 * errors speak in those arguments' names (never in stack config keys) as errors of the component.
 */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { StagedImage } from "../infra/image";
import { DEFAULT_CACHE_LIFECYCLE_DAYS } from "../infra/lifecycle";
import { STAGES } from "../infra/plan";
import { Registry } from "../infra/registry";
import { BUILT_DIGEST, installMocks, ofType, runComponent, valueOf } from "./helpers/pulumi-mocks";

const LOCAL = "127.0.0.1:5000/voxpersona";
/** How mocks show a secret input: `{ [SECRET_SIG]: SECRET_MARK, value }`. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_MARK = "1b47061264138c4ac30d75fd1eb44270";

const plan = {
  stack: "dev",
  cacheScope: "main",
  mainScope: "main",
  context: "app",
  dockerfile: "docker/Dockerfile",
  platform: "linux/amd64",
};

describe("StagedImage", () => {
  it("pushes with the credentials its caller gives, to any registry, and looks none up itself", async () => {
    const credentials = [{ address: "127.0.0.1:5000", username: "ci", password: pulumi.secret("pw") }];
    const run = await runComponent(
      () => new StagedImage("img", { repositoryUrl: LOCAL, registries: credentials, plan }),
    );
    assert.equal(run.error, undefined, run.error?.stack);
    const staged = run.value as StagedImage;
    assert.equal(await valueOf(staged.imageRef), `${LOCAL}@${BUILT_DIGEST}`);
    assert.deepEqual(await valueOf(staged.tags), [`${LOCAL}:dev`]);
    assert.deepEqual(
      await valueOf(staged.cacheRefs),
      Object.fromEntries(STAGES.map((s) => [s, `${LOCAL}/cache/${s}:main`])),
    );
    const images = ofType(run, "docker-build:index:Image");
    assert.equal(images.length, 4);
    for (const i of images) {
      // The password is a secret, so the whole list travels as one (mocks show the secret wrapper).
      assert.equal(i.inputs.registries[SECRET_SIG], SECRET_MARK);
      assert.deepEqual(i.inputs.registries.value, [
        { address: "127.0.0.1:5000", username: "ci", password: "pw" },
      ]);
    }
    assert.deepEqual(run.invokes, []);
  });

  it("refuses a plan the Dockerfile cannot take, as an error of the component, before any child", async () => {
    const run = await runComponent(() =>
      assert.throws(
        () =>
          new StagedImage("bad", {
            repositoryUrl: LOCAL,
            registries: [],
            plan: { ...plan, buildArgs: { NOPE: "1" } },
          }),
        (err: Error) =>
          pulumi.ResourceError.isInstance(err) &&
          err.message ===
            'StagedImage "bad": args.plan is invalid: unknown build arg(s) "NOPE": docker/Dockerfile declares ' +
              "BASE_IMAGE, TORCH_INDEX_URL, TORCH_PACKAGES, HF_HUB_PACKAGE, EMBEDDING_MODELS",
      ),
    );
    assert.equal(run.error, undefined, run.error?.stack);
    assert.deepEqual(
      run.registrations.filter((r) => r.name.startsWith("bad-")),
      [],
    );
    // The component itself did register, so the empty list above is not a run that recorded nothing.
    assert.deepEqual(
      run.registrations.map((r) => `${r.type} ${r.name}`),
      ["voxpersona:image:StagedImage bad"],
    );
  });
});

describe("Registry", () => {
  beforeEach(() => installMocks());
  const days = { ...DEFAULT_CACHE_LIFECYCLE_DAYS };

  it("applies its defaults: the voxpersona repository, the environment tags, the main scope", async () => {
    const run = await runComponent(() => new Registry("reg", { cacheLifecycleDays: days }));
    assert.equal(run.error, undefined, run.error?.stack);
    const recorded = run.registrations;
    const release = recorded.find((x) => x.name === "reg-release");
    assert.equal(release?.inputs.name, "voxpersona");
    assert.deepEqual(
      release?.inputs.imageTagMutabilityExclusionFilters.map((f: { filter: string }) => f.filter),
      ["dev", "staging", "prod", "staging-slot-*", "prod-slot-*"],
    );
    assert.deepEqual(release?.inputs.imageScanningConfiguration, { scanOnPush: true });
    assert.deepEqual(
      recorded
        .filter((x) => x.type === "aws:ecr/repository:Repository")
        .map((x) => x.inputs.name)
        .sort(),
      [
        "voxpersona",
        ...STAGES.map((s) => `voxpersona/cache/${s}`),
        ...STAGES.map((s) => `voxpersona/cache-pr/${s}`),
      ].sort(),
    );
    const lifecycle = JSON.parse(recorded.find((x) => x.name === "reg-cache-final-lifecycle")?.inputs.policy);
    assert.deepEqual(lifecycle.rules[0].selection.tagPatternList, ["main"]);
  });

  for (const [what, args, message] of [
    [
      "KMS without a key",
      { encryption: "KMS" },
      'args.kmsKeyArn is required when args.encryption is "KMS"; pass the key, or args.encryption "AES256"',
    ],
    [
      "no image to keep",
      { keepBuildImages: 0 },
      "args.keepBuildImages must be an integer from 1 to 1000 (got 0)",
    ],
    [
      "a cache kept forever",
      { cacheLifecycleDays: { ...days, final: 5000 } },
      'args.cacheLifecycleDays["final"] must be an integer from 1 to 3650 (got 5000)',
    ],
  ] as const) {
    it(`refuses ${what} in its own argument names`, () => {
      assert.throws(
        () => new Registry("reg", { cacheLifecycleDays: days, ...args }),
        (err: Error) => pulumi.ResourceError.isInstance(err) && err.message === `Registry "reg": ${message}`,
      );
    });
  }
});
