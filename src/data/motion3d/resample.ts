/**
 * Frame resampling as MotionBERT's `resample` (lib/utils/utils_data.py): frame indices, not
 * interpolation. Used to fit short clips to a window length and to change the frame rate.
 */
import {inputError} from '../../core/errors.js'
import type {NDArray} from '../../core/ndarray.js'
import type {Rng} from '../../core/rng.js'

export interface ResampleOptions {
  /** Random crop of long clips / cyclic replay of short ones (official `replay=True`). */
  replay?: boolean
  /**
   * With an rng, the official random variant (jittered positions within each step); without
   * one, the deterministic `linspace(0, T, n, endpoint=False).astype(int)`.
   */
  rng?: Rng
}

/** `targetLen` frame indices into a clip of `oriLen` frames. */
export function resampleIndices(oriLen: number, targetLen: number, opts: ResampleOptions = {}): Int32Array {
  if (!Number.isInteger(oriLen) || oriLen < 1) throw inputError(`resample: clip length must be a positive integer, got ${oriLen}`)
  if (!Number.isInteger(targetLen) || targetLen < 1) throw inputError(`resample: target length must be a positive integer, got ${targetLen}`)
  const out = new Int32Array(targetLen)
  const rng = opts.rng
  if (opts.replay) {
    if (oriLen > targetLen) {
      const start = rng ? rng.int(oriLen - targetLen) : 0
      for (let i = 0; i < targetLen; i++) out[i] = start + i
    } else {
      for (let i = 0; i < targetLen; i++) out[i] = i % oriLen
    }
    return out
  }
  // numpy linspace: i * step with step = oriLen / targetLen (float64), then floor.
  const step = oriLen / targetLen
  if (!rng) {
    for (let i = 0; i < targetLen; i++) out[i] = Math.floor(i * step)
    return out
  }
  const values = new Float64Array(targetLen)
  if (oriLen < targetLen) {
    // Each position rounds down or up at random; sorted as official.
    for (let i = 0; i < targetLen; i++) {
      const even = i * step
      values[i] = rng.int(2) === 1 ? Math.floor(even) : Math.ceil(even)
    }
    values.sort()
  } else {
    for (let i = 0; i < targetLen; i++) values[i] = rng.next() * step + i * step
  }
  for (let i = 0; i < targetLen; i++) out[i] = Math.floor(Math.min(Math.max(values[i]!, 0), oriLen - 1))
  return out
}

/** Frames `indices` of `x` along axis 0 (any trailing shape). */
export function takeFrames(x: NDArray, indices: ArrayLike<number>): NDArray {
  const frameSize = x.shape.slice(1).reduce((a, b) => a * b, 1)
  const T = x.shape[0]!
  const out = new Float32Array(indices.length * frameSize)
  for (let i = 0; i < indices.length; i++) {
    const t = indices[i]!
    if (t < 0 || t >= T) throw new Error(`takeFrames: frame ${t} outside [0, ${T})`)
    out.set(x.data.subarray(t * frameSize, (t + 1) * frameSize), i * frameSize)
  }
  return {data: out, shape: [indices.length, ...x.shape.slice(1)]}
}

/** Number of frames after changing the rate from `fromFps` to `toFps`. */
export function resampledLength(frames: number, fromFps: number, toFps: number): number {
  return Math.max(1, Math.round((frames * toFps) / fromFps))
}

/**
 * Changes the frame rate by picking frames (official resample, deterministic unless `rng`):
 * 120 -> 30 fps keeps every 4th frame.
 */
export function resampleFps(x: NDArray, fromFps: number, toFps: number, opts: {rng?: Rng} = {}): NDArray {
  if (!(fromFps > 0) || !(toFps > 0)) throw inputError(`resample: frame rates must be positive, got ${fromFps} -> ${toFps}`)
  if (fromFps === toFps) return x
  const T = x.shape[0]!
  return takeFrames(x, resampleIndices(T, resampledLength(T, fromFps, toFps), {rng: opts.rng}))
}
