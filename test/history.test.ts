/**
 * `npm run history`: against the ECR fake (helpers/ecr-fake.ts, AWS JSON 1.1) through the real AWS SDK
 * client, in-process, and once as the real CLI. The repository holds what promotions write: the tags come
 * from the same functions the environment tag's provider uses (infra/release-tags.ts).
 */
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import * as path from "node:path";
import { DescribeImagesCommand, ECRClient } from "@aws-sdk/client-ecr";
import { promotionTags } from "../infra/release-tags";
import { EXIT, USAGE, historyMain } from "../scripts/history";
import { AwsJsonFake, FAKE_AWS_ENV } from "./helpers/aws-json-fake";
import { DESCRIBE_IMAGES_PAGE, MemoryStore, startEcrFake } from "./helpers/ecr-fake";

const ROOT = path.resolve(__dirname, "..");
const OCI = "application/vnd.oci.image.manifest.v1+json";
const DAY = 24 * 3600 * 1000;
const T0 = Date.UTC(2026, 10, 1, 9, 30);
/** Builds pushed one per hour from T0: more than one DescribeImages page. */
const BUILDS = 150;

const manifest = (n: number) => JSON.stringify({ schemaVersion: 2, mediaType: OCI, layers: [n] });

interface Run {
  readonly code: number;
  readonly stdout: string[];
  readonly stderr: string[];
}

function client(fake: AwsJsonFake) {
  return (region: string) =>
    new ECRClient({
      region,
      endpoint: fake.endpoint,
      credentials: {
        accessKeyId: FAKE_AWS_ENV.AWS_ACCESS_KEY_ID,
        secretAccessKey: FAKE_AWS_ENV.AWS_SECRET_ACCESS_KEY,
      },
    });
}

async function run(fake: AwsJsonFake, argv: string[]): Promise<Run> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await historyMain(argv, {
    createEcr: client(fake),
    stdout: (l) => stdout.push(l),
    stderr: (l) => stderr.push(l),
    root: ROOT,
  });
  return { code, stdout, stderr };
}

