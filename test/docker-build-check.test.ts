import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { unknown as sdkUnknown } from "@pulumi/pulumi/output";
import * as rpc from "@pulumi/pulumi/runtime/rpc";
import {
  ARCHIVE_SIG,
  ASSET_SIG,
  NotModeledError,
  OUTPUT_VALUE_SIG,
  RESOURCE_SIG,
  SECRET_SIG,
  SPECIAL_SIG_KEY,
  UNKNOWN,
  checkImageInputs,
  checkImageInputsDetailed,
  decodeImageInputs,
  previewCreateOutcome,
  secret,
} from "./helpers/docker-build-check";

// google-protobuf ships no types; this is the Struct round trip the mock monitor's request goes through.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Struct } = require("google-protobuf/google/protobuf/struct_pb") as {
  Struct: { fromJavaScript(o: unknown): { toJavaScript(): Record<string, unknown> } };
};

const EXPORT_NEEDS_TAG = "at least one tag or export name is needed when pushing to a registry";
const MULTIPLE_EXPORTS = "multiple exports require a v0.13 buildkit daemon or newer";

/** A build context with a Dockerfile, a context without one, and a directory where a Dockerfile would be. */
let dir: string;
let bare: string;
const withContext = (extra: Record<string, unknown>): Record<string, unknown> => ({
  push: false,
  context: { location: dir },
  ...extra,
});
const check = (wire: Record<string, unknown>, preview = false, supportsMultipleExports = false) =>
  checkImageInputs(wire, { preview, cwd: dir, supportsMultipleExports });
const detailed = (wire: Record<string, unknown>, preview = false, supportsMultipleExports = false) =>
  checkImageInputsDetailed(wire, { preview, cwd: dir, supportsMultipleExports });

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "docker-build-check-"));
  fs.writeFileSync(path.join(dir, "Dockerfile"), "FROM scratch\n");
  fs.writeFileSync(path.join(dir, "comments.Dockerfile"), "# nothing but a comment\n\n");
  fs.mkdirSync(path.join(dir, "dir.Dockerfile"));
  bare = fs.mkdtempSync(path.join(os.tmpdir(), "docker-build-check-bare-"));
});
after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(bare, { recursive: true, force: true });
});

describe("docker-build-check: the Node SDK wire format", () => {
  it("uses the SDK's own sentinel and signatures", () => {
    assert.equal(UNKNOWN, rpc.unknownValue);
    assert.equal(SPECIAL_SIG_KEY, rpc.specialSigKey);
    assert.equal(SECRET_SIG, rpc.specialSecretSig);
    assert.equal(ASSET_SIG, rpc.specialAssetSig);
    assert.equal(ARCHIVE_SIG, rpc.specialArchiveSig);
    assert.equal(RESOURCE_SIG, rpc.specialResourceSig);
    assert.equal(OUTPUT_VALUE_SIG, rpc.specialOutputValueSig);
    assert.deepEqual(secret("pw"), {
      "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
      value: "pw",
    });
    assert.deepEqual(secret(undefined), { [SPECIAL_SIG_KEY]: SECRET_SIG, value: null });
  });

  it("checks exactly what serializeProperties + the protobuf Struct deliver", async () => {
    const whole = await rpc.serializeProperties("t", {
      push: true,
      tags: sdkUnknown,
      context: { location: dir },
    });
    const elems = await rpc.serializeProperties("t", {
      push: true,
      tags: [sdkUnknown],
      context: { location: dir },
    });
    const wireWhole = Struct.fromJavaScript(whole).toJavaScript();
    const wireElems = Struct.fromJavaScript(elems).toJavaScript();
    assert.deepEqual(wireWhole.tags, UNKNOWN);
    assert.deepEqual(wireElems.tags, [UNKNOWN]);
    assert.deepEqual(check(wireWhole, true), [EXPORT_NEEDS_TAG]);
    assert.deepEqual(check(wireElems, true), []);
  });
});

