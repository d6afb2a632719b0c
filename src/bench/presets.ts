/**
 * Model sizes `motion bench` times, per backbone. DSTformer's are the presets (lite and
 * full are MotionBERT-Lite and MotionBERT, as the official bench_official.py builds them); for
 * MixSTE and the Strided Transformer, `full` is the published model, `lite` half its width and
 * `tiny` a test-sized one. Weights are random: speed does not depend on their values.
 */
import {getBackbone} from '../backbones/registry.js'
import {inputError} from '../core/errors.js'
import type {RawConfig} from '../config/types.js'

export const BENCH_PRESETS = ['tiny', 'lite', 'full'] as const
export type BenchPreset = (typeof BENCH_PRESETS)[number]

export const BENCH_BACKBONES = ['dstformer', 'mixste', 'strided'] as const
export type BenchBackbone = (typeof BENCH_BACKBONES)[number]

/** Config keys (each backbone's own names) per backbone and preset, frames excluded. */
export const PRESET_TABLE: Readonly<Record<BenchBackbone, Readonly<Record<BenchPreset, Readonly<RawConfig>>>>> = {
  dstformer: {
    tiny: {dim_feat: 32, depth: 2, num_heads: 4, mlp_ratio: 2, dim_rep: 64},
    lite: {dim_feat: 256, depth: 5, num_heads: 8, mlp_ratio: 4, dim_rep: 512},
    full: {dim_feat: 512, depth: 5, num_heads: 8, mlp_ratio: 2, dim_rep: 512},
  },
  mixste: {
    tiny: {embed_dim_ratio: 32, depth: 2, num_heads: 4, mlp_ratio: 2},
    lite: {embed_dim_ratio: 256, depth: 8, num_heads: 8, mlp_ratio: 2},
    full: {embed_dim_ratio: 512, depth: 8, num_heads: 8, mlp_ratio: 2},
  },
  strided: {
    tiny: {channel: 32, d_hid: 64, layers: 2},
    lite: {channel: 128, d_hid: 256, layers: 3},
    full: {channel: 256, d_hid: 512, layers: 3},
  },
}

/** The official Strided Transformer strides where they exist; others shrink 3, 3, then the rest. */
const STRIDED_STRIDES: Readonly<Record<number, readonly number[]>> = {27: [3, 3, 3], 81: [3, 3, 9], 243: [3, 9, 9], 351: [3, 9, 13]}

export function stridesFor(frames: number): number[] {
  const known = STRIDED_STRIDES[frames]
  if (known) return [...known]
  const after = (len: number, s: number): number => Math.floor((len - 1) / s) + 1
  const rest = after(after(frames, 3), 3)
  return [3, 3, Math.max(rest, 1)]
}

/**
 * The full model config for a benchmark: the preset plus the clip length (DSTformer's maxlen
 * covers at least the official 243; MixSTE and Strided take clips of exactly `frames`).
 */
export function benchModelConfig(backbone: string, preset: string, frames: number): RawConfig {
  if (!(BENCH_BACKBONES as readonly string[]).includes(backbone)) {
    throw inputError(`unknown backbone "${backbone}" for bench`, {hint: `use one of ${BENCH_BACKBONES.join(', ')}`})
  }
  if (!(BENCH_PRESETS as readonly string[]).includes(preset)) {
    throw inputError(`unknown preset "${preset}"`, {hint: `use one of ${BENCH_PRESETS.join(', ')}`})
  }
  if (!Number.isInteger(frames) || frames < 1) throw inputError(`--frames must be a positive integer, got ${frames}`)
  const sizes = PRESET_TABLE[backbone as BenchBackbone][preset as BenchPreset]
  // Backbones with their own output layers (MixSTE, Strided) run head none; encoders get the pose head.
  const head = {head: getBackbone(backbone).outputs.includes('pose3d') ? 'none' : 'pose3d', backbone}
  if (backbone === 'dstformer') return {...sizes, ...head, maxlen: Math.max(243, frames), dim_in: 3}
  if (backbone === 'mixste') return {...sizes, ...head, num_frame: frames, in_chans: 2}
  return {...sizes, ...head, frames, stride_num: stridesFor(frames)}
}
