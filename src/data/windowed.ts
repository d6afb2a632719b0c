/**
 * Inference for models trained on video-like views (native config `inference.inputNorm: window`):
 *
 *   1. full-length windows of clipLen frames advancing by clipLen - overlap, the last one ending on
 *      the last frame (a track shorter than a window is one short window);
 *   2. each window scaled to its own box (normalizeWindow), so how far a person travels through the
 *      frame over the whole track does not shrink them in the input;
 *   3. the model on the window, and with flip on also on its mirror image, the two averaged (up to
 *      WINDOWS_PER_CALL windows and their mirrors in one model call);
 *   4. root-relative output in the model's units (metres for the bundled model), the windows
 *      cross-faded with linear ramps over the shared frames, so window boundaries do not show.
 *
 * Memory is bounded as in predictWildStream: the output is allocated once, and frames before
 * `finalized` are final after each window.
 */
import {modelError} from '../core/errors.js'
import type {NDArray} from '../core/ndarray.js'
import {H36M_FLIP_PERMUTATION, NUM_JOINTS, ROOT} from '../core/h36m.js'
import {flipInto, normalizeWindow, type RunModel, type WildProgress, type WildWindow} from './wild.js'

const ROW = NUM_JOINTS * 3

export interface WindowedOptions {
  clipLen: number
  /** Frames shared by consecutive windows (cross-faded). */
  overlap: number
  flip: boolean
  /** Feed x, y only. */
  noConf?: boolean
}

export interface WindowedResult {
  /** `[T, 17, 3]` root-relative, in the model's output units. */
  x3d: NDArray
}

/**
 * The overlap a window-normalised model runs with: the one given (--overlap), else the one its
 * config declares, else half a window, so window boundaries do not show.
 */
export function windowOverlap(clipLen: number, given?: number, declared?: number): number {
  return given ?? declared ?? Math.floor(clipLen / 2)
}

/** Full-length windows (see the module comment). */
export function planOverlappedWindows(frames: number, clipLen: number, overlap: number): WildWindow[] {
  if (!Number.isInteger(clipLen) || clipLen < 1) throw new RangeError(`clip length ${clipLen} must be a whole number >= 1`)
  if (!Number.isInteger(overlap) || overlap < 0 || overlap >= clipLen) throw new RangeError(`overlap ${overlap} must be from 0 to ${clipLen - 1}`)
  if (frames <= clipLen) return [{start: 0, end: frames}]
  const stride = clipLen - overlap
  const windows: WildWindow[] = []
  for (let start = 0; ; start += stride) {
    if (start + clipLen >= frames) {
      windows.push({start: frames - clipLen, end: frames})
      break
    }
    windows.push({start, end: start + clipLen})
  }
  return windows
}

/**
 * Windows per model call (with flip, twice as many sequences). A few per call keep each layer's
 * activations in the core's cache (4 windows of 60 frames with their mirrors: 2 MB per [B, T, 17, 64]
 * tensor, one core's L2 here); 16 per call made onnxruntime spend 15-25% more CPU on the same
 * windows of the bundled model, and one per call pays the per-call and per-op thread hand-offs 41
 * times on the real file instead of 11.
 */
export const WINDOWS_PER_CALL = 4

export async function* predictWindowedStream(keypoints: NDArray, opts: WindowedOptions, runModel: RunModel): AsyncGenerator<WildProgress, WindowedResult, void> {
  const T = keypoints.shape[0]!
  const windows = planOverlappedWindows(T, opts.clipLen, opts.overlap)
  const x3d = new Float32Array(T * ROW)
  const weightSum = new Float32Array(T)
  let finalized = 0
  // Every window has the same length t (the track's, when it is shorter than a window).
  const t = windows[0]!.end - windows[0]!.start
  for (let first = 0; first < windows.length; first += WINDOWS_PER_CALL) {
    const chunk = windows.slice(first, first + WINDOWS_PER_CALL)
    // [t, 17, 3] each window's root-relative, flip-averaged answer; a window that cannot be
    // normalised stops the track, as a failing single window always has
    const lifted = await liftWindowBatch(chunk.map(({start, end}) => ({data: keypoints.data.subarray(start * ROW, end * ROW), shape: [t, NUM_JOINTS, 3]})), opts, runModel)
    for (const [k, {start}] of chunk.entries()) {
      const r = lifted[k]!
      if (!('data' in r)) throw r.error
      const pred = r.data
      const i = first + k
      const isFirst = i === 0
      const isLast = i === windows.length - 1
      const ramp = opts.overlap + 1
      for (let f = 0; f < t; f++) {
        const w = Math.min(1, isFirst ? 1 : (f + 1) / ramp, isLast ? 1 : (t - f) / ramp)
        const frame = start + f
        weightSum[frame] = weightSum[frame]! + w
        for (let m = 0; m < ROW; m++) x3d[frame * ROW + m] = x3d[frame * ROW + m]! + w * pred[f * ROW + m]!
      }
      const upTo = isLast ? T : windows[i + 1]!.start
      for (let f = finalized; f < upTo; f++) {
        const w = weightSum[f]!
        if (w !== 1 && w > 0) for (let m = 0; m < ROW; m++) x3d[f * ROW + m] = x3d[f * ROW + m]! / w
      }
      finalized = Math.max(finalized, upTo)
      yield {window: i, windows: windows.length, start, end: start + t, finalized}
    }
  }
  return {x3d: {data: x3d, shape: [T, NUM_JOINTS, 3]}}
}

