/** The parsed stack config's types, derived from the schema. */
import type { SecretRef } from "../service/secrets";
import type { ParsedConfig, Role } from "./schema";

type BuildSettings = NonNullable<ParsedConfig["voxpersona:build"]>;
type NetworkSettings = ParsedConfig["voxpersona:network"];
/** `assignPublicIp`, optional in the config, is always decided (by the network) in a StackConfig. */
type ServiceSettings = Omit<ParsedConfig["voxpersona:service"], "assignPublicIp"> & {
  readonly assignPublicIp: boolean;
};

/** A build stack's build: its `voxpersona:build` plus the scope and tag of this run. */
export type BuildConfig = Readonly<BuildSettings> & {
  readonly cacheScope: ParsedConfig["voxpersona:cacheScope"];
  readonly buildTag?: ParsedConfig["voxpersona:buildTag"];
};

export interface StackConfig {
  readonly stack: string;
  readonly region: ParsedConfig["aws:region"];
  readonly role: Role;
  /** Set for `promote` stacks only. */
  readonly promote?: { readonly upstreamStack: string; readonly pinnedDigest?: string };
  /** Set for `build` stacks only. */
  readonly build?: BuildConfig;
  readonly cache: Readonly<ParsedConfig["voxpersona:cache"]>;
  readonly registry: Readonly<ParsedConfig["voxpersona:registry"]>;
  readonly service: Readonly<ServiceSettings>;
  /** Absent: the account's default VPC and its subnets. */
  readonly network?: Readonly<Required<NetworkSettings>>;
  /** Runtime secrets: environment variable → checked reference (resolved to an ARN at deploy time). */
  readonly secrets: readonly SecretRef[];
  /**
   * Config keys stored as secrets (`pulumi config set --secret`), e.g. `voxpersona:service`: every resource
   * input derived from one of them must be a secret Output.
   */
  readonly secretKeys: readonly string[];
}