describe("decodeImageInputs: pulumi-go-provider ende.Decode + mapper + defaults", () => {
  it("decodes a wholly unknown list as an empty list", () => {
    const d = decodeImageInputs({ push: true, tags: UNKNOWN });
    assert.deepEqual(d.args?.tags, []);
    assert.deepEqual(d.unknownPaths, ["tags"]);
    assert.equal(d.preview, true);
  });

  it("keeps the length of a list whose elements are unknown (each decodes as its zero value)", () => {
    const d = decodeImageInputs({
      push: true,
      tags: [UNKNOWN, "a:1"],
      cacheFrom: [UNKNOWN],
      platforms: [UNKNOWN],
    });
    assert.deepEqual(d.args?.tags, ["", "a:1"]);
    assert.deepEqual(d.args?.cacheFrom, [{ raw: "", disabled: false }]);
    assert.deepEqual(d.args?.platforms, [""]);
    assert.deepEqual(d.unknownPaths, ["cacheFrom[0]", "platforms[0]", "tags[0]"]);
  });

  it("decodes an unknown string as the empty string and an unknown map as an empty map", () => {
    const d = decodeImageInputs({ push: false, target: UNKNOWN, buildArgs: UNKNOWN });
    assert.equal(d.args?.target, "");
    assert.deepEqual(d.args?.buildArgs, {});
  });

  it("decodes an unknown object as a present struct with zero required fields and no optional ones", () => {
    const d = decodeImageInputs({ push: false, context: UNKNOWN, dockerfile: UNKNOWN });
    assert.deepEqual(d.args?.context, { location: "" });
    assert.deepEqual(d.args?.dockerfile, { location: "", inline: "" });
  });

  it("decodes an unknown field inside an object as that field's zero value", () => {
    const d = decodeImageInputs({ push: false, cacheFrom: [{ registry: { ref: UNKNOWN } }] });
    assert.deepEqual(d.args?.cacheFrom, [{ registry: { ref: "" }, raw: "", disabled: false }]);
    assert.deepEqual(d.unknownPaths, ["cacheFrom[0].registry.ref"]);
  });

  it("decodes an unknown *bool as false, so its default does not apply", () => {
    assert.equal(decodeImageInputs({ push: false, buildOnPreview: UNKNOWN }).args?.buildOnPreview, false);
    assert.equal(decodeImageInputs({ push: false }).args?.buildOnPreview, true);
    const push = decodeImageInputs({ push: false, exports: [{ registry: { push: UNKNOWN } }] });
    assert.equal(push.args?.exports?.[0].registry?.push, false);
  });

  it("applies the provider's defaults to an unknown export object (registry push defaults to true)", () => {
    const d = decodeImageInputs({ push: false, exports: [{ registry: UNKNOWN }] });
    assert.deepEqual(d.args?.exports?.[0].registry, {
      push: true,
      danglingNamePrefix: "",
      store: true,
      ociMediaTypes: false,
      compression: "gzip",
      compressionLevel: 0,
      forceCompression: false,
    });
  });

  it("unwraps secrets, including an SDK secret around a map, and reports their paths", () => {
    const d = decodeImageInputs({ push: false, secrets: secret({ TOKEN: "t" }), target: secret("final") });
    assert.deepEqual(d.args?.secrets, { TOKEN: "t" });
    assert.equal(d.args?.target, "final");
    assert.deepEqual(d.secretPaths, ["secrets", "target"]);
    assert.equal(d.preview, false);
  });

  it("treats an output value without a value as unknown and one with a value as that value", () => {
    const d = decodeImageInputs({
      push: false,
      target: { [SPECIAL_SIG_KEY]: OUTPUT_VALUE_SIG, dependencies: ["urn:a"] },
      tags: { [SPECIAL_SIG_KEY]: OUTPUT_VALUE_SIG, value: ["a:1"], secret: true },
    });
    assert.equal(d.args?.target, "");
    assert.deepEqual(d.args?.tags, ["a:1"]);
    assert.deepEqual(d.unknownPaths, ["target"]);
    assert.deepEqual(d.secretPaths, ["tags"]);
  });

  it("refuses resource references, which it does not model", () => {
    assert.throws(
      () => decodeImageInputs({ push: false, target: { [SPECIAL_SIG_KEY]: RESOURCE_SIG, urn: "urn:x" } }),
      NotModeledError,
    );
  });
});

