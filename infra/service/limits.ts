/**
 * What Fargate, CloudWatch Logs and the bot itself accept for the service's sizes and settings. The
 * BotService component checks its arguments against these, and the stack config schema is built from them,
 * so a value config accepts is one the service accepts.
 */

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

/** Fargate task sizes: CPU units → allowed memory (MiB). */
export const FARGATE_MEMORY: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

/** BAAI/bge-m3 alone holds ~2.3 GB in memory; below this the bot is OOM-killed while loading it. */
export const MIN_MEMORY_MIB = 4096;

/**
 * Task ephemeral storage in GiB: the range Fargate accepts, and the default. The embedding models are baked
 * into the image and the image counts against the storage, so the default leaves room above Fargate's 21.
 */
export const EPHEMERAL_STORAGE_GIB = { min: 21, max: 200, default: 30 } as const;

/** Values CloudWatch Logs accepts for `retentionInDays` (0, "never expire", is refused on purpose). */
export const LOG_RETENTION_DAYS: readonly number[] = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];
export const DEFAULT_LOG_RETENTION_DAYS = 30;

/** 1 runs the bot, 0 pauses it; never more: two bots would poll the same Telegram updates. */
export const DESIRED_COUNTS = [0, 1] as const;
export type DesiredCount = (typeof DESIRED_COUNTS)[number];
export const DEFAULT_DESIRED_COUNT: DesiredCount = 1;

/** The task's CPU architecture for each platform an image can be built for. */
export const ARCHITECTURE_OF_PLATFORM = { "linux/amd64": "X86_64", "linux/arm64": "ARM64" } as const;
export type Platform = keyof typeof ARCHITECTURE_OF_PLATFORM;
export type CpuArchitecture = (typeof ARCHITECTURE_OF_PLATFORM)[Platform];
export const PLATFORMS = Object.keys(ARCHITECTURE_OF_PLATFORM) as [Platform, ...Platform[]];
export const CPU_ARCHITECTURES = Object.values(ARCHITECTURE_OF_PLATFORM) as [
  CpuArchitecture,
  ...CpuArchitecture[],
];
export const DEFAULT_CPU_ARCHITECTURE: CpuArchitecture = "X86_64";
