/**
 * What the real `docker-build:index:Image` provider does with the inputs the Node SDK sends it, up to and
 * including `Check`. Pulumi's mocks never run a provider, so tests use this to run the provider's own
 * decoding and validation rules on exactly what `RegisterResourceRequest.getObject().toJavaScript()` holds.
 *
 * Sources (read with `git show <commit>:<path>`; every rule below cites the file and function it ports):
 * - pulumi/pulumi-docker-build tag v0.0.22 = eb787fad3785f384b7f4eae39e577ec90721772a, the version of the
 *   npm SDK `@pulumi/docker-build` 0.0.22 this program uses. "[pdb]" below means this commit.
 * - pulumi/pulumi-go-provider v1.3.2 = 4c954c152e83b55c9c4b7264b4b2be59a07e6a9a, the version pinned by
 *   [pdb]/go.mod. "[gp]" below means this commit.
 * - docker/buildx v0.35.0 = a319e5b15052cf6557ceb666eb8ff6e32380b782 ("[buildx]"),
 *   containerd/platforms v1.0.0-rc.4 = 09756f59cb1d6b3fb368f371043d36e634789537 ("[platforms]"),
 *   distribution/reference v0.6.0 = ff14fafe2236e51c2894ac07d4bdfc778e96d682 ("[reference]"),
 *   opencontainers/go-digest v1.0.0 = ea51bea511f75cfa3ef6098cc253c5c3609b037a ("[digest]"),
 *   tonistiigi/go-csvvalue 030d3b2625d0ae73babf789e079c07ae2c9940b4 ("[csvvalue]"),
 *   moby/buildkit v0.31.0 = c411f0ac55a2c56d3d68b7d92d257538d5d6f464 ("[buildkit]"): the versions in
 *   [pdb]/go.mod.
 * - pulumi/pulumi sdk/go/common/util/mapper: mapper_decode.go @1c7b7f97a1acb762ed2e417099888fec6c9f3f25,
 *   errors.go @1c4496a180d37bbb08f5dc283eb8f38c09a6599f, mapper.go @4fe4d48ec53097fd3e6f2dee72291399e59899c8
 *   ("[mapper]"), the copies stored in the code index, not necessarily the exact sdk v3.245.0 [pdb] pins.
 *   The messages have not changed in years, but a mapper message is the least certain text in this file.
 *   Also sdk/go/common/resource `ToResourcePropertyValue` (an unknown becomes MakeComputed(NewProperty(""))).
 * - golang/go src/errors/join.go @004db7a4f7351619dbe158887d77749a9c5c79e0 ("[go]"): Join does not flatten
 *   nested joins.
 *
 * Pipeline of a real Check ([gp] provider.go `(*provider).Check` -> infer/resource.go
 * `derivedResourceController.Check` -> [pdb] provider/internal/image.go `(*Image).Check`):
 *   1. `infer.DefaultCheck[ImageArgs]`: ende.Decode (unknowns -> zero values) + mapper.Decode (missing,
 *      wrongly typed or unrecognized fields). Any failure here is returned as is, all of them, and nothing
 *      else runs.
 *   2. `applyDefaults` ([gp] infer/apply_defaults.go) fills the `a.SetDefault` values of [pdb] into zero
 *      fields.
 *   3. `preview := property.New(req.NewInputs).HasComputed()`: the provider's "preview" is "some input,
 *      however deeply nested, is unknown", NOT the engine's dry-run flag. A `pulumi preview` whose inputs
 *      are all known is validated exactly like an update.
 *   4. `args.validate(supportsMultipleExports, preview)` collects failures with
 *      `multierr = errors.Join(multierr, err)`, then Check keeps only the `checkFailure`s among
 *      `berr.(interface{ Unwrap() []error }).Unwrap()`. Because errors.Join nests ([go]), that slice is
 *      `[<join of all earlier failures>, <last failure>]`: Check reports ONLY THE LAST validate failure.
 *      [pdb] image_test.go "invalid exports" relies on it (its missing ./Dockerfile failure is dropped).
 * There is no short-circuit in Check: `buildOnPreview` is only read later, in `(*Image).Create`, after the
 * same validate has run again (see `previewCreateOutcome`).
 */
import * as fs from "node:fs";
import * as path from "node:path";

// ---------------------------------------------------------------------------------------------------------
// Wire format of the Node SDK (node_modules/@pulumi/pulumi/runtime/rpc.js, @pulumi/pulumi 3.248.0).
// ---------------------------------------------------------------------------------------------------------

/** rpc.js `unknownValue`: what `serializeProperty` sends for an unknown output during preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** rpc.js `specialSigKey`: the key that marks a special object on the wire. */
export const SPECIAL_SIG_KEY = "4dabf18193072939515e22adb298388d";
/** rpc.js `specialSecretSig`: `{[SPECIAL_SIG_KEY]: SECRET_SIG, value}` is a secret. */
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
/** rpc.js `specialAssetSig` / `specialArchiveSig`: assets and archives. No ImageArgs field takes one. */
export const ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17";
export const ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7";
/** rpc.js `specialResourceSig`: `{sig, urn, id?}` is a resource reference. */
export const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
/** rpc.js `specialOutputValueSig`: `{sig, value?, secret?, dependencies?}`; no `value` key means unknown.
 * Only sent with `keepOutputValues` (remote components), never for a custom resource like Image. */
export const OUTPUT_VALUE_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";

/** The wire form of a secret, exactly as rpc.js `serializeSecretValue` builds it. */
export function secret(value: unknown): Record<string, unknown> {
  return { [SPECIAL_SIG_KEY]: SECRET_SIG, value: value === undefined ? null : value };
}

/** Thrown for an input the real provider would not answer with a Check failure this helper can predict. */
export class NotModeledError extends Error {}

// ---------------------------------------------------------------------------------------------------------
// The Go types of [pdb] provider/internal, as far as decoding, defaults and validation need them.
// ---------------------------------------------------------------------------------------------------------

type GoType =
  | { kind: "string"; name: string }
  | { kind: "bool" }
  | { kind: "int" }
  | { kind: "ptr"; elem: GoType }
  | { kind: "slice"; elem: GoType }
  | { kind: "map"; elem: GoType; name?: string }
  | GoStruct;

interface GoField {
  key: string;
  type: GoType;
  optional: boolean;
}

interface GoStruct {
  kind: "struct";
  /** `%v` of the reflect.Type, as the mapper prints it: "internal.ImageArgs". */
  name: string;
  /** Own `pulumi:"..."` fields, in declaration order. */
  fields: GoField[];
  /** Anonymous (embedded) struct fields, in declaration order. */
  embeds: GoStruct[];
  /** Merged `a.SetDefault` values of the struct and its embeds ([gp] infer/schema.go `getAnnotated`). */
  defaults: Record<string, unknown>;
}

const str = (name = "string"): GoType => ({ kind: "string", name });
const bool: GoType = { kind: "bool" };
const int: GoType = { kind: "int" };
const ptr = (elem: GoType): GoType => ({ kind: "ptr", elem });
const slice = (elem: GoType): GoType => ({ kind: "slice", elem });
const map = (elem: GoType, name?: string): GoType => ({ kind: "map", elem, name });
const req = (key: string, type: GoType): GoField => ({ key, type, optional: false });
const opt = (key: string, type: GoType): GoField => ({ key, type, optional: true });
function struct(
  name: string,
  fields: GoField[],
  embeds: GoStruct[] = [],
  ownDefaults: Record<string, unknown> = {},
): GoStruct {
  // getAnnotated merges the embeds' annotations first and the struct's own Annotate last.
  const defaults = Object.assign({}, ...embeds.map((e) => e.defaults), ownDefaults) as Record<
    string,
    unknown
  >;
  return { kind: "struct", name: `internal.${name}`, fields, embeds, defaults };
}
const shortName = (s: GoStruct): string => s.name.replace(/^internal\./, "");

// [pdb] provider/internal/export.go
const ExportWithOCI = struct("ExportWithOCI", [opt("ociMediaTypes", ptr(bool))], [], {
  ociMediaTypes: false,
});
// export.go and cache.go declare the same three compression fields with the same defaults.
const compressionStruct = (name: string) =>
  struct(
    name,
    [
      opt("compression", ptr(str("internal.CompressionType"))),
      opt("compressionLevel", int),
      opt("forceCompression", ptr(bool)),
    ],
    [],
    { compression: "gzip", compressionLevel: 0, forceCompression: false },
  );