describe("npm run history", function () {
  this.timeout(30000);
  let store: MemoryStore;
  let fake: AwsJsonFake;
  const build: string[] = [];

  /** A promotion as the provider writes it: slot, history tag, environment tag. */
  const promote = (stack: string, n: number, slot: number, at: number) => {
    for (const tag of promotionTags(stack, slot, new Date(at))) store.tags.set(`voxpersona:${tag}`, build[n]);
  };

  before(async () => {
    store = new MemoryStore(["voxpersona"]);
    for (let n = 1; n <= BUILDS; n++) {
      build[n] = store.add(
        "voxpersona",
        manifest(n),
        OCI,
        `git-${String(n).padStart(6, "0")}`,
        new Date(T0 + n * 3600_000),
      );
    }
    // An untagged image (a build pushed without a build tag whose dev tag moved on): not listed.
    store.add("voxpersona", manifest(0), OCI, undefined, new Date(T0));
    store.tags.set("voxpersona:dev", build[150]);
    promote("staging", 140, 0, T0 + 6 * DAY);
    // prod: seven promotions over 5 slots; the 4th is a rollback to build 20, the last one's deploy failed.
    promote("prod", 10, 0, T0 + 1 * DAY);
    promote("prod", 20, 1, T0 + 2 * DAY);
    promote("prod", 30, 2, T0 + 3 * DAY);
    promote("prod", 20, 3, T0 + 3 * DAY + 3600_000);
    promote("prod", 40, 4, T0 + 4 * DAY);
    promote("prod", 50, 0, T0 + 5 * DAY);
    promote("prod", 60, 1, T0 + 5 * DAY + 120_000);
    fake = await startEcrFake(store);
  });
  after(() => fake?.close());

  /** One entry of the report, as the command prints it. */
  const entry = (
    i: number,
    promoted: string,
    historyTag: string,
    n: number,
    pushed: string,
    slot: string,
    tags: string[],
    current = false,
  ) => [
    `${i}. promoted ${promoted} UTC (${historyTag})${current ? "  <- the prod tag" : ""}`,
    `   ${build[n]}`,
    `   pushed ${pushed} UTC; kept: slot ${slot}`,
    `   tags: ${tags.join(", ")}`,
    ...(current
      ? [
          "   prod runs it, unless its deploy failed (npm run verify-deploy -- --stack prod tells);",
          "   then prod still runs the last one whose deploy succeeded.",
        ]
      : []),
    `   ${current ? "pin it" : "roll back"}: gh workflow run rollback.yml -f stack=prod -f digest=${build[n]}`,
    `      or: pulumi config set --stack prod voxpersona:imageDigest ${build[n]} && pulumi up --stack prod`,
    "",
  ];
  const prodReport = () => [
    "prod: the last 5 of 7 recorded promotions, newest first (ECR repository voxpersona in eu-central-1)",
    "",
    ...entry(
      1,
      "2026-11-06 09:32:00",
      "prod-20261106T093200Z",
      60,
      "2026-11-03 21:30:00",
      "prod-slot-1",
      ["git-000060", "prod", "prod-20261106T093200Z", "prod-slot-1"],
      true,
    ),
    ...entry(2, "2026-11-06 09:30:00", "prod-20261106T093000Z", 50, "2026-11-03 11:30:00", "prod-slot-0", [
      "git-000050",
      "prod-20261106T093000Z",
      "prod-slot-0",
    ]),
    ...entry(3, "2026-11-05 09:30:00", "prod-20261105T093000Z", 40, "2026-11-03 01:30:00", "prod-slot-4", [
      "git-000040",
      "prod-20261105T093000Z",
      "prod-slot-4",
    ]),
    // The rollback to build 20: its second promotion; it holds the slot of that one.
    ...entry(4, "2026-11-04 10:30:00", "prod-20261104T103000Z", 20, "2026-11-02 05:30:00", "prod-slot-3", [
      "git-000020",
      "prod-20261103T093000Z",
      "prod-20261104T103000Z",
      "prod-slot-3",
    ]),
    ...entry(5, "2026-11-04 09:30:00", "prod-20261104T093000Z", 30, "2026-11-02 15:30:00", "prod-slot-2", [
      "git-000030",
      "prod-20261104T093000Z",
      "prod-slot-2",
    ]),
    "The promotion after a rollback moves prod on again; to hold a rollback, commit the pin " +
      "(voxpersona:imageDigest in Pulumi.prod.yaml) in a pull request.",
  ];

  it("lists the stack's last keepHistory promotions with push and promotion times, newest first", async () => {
    fake.calls.length = 0;
    const r = await run(fake, ["--stack", "prod"]);
    assert.deepEqual(r, { code: EXIT.ok, stdout: prodReport(), stderr: [] });
    // Every tagged image, through DescribeImages' pages (100 a page when maxResults is not given).
    assert.equal(DESCRIBE_IMAGES_PAGE, 100);
    assert.deepEqual(
      fake.calls.map((c) => [c.operation, c.input]),
      [
        ["DescribeImages", { repositoryName: "voxpersona", filter: { tagStatus: "TAGGED" } }],
        [
          "DescribeImages",
          { repositoryName: "voxpersona", filter: { tagStatus: "TAGGED" }, nextToken: "MTAw" },
        ],
      ],
    );
    for (const call of fake.calls) {
      assert.equal(call.contentType, "application/x-amz-json-1.1");
      assert.match(
        String(call.authorization),
        /^AWS4-HMAC-SHA256 Credential=AKIDFAKEFAKEFAKEFAKE\/\d{8}\/eu-central-1\/ecr\//,
      );
    }
  });

  it("takes the repository, region and count from flags, and then needs no stack file", async () => {
    const other = new MemoryStore(["team/bot"]);
    const d = other.add("team/bot", manifest(1), OCI, "git-1", new Date(T0));
    for (const tag of promotionTags("canary", 0, new Date(T0 + DAY))) other.tags.set(`team/bot:${tag}`, d);
    const otherFake = await startEcrFake(other);
    try {
      const r = await run(otherFake, [
        "--stack",
        "canary",
        "--repository",
        "team/bot",
        "--region",
        "us-east-1",
        "--count",
        "3",
      ]);
      assert.equal(r.code, EXIT.ok);
      assert.deepEqual(r.stdout.slice(0, 3), [
        "canary: the last 1 of 1 recorded promotions, newest first (ECR repository team/bot in us-east-1)",
        "",
        "1. promoted 2026-11-02 09:30:00 UTC (canary-20261102T093000Z)  <- the canary tag",
      ]);
      assert.match(String(otherFake.calls[0].authorization), /\/us-east-1\/ecr\//);
    } finally {
      await otherFake.close();
    }
  });

  it("--count lists more than the protected promotions, and says which are no longer kept", async () => {
    const r = await run(fake, ["--stack", "prod", "--count", "7"]);
    assert.equal(
      r.stdout[0],
      "prod: the last 7 of 7 recorded promotions, newest first (ECR repository voxpersona in eu-central-1)",
    );
    // Build 20's first promotion: the image holds slot 3 (its later promotion); build 10 holds none.
    assert.deepEqual(r.stdout.filter((l) => /^\d\. promoted|^   pushed/.test(l)).slice(10), [
      "6. promoted 2026-11-03 09:30:00 UTC (prod-20261103T093000Z)",
      "   pushed 2026-11-02 05:30:00 UTC; kept: slot prod-slot-3",
      "7. promoted 2026-11-02 09:30:00 UTC (prod-20261102T093000Z)",
      "   pushed 2026-11-01 19:30:00 UTC; no slot: no longer protected, it may expire",
    ]);
  });

  it("says when the environment tag predates history tags, and when nothing was promoted", async () => {
    const legacy = new MemoryStore(["voxpersona"]);
    const d = legacy.add("voxpersona", manifest(1), OCI, "git-1", new Date(T0));
    legacy.tags.set("voxpersona:staging", d);
    const legacyFake = await startEcrFake(legacy);
    try {
      assert.deepEqual(await run(legacyFake, ["--stack", "staging"]), {
        code: EXIT.ok,
        stdout: [
          `staging tag: ${d}, pushed 2026-11-01 09:30:00 UTC, promoted before history tags existed (tags: git-1, ` +
            "staging); its next promotion starts the history.",
          "staging: no promotion recorded in ECR repository voxpersona in eu-central-1 (history tags " +
            "staging-<UTC time>).",
        ],
        stderr: [],
      });
    } finally {
      await legacyFake.close();
    }
  });

  it("refuses dev (a build stack), an unknown stack and a bad command line, with exit 2", async () => {
    fake.calls.length = 0;
    assert.deepEqual(await run(fake, ["--stack", "dev"]), {
      code: EXIT.usage,
      stdout: [],
      stderr: [
        "history: dev builds, it is never promoted: its history is its build tags (git-…), the newest 30 of " +
          "which are kept: aws ecr describe-images --region eu-central-1 --repository-name voxpersona " +
          "--filter tagStatus=TAGGED",
      ],
    });
    const unknown = await run(fake, ["--stack", "qa"]);
    assert.equal(unknown.code, EXIT.usage);
    assert.deepEqual(unknown.stderr, [
      `history: no stack file ${path.join(ROOT, "Pulumi.qa.yaml")}: --stack must name a stack of this project ` +
        "(or pass --repository, --region and --count)",
    ]);
    assert.deepEqual(await run(fake, []), {
      code: EXIT.usage,
      stdout: [],
      stderr: ["history: --stack is required", USAGE],
    });
    assert.deepEqual((await run(fake, ["--stack", "prod", "--count", "0"])).stderr, [
      'history: --count must be a positive integer (got "0")',
      USAGE,
    ]);
    assert.deepEqual(await run(fake, ["--stack", "prod", "--since", "1d"]), {
      code: EXIT.usage,
      stdout: [],
      stderr: ["history: Unknown option '--since'", USAGE],
    });
    assert.deepEqual(fake.calls, [], "nothing is asked of ECR");
  });

  it("exits 1 naming the call and the error when ECR cannot be read", async () => {
    const r = await run(fake, ["--stack", "prod", "--repository", "nope"]);
    assert.deepEqual(r, {
      code: EXIT.failed,
      stdout: [],
      stderr: [
        "history: ECR DescribeImages of repository nope in eu-central-1 failed: RepositoryNotFoundException: " +
          "The repository with name 'nope' does not exist in the registry with id '123456789012'",
      ],
    });
  });

  it("runs as the real CLI, the SDK pointed at the fake only through AWS_ENDPOINT_URL_ECR", async () => {
    const tsNode = path.join(ROOT, "node_modules", ".bin", "ts-node");
    const env = {
      PATH: process.env.PATH ?? "",
      ...FAKE_AWS_ENV,
      AWS_ENDPOINT_URL_ECR: fake.endpoint,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    };
    const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        tsNode,
        ["--transpile-only", "scripts/history.ts", "--stack", "prod"],
        { cwd: ROOT, env },
        (err, stdout, stderr) => resolve({ code: err === null ? 0 : Number(err.code), stdout, stderr }),
      );
    });
    assert.deepEqual(out, { code: 0, stdout: prodReport().join("\n") + "\n", stderr: "" });
  });
});

