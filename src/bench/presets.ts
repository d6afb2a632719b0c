/**
 * Model sizes `motion bench` times, per backbone: each registry entry's `benchSizes` (the
 * official MotionBERT-Lite and MotionBERT for the DSTformer, as bench_official.py builds them;
 * for the others `full` is the published model, `lite` half its width and `tiny` a test-sized
 * one) and `benchClip` (the keys that make it take clips of the benchmark's length). Weights are
 * random: speed does not depend on their values.
 */
import {backboneRegistry, getBackbone} from '../backbones/registry.js'
import {inputError} from '../core/errors.js'
import type {RawConfig} from '../config/types.js'
import {SIZE_PRESETS, type SizePreset} from '../nn/registry/backbone.js'

export const BENCH_PRESETS = SIZE_PRESETS
export type BenchPreset = SizePreset

/** Every registered backbone can be timed. */
export const BENCH_BACKBONES: readonly string[] = [...backboneRegistry.keys()]

/**
 * The full model config for a benchmark: the preset plus the clip length, with the head that
 * gives the backbone's 3D poses (its own output layers: head none; an encoder: the pose head).
 */
export function benchModelConfig(backbone: string, preset: string, frames: number): RawConfig {
  if (!BENCH_BACKBONES.includes(backbone)) {
    throw inputError(`unknown backbone "${backbone}" for bench`, {hint: `use one of ${BENCH_BACKBONES.join(', ')}`})
  }
  if (!(BENCH_PRESETS as readonly string[]).includes(preset)) {
    throw inputError(`unknown preset "${preset}"`, {hint: `use one of ${BENCH_PRESETS.join(', ')}`})
  }
  if (!Number.isInteger(frames) || frames < 1) throw inputError(`--frames must be a positive integer, got ${frames}`)
  const entry = getBackbone(backbone)
  return {...entry.benchSizes[preset as BenchPreset], head: entry.poseHead, backbone, ...entry.benchClip(frames)}
}