const ExportWithCompression = compressionStruct("ExportWithCompression");
const ExportWithNames = struct("ExportWithNames", [opt("names", slice(str()))]);
const ExportWithAnnotations = struct("ExportWithAnnotations", [opt("annotations", map(str()))]);
const ExportDocker = struct(
  "ExportDocker",
  [opt("dest", str()), opt("tar", ptr(bool))],
  [ExportWithOCI, ExportWithCompression, ExportWithAnnotations, ExportWithNames],
  { tar: true },
);
const ExportOCI = struct("ExportOCI", [], [ExportDocker], { ociMediaTypes: true });
const ExportImage = struct(
  "ExportImage",
  [
    opt("push", ptr(bool)),
    opt("pushByDigest", ptr(bool)),
    opt("insecure", ptr(bool)),
    opt("danglingNamePrefix", str()),
    opt("nameCanonical", ptr(bool)),
    opt("unpack", ptr(bool)),
    opt("store", ptr(bool)),
  ],
  [ExportWithOCI, ExportWithCompression, ExportWithNames, ExportWithAnnotations],
  { store: true },
);
const ExportRegistry = struct("ExportRegistry", [], [ExportImage], { push: true });
const ExportLocal = struct("ExportLocal", [req("dest", str())]);
const ExportTar = struct("ExportTar", [], [ExportLocal]);
const ExportCacheOnly = struct("ExportCacheOnly", []);
const Export = struct("Export", [
  opt("tar", ptr(ExportTar)),
  opt("local", ptr(ExportLocal)),
  opt("registry", ptr(ExportRegistry)),
  opt("image", ptr(ExportImage)),
  opt("oci", ptr(ExportOCI)),
  opt("docker", ptr(ExportDocker)),
  opt("cacheonly", ptr(ExportCacheOnly)),
  opt("raw", str("internal.Raw")),
  opt("disabled", bool),
]);

// [pdb] provider/internal/cache.go
const CacheWithMode = struct("CacheWithMode", [opt("mode", ptr(str("internal.CacheMode")))], [], {
  mode: "min",
});
const CacheWithIgnoreError = struct("CacheWithIgnoreError", [opt("ignoreError", ptr(bool))], [], {
  ignoreError: false,
});
const CacheWithOCI = struct(
  "CacheWithOCI",
  [opt("ociMediaTypes", ptr(bool)), opt("imageManifest", ptr(bool))],
  [],
  { ociMediaTypes: true, imageManifest: false },
);
const CacheWithCompression = compressionStruct("CacheWithCompression");
const CacheFromLocal = struct("CacheFromLocal", [req("src", str()), opt("digest", str())]);
const CacheFromRegistry = struct("CacheFromRegistry", [req("ref", str())]);
const CacheFromGitHubActions = struct("CacheFromGitHubActions", [opt("scope", str())], [], {
  scope: "buildkit",
});
const CacheFromAzureBlob = struct("CacheFromAzureBlob", [
  req("name", str()),
  opt("accountUrl", str()),
  opt("secretAccessKey", str()),
]);
// The AWS_* environment defaults of CacheFromS3 (a.SetDefault(&c.Region, "", "AWS_REGION"), ...) read the
// provider's environment; they only change the cache's CLI string, never a validation result.
const CacheFromS3 = struct("CacheFromS3", [
  req("region", str()),
  req("bucket", str()),
  opt("name", str()),
  opt("endpointUrl", str()),
  opt("blobsPrefix", str()),
  opt("manifestsPrefix", str()),
  opt("usePathStyle", ptr(bool)),
  opt("accessKeyId", str()),
  opt("secretAccessKey", str()),
  opt("sessionToken", str()),
]);
const CacheToInline = struct("CacheToInline", []);
const CacheToLocal = struct(
  "CacheToLocal",
  [req("dest", str())],
  [CacheWithCompression, CacheWithIgnoreError, CacheWithMode],
);
const CacheToRegistry = struct(
  "CacheToRegistry",
  [],
  [CacheWithMode, CacheWithIgnoreError, CacheWithOCI, CacheWithCompression, CacheFromRegistry],
);
const CacheToGitHubActions = struct(
  "CacheToGitHubActions",
  [],
  [CacheWithMode, CacheWithIgnoreError, CacheFromGitHubActions],
);
const CacheToAzureBlob = struct(
  "CacheToAzureBlob",
  [],
  [CacheWithMode, CacheWithIgnoreError, CacheFromAzureBlob],
);
const CacheToS3 = struct("CacheToS3", [], [CacheWithMode, CacheWithIgnoreError, CacheFromS3]);
const CacheFrom = struct("CacheFrom", [
  opt("local", ptr(CacheFromLocal)),
  opt("registry", ptr(CacheFromRegistry)),
  opt("gha", ptr(CacheFromGitHubActions)),
  opt("azblob", ptr(CacheFromAzureBlob)),
  opt("s3", ptr(CacheFromS3)),
  opt("raw", str("internal.Raw")),
  opt("disabled", bool),
]);
const CacheTo = struct("CacheTo", [
  opt("inline", ptr(CacheToInline)),
  opt("local", ptr(CacheToLocal)),
  opt("registry", ptr(CacheToRegistry)),
  opt("gha", ptr(CacheToGitHubActions)),
  opt("azblob", ptr(CacheToAzureBlob)),
  opt("s3", ptr(CacheToS3)),
  opt("raw", str("internal.Raw")),
  opt("disabled", bool),
]);

// [pdb] provider/internal/context.go, dockerfile.go, auth.go, ssh.go, builder.go, image.go
const Context = struct("Context", [req("location", str())]);
const BuildContext = struct(
  "BuildContext",
  [opt("named", map(Context, "internal.NamedContexts"))],
  [Context],
);
const Dockerfile = struct("Dockerfile", [opt("location", str()), opt("inline", str())]);
const Registry = struct("Registry", [req("address", str()), opt("password", str()), opt("username", str())]);
const SSH = struct("SSH", [req("id", str()), opt("paths", slice(str()))]);
const BuilderConfig = struct("BuilderConfig", [opt("name", str())]);
/** [pdb] image.go `ImageArgs`; `push` is the only required input. Defaults from `(*ImageArgs).Annotate`. */
const ImageArgs = struct(
  "ImageArgs",
  [
    opt("addHosts", slice(str())),
    opt("buildArgs", map(str())),
    opt("buildOnPreview", ptr(bool)),
    opt("builder", ptr(BuilderConfig)),
    opt("cacheFrom", slice(CacheFrom)),
    opt("cacheTo", slice(CacheTo)),
    opt("context", ptr(BuildContext)),
    opt("dockerfile", ptr(Dockerfile)),
    opt("exports", slice(Export)),
    opt("labels", map(str())),
    opt("load", bool),
    opt("network", ptr(str("internal.NetworkMode"))),
    opt("noCache", bool),
    opt("platforms", slice(str("internal.Platform"))),
    opt("pull", bool),
    req("push", bool),
    opt("registries", slice(Registry)),
    opt("secrets", map(str())),
    opt("ignoreSecretsInDiffCalculation", slice(str())),
    opt("ssh", slice(SSH)),
    opt("tags", slice(str())),
    opt("target", str()),
    opt("exec", bool),
  ],
  [],
  { buildOnPreview: true, network: "default" },
);

// ---------------------------------------------------------------------------------------------------------
// The decoded Go values. Zero values follow Go: "" / false / 0, and `undefined` for a nil pointer, slice
// or map. Embedded structs are flattened into their parent, as the mapper and the SDK schema do.
// ---------------------------------------------------------------------------------------------------------

export interface GoExportImage {
  push?: boolean;
  pushByDigest?: boolean;
  insecure?: boolean;
  danglingNamePrefix: string;
  nameCanonical?: boolean;
  unpack?: boolean;
  store?: boolean;
  ociMediaTypes?: boolean;
  compression?: string;
  compressionLevel: number;
  forceCompression?: boolean;
  names?: string[];
  annotations?: Record<string, string>;
}
export interface GoExportDocker {
  dest: string;
  tar?: boolean;
  ociMediaTypes?: boolean;
  compression?: string;
  compressionLevel: number;
  forceCompression?: boolean;
  names?: string[];
  annotations?: Record<string, string>;
}
export interface GoExport {
  tar?: { dest: string };
  local?: { dest: string };
  registry?: GoExportImage;
  image?: GoExportImage;
  oci?: GoExportDocker;
  docker?: GoExportDocker;
  cacheonly?: Record<string, never>;
  raw: string;
  disabled: boolean;
}
interface GoCacheCommon {
  mode?: string;
  ignoreError?: boolean;
  ociMediaTypes?: boolean;
  imageManifest?: boolean;
  compression?: string;
  compressionLevel: number;
  forceCompression?: boolean;
}
export interface GoCacheS3 {
  region: string;
  bucket: string;
  name: string;
  endpointUrl: string;
  blobsPrefix: string;
  manifestsPrefix: string;
  usePathStyle?: boolean;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}
export interface GoCacheFrom {
  local?: { src: string; digest: string };
  registry?: { ref: string };
  gha?: { scope: string };
  azblob?: { name: string; accountUrl: string; secretAccessKey: string };
  s3?: GoCacheS3;
  raw: string;
  disabled: boolean;
}
export interface GoCacheTo {
  inline?: Record<string, never>;
  local?: GoCacheCommon & { dest: string };
  registry?: GoCacheCommon & { ref: string };
  gha?: GoCacheCommon & { scope: string };
  azblob?: GoCacheCommon & { name: string; accountUrl: string; secretAccessKey: string };
  s3?: GoCacheCommon & GoCacheS3;
  raw: string;
  disabled: boolean;
}
export interface GoBuildContext {
  location: string;
  named?: Record<string, { location: string }>;
}
export interface GoDockerfile {
  location: string;
  inline: string;
}
export interface GoImageArgs {
  addHosts?: string[];
  buildArgs?: Record<string, string>;
  buildOnPreview?: boolean;
  builder?: { name: string };
  cacheFrom?: GoCacheFrom[];
  cacheTo?: GoCacheTo[];
  context?: GoBuildContext;
  dockerfile?: GoDockerfile;
  exports?: GoExport[];
  labels?: Record<string, string>;
  load: boolean;
  network?: string;
  noCache: boolean;
  platforms?: string[];
  pull: boolean;
  push: boolean;
  registries?: { address: string; password: string; username: string }[];
  secrets?: Record<string, string>;
  ignoreSecretsInDiffCalculation?: string[];
  ssh?: { id: string; paths?: string[] }[];
  tags?: string[];
  target: string;
  exec: boolean;
}

