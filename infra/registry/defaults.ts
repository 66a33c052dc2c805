/**
 * The release registry's settings that have a default, and their limits: the Registry component applies
 * them, and the stack config schema fills them in, from here.
 */

export const ENCRYPTIONS = ["AES256", "KMS"] as const;
export type Encryption = (typeof ENCRYPTIONS)[number];

/** How many of the newest build-tagged release images are kept (besides the environment-tagged ones). */
export const KEEP_BUILD_IMAGES = { min: 1, max: 1000 } as const;

export const REGISTRY_DEFAULTS = {
  /** Release repository name; cache repositories are `<name>/cache/<stage>`. */
  name: "voxpersona",
  encryption: "AES256" as Encryption,
  scanOnPush: true,
  keepBuildImages: 30,
} as const;
