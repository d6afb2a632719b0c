/**
 * The limits on what a file may ask of motion: sizes, counts and model dimensions. A file over a
 * limit is refused with a one-line error naming the file and the limit (exit 2 for data and config
 * files, 3 for checkpoints and model folders), before any large allocation. docs/limits.md lists
 * them for users; change them here only.
 */
const MiB = 1024 * 1024
const GiB = 1024 * MiB

export const LIMITS = {
  /** JSON and YAML config files (model config.json, --config). */
  configFileBytes: 4 * MiB,
  /** YAML aliases (*name) in one config file: stops "billion laughs" alias bombs. */
  yamlAliases: 100,
  /** Nesting depth of JSON/YAML values in a config file. */
  configDepth: 64,
  /** Entries in a zip archive (torch checkpoints, .npz). */
  zipEntries: 100_000,
  /** Uncompressed size of one zip entry. */
  zipEntryBytes: 4 * GiB,
  /** Uncompressed size of a checkpoint's pickle (data.pkl): it holds structure, not tensors. */
  pickleBytes: 256 * MiB,
  /** Uncompressed / compressed ratio of one zip entry (deflate tops out near 1032:1). */
  zipRatio: 1100,
  /** A safetensors JSON header (the format's own reference limit is 100 MB). */
  safetensorsHeaderBytes: 100 * MiB,
  /** An .npy header. */
  npyHeaderBytes: 1 * MiB,
  /** Elements of one tensor or array (2^31 - 1: the largest typed array index). */
  tensorElements: 2 ** 31 - 1,
  /** Dimensions of one tensor or array. */
  tensorRank: 32,
  /** Model dimensions a config may ask for. */
  model: {
    depth: 64,
    dim_feat: 4096,
    dim_rep: 8192,
    num_heads: 128,
    mlp_ratio: 64,
    num_joints: 1024,
    maxlen: 100_000,
    hidden_dim: 65_536,
    action_classes: 100_000,
    /** Weights a model may have in total. */
    parameters: 2_000_000_000,
  },
} as const

export type ModelDimension = keyof typeof LIMITS.model

/** "4 MiB" style sizes for messages. */
export function formatBytes(bytes: number): string {
  if (bytes >= GiB) return `${+(bytes / GiB).toFixed(1)} GiB`
  if (bytes >= MiB) return `${+(bytes / MiB).toFixed(1)} MiB`
  if (bytes >= 1024) return `${+(bytes / 1024).toFixed(1)} KiB`
  return `${bytes} bytes`
}