/** A provider CheckFailure: `property` is the path the provider names, `reason` its message verbatim. */
export interface CheckFailure {
  property: string;
  reason: string;
}

// ---------------------------------------------------------------------------------------------------------
// Step 1a: ende.walk ([gp] infer/internal/ende/ende.go `(*ende).walk`, `walkArray`, `walkMap`).
//
// - Secret: unwrapped; the element is walked with the same alignment (the secret flag only matters when
//   the provider re-encodes its outputs).
// - Unknown (the engine turns the SDK's sentinel into `MakeComputed(NewProperty(""))`, sdk
//   resource/properties_convert.go `ToResourcePropertyValue`): the string "" is walked with alignTypes=true,
//   i.e. coerced to the zero value of the Go field type:
//     unknown string / enum        -> ""            unknown bool -> false      unknown int -> 0
//     unknown *bool (e.g. export registry.push, buildOnPreview) -> pointer to false (NOT nil, so no default)
//     unknown list                 -> []  (empty, known length 0)
//     unknown map                  -> {}
//     unknown object (struct, *struct) -> a non-nil struct whose REQUIRED fields are zero values and whose
//                                     optional fields are absent (nil pointers / nil lists); defaults then
//                                     apply to it as to any present struct.
//     unknown element of a list    -> that element's zero value, so the list keeps its length
//                                     (tags [UNKNOWN] -> [""]; cacheFrom [UNKNOWN] -> [CacheFrom{}])
//     unknown field of an object   -> that field's zero value; the other fields decode normally
// - Output value: known -> its value (alignTypes=false); unknown -> as an unknown.
// - Known values are not coerced: a wrong type reaches the mapper, which reports it.
// ---------------------------------------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