describe("checkImageInputs: infer.DefaultCheck (mapper) failures", () => {
  it("push is the one required input", () => {
    assert.deepEqual(check(withContext({ push: false })), []);
    assert.deepEqual(check({ context: { location: dir } }), [
      "Missing required field 'push' on 'internal.ImageArgs'",
    ]);
  });

  it("a registry cacheFrom needs its ref", () => {
    assert.deepEqual(
      check(withContext({ cacheFrom: [{ registry: { ref: "r.example.com/app:cache" } }] })),
      [],
    );
    assert.deepEqual(check(withContext({ cacheFrom: [{ registry: {} }] })), [
      "An error occurred decoding 'ImageArgs.cacheFrom[0]': 1 failures decoding:\n" +
        "\tregistry: An error occurred decoding 'CacheFrom.registry': 1 failures decoding:\n" +
        "\tref: Missing required field 'ref' on 'internal.CacheFromRegistry'",
    ]);
  });

  it("a registry cacheTo needs its ref", () => {
    assert.deepEqual(check(withContext({ cacheTo: [{ registry: { ref: "r.example.com/app:cache" } }] })), []);
    assert.deepEqual(check(withContext({ cacheTo: [{ registry: { mode: "max" } }] })), [
      "An error occurred decoding 'ImageArgs.cacheTo[0]': 1 failures decoding:\n" +
        "\tregistry: An error occurred decoding 'CacheTo.registry': 1 failures decoding:\n" +
        "\tref: Missing required field 'ref' on 'internal.CacheToRegistry'",
    ]);
  });

  it("a context needs its location, and so does every named context", () => {
    assert.deepEqual(
      check(withContext({ context: { location: dir, named: { base: { location: dir } } } })),
      [],
    );
    assert.deepEqual(check({ push: false, context: {} }), [
      "An error occurred decoding 'ImageArgs.context': 1 failures decoding:\n" +
        "\tlocation: Missing required field 'location' on 'internal.BuildContext'",
    ]);
    assert.deepEqual(check(withContext({ context: { location: dir, named: { base: {} } } })), [
      "An error occurred decoding 'ImageArgs.context': 1 failures decoding:\n" +
        "\tnamed[base] value: An error occurred decoding 'BuildContext.named[base] value': 1 failures decoding:\n" +
        "\tlocation: Missing required field 'location' on 'internal.Context'",
    ]);
  });

  it("local and tar exports need a dest", () => {
    assert.deepEqual(check(withContext({ exports: [{ tar: { dest: "out.tar" } }] })), []);
    assert.deepEqual(check(withContext({ exports: [{ tar: {} }] })), [
      "An error occurred decoding 'ImageArgs.exports[0]': 1 failures decoding:\n" +
        "\ttar: An error occurred decoding 'Export.tar': 1 failures decoding:\n" +
        "\tdest: Missing required field 'dest' on 'internal.ExportTar'",
    ]);
  });

  it("reports every mapper failure (wrong types, unknown keys), not only the last", () => {
    assert.deepEqual(check(withContext({ push: "true", tags: [1], labels: { a: true }, colour: "red" })), [
      "Field 'labels[a] value' on 'internal.ImageArgs' must be a 'string'; got 'bool' instead",
      "Field 'push' on 'internal.ImageArgs' must be a 'bool'; got 'string' instead",
      "Field 'tags[0]' on 'internal.ImageArgs' must be a 'string'; got 'float64' instead",
      "Unrecognized field 'colour' on 'internal.ImageArgs'",
    ]);
  });
});

