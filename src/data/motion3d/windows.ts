/**
 * Cutting clips into fixed-length training windows, as MotionBERT's `split_clips` does for one
 * clip: windows start at 0, stride, 2·stride, ... while they fit; the tail after the last full
 * window is dropped; a clip shorter than the window becomes one window resampled to full length.
 * (Each clip is treated alone, so the official quirk that the very last video of a list never gets
 * its resampled window does not apply.)
 */
import {inputError} from '../../core/errors.js'
import type {Rng} from '../../core/rng.js'
import {resampleIndices} from './resample.js'

/** Number of windows a clip of `frames` gives. */
export function windowCount(frames: number, clipLen: number, stride: number): number {
  checkWindowing(clipLen, stride)
  if (frames <= 0) return 0
  return frames >= clipLen ? Math.floor((frames - clipLen) / stride) + 1 : 1
}

/** Frame indices of every window of a clip (each `clipLen` long). */
export function clipWindows(frames: number, clipLen: number, stride: number, opts: {rng?: Rng} = {}): Int32Array[] {
  const n = windowCount(frames, clipLen, stride)
  if (frames > 0 && frames < clipLen) return [resampleIndices(frames, clipLen, {rng: opts.rng})]
  const out: Int32Array[] = []
  for (let w = 0; w < n; w++) {
    const idx = new Int32Array(clipLen)
    for (let i = 0; i < clipLen; i++) idx[i] = w * stride + i
    out.push(idx)
  }
  return out
}

function checkWindowing(clipLen: number, stride: number): void {
  if (!Number.isInteger(clipLen) || clipLen < 1) throw inputError(`clip_len must be a positive integer, got ${clipLen}`)
  if (!Number.isInteger(stride) || stride < 1) throw inputError(`data_stride must be a positive integer, got ${stride}`)
}