interface WalkState {
  unknown: string[];
  secret: string[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
function sig(v: unknown): string | undefined {
  return isObject(v) && typeof v[SPECIAL_SIG_KEY] === "string" ? (v[SPECIAL_SIG_KEY] as string) : undefined;
}
/** Renders a property path the way resource.PropertyPath prints it: `cacheFrom[0].registry.ref`. */
function renderPath(p: (string | number)[]): string {
  let out = "";
  for (const seg of p) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) out += out === "" ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}
function deref(t: GoType | undefined): GoType | undefined {
  while (t && t.kind === "ptr") t = t.elem;
  return t;
}
/** reflect.VisibleFields minus untagged (embedded) fields: own fields plus promoted ones. */
function visibleFields(s: GoStruct): GoField[] {
  return [...s.fields, ...s.embeds.flatMap(visibleFields)];
}

function walk(
  v: unknown,
  p: (string | number)[],
  typIn: GoType | undefined,
  alignIn: boolean,
  st: WalkState,
): Json {
  const typ = deref(typIn);
  let align = alignIn;
  const s = sig(v);
  if (s === SECRET_SIG) {
    const el = walk((v as Record<string, unknown>).value, p, typ, align, st);
    st.secret.push(renderPath(p));
    return el;
  }
  if (v === UNKNOWN) {
    const el = walk("", p, typ, true, st);
    st.unknown.push(renderPath(p));
    return el;
  }
  if (s === OUTPUT_VALUE_SIG) {
    const o = v as Record<string, unknown>;
    if (o.secret === true) st.secret.push(renderPath(p));
    if (!("value" in o)) return walk(UNKNOWN, p, typ, true, st);
    return walk(o.value, p, typ, false, st);
  }
  if (s === RESOURCE_SIG || s === ASSET_SIG || s === ARCHIVE_SIG) {
    throw new NotModeledError(
      `${renderPath(p)}: resource references, assets and archives are not modeled (no ImageArgs field takes one)`,
    );
  }
  if (typ === undefined) align = false;
  const elemType = typ && (typ.kind === "slice" || typ.kind === "map") ? typ.elem : undefined;
  if (!align) {
    if (Array.isArray(v)) return walkArray(v, p, elemType, false, st);
    if (isObject(v)) {
      if (typ === undefined || typ.kind !== "struct") return walkMap(v, p, elemType, false, st);
    } else {
      return v as Json;
    }
  }
  switch (typ!.kind) {
    case "slice":
      return walkArray(v, p, elemType, align, st);
    case "map":
      return walkMap(v, p, elemType, align, st);
    case "struct": {
      const result: Record<string, Json> = isObject(v) ? { ...(v as Record<string, Json>) } : {};
      for (const f of visibleFields(typ as GoStruct)) {
        if (f.key in result) result[f.key] = walk(result[f.key], [...p, f.key], f.type, align, st);
        else if (!f.optional && align) result[f.key] = walk(null, [...p, f.key], f.type, true, st);
      }
      return result;
    }
    case "string":
      return typeof v === "string" ? v : "";
    case "bool":
      return typeof v === "boolean" ? v : false;
    case "int":
      return typeof v === "number" ? v : 0;
    default:
      return v as Json;
  }
}
function walkArray(
  v: unknown,
  p: (string | number)[],
  elem: GoType | undefined,
  align: boolean,
  st: WalkState,
) {
  return Array.isArray(v) ? v.map((x, i) => walk(x, [...p, i], elem, align, st)) : [];
}
function walkMap(
  v: unknown,
  p: (string | number)[],
  elem: GoType | undefined,
  align: boolean,
  st: WalkState,
) {
  const out: Record<string, Json> = {};
  if (isObject(v)) for (const [k, x] of Object.entries(v)) out[k] = walk(x, [...p, k], elem, align, st);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Step 1b: mapper.Decode ([mapper] mapper_decode.go `Decode`, `DecodeValue`, `adjustValueForAssignment`;
// errors.go for the messages; mapper.go `structFields` for the field order: own fields, then embedded
// structs breadth first). Each top-level FieldError becomes one CheckFailure{Field(), Reason()} in [gp]
// infer/resource.go `checkFailureFromMapError`.
// ---------------------------------------------------------------------------------------------------------

interface FieldErr {
  field: string;
  reason: string;
}
type Adjusted = { ok: true; value: unknown } | { ok: false; err: FieldErr };

function typeString(t: GoType): string {
  switch (t.kind) {
    case "string":
      return t.name;
    case "bool":
      return "bool";
    case "int":
      return "int";
    case "ptr":
      return `*${typeString(t.elem)}`;
    case "slice":
      return `[]${typeString(t.elem)}`;
    case "map":
      return t.name ?? `map[string]${typeString(t.elem)}`;
    case "struct":
      return t.name;
  }
}
/** The Go type a decoded JSON value has inside the mapper (structpb numbers are float64). */
function goTypeOf(v: unknown): string {
  if (typeof v === "string") return "string";
  if (typeof v === "number") return "float64";
  if (typeof v === "boolean") return "bool";
  if (Array.isArray(v)) return "[]interface {}";
  return "map[string]interface {}";
}
function mapperFields(s: GoStruct): GoField[] {
  const out: GoField[] = [];
  const queue = [s];
  while (queue.length > 0) {
    const t = queue.shift()!;
    out.push(...t.fields);
    queue.push(...t.embeds);
  }
  return out;
}
function zeroOf(t: GoType): unknown {
  switch (t.kind) {
    case "string":
      return "";
    case "bool":
      return false;
    case "int":
      return 0;
    case "struct":
      return Object.fromEntries(mapperFields(t).map((f) => [f.key, zeroOf(f.type)]));
    default:
      return undefined; // nil pointer, slice or map
  }
}
const wrongType = (ty: GoStruct, key: string, expect: GoType, actual: unknown): Adjusted => ({
  ok: false,
  err: {
    field: key,
    reason: `Field '${key}' on '${ty.name}' must be a '${typeString(expect)}'; got '${goTypeOf(actual)}' instead`,
  },
});
const typeFieldError = (ty: GoStruct, key: string, err: string): Adjusted => ({
  ok: false,
  err: { field: key, reason: `An error occurred decoding '${shortName(ty)}.${key}': ${err}` },
});
function mappingErrorString(errs: FieldErr[]): string {
  return `${errs.length} failures decoding:` + errs.map((e) => `\n\t${e.field}: ${e.reason}`).join("");
}

function adjust(v: unknown, to: GoType, ty: GoStruct, key: string): Adjusted {
  if (to.kind === "ptr") return adjust(v, to.elem, ty, key);
  const cannotDecodeObject = () =>
    typeFieldError(
      ty,
      key,
      `Cannot decode Object{} to type ${typeString(to)}; it isn't a struct, and no custom decoder exists`,
    );
  switch (to.kind) {
    case "string":
      if (typeof v === "string") return { ok: true, value: v };
      return isObject(v) ? cannotDecodeObject() : wrongType(ty, key, to, v);
    case "bool":
      if (typeof v === "boolean") return { ok: true, value: v };
      return isObject(v) ? cannotDecodeObject() : wrongType(ty, key, to, v);
    case "int":
      // float64 is ConvertibleTo int: Go truncates toward zero.
      if (typeof v === "number") return { ok: true, value: Math.trunc(v) };
      return isObject(v) ? cannotDecodeObject() : wrongType(ty, key, to, v);
    case "slice": {
      if (isObject(v)) return cannotDecodeObject();
      if (!Array.isArray(v)) return wrongType(ty, key, to, v);
      const out: unknown[] = [];
      for (let i = 0; i < v.length; i++) {
        if (v[i] === null) {
          // reflect.Value.Elem() of a nil interface is the zero Value; the next .Type() panics.
          throw new NotModeledError(
            `${key}[${i}] is null: the provider's mapper panics on a null list element`,
          );
        }
        const r = adjust(v[i], to.elem, ty, `${key}[${i}]`);
        if (!r.ok) return r; // the first bad element ends the slice
        out.push(r.value);
      }
      return { ok: true, value: out };
    }
    case "map": {
      if (!isObject(v)) return wrongType(ty, key, to, v);
      const out: Record<string, unknown> = {};
      // Go ranges over the map in random order and stops at the first bad entry; sorted here.
      for (const k of Object.keys(v).sort()) {
        if (v[k] === null) throw new NotModeledError(`${key}[${k}] is null: the provider's mapper panics`);
        const r = adjust(v[k], to.elem, ty, `${key}[${k}] value`);
        if (!r.ok) return r;
        out[k] = r.value;
      }
      return { ok: true, value: out };
    }
    case "struct": {
      if (!isObject(v)) return wrongType(ty, key, to, v);
      const r = decodeStruct(v, to);
      if (r.errors.length > 0) return typeFieldError(ty, key, mappingErrorString(r.errors));
      return { ok: true, value: r.value };
    }
  }
}

function decodeStruct(
  obj: Record<string, unknown>,
  s: GoStruct,
): { value: Record<string, unknown>; errors: FieldErr[] } {
  const value: Record<string, unknown> = {};
  const errors: FieldErr[] = [];
  const known = new Set<string>();
  for (const f of mapperFields(s)) {
    known.add(f.key);
    const raw = obj[f.key];
    const zero = zeroOf(f.type);
    if (zero !== undefined) value[f.key] = zero; // a nil pointer / slice / map stays absent
    if (raw !== undefined && raw !== null) {
      const r = adjust(raw, f.type, s, f.key);
      if (r.ok) value[f.key] = r.value;
      else errors.push(r.err);
    } else if (!f.optional) {
      errors.push({ field: f.key, reason: `Missing required field '${f.key}' on '${s.name}'` });
    }
  }
  // Go iterates the input map in random order here; sorted for determinism.
  for (const k of Object.keys(obj).sort()) {
    if (!known.has(k)) errors.push({ field: k, reason: `Unrecognized field '${k}' on '${s.name}'` });
  }
  return { value, errors };
}

// ---------------------------------------------------------------------------------------------------------
// Step 2: applyDefaults ([gp] infer/apply_defaults.go `(*defaultsWalker).apply` / `walk`): a default fills a
// field only while it is the Go zero value (a nil pointer for *bool / *enum fields), in every non-nil struct
// reachable through pointers, slices and maps. An unknown *bool decoded to &false keeps false.
// ---------------------------------------------------------------------------------------------------------

function isZero(v: unknown, t: GoType): boolean {
  switch (t.kind) {
    case "string":
      return v === "";
    case "bool":
      return v === false;
    case "int":
      return v === 0;
    default:
      return v === undefined;
  }
}
function applyDefaults(v: unknown, t: GoType): void {
  const d = deref(t);
  if (d === undefined || v === undefined) return;
  if (d.kind === "slice" && Array.isArray(v)) v.forEach((x) => applyDefaults(x, d.elem));
  else if (d.kind === "map" && isObject(v)) Object.values(v).forEach((x) => applyDefaults(x, d.elem));
  else if (d.kind === "struct" && isObject(v)) {
    const fields = visibleFields(d);
    for (const [k, def] of Object.entries(d.defaults)) {
      const f = fields.find((x) => x.key === k)!;
      if (isZero(v[k], f.type)) v[k] = def;
    }
    for (const f of fields) applyDefaults(v[f.key], f.type);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Public: decoding.
// ---------------------------------------------------------------------------------------------------------

export interface DecodedImageInputs {
  /** What `(*Image).Check` works on after `infer.DefaultCheck`: decoded, zero-filled, defaults applied.
   * Undefined when the mapper failed (then `failures` is what Check returns). */
  args?: GoImageArgs;
  /** The decoded value before `applyDefaults` (partial when the mapper failed). */
  decoded: Record<string, unknown>;
  /** Paths of every unknown in the wire object (e.g. "tags", "tags[0]", "cacheFrom[1].registry.ref"). */
  unknownPaths: string[];
  /** Paths of every secret in the wire object. */
  secretPaths: string[];
  /** [pdb] image.go `(*Image).Check`: `preview := property.New(req.NewInputs).HasComputed()`. */
  preview: boolean;
  /** Failures of `infer.DefaultCheck` (mapper): missing / unrecognized / wrongly typed fields. */
  failures: CheckFailure[];
}

/**
 * Decodes the wire object of a `docker-build:index:Image` registration into the provider's `ImageArgs` the
 * way [gp] infer.DefaultCheck does (ende.Decode + mapper + applyDefaults).
 */
export function decodeImageInputs(wire: Record<string, unknown>): DecodedImageInputs {
  if (!isObject(wire)) throw new TypeError("decodeImageInputs: the wire inputs must be an object");
  const st: WalkState = { unknown: [], secret: [] };
  const simplified = walk(wire, [], ImageArgs, false, st) as Record<string, unknown>;
  const { value, errors } = decodeStruct(simplified, ImageArgs);
  const base = {
    decoded: value,
    unknownPaths: st.unknown,
    secretPaths: st.secret,
    preview: st.unknown.length > 0,
    failures: errors.map((e) => ({ property: e.field, reason: e.reason })),
  };
  if (errors.length > 0) return base;
  const args = structuredClone(value);
  applyDefaults(args, ImageArgs);
  return { ...base, args: args as unknown as GoImageArgs };
}

// ---------------------------------------------------------------------------------------------------------
// Go helpers the messages depend on.
// ---------------------------------------------------------------------------------------------------------

/** Go's `%q` (strconv.Quote) for the strings these messages quote. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (c === 0x07) out += "\\a";
    else if (c === 0x08) out += "\\b";
    else if (c === 0x0c) out += "\\f";
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else if (c === 0x0b) out += "\\v";
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else if ((c >= 0x80 && c < 0xa0) || c === 0x2028 || c === 0x2029 || c === 0xfeff)
      out += `\\u${c.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return out + '"';
}
const goBool = (b: boolean): string => (b ? "true" : "false");
const byteLen = (s: string): number => Buffer.byteLength(s, "utf8");
/** Go's sort.Strings order (bytewise). */
const byteSort = (xs: string[]): string[] =>
  xs.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
/** strings.Count for a non-empty needle. */
const countOf = (s: string, needle: string): number => s.split(needle).length - 1;
/** [pdb] cache.go `joiner.join`: non-empty parts joined by ",". */
const join = (...parts: (string | undefined)[]): string => parts.filter((x): x is string => !!x).join(",");
/** strings.SplitN(s, sep, n). */
function splitN(s: string, sep: string, n: number): string[] {
  const out: string[] = [];
  let rest = s;
  while (out.length < n - 1) {
    const i = rest.indexOf(sep);
    if (i < 0) break;
    out.push(rest.slice(0, i));
    rest = rest.slice(i + sep.length);
  }
  out.push(rest);
  return out;
}

/** [csvvalue] csvvalue.go `(*Parser).Fields` with the default parser; errors are Go's csv.ParseError text. */
function csvFields(lineIn: string): string[] {
  let line = lineIn;
  if (line.endsWith("\n")) line = line.endsWith("\r\n") ? line.slice(0, -2) : line.slice(0, -1);
  if (line.length === 0) throw new GoError("EOF"); // io.EOF
  const parseErr = (pos: number, msg: string) =>
    new GoError(`parse error on line 1, column ${pos + 1}: ${msg}`);
  const bare = 'bare " in non-quoted-field'; // csv.ErrBareQuote
  const quote = 'extraneous or missing " in quoted-field'; // csv.ErrQuote
  const dst: string[] = [];
  let pos = 0; // in bytes, like Go
  for (;;) {
    if (line.length === 0 || line[0] !== '"') {
      const i = line.indexOf(",");
      const field = i >= 0 ? line.slice(0, i) : line;
      const j = field.indexOf('"');
      if (j >= 0) throw parseErr(pos + byteLen(field.slice(0, j)), bare);
      dst.push(field);
      if (i >= 0) {
        pos += byteLen(line.slice(0, i)) + 1;
        line = line.slice(i + 1);
        continue;
      }
      return dst;
    }
    line = line.slice(1);
    pos += 1;
    let halfOpen = false;
    for (;;) {
      const i = line.indexOf('"');
      if (i < 0) throw parseErr(pos, quote);
      if (!halfOpen) dst.push(line.slice(0, i));
      else dst[dst.length - 1] += line.slice(0, i);
      halfOpen = false;
      pos += byteLen(line.slice(0, i)) + 1;
      line = line.slice(i + 1);
      if (line[0] === '"') {
        dst[dst.length - 1] += '"';
        line = line.slice(1);
        pos += 1;
        halfOpen = true;
      } else if (line[0] === ",") {
        line = line.slice(1);
        pos += 1;
        break;
      } else if (line.length === 0) {
        return dst;
      } else {
        throw parseErr(pos - 1, quote);
      }
    }
  }
}

/** An error whose message is the Go error text the provider would put in a CheckFailure's reason. */
class GoError extends Error {}

// ---------------------------------------------------------------------------------------------------------
// CLI strings of the union types: every `String()` of [pdb] export.go and cache.go. Validation counts and
// parses these, so they are ported exactly (argument order included).
// ---------------------------------------------------------------------------------------------------------

const ociStr = (o: { ociMediaTypes?: boolean }) =>
  o.ociMediaTypes === undefined ? "" : `oci-mediatypes=${goBool(o.ociMediaTypes)}`;
/** export.go `ExportWithCompression.String` / cache.go `CacheWithCompression.String`. */
function compressionStr(c: {
  compression?: string;
  compressionLevel: number;
  forceCompression?: boolean;
}): string {
  if (c.compressionLevel === 0) return "";
  const parts: string[] = [];
  if (c.compression !== undefined) parts.push(`compression=${c.compression}`);
  if (c.compressionLevel > 0) parts.push(`compression-level=${Math.min(c.compressionLevel, 22)}`);
  if (c.forceCompression !== undefined) parts.push(`force-compression=${goBool(c.forceCompression)}`);
  return parts.join(",");
}
const namesStr = (e: { names?: string[] }) => (e.names ?? []).map((n) => `name=${n}`).join(",");
const annotationsStr = (e: { annotations?: Record<string, string> }) =>
  byteSort(Object.entries(e.annotations ?? {}).map(([k, v]) => `annotation.${k}=${v}`)).join(",");
/** export.go `(*ExportImage).String`. */
function exportImageString(e: GoExportImage | undefined): string {
  if (!e) return "";
  const parts: string[] = [];
  if (e.push !== undefined) parts.push(`push=${goBool(e.push)}`);
  if (e.pushByDigest !== undefined) parts.push(`push-by-digest=${goBool(e.pushByDigest)}`);
  if (e.insecure !== undefined) parts.push(`insecure=${goBool(e.insecure)}`);
  if (e.danglingNamePrefix !== "") parts.push(`dangling-name-prefix=${e.danglingNamePrefix}`);
  if (e.nameCanonical !== undefined) parts.push(`name-canonical=${goBool(e.nameCanonical)}`);
  if (e.unpack !== undefined) parts.push(`unpack=${goBool(e.unpack)}`);
  if (e.store !== undefined) parts.push(`store=${goBool(e.store)}`);
  return join("type=image", parts.join(","), ociStr(e), compressionStr(e), namesStr(e), annotationsStr(e));
}
/** export.go `(*ExportDocker).String`. */
function exportDockerString(e: GoExportDocker | undefined): string {
  if (!e) return "";
  const parts: string[] = [];
  if (e.dest !== "") parts.push(`dest=${e.dest}`);
  if (e.tar !== undefined) parts.push(`tar=${goBool(e.tar)}`);
  return join("type=docker", parts.join(","), ociStr(e), compressionStr(e), annotationsStr(e), namesStr(e));
}
/** export.go `Export.String`: "" when disabled. */
export function exportString(e: GoExport): string {
  if (e.disabled) return "";
  return join(
    e.tar ? `type=tar,dest=${e.tar.dest}` : "",
    e.local ? `type=local,dest=${e.local.dest}` : "",
    e.registry ? exportImageString(e.registry).replace("type=image", "type=registry") : "",
    exportImageString(e.image),
    e.oci ? exportDockerString(e.oci).replace("type=docker", "type=oci") : "",
    exportDockerString(e.docker),
    e.cacheonly ? "type=cacheonly" : "",
    e.raw,
  );
}

const modeStr = (c: GoCacheCommon) => (c.mode === undefined ? "" : `mode=${c.mode}`);
const ignoreErrorStr = (c: GoCacheCommon) =>
  c.ignoreError === undefined ? "" : `ignore-error=${goBool(c.ignoreError)}`;
function cacheOciStr(c: GoCacheCommon): string {
  if (c.ociMediaTypes === undefined) return "";
  const parts = [`oci-mediatypes=${goBool(c.ociMediaTypes)}`];
  if (c.imageManifest !== undefined) parts.push(`image-manifest=${goBool(c.imageManifest)}`);
  return parts.join(",");
}
const localFromStr = (c: { src: string; digest: string }) =>
  join("type=local", c.src && `src=${c.src}`, c.digest && `digest=${c.digest}`);
/** cache.go `(*CacheFromGitHubActions).String`; the ACTIONS_RUNTIME_TOKEN / ACTIONS_CACHE_URL of the
 * provider's environment it appends are left out (they never change a validation result). */
const ghaStr = (c: { scope: string }) => join("type=gha", c.scope && `scope=${c.scope}`);
const azblobStr = (c: { name: string; accountUrl: string; secretAccessKey: string }) =>
  join(
    "type=azblob",
    c.name && `name=${c.name}`,
    c.accountUrl && `account_url=${c.accountUrl}`,
    c.secretAccessKey && `secret_access_key=${c.secretAccessKey}`,
  );
const s3Str = (c: GoCacheS3) =>
  join(
    "type=s3",
    c.bucket && `bucket=${c.bucket}`,
    c.name && `name=${c.name}`,
    c.endpointUrl && `endpoint_url=${c.endpointUrl}`,
    c.blobsPrefix && `blobs_prefix=${c.blobsPrefix}`,
    c.manifestsPrefix && `manifests_prefix=${c.manifestsPrefix}`,
    c.usePathStyle === undefined ? "" : `use_path_type=${goBool(c.usePathStyle)}`,
    c.accessKeyId && `access_key_id=${c.accessKeyId}`,
    c.secretAccessKey && `secret_access_key=${c.secretAccessKey}`,
    c.sessionToken && `session_token=${c.sessionToken}`,
  );
/** cache.go `CacheFrom.String`: "" when disabled. */
export function cacheFromString(c: GoCacheFrom): string {
  if (c.disabled) return "";
  return join(
    c.local && localFromStr(c.local),
    c.registry && `type=registry,ref=${c.registry.ref}`,
    c.gha && ghaStr(c.gha),
    c.azblob && azblobStr(c.azblob),
    c.s3 && s3Str(c.s3),
    c.raw,
  );
}
/** cache.go `CacheTo.String`: "" when disabled. CacheToLocal leaves its mode out, as in Go. */
export function cacheToString(c: GoCacheTo): string {
  if (c.disabled) return "";
  const r = c.registry;
  return join(
    c.inline && "type=inline",
    c.local && join(`type=local,dest=${c.local.dest}`, compressionStr(c.local), ignoreErrorStr(c.local)),
    r && join(`type=registry,ref=${r.ref}`, modeStr(r), ignoreErrorStr(r), cacheOciStr(r), compressionStr(r)),
    c.gha && join(ghaStr(c.gha), modeStr(c.gha), ignoreErrorStr(c.gha)),
    c.azblob && join(azblobStr(c.azblob), modeStr(c.azblob), ignoreErrorStr(c.azblob)),
    c.s3 && join(s3Str(c.s3), modeStr(c.s3), ignoreErrorStr(c.s3)),
    c.raw,
  );
}

// ---------------------------------------------------------------------------------------------------------
// Per-entry validation, each a port of the function named in its comment.
// ---------------------------------------------------------------------------------------------------------

interface ExportEntry {
  type: string;
  attrs: Record<string, string>;
  destination: string;
}
/** [pdb] export.go `parseExports` (forked from buildx v0.18.0), for one entry. */
function parseExport(s: string): ExportEntry {
  const fields = csvFields(s);
  const out: ExportEntry = { type: "", attrs: {}, destination: "" };
  if (fields.length === 1 && fields[0] === s && !s.startsWith("type=")) {
    if (s !== "-") return { type: "local", attrs: {}, destination: s };
    out.type = "tar";
    out.destination = s;
  }
  if (out.type === "") {
    for (const field of fields) {
      const parts = splitN(field, "=", 2);
      if (parts.length !== 2) throw new GoError(`invalid value ${field}`);
      const key = parts[0].trim().toLowerCase();
      if (key === "type") out.type = parts[1];
      else out.attrs[key] = parts[1];
    }
  }
  if (out.type === "") throw new GoError("type is required for output");
  if (out.type === "registry") {
    out.type = "image";
    if (!("push" in out.attrs)) out.attrs.push = "true";
  }
  if ("dest" in out.attrs) {
    out.destination = out.attrs.dest;
    delete out.attrs.dest;
  }
  return out;
}

/**
 * [pdb] export.go `Export.validate(preview, tags)`. `tags` is the un-normalized `ia.Tags`, so a wholly
 * unknown `tags` (decoded as []) fails a pushing export even in preview, while `[UNKNOWN]` (decoded as
 * [""], length 1) passes. The preview flag only turns the push off afterwards; it never skips this check.
 */
function validateExport(e: GoExport, tags: string[]): string | undefined {
  const s = exportString(e);
  if (countOf(s, "type=") > 1) return "exports should only specify one export type";
  let exp: ExportEntry;
  try {
    exp = parseExport(s);
  } catch (err) {
    if (err instanceof GoError) return err.message;
    throw err;
  }
  // export.go `isRegistryPush`: "type=registry" was rewritten to "type=image,push=true" by parseExports.
  const isRegistryPush = exp.type === "image" && exp.attrs.push === "true";
  if (tags.length === 0 && isRegistryPush && (exp.attrs.name ?? "") === "") {
    return "at least one tag or export name is needed when pushing to a registry";
  }
  return undefined;
}

/** [buildx] util/buildflags/cache.go `(*CacheOptionsEntry).UnmarshalText`. */
function unmarshalCacheEntry(input: string): void {
  const fields = csvFields(input);
  if (fields.length === 1 && !fields[0].includes("=")) return; // a bare registry ref
  let type = "";
  for (const field of fields) {
    const parts = splitN(field, "=", 2);
    if (parts.length !== 2) throw new GoError(`invalid value ${field}`);
    if (parts[0].toLowerCase() === "type") type = parts[1];
  }
  if (type === "") throw new GoError(`type required form> ${goQuote(input)}`);
}
/**
 * [pdb] cache.go `CacheFrom.validate` / `CacheTo.validate`: more than one "type=" fails, then
 * [buildx] util/buildflags/cache.go `ParseCacheEntry`. Nothing else is checked: a registry cache's `ref` may
 * be "" (known or unknown), `mode` may be any string (the CacheMode enum is only enforced by the SDK's
 * types), and `imageManifest: true` with `ociMediaTypes: false` passes (its docs say "requires", nothing
 * enforces it). `resolveCache` (buildx CreateCaches) may drop an entry but never fails.
 */
function validateCache(s: string, kind: "cacheFrom" | "cacheTo"): string | undefined {
  if (countOf(s, "type=") > 1) return `${kind} should only specify one cache type`;
  try {
    if (!s.includes("=")) for (const field of csvFields(s)) unmarshalCacheEntry(field);
    else unmarshalCacheEntry(s);
  } catch (err) {
    if (err instanceof GoError) return err.message;
    throw err;
  }
  return undefined;
}

// [platforms] platforms.go `specifierRe`, `osRe`; database.go `isKnownOS`, `isKnownArch`, `normalizeArch`.
const SPECIFIER_RE = "^[A-Za-z0-9_.-]+$";
const OS_RE = "^([A-Za-z0-9_-]+)(?:\\(([A-Za-z0-9_.%-]*)((?:\\+[A-Za-z0-9_.%-]+)*)\\))?$";
const KNOWN_OS = new Set(
  "aix android darwin dragonfly freebsd hurd illumos ios js linux nacl netbsd openbsd plan9 solaris windows zos".split(
    " ",
  ),
);
const KNOWN_ARCH = new Set(
  (
    "386 amd64 amd64p32 arm armbe arm64 arm64be ppc64 ppc64le loong64 mips mipsle mips64 mips64le mips64p32 " +
    "mips64p32le ppc riscv riscv64 s390 s390x sparc sparc64 wasm"
  ).split(" "),
);
function normalizeArch(archIn: string): string {
  const arch = archIn.toLowerCase();
  if (arch === "i386") return "386";
  if (arch === "x86_64" || arch === "x86-64") return "amd64";
  if (arch === "aarch64") return "arm64";
  if (arch === "armhf" || arch === "armel") return "arm";
  return arch;
}
/** Go url.PathUnescape's error for a bad escape (net/url `EscapeError`), or undefined. */
function pathUnescapeError(s: string): string | undefined {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "%" && !/^%[0-9A-Fa-f]{2}/.test(s.slice(i, i + 3))) {
      return `invalid URL escape ${goQuote(s.slice(i, i + 3))}`;
    }
  }
  return undefined;
}
const invalidArgument = "invalid argument"; // [platforms] errors.go errInvalidArgument
/** [platforms] platforms.go `Parse`. */
function containerdParse(spec: string): string | undefined {
  const q = goQuote;
  if (spec.includes("*")) return `${q(spec)}: wildcards not yet supported: ${invalidArgument}`;
  const parts = splitN(spec, "/", 4);
  let os = "";
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (i === 0) {
      const m = new RegExp(OS_RE).exec(part);
      if (!m) {
        return `${q(part)} is an invalid OS component of ${q(spec)}: OSAndVersion specifier component must match ${q(OS_RE)}: ${invalidArgument}`;
      }
      os = m[1].toLowerCase() === "macos" ? "darwin" : m[1].toLowerCase();
      const version = m[2] ?? "";
      const vErr = version.includes("%") ? pathUnescapeError(version) : undefined;
      if (vErr) return `${q(spec)} has an invalid OS version ${q(version)}: ${vErr}`;
      for (const raw of (m[3] ?? "").split("+").slice(1)) {
        const fErr = raw.includes("%") ? pathUnescapeError(raw) : undefined;
        if (fErr) return `${q(spec)} has invalid OS features: invalid os feature ${q(raw)}: ${fErr}`;
      }
    } else if (!new RegExp(SPECIFIER_RE).test(part)) {
      return `${q(part)} is an invalid component of ${q(spec)}: platform specifier component must match ${q(SPECIFIER_RE)}: ${invalidArgument}`;
    }
  }
  if (parts.length === 1) {
    if (KNOWN_OS.has(os) || KNOWN_ARCH.has(normalizeArch(parts[0]))) return undefined;
    return `${q(spec)}: unknown operating system or architecture: ${invalidArgument}`;
  }
  if (parts.length === 4) return `${q(spec)}: cannot parse platform specifier: ${invalidArgument}`;
  return undefined;
}
/** [pdb] platform.go `Platform.validate` -> [buildx] util/platformutil/parse.go `Parse` (splits on ",",
 * accepts "local"). The Platform enum of the schema is NOT enforced: "linux/arm64/v8" passes. */
function validatePlatform(p: string): string | undefined {
  const parts = p.split(",");
  if (parts.length > 1) {
    for (const s of parts) {
      const err = validatePlatform(s);
      if (err) return err;
    }
    return undefined;
  }
  if (p.toLowerCase() === "local") return undefined; // strings.EqualFold(in, "local"): the host platform
  return containerdParse(p);
}

// [reference] regexp.go
const REF = (() => {
  const optional = (...r: string[]) => `(?:${r.join("")})?`;
  const anyTimes = (...r: string[]) => `(?:${r.join("")})*`;
  const capture = (...r: string[]) => `(${r.join("")})`;
  const anchored = (...r: string[]) => `^${r.join("")}$`;
  const alphanumeric = "[a-z0-9]+";
  const separator = "(?:[._]|__|[-]+)";
  const domainNameComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
  const optionalPort = "(?::[0-9]+)?";
  const tag = "[\\w][\\w.-]{0,127}";
  const digestPat = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}";
  const ipv6address = "\\[(?:[a-fA-F0-9:]+)\\]";
  const domainName = domainNameComponent + anyTimes("\\.", domainNameComponent);
  const host = `(?:${domainName}|${ipv6address})`;
  const domainAndPort = host + optionalPort;
  const pathComponent = alphanumeric + anyTimes(separator, alphanumeric);
  const remoteName = pathComponent + anyTimes("/", pathComponent);
  const namePat = optional(domainAndPort, "/") + remoteName;
  return {
    reference: new RegExp(
      anchored(capture(namePat), optional(":", capture(tag)), optional("@", capture(digestPat))),
    ),
    anchoredName: new RegExp(anchored(optional(capture(domainAndPort), "/"), capture(remoteName))),
  };
})();
/** [digest] digest.go `Digest.Validate` / algorithm.go `Algorithm.Validate` (sha256/384/512 available). */
function validateDigest(s: string): string | undefined {
  const i = s.indexOf(":");
  if (i <= 0 || i + 1 === s.length) return "invalid checksum digest format";
  const sizes: Record<string, number> = { sha256: 32, sha384: 48, sha512: 64 };
  const alg = s.slice(0, i);
  const enc = s.slice(i + 1);
  if (!(alg in sizes)) {
    return /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(s)
      ? "unsupported digest algorithm"
      : "invalid checksum digest format";
  }
  if (enc.length !== sizes[alg] * 2) return "invalid checksum digest length";
  return new RegExp(`^[a-f0-9]{${sizes[alg] * 2}}$`).test(enc) ? undefined : "invalid checksum digest format";
}
/** [reference] reference.go `Parse`. */
function validateReference(s: string): string | undefined {
  const m = REF.reference.exec(s);
  if (!m) {
    if (s === "") return "repository name must have at least one component";
    if (REF.reference.exec(s.toLowerCase())) return "repository name must be lowercase";
    return "invalid reference format";
  }
  const name = REF.anchoredName.exec(m[1]);
  if ((name?.[2] ?? m[1]).length > 255) return "repository name must not be more than 255 characters";
  if (m[3]) return validateDigest(m[3]);
  return undefined;
}

/** [buildx] util/urlutil/urlutil.go `IsRemoteURL`: http(s) URLs and what [buildkit]
 * frontend/dockerfile/dfgitutil `ParseGitRef` accepts (github.com/..., ssh:// and git:// URLs, and
 * scp-style user@host:path from util/sshutil/scpurl.go). */
export function isRemoteURL(s: string): boolean {
  if (s.startsWith("https://") || s.startsWith("http://")) return true;
  if (s.startsWith("./") || s.startsWith("../")) return false;
  if (s.startsWith("github.com/")) return true;
  const proto = /^[a-zA-Z0-9]+:\/\//.exec(s);
  if (proto) return ["ssh://", "git://"].includes(proto[0].toLowerCase());
  return /^([a-zA-Z0-9-_]+)@([a-zA-Z0-9-.]+):(.*?)(?:\?(.*?))?(?:#(.*))?$/.test(s);
}

const SYSCALL_MESSAGES: Record<string, string> = {
  ENOENT: "no such file or directory",
  ENOTDIR: "not a directory",
  EACCES: "permission denied",
  ELOOP: "too many levels of symbolic links",
  ENAMETOOLONG: "file name too long",
};
/** Go's `os.Open(path)` error text (*fs.PathError), or undefined when the open succeeds (directories
 * included: Go opens a directory without error). */
function goOpenError(abs: string): string | undefined {
  try {
    fs.closeSync(fs.openSync(abs, "r"));
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "";
    if (code === "EISDIR") return undefined;
    return `open ${abs}: ${SYSCALL_MESSAGES[code] ?? code}`;
  }
}
function isLocalDir(abs: string): boolean {
  try {
    return fs.statSync(abs).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The one outcome of [pdb] dockerfile.go `parseDockerfile` this helper models: [buildkit]
 * frontend/dockerfile/parser/parser.go `Parse` fails with "file with no instructions" when every line is
 * blank or a comment (`isComment`: "#" after leading whitespace), which includes an empty file and a
 * directory (Go opens a directory; the ignored read error leaves no bytes). parseDockerfile skips all
 * validation when a `# syntax=` directive ([buildkit] parser/directives.go `DetectSyntax`) names another
 * frontend than "docker/dockerfile:1"; the provider's BUILDKIT_SYNTAX environment variable is assumed
 * unset. Anything with an instruction returns "unmodeled": the real parser and instructions.Parse
 * (unknown instructions, bad flags, heredocs...) are not ported.
 */
function dockerfileWithoutInstructions(contentIn: string): "fail" | "pass" | "unmodeled" {
  const content = contentIn.replace(/^\uFEFF/, "");
  const lines = content.split("\n").map((l) => l.replace(/\r$/, ""));
  if (!lines.every((l) => /^\s*(#.*)?$/.test(l))) return "unmodeled";
  let syntax = "";
  for (const [i, line] of lines.entries()) {
    if (i === 0 && line.startsWith("#!")) continue; // discardShebang
    if (!line.startsWith("#")) break;
    const m = /^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/.exec(line.slice(1).trimStart());
    if (!m || !["syntax", "escape", "check"].includes(m[1].toLowerCase())) break;
    if (m[1].toLowerCase() === "escape") return "unmodeled"; // an invalid escape token fails differently
    if (m[1].toLowerCase() === "syntax") {
      syntax = m[2];
      break;
    }
  }
  return syntax !== "" && syntax !== "docker/dockerfile:1" ? "pass" : "fail";
}

// ---------------------------------------------------------------------------------------------------------
// [pdb] image.go `(*ImageArgs).validate` and `normalize`.
// ---------------------------------------------------------------------------------------------------------

export interface ValidateOptions {
  /** The provider's working directory (the Pulumi program's directory); relative context and Dockerfile
   * paths resolve against it. Defaults to process.cwd(). */
  cwd?: string;
  /**
   * The `supportsMultipleExports` argument. In Check it is `cfg.host.supportsMultipleExports`, which
   * [pdb] host.go `newHost` sets to false and only `builderFor` (during a build) raises to true for a
   * BuildKit >= 0.13. So in the first Check of a provider process it is false even on a current BuildKit
   * (pulumi/pulumi-docker-build#774). Default: false.
   */
  supportsMultipleExports?: boolean;
}

export interface ValidateResult {
  /** Every failure of validate, in the order validate produces them. */
  failures: CheckFailure[];
  /** Parts validate checks that this helper cannot (see `notModeled` in checkImageInputsDetailed). */
  notModeled: string[];
  /** The args after validate's own mutations (default context and Dockerfile location). */
  args: GoImageArgs;
}

/** [pdb] preview.go keepers: in preview, drop elements whose value (or CLI string) is "". */
function keep<T>(preview: boolean, xs: T[] | undefined, s: (x: T) => string): T[] | undefined {
  if (xs === undefined || !preview) return xs;
  return xs.filter((x) => s(x) !== "");
}

/** Runs [pdb] image.go `(*ImageArgs).validate(supportsMultipleExports, preview)` on decoded args. */
export function validateImageArgs(
  argsIn: GoImageArgs,
  preview: boolean,
  opts: ValidateOptions = {},
): ValidateResult {
  const ia = structuredClone(argsIn);
  const cwd = opts.cwd ?? process.cwd();
  const failures: CheckFailure[] = [];
  const notModeled: string[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason });

  // [pdb] image.go `(*ImageArgs).validate`, first block: only when !supportsMultipleExports, on the un-normalized ia.Exports (disabled and
  // unknown entries count) and the push/load shorthands.
  if (!(opts.supportsMultipleExports ?? false)) {
    const exportsLen = ia.exports?.length ?? 0;
    if (exportsLen > 1) fail("exports", "multiple exports require a v0.13 buildkit daemon or newer");
    if (ia.push && ia.load)
      fail("push", "simultaneous push and load requires a v0.13 buildkit daemon or newer");
    if (exportsLen > 0 && (ia.push || ia.load)) {
      fail("exports", "multiple exports require a v0.13 buildkit daemon or newer");
    }
  }

  // [pdb] context.go `(*BuildContext).validate(preview, d)`. `c` points into ia.Context, so the "."
  // default sticks to the args Check returns.
  const dockerfile: GoDockerfile = { location: "", inline: "", ...(ia.dockerfile ?? {}) };
  const context = { location: ia.context?.location ?? "" };
  contextValidate: {
    if (context.location === "" && preview) break contextValidate; // unknown location: nothing to check
    if (context.location === "") context.location = ".";
    if (isRemoteURL(context.location)) break contextValidate;
    if (dockerfile.location === "" && dockerfile.inline === "") {
      dockerfile.location = path.posix.join(context.location, "Dockerfile");
    }
    if (isLocalDir(path.resolve(cwd, context.location))) break contextValidate;
    if (context.location !== "-") {
      fail("context.location", `${goQuote(context.location)}: not a valid directory or URL`);
    }
  }
  ia.dockerfile = dockerfile;
  if (ia.context === undefined) ia.context = { location: context.location };
  else ia.context.location = context.location;

  // [pdb] dockerfile.go `(*Dockerfile).validate(preview, c)`; the open error is Go's *fs.PathError text.
  if (dockerfile.location !== "" && dockerfile.inline !== "") {
    fail("dockerfile", `only specify "file" or "inline", not both`);
  } else if (dockerfile.location !== "") {
    if (!isRemoteURL(dockerfile.location)) {
      const abs = path.resolve(cwd, dockerfile.location);
      const openErr = goOpenError(abs);
      if (openErr) fail("dockerfile.location", openErr);
      else {
        const parsed = dockerfileWithoutInstructions(isLocalDir(abs) ? "" : fs.readFileSync(abs, "utf8"));
        if (parsed === "fail") fail("dockerfile.location", "file with no instructions");
        if (parsed === "unmodeled") notModeled.push(`dockerfile.location: Dockerfile syntax of ${abs}`);
      }
    }
  } else if (dockerfile.inline !== "") {
    const parsed = dockerfileWithoutInstructions(dockerfile.inline);
    if (parsed === "fail") fail("dockerfile.inline", "file with no instructions");
    if (parsed === "unmodeled") notModeled.push("dockerfile.inline: Dockerfile syntax");
  } else if (!preview && !isRemoteURL(context.location)) {
    // Only reachable when the context check returned early, which only a preview or a remote context does:
    // kept for fidelity.
    fail("dockerfile", "missing 'location' or 'inline'");
  }

  // [pdb] image.go `normalize(preview)` (keepers in preview.go): drop unknown ("") entries in preview, then the --push / --load
  // shorthands append their exports.
  const exports = [...(keep(preview, ia.exports, exportString) ?? [])];
  const rawExport = (raw: string): GoExport => ({ raw, disabled: false });
  if (ia.push) exports.push(rawExport("type=registry"));
  if (ia.load) exports.push(rawExport("type=docker"));
  // [pdb] image.go validate, exports loop: `e.validate(preview, ia.Tags)` on the NORMALIZED exports (so the
  // index counts kept entries, push / load last) but with the un-normalized tags; disabled entries skipped.
  exports.forEach((e, idx) => {
    if (e.disabled) return;
    const err = validateExport(e, ia.tags ?? []);
    if (err) fail(`exports[${idx}]`, err);
  });

  // [pdb] image.go validate, platforms loop -> platform.go `Platform.validate` ("" skipped in preview).
  (keep(preview, ia.platforms, (p) => p) ?? []).forEach((p, idx) => {
    if (preview && p === "") return;
    const err = validatePlatform(p);
    if (err) fail(`platforms[${idx}]`, err);
  });

  // [pdb] image.go validate, cacheFrom / cacheTo loops: entries whose String() is "" (disabled, or unknown)
  // are always skipped, preview or not.
  (keep(preview, ia.cacheFrom, cacheFromString) ?? []).forEach((c, idx) => {
    const s = cacheFromString(c);
    if (s === "") return; // disabled or unknown
    const err = validateCache(s, "cacheFrom");
    if (err) fail(`cacheFrom[${idx}]`, err);
  });
  (keep(preview, ia.cacheTo, cacheToString) ?? []).forEach((c, idx) => {
    const s = cacheToString(c);
    if (s === "") return;
    const err = validateCache(s, "cacheTo");
    if (err) fail(`cacheTo[${idx}]`, err);
  });

  // [pdb] ssh.go `SSH.validate` (NOT encoded): buildflags.ParseSSHSpecs never fails, but buildx CreateSSH ->
  // sshprovider.NewSSHAgentProvider reads $SSH_AUTH_SOCK or the key files on the provider's host.
  if ((keep(preview, ia.ssh, (s) => s.id) ?? []).some((s) => s.id !== "")) {
    notModeled.push("ssh: the agent socket / key files are checked on the provider's host");
  }

  // [pdb] image.go validate, tags loop: `reference.Parse` on the normalized tags ("" dropped in preview,
  // which renumbers the rest; outside a preview "" fails).
  (keep(preview, ia.tags, (t) => t) ?? []).forEach((t, idx) => {
    const err = validateReference(t);
    if (err) fail(`tags[${idx}]`, err);
  });

  // buildArgs, labels, secrets, addHosts, target, network, builder, registries, noCache, pull, exec,
  // buildOnPreview and ignoreSecretsInDiffCalculation are copied into BuildOptions without any check.
  return { failures, notModeled, args: ia };
}

// ---------------------------------------------------------------------------------------------------------
// Public: Check.
// ---------------------------------------------------------------------------------------------------------

export interface CheckOptions extends ValidateOptions {
  /** True for `pulumi preview` (the engine's dry run). The provider itself never reads this flag in Check;
   * it is used to reject wire inputs with unknowns outside a preview, which the Node SDK never sends. */
  preview: boolean;
}

export interface CheckResult {
  /** What the provider's Check returns, in order: the mapper failures, or the LAST validate failure. */
  failures: CheckFailure[];
  /** Every validate failure (what Create's "preparing: ..." error would join). Empty on mapper failures. */
  validateFailures: CheckFailure[];
  /** The `preview` Check passes to validate: true iff the wire holds an unknown. */
  providerPreview: boolean;
  decoded: DecodedImageInputs;
  /** Checks the provider runs on these inputs that this helper does not model; empty means full fidelity. */
  notModeled: string[];
  /** Check's returned inputs (decoded, defaults and validate's default context / Dockerfile applied). */
  args?: GoImageArgs;
}

/** checkImageInputs with everything it knows. */
export function checkImageInputsDetailed(wire: Record<string, unknown>, opts: CheckOptions): CheckResult {
  const decoded = decodeImageInputs(wire);
  if (!opts.preview && decoded.preview) {
    throw new Error(
      `wire inputs hold unknowns (${decoded.unknownPaths.join(", ")}) outside a preview: the Node SDK only ` +
        "serializes unknowns during a preview",
    );
  }
  const base = { providerPreview: decoded.preview, decoded };
  if (decoded.failures.length > 0 || decoded.args === undefined) {
    return { ...base, failures: decoded.failures, validateFailures: [], notModeled: [] };
  }
  const v = validateImageArgs(decoded.args, decoded.preview, opts);
  // image.go Check: only the top-level checkFailures of the nested errors.Join survive, i.e. the last one.
  const failures = v.failures.length > 0 ? [v.failures[v.failures.length - 1]] : [];
  return { ...base, failures, validateFailures: v.failures, notModeled: v.notModeled, args: v.args };
}

/**
 * The reasons of the CheckFailures the real provider's Check returns for these wire inputs, verbatim:
 * all `infer.DefaultCheck` (mapper) failures if there are any, else at most one validate failure, the last
 * one validate produced (see the header). `opts.preview` is the engine's dry-run flag; the provider's own
 * preview flag is "the inputs hold an unknown".
 */
export function checkImageInputs(wire: Record<string, unknown>, opts: CheckOptions): string[] {
  return checkImageInputsDetailed(wire, opts).failures.map((f) => f.reason);
}

// ---------------------------------------------------------------------------------------------------------
// Public: what `(*Image).Create` does during a preview once Check has passed ([pdb] image.go `Create`,
// `toBuild`, `shouldBuildOnPreview`, `buildable`). This is where the preview short-circuits live, and they
// come AFTER validation: validate runs again (`toBuild`, preview=req.DryRun=true), then the build context
// is hashed, then `buildOnPreview: false` returns, then inputs with unknowns return with a warning.
// ---------------------------------------------------------------------------------------------------------

export interface PreviewCreateOutcome {
  /** "check": Check failed (see `failures`); "error": Create's validate failed (see `error`);
   * "skip-buildOnPreview": buildOnPreview is false; "skip-not-buildable": the unknown-inputs short-circuit;
   * "build": the provider would run a build during the preview. */
  result: "check" | "error" | "skip-buildOnPreview" | "skip-not-buildable" | "build";
  failures: CheckFailure[];
  error?: string;
  /** Warnings the provider logs on the way. */
  warnings: string[];
}

/** [pdb] image.go `(*ImageArgs).buildable`: `reflect.DeepEqual(ia, ia.normalize(true))`. normalize drops
 * `exec` and appends the push / load exports, so push, load or exec alone make an image unbuildable in
 * preview even when every input is known (see pulumi/pulumi-docker-build#96, image "a"). */
export function isBuildable(ia: GoImageArgs): boolean {
  if (ia.push || ia.load || ia.exec) return false;
  const dropsAny = <T>(xs: T[] | undefined, s: (x: T) => string) => (xs ?? []).some((x) => s(x) === "");
  const mapDropsAny = (m: Record<string, string> | undefined) =>
    Object.entries(m ?? {}).some(([k, v]) => k === "" || v === "");
  return !(
    dropsAny(ia.addHosts, (x) => x) ||
    mapDropsAny(ia.buildArgs) ||
    dropsAny(ia.cacheFrom, cacheFromString) ||
    dropsAny(ia.cacheTo, cacheToString) ||
    Object.entries(ia.context?.named ?? {}).some(([k, v]) => k === "" || v.location === "") ||
    dropsAny(ia.exports, exportString) ||
    mapDropsAny(ia.labels) ||
    dropsAny(ia.platforms, (x) => x) ||
    (ia.registries ?? []).some((r) => r.password === "" || r.address === "") ||
    dropsAny(ia.ssh, (s) => s.id) ||
    mapDropsAny(ia.secrets) ||
    dropsAny(ia.tags, (x) => x)
  );
}

/**
 * The outcome of a `pulumi preview` for these wire inputs: Check, then Create with DryRun=true. Assumes
 * BuildKit is enabled and that hashing the build context succeeds (neither is modeled).
 * `opts.supportsMultipleExports` is used for Check; Create uses the connected builder's real capability,
 * `createSupportsMultipleExports` (default true).
 */
export function previewCreateOutcome(
  wire: Record<string, unknown>,
  opts: ValidateOptions & { createSupportsMultipleExports?: boolean } = {},
): PreviewCreateOutcome {
  const check = checkImageInputsDetailed(wire, { ...opts, preview: true });
  if (check.failures.length > 0 || check.args === undefined) {
    return { result: "check", failures: check.failures, warnings: [] };
  }
  const ia = check.args;
  const v = validateImageArgs(ia, true, {
    cwd: opts.cwd,
    supportsMultipleExports: opts.createSupportsMultipleExports ?? true,
  });
  if (v.failures.length > 0) {
    // fmt.Errorf("preparing: %w", err): a joined error prints every message, one per line.
    const error = `preparing: ${v.failures.map((f) => f.reason).join("\n")}`;
    return { result: "error", failures: [], error, warnings: [] };
  }
  const warnings: string[] = [];
  if ((ia.exports?.length ?? 0) === 0 && !ia.push && !ia.load) {
    warnings.push(
      "No exports were specified so the build will only remain in the local build cache. " +
        "Use `push` to upload the image to a registry, or silence this warning with a `cacheonly` export.",
    );
  }
  const platforms = (keep(true, ia.platforms, (p) => p) ?? []).length;
  const cacheTo = (keep(true, ia.cacheTo, cacheToString) ?? []).filter((c) => cacheToString(c) !== "").length;
  if (platforms > 1 && cacheTo > 0) {
    warnings.push(
      "Caching doesn't work reliably with multi-platform builds (https://github.com/docker/buildx/discussions/1382). " +
        "Instead, perform one cached build per platform and create an Index to join them all together.",
    );
  }
  // image.go `shouldBuildOnPreview`: nil means true (and Check's defaults already set true).
  if (ia.buildOnPreview === false) return { result: "skip-buildOnPreview", failures: [], warnings };
  if (!isBuildable(ia)) {
    warnings.push("Skipping preview build because some inputs are unknown.");
    return { result: "skip-not-buildable", failures: [], warnings };
  }
  return { result: "build", failures: [], warnings };
}