describe("checkImageInputs: ImageArgs.validate, and Check keeping only its last failure", () => {
  it("reports only the last of several validate failures", () => {
    const wire = withContext({ tags: ["Bad"], platforms: ["foo"], cacheFrom: [{ raw: "=x" }] });
    assert.deepEqual(
      detailed(wire).validateFailures.map((f) => f.reason),
      [
        '"foo": unknown operating system or architecture: invalid argument',
        'type required form> "=x"',
        "repository name must be lowercase",
      ],
    );
    assert.deepEqual(check(wire), ["repository name must be lowercase"]);
    assert.deepEqual(detailed(wire).failures, [
      { property: "tags[0]", reason: "repository name must be lowercase" },
    ]);
  });

  describe("exports and push (image.go validate, export.go Export.validate)", () => {
    it("a registry push needs a tag or an export name", () => {
      assert.deepEqual(check(withContext({ push: true, tags: ["r.example.com/app:1"] })), []);
      assert.deepEqual(
        check(withContext({ exports: [{ registry: { names: ["r.example.com/app:1"] } }] })),
        [],
      );
      assert.deepEqual(check(withContext({ push: true })), [EXPORT_NEEDS_TAG]);
      assert.deepEqual(check(withContext({ exports: [{ registry: {} }] })), [EXPORT_NEEDS_TAG]);
      assert.deepEqual(check(withContext({ exports: [{ raw: "type=registry" }] })), [EXPORT_NEEDS_TAG]);
      assert.deepEqual(check(withContext({ exports: [{ raw: "type=registry,name=r.example.com/a" }] })), []);
    });

    it("an image export only pushes (and needs a tag) with push: true; registry push: false never does", () => {
      assert.deepEqual(check(withContext({ exports: [{ image: {} }] })), []);
      assert.deepEqual(check(withContext({ exports: [{ registry: { push: false } }] })), []);
      assert.deepEqual(check(withContext({ exports: [{ image: { push: true } }] })), [EXPORT_NEEDS_TAG]);
    });

    it("cacheonly, docker, oci, tar and local exports need no tag", () => {
      for (const e of [
        { cacheonly: {} },
        { docker: {} },
        { oci: { dest: "o.tar" } },
        { local: { dest: "out" } },
      ]) {
        assert.deepEqual(check(withContext({ exports: [e] })), [], JSON.stringify(e));
      }
    });

    it("an export sets one type", () => {
      assert.deepEqual(check(withContext({ exports: [{ raw: "type=docker" }] })), []);
      assert.deepEqual(check(withContext({ exports: [{ raw: "type=docker", registry: {} }] })), [
        "exports should only specify one export type",
      ]);
    });

    it("a raw export must parse", () => {
      assert.deepEqual(check(withContext({ exports: [{ raw: "type=" }] })), ["type is required for output"]);
      assert.deepEqual(check(withContext({ exports: [{ raw: "badexport,-" }] })), [
        "invalid value badexport",
      ]);
      assert.deepEqual(check(withContext({ exports: [{ raw: 'type=local,dest="a' }] })), [
        'parse error on line 1, column 17: bare " in non-quoted-field',
      ]);
      assert.deepEqual(check(withContext({ exports: [{}] })), ["EOF"]);
    });

    it("disabled exports, and in preview empty (unknown) ones, are skipped", () => {
      assert.deepEqual(check(withContext({ exports: [{ raw: "type=registry", disabled: true }] })), []);
      assert.deepEqual(check(withContext({ exports: [{}], tags: [UNKNOWN] }), true), []);
    });

    it("push, load and exports together need a BuildKit >= 0.13, which Check assumes absent by default", () => {
      const both = withContext({ push: true, tags: ["r.example.com/app:1"], exports: [{ cacheonly: {} }] });
      assert.deepEqual(check(both), [MULTIPLE_EXPORTS]);
      assert.deepEqual(check(both, false, true), []);
      assert.deepEqual(check(withContext({ exports: [{ cacheonly: {} }, { docker: {} }] })), [
        MULTIPLE_EXPORTS,
      ]);
      assert.deepEqual(check(withContext({ push: true, load: true, tags: ["a"] })), [
        "simultaneous push and load requires a v0.13 buildkit daemon or newer",
      ]);
    });

    it("push appends its registry export after the explicit ones", () => {
      const wire = withContext({ push: true, exports: [{ docker: {} }] });
      assert.deepEqual(detailed(wire, false, true).failures, [
        { property: "exports[1]", reason: EXPORT_NEEDS_TAG },
      ]);
    });

    it("tags sent as one whole unknown value while pushing to a registry fail with the export message even in preview", () => {
      assert.deepEqual(check(withContext({ push: true, tags: UNKNOWN }), true), [EXPORT_NEEDS_TAG]);
      assert.deepEqual(
        check(withContext({ exports: [{ registry: { store: false } }], tags: UNKNOWN }), true),
        [EXPORT_NEEDS_TAG],
      );
    });

    it("tags as a list of known length whose elements are unknown pass in preview", () => {
      assert.deepEqual(check(withContext({ push: true, tags: [UNKNOWN] }), true), []);
      assert.deepEqual(
        check(withContext({ exports: [{ registry: { store: false } }], tags: [UNKNOWN, UNKNOWN] }), true),
        [],
      );
    });

    it("an unknown export name is the empty name: a registry push without tags still fails in preview", () => {
      assert.deepEqual(check(withContext({ exports: [{ registry: { names: [UNKNOWN] } }] }), true), [
        EXPORT_NEEDS_TAG,
      ]);
    });

    it("an unknown registry push flag decodes as false, so the tag rule does not fire", () => {
      assert.deepEqual(check(withContext({ exports: [{ registry: { push: UNKNOWN } }] }), true), []);
    });
  });

  describe("tags (distribution/reference Parse)", () => {
    it("accepts references and rejects malformed ones with the parser's message", () => {
      assert.deepEqual(
        check(withContext({ tags: ["r.example.com:5000/team/app:v1.2", "app", "localhost/a"] })),
        [],
      );
      const digest = "a".repeat(64);
      assert.deepEqual(check(withContext({ tags: [`app@sha256:${digest}`] })), []);
      assert.deepEqual(check(withContext({ tags: ["a/bad:tag:format"] })), ["invalid reference format"]);
      assert.deepEqual(check(withContext({ tags: ["r.example.com/App:1"] })), [
        "repository name must be lowercase",
      ]);
      assert.deepEqual(check(withContext({ tags: [""] })), [
        "repository name must have at least one component",
      ]);
      assert.deepEqual(check(withContext({ tags: ["x".repeat(256)] })), [
        "repository name must not be more than 255 characters",
      ]);
      assert.deepEqual(check(withContext({ tags: ["app@sha256:abc"] })), ["invalid reference format"]);
      assert.deepEqual(check(withContext({ tags: [`app@sha256:${"a".repeat(63)}`] })), [
        "invalid checksum digest length",
      ]);
      assert.deepEqual(check(withContext({ tags: [`app@sha256:${"a".repeat(65)}`] })), [
        "invalid checksum digest length",
      ]);
      assert.deepEqual(check(withContext({ tags: [`app@sha256:${"A".repeat(64)}`] })), [
        "invalid checksum digest format",
      ]);
      assert.deepEqual(check(withContext({ tags: [`app@md5:${"a".repeat(32)}`] })), [
        "unsupported digest algorithm",
      ]);
    });

    it("skips unknown tags in preview and numbers the rest after filtering", () => {
      assert.deepEqual(detailed(withContext({ tags: [UNKNOWN, "Bad"] }), true).failures, [
        { property: "tags[0]", reason: "repository name must be lowercase" },
      ]);
    });
  });

  describe("cacheFrom / cacheTo (cache.go validate, buildx ParseCacheEntry)", () => {
    it("accepts typed and raw entries", () => {
      const wire = withContext({
        cacheFrom: [
          { registry: { ref: "r.example.com/a:cache" } },
          { raw: "r.example.com/a:cache" },
          { gha: {} },
        ],
        cacheTo: [
          { registry: { ref: "r.example.com/a:cache", mode: "max", imageManifest: true } },
          { inline: {} },
        ],
      });
      assert.deepEqual(check(wire), []);
    });

    it("does not check mode values, image-manifest/oci-mediatypes, or the ref's value", () => {
      const wire = withContext({
        cacheTo: [{ registry: { ref: "", mode: "everything", imageManifest: true, ociMediaTypes: false } }],
      });
      assert.deepEqual(check(wire), []);
      assert.deepEqual(check(withContext({ cacheFrom: [{ registry: { ref: UNKNOWN } }] }), true), []);
    });

    it("an entry sets one cache type", () => {
      assert.deepEqual(check(withContext({ cacheFrom: [{ raw: "type=gha", registry: { ref: "a" } }] })), [
        "cacheFrom should only specify one cache type",
      ]);
      assert.deepEqual(check(withContext({ cacheTo: [{ raw: "type=inline", inline: {} }] })), [
        "cacheTo should only specify one cache type",
      ]);
    });

    it("a raw entry must parse", () => {
      assert.deepEqual(check(withContext({ cacheFrom: [{ raw: "=badcachefrom" }] })), [
        'type required form> "=badcachefrom"',
      ]);
      assert.deepEqual(check(withContext({ cacheTo: [{ raw: "mode=max" }] })), [
        'type required form> "mode=max"',
      ]);
      assert.deepEqual(check(withContext({ cacheTo: [{ raw: "ref,type=registry" }] })), [
        "invalid value ref",
      ]);
    });
  });

  describe("platforms (buildx platformutil.Parse, containerd platforms.Parse)", () => {
    it("accepts os/arch[/variant], comma lists and local, enum or not", () => {
      const wire = withContext({
        platforms: ["linux/amd64", "linux/arm64/v8", "linux/amd64,linux/arm64", "local"],
      });
      assert.deepEqual(check(wire), []);
    });

    it("rejects what containerd cannot parse", () => {
      assert.deepEqual(check(withContext({ platforms: ["foo"] })), [
        '"foo": unknown operating system or architecture: invalid argument',
      ]);
      assert.deepEqual(check(withContext({ platforms: ["linux/amd64/v1/x"] })), [
        '"linux/amd64/v1/x": cannot parse platform specifier: invalid argument',
      ]);
      assert.deepEqual(check(withContext({ platforms: ["linux/*"] })), [
        '"linux/*": wildcards not yet supported: invalid argument',
      ]);
      assert.deepEqual(check(withContext({ platforms: ["linux/arm 64"] })), [
        '"arm 64" is an invalid component of "linux/arm 64": platform specifier component must match ' +
          '"^[A-Za-z0-9_.-]+$": invalid argument',
      ]);
      assert.deepEqual(check(withContext({ platforms: [""] })), [
        '"" is an invalid OS component of "": OSAndVersion specifier component must match ' +
          '"^([A-Za-z0-9_-]+)(?:\\\\(([A-Za-z0-9_.%-]*)((?:\\\\+[A-Za-z0-9_.%-]+)*)\\\\))?$": invalid argument',
      ]);
    });

    it("skips unknown platforms in preview", () => {
      assert.deepEqual(check(withContext({ platforms: [UNKNOWN] }), true), []);
    });
  });

  describe("context and dockerfile (context.go, dockerfile.go validate)", () => {
    it("the context must be a local directory or a remote URL", () => {
      const inline = { inline: "FROM scratch" };
      assert.deepEqual(check({ push: false, context: { location: dir } }), []);
      assert.deepEqual(check({ push: false, context: { location: "https://example.com/ctx.tar.gz" } }), []);
      assert.deepEqual(check({ push: false, context: { location: "git@github.com:acme/app.git" } }), []);
      assert.deepEqual(check({ push: false, context: { location: "nope" }, dockerfile: inline }), [
        '"nope": not a valid directory or URL',
      ]);
    });

    it("a missing context is the provider's working directory, with its Dockerfile", () => {
      assert.deepEqual(checkImageInputs({ push: false }, { preview: false, cwd: dir }), []);
      assert.deepEqual(checkImageInputs({ push: false }, { preview: false, cwd: bare }), [
        `open ${bare}/Dockerfile: no such file or directory`,
      ]);
    });

    it("a bad context also defaults a missing Dockerfile, whose failure is the one Check reports", () => {
      const r = detailed({ push: false, context: { location: "nope" } });
      assert.deepEqual(
        r.validateFailures.map((f) => f.property),
        ["context.location", "dockerfile.location"],
      );
      assert.deepEqual(r.failures, [
        { property: "dockerfile.location", reason: `open ${dir}/nope/Dockerfile: no such file or directory` },
      ]);
    });

    it("an unknown context location is not checked in preview", () => {
      assert.deepEqual(
        checkImageInputs({ push: false, context: { location: UNKNOWN } }, { preview: true, cwd: bare }),
        [],
      );
    });

    it("location and inline exclude each other", () => {
      assert.deepEqual(check(withContext({ dockerfile: { location: path.join(dir, "Dockerfile") } })), []);
      assert.deepEqual(check(withContext({ dockerfile: { inline: "FROM scratch" } })), []);
      assert.deepEqual(
        check(withContext({ dockerfile: { location: "Dockerfile", inline: "FROM scratch" } })),
        ['only specify "file" or "inline", not both'],
      );
    });

    it("a Dockerfile location must open and hold an instruction", () => {
      assert.deepEqual(check(withContext({ dockerfile: { location: "missing.Dockerfile" } })), [
        `open ${dir}/missing.Dockerfile: no such file or directory`,
      ]);
      assert.deepEqual(check(withContext({ dockerfile: { location: "comments.Dockerfile" } })), [
        "file with no instructions",
      ]);
      assert.deepEqual(check(withContext({ dockerfile: { location: "dir.Dockerfile" } })), [
        "file with no instructions",
      ]);
      assert.deepEqual(
        check(withContext({ dockerfile: { location: "https://example.com/Dockerfile" } })),
        [],
      );
    });

    it("an inline Dockerfile must hold an instruction unless another frontend is selected", () => {
      assert.deepEqual(check(withContext({ dockerfile: { inline: "  \n# only a comment\n" } })), [
        "file with no instructions",
      ]);
      assert.deepEqual(check(withContext({ dockerfile: { inline: "# syntax=docker/dockerfile:1\n" } })), [
        "file with no instructions",
      ]);
      assert.deepEqual(
        check(withContext({ dockerfile: { inline: "# syntax=example.com/frontend:1\n" } })),
        [],
      );
    });

    it("an unknown inline Dockerfile is '', so the default <context>/Dockerfile is opened even in preview", () => {
      // pulumi/pulumi-docker-build#96.
      const wire = { push: false, context: { location: bare }, dockerfile: { inline: UNKNOWN } };
      assert.deepEqual(check(wire, true), [`open ${bare}/Dockerfile: no such file or directory`]);
      assert.deepEqual(check({ ...wire, context: { location: dir } }, true), []);
    });

    it("reports what it cannot check", () => {
      assert.deepEqual(detailed(withContext({ dockerfile: { inline: "FROM scratch" } })).notModeled, [
        "dockerfile.inline: Dockerfile syntax",
      ]);
    });
  });

  describe("inputs validate leaves alone", () => {
    it("target, buildArgs, labels, network and secrets are passed through unchecked", () => {
      const wire = withContext({
        target: "no-such-stage",
        buildArgs: { "": "", A: UNKNOWN },
        labels: { "x y": "z" },
        network: "bridge-of-doom",
        secrets: secret({ TOKEN: UNKNOWN }),
      });
      assert.deepEqual(check(wire, true), []);
    });
  });

  describe("the provider's preview is 'an input is unknown', not the engine's dry run", () => {
    it("validates a fully known preview like an update", () => {
      const wire = { push: false, context: { location: bare } };
      assert.equal(detailed(wire, true).providerPreview, false);
      assert.deepEqual(check(wire, true), [`open ${bare}/Dockerfile: no such file or directory`]);
    });

    it("rejects unknowns outside a preview, which the SDK never sends", () => {
      assert.throws(() => check(withContext({ tags: [UNKNOWN] }), false), /outside a preview/);
    });
  });
});