/**
 * Several single windows (each `[t, 17, 3]`, all the same t) through a window-normalised model in
 * one call: each scaled to its own box, with flip their mirror images in the same batch
 * ([2n, t, 17, C]: the n windows, then their n mirrors). Returns each window's root-relative 3D in
 * the model's units, exactly as predictWindowedStream lifts a track of one window. Used by the
 * stream to answer every person of a frame with one model call.
 */
export async function liftWindowBatch(given: readonly NDArray[], opts: Omit<WindowedOptions, 'clipLen' | 'overlap'>, runModel: RunModel): Promise<Array<NDArray | {error: unknown}>> {
  if (given.length === 0) return []
  const t = given[0]!.shape[0]!
  if (given.some((w) => w.shape[0] !== t)) throw new RangeError('liftWindowBatch: every window must have the same length')
  // a window that cannot be normalised (too few confident keypoints) fails alone
  const results: Array<NDArray | {error: unknown}> = []
  const normalizedWindows: NDArray[] = []
  const slots: number[] = []
  for (const w of given) {
    try {
      normalizedWindows.push(normalizeWindow(w))
      slots.push(results.length)
      results.push({error: undefined})
    } catch (error) {
      results.push({error})
    }
  }
  const n = normalizedWindows.length
  if (n === 0) return results
  const channels = opts.noConf ? 2 : 3
  const block = t * NUM_JOINTS * channels
  const batchSize = opts.flip ? 2 * n : n
  const batch = new Float32Array(batchSize * block) // [B, t, 17, C]
  for (const [i, normalized] of normalizedWindows.entries()) {
    if (channels === 3) batch.set(normalized.data, i * block)
    else for (let k = 0; k < t * NUM_JOINTS; k++) for (let c = 0; c < channels; c++) batch[i * block + k * channels + c] = normalized.data[k * 3 + c]!
    if (opts.flip) flipInto(batch, i * block, batch, (n + i) * block, t, channels)
  }
  const out = await runModel({data: batch, shape: [batchSize, t, NUM_JOINTS, channels]})
  if (out.shape.join() !== [batchSize, t, NUM_JOINTS, 3].join()) {
    throw modelError(`the model returned shape [${out.shape.join(', ')}] for a batch of [${batchSize}, ${t}, 17, ${channels}]; expected [${batchSize}, ${t}, 17, 3]`)
  }
  const size = t * ROW
  const o = out.data
  for (let i = 0; i < n; i++) {
    const pred = o.slice(i * size, (i + 1) * size)
    // frame by frame: the mirror's answer flipped back (x negated, left and right swapped) and
    // averaged in, then the root subtracted: one pass, the same arithmetic as flipInto + average
    const mirror = (n + i) * size
    for (let f = 0; f < t; f++) {
      const row = f * ROW
      if (opts.flip) {
        for (let j = 0; j < NUM_JOINTS; j++) {
          const to = row + j * 3
          const from = mirror + row + H36M_FLIP_PERMUTATION[j]! * 3
          pred[to] = (pred[to]! + -o[from]!) / 2
          pred[to + 1] = (pred[to + 1]! + o[from + 1]!) / 2
          pred[to + 2] = (pred[to + 2]! + o[from + 2]!) / 2
        }
      }
      const r = row + ROOT * 3
      const rx = pred[r]!
      const ry = pred[r + 1]!
      const rz = pred[r + 2]!
      for (let k = row; k < row + ROW; k += 3) {
        pred[k] = pred[k]! - rx
        pred[k + 1] = pred[k + 1]! - ry
        pred[k + 2] = pred[k + 2]! - rz
      }
    }
    results[slots[i]!] = {data: pred, shape: [t, NUM_JOINTS, 3]}
  }
  return results
}
