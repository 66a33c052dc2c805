/**
 * The release registry's settings that have a default, and their limits: the Registry component applies
 * them, and the stack config schema fills them in, from here.
 */

export const ENCRYPTIONS = ["AES256", "KMS"] as const;
export type Encryption = (typeof ENCRYPTIONS)[number];

/** How many of the newest build-tagged release images are kept (besides the environment-tagged ones). */
export const KEEP_BUILD_IMAGES = { min: 1, max: 1000 } as const;

/**
 * How many of its last promoted images a promote stack (staging, prod) keeps: each promotion moves one of
 * that many slot tags (infra/release-tags.ts). The release lifecycle policy protects `max` slots per
 * environment, so any value a stack sets is protected without the stacks having to agree.
 */
export const KEEP_HISTORY = { min: 1, max: 10 } as const;

export const REGISTRY_DEFAULTS = {
  /** Release repository name; cache repositories are `<name>/cache/<stage>`. */
  name: "voxpersona",
  encryption: "AES256" as Encryption,
  scanOnPush: true,
  keepBuildImages: 30,
  keepHistory: 5,
  adoptExisting: false,
} as const;