describe("previewCreateOutcome: Create during a preview, after Check", () => {
  const opts = () => ({ cwd: dir });

  it("buildOnPreview: false does not skip validation (Check runs first)", () => {
    const broken = withContext({ push: true, tags: UNKNOWN, buildOnPreview: false });
    assert.deepEqual(previewCreateOutcome(broken, opts()), {
      result: "check",
      failures: [{ property: "exports[0]", reason: EXPORT_NEEDS_TAG }],
      warnings: [],
    });
  });

  it("buildOnPreview: false skips the build of valid inputs, before the unknown-inputs check", () => {
    const wire = withContext({ tags: [UNKNOWN], exports: [{ cacheonly: {} }], buildOnPreview: false });
    assert.deepEqual(previewCreateOutcome(wire, opts()), {
      result: "skip-buildOnPreview",
      failures: [],
      warnings: [],
    });
  });

  it("skips the build with a warning when an input is unknown", () => {
    const wire = withContext({ tags: [UNKNOWN], exports: [{ cacheonly: {} }] });
    assert.deepEqual(previewCreateOutcome(wire, opts()), {
      result: "skip-not-buildable",
      failures: [],
      warnings: ["Skipping preview build because some inputs are unknown."],
    });
  });

  it("also skips it for push: true with every input known (normalize appends the push export)", () => {
    const wire = withContext({ push: true, tags: ["r.example.com/app:1"] });
    assert.deepEqual(previewCreateOutcome(wire, opts()).result, "skip-not-buildable");
  });

  it("builds known inputs, warning when nothing is exported", () => {
    assert.deepEqual(previewCreateOutcome(withContext({ exports: [{ cacheonly: {} }] }), opts()), {
      result: "build",
      failures: [],
      warnings: [],
    });
    assert.deepEqual(previewCreateOutcome(withContext({}), opts()).warnings, [
      "No exports were specified so the build will only remain in the local build cache. " +
        "Use `push` to upload the image to a registry, or silence this warning with a `cacheonly` export.",
    ]);
  });
});