describe("the ECR fake's DescribeImages (the AWS SDK's view of it)", () => {
  it("answers the real shape: push time as a timestamp, tags only on tagged images, filters and pages", async () => {
    const store = new MemoryStore(["voxpersona"]);
    const tagged = store.add("voxpersona", manifest(1), OCI, "git-1", new Date(T0));
    const untagged = store.add("voxpersona", manifest(2), OCI, undefined, new Date(T0 + 1000));
    const fake = await startEcrFake(store);
    const ecr = client(fake)("eu-central-1");
    try {
      const all = await ecr.send(new DescribeImagesCommand({ repositoryName: "voxpersona", maxResults: 1 }));
      assert.deepEqual(
        all.imageDetails?.map((i) => [i.imageDigest, i.imageTags, i.imagePushedAt?.toISOString()]),
        [[tagged, ["git-1"], "2026-11-01T09:30:00.000Z"]],
      );
      const next = await ecr.send(
        new DescribeImagesCommand({ repositoryName: "voxpersona", maxResults: 1, nextToken: all.nextToken }),
      );
      assert.deepEqual(
        next.imageDetails?.map((i) => [i.imageDigest, i.imageTags]),
        [[untagged, undefined]],
      );
      assert.equal(next.nextToken, undefined);
      const onlyUntagged = await ecr.send(
        new DescribeImagesCommand({ repositoryName: "voxpersona", filter: { tagStatus: "UNTAGGED" } }),
      );
      assert.deepEqual(
        onlyUntagged.imageDetails?.map((i) => i.imageDigest),
        [untagged],
      );
      await assert.rejects(
        ecr.send(new DescribeImagesCommand({ repositoryName: "voxpersona", maxResults: 1001 })),
        (err: Error) => err.name === "InvalidParameterException",
      );
      await assert.rejects(
        ecr.send(
          new DescribeImagesCommand({ repositoryName: "voxpersona", imageIds: [{ imageTag: "git-9" }] }),
        ),
        (err: Error) => err.name === "ImageNotFoundException",
      );
      // A new tag does not make an image younger.
      store.tags.set("voxpersona:prod", tagged);
      const byTag = await ecr.send(
        new DescribeImagesCommand({ repositoryName: "voxpersona", imageIds: [{ imageTag: "prod" }] }),
      );
      assert.deepEqual(
        byTag.imageDetails?.map((i) => [i.imageTags, i.imagePushedAt?.toISOString()]),
        [[["git-1", "prod"], "2026-11-01T09:30:00.000Z"]],
      );
    } finally {
      ecr.destroy();
      await fake.close();
    }
  });
});
