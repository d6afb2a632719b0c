/**
 * MotionBERT's infer_wild pipeline as plain functions, independent of any model code:
 *
 *   1. normalise the [T, 17, 3] track: scale mode = crop_scale to [-1, 1] (ratio 1; confidence
 *      kept, every channel clipped to [-1, 1] as crop_scale does), pixel mode = centre on the
 *      video and divide by min(w, h) / 2 (lib/data/dataset_wild.py read_input);
 *   2. consecutive clips of clip_len frames, the last one shorter (WildDetDataset);
 *   3. per clip: the model on the clip, and with flip on also on flip_data(clip), the flipped
 *      prediction flipped back and the two averaged;
 *   4. rootrel: root joint set to 0 in every frame; else the root's z in the clip's first frame
 *      set to 0 (infer_wild overwrites that one value);
 *   5. pixel mode: x3d * min(w, h) / 2, then x, y + (w, h) / 2.
 *
 * Beyond infer_wild, `overlap K` runs windows of clip_len that advance by clip_len - K and
 * blends the K shared frames with linear cross-fade weights, so long videos do not jump at clip
 * boundaries. Memory is bounded: the output is allocated once and each window only copies its
 * own frames, so a 100,000-frame track streams window by window (see predictWildStream).
 */
import {dataQualityError, inputError, modelError} from '../core/errors.js'
import type {NDArray} from '../core/ndarray.js'
import {confidentBox} from './confident-box.js'
import {H36M_FLIP_PERMUTATION, NUM_JOINTS, ROOT} from '../core/h36m.js'
import {count} from '../core/text.js'

const ROW = NUM_JOINTS * 3

export type WildMode = 'scale' | 'pixel'

export interface WildOptions {
  /** 'scale': crop_scale to [-1, 1] (default of infer_wild); 'pixel': keep pixel scale (needs videoSize). */
  mode: WildMode
  /** Video [width, height] in pixels; required in pixel mode. */
  videoSize?: [number, number]
  /** Frames per model call (MotionBERT: 243). */
  clipLen: number
  /** Flip test-time augmentation. */
  flip: boolean
  /** Root-relative output (root joint zeroed) instead of zeroing the first frame's root depth. */
  rootrel: boolean
  /** Frames shared by consecutive windows, blended with a linear cross-fade (0 = infer_wild's clips). */
  overlap?: number
  /** MotionBERT's no_conf: feed x, y only ([B, t, 17, 2]). */
  noConf?: boolean
  /** MotionBERT's gt_2d: replace the predicted x, y by the input's. */
  gt2d?: boolean
}

/** Runs the model on a batch [B, t, 17, C] (C = 3, or 2 with noConf) and returns [B, t, 17, 3]. */
export type RunModel = (batch: NDArray) => Promise<NDArray>

export interface WildResult {
  /** [T, 17, 3]: normalised units in scale mode, pixels (z scaled alike) in pixel mode. */
  x3d: NDArray
  /** [T, 17, 3]: the normalised model input. */
  normalized: NDArray
  units: 'normalized' | 'pixels'
}

export interface WildProgress {
  /** Index of the window just run, and how many there are. */
  window: number
  windows: number
  start: number
  end: number
  /** Frames [0, finalized) of x3d hold their final values. */
  finalized: number
}

export interface WildWindow {
  start: number
  end: number
}

/** Normalises a [T, 17, 3] pixel track as infer_wild's read_input does (see the module comment). */
export function normalizeWild(keypoints: NDArray, opts: Pick<WildOptions, 'mode' | 'videoSize'>): NDArray {
  checkTrack(keypoints)
  const src = keypoints.data
  const out = new Float32Array(src.length)
  if (opts.mode === 'pixel') {
    const [w, h] = checkVideoSize(opts.videoSize)
    const scale = Math.min(w, h) / 2
    for (let i = 0; i < src.length; i += 3) {
      out[i] = (src[i]! - w / 2) / scale
      out[i + 1] = (src[i + 1]! - h / 2) / scale
      out[i + 2] = src[i + 2]!
    }
    return {data: out, shape: [...keypoints.shape]}
  }
  // crop_scale: the square box around every keypoint with nonzero confidence
  const {xmin, xmax, ymin, ymax, count: valid} = confidentBox(src, 3)
  // crop_scale returns all zeros here; refuse instead of lifting a blank input
  if (valid < 4) {
    throw dataQualityError(`only ${count(valid, 'keypoint')} with nonzero confidence in the whole track; at least 4 are needed to scale it`)
  }
  const scale = Math.max(xmax - xmin, ymax - ymin)
  if (scale === 0) throw dataQualityError('every keypoint with nonzero confidence is at the same position; the track cannot be scaled')
  const xs = (xmin + xmax - scale) / 2
  const ys = (ymin + ymax - scale) / 2
  const clip = (v: number): number => (v < -1 ? -1 : v > 1 ? 1 : v)
  for (let i = 0; i < src.length; i += 3) {
    out[i] = clip(((src[i]! - xs) / scale - 0.5) * 2)
    out[i + 1] = clip(((src[i + 1]! - ys) / scale - 0.5) * 2)
    out[i + 2] = clip(src[i + 2]!)
  }
  return {data: out, shape: [...keypoints.shape]}
}

/**
 * crop_scale over one window (`[t, 17, 3]` pixels with confidence): the input normalisation of
 * models trained on video-like views (`input_norm: window`), so a person's size in the input does
 * not depend on how far they travel through the frame over the whole track.
 */
export function normalizeWindow(keypoints: NDArray): NDArray {
  return normalizeWild(keypoints, {mode: 'scale'})
}

/** Windows over T frames: clip_len long, advancing by clip_len - overlap; the last one may be shorter. */
export function planWindows(frames: number, clipLen: number, overlap = 0): WildWindow[] {
  checkWindowing(clipLen, overlap)
  const windows: WildWindow[] = []
  const stride = clipLen - overlap
  for (let start = 0; start < frames; start += stride) {
    const end = Math.min(start + clipLen, frames)
    windows.push({start, end})
    if (end === frames) break
  }
  return windows
}

/** flip_data on a [t, 17, 3] block at `offset`: x negated, left and right joints swapped. Writes to `out`. */
export function flipInto(src: Float32Array, srcOffset: number, out: Float32Array, outOffset: number, frames: number, channels: number): void {
  const row = NUM_JOINTS * channels
  for (let t = 0; t < frames; t++) {
    for (let j = 0; j < NUM_JOINTS; j++) {
      const from = srcOffset + t * row + H36M_FLIP_PERMUTATION[j]! * channels
      const to = outOffset + t * row + j * channels
      out[to] = -src[from]!
      for (let c = 1; c < channels; c++) out[to + c] = src[from + c]!
    }
  }
}

/**
 * The infer_wild pipeline, one window at a time: yields progress after each window and returns
 * the result. x3d frames below `finalized` are final, so a caller can write them as they come.
 */
export async function* predictWildStream(keypoints: NDArray, opts: WildOptions, runModel: RunModel): AsyncGenerator<WildProgress, WildResult, void> {
  const overlap = opts.overlap ?? 0
  checkWindowing(opts.clipLen, overlap)
  if (opts.mode === 'pixel') checkVideoSize(opts.videoSize)
  const normalized = normalizeWild(keypoints, opts)
  const T = keypoints.shape[0]!
  const x3d = new Float32Array(T * ROW) // accumulates weighted predictions, then holds the result
  const weightSum = new Float32Array(T)
  const windows = planWindows(T, opts.clipLen, overlap)
  const channels = opts.noConf ? 2 : 3
  const batchSize = opts.flip ? 2 : 1
  let finalized = 0
  const finalizeUpTo = (end: number): void => {
    for (let t = finalized; t < end; t++) finalizeFrame(x3d, weightSum, t, opts)
    finalized = end
  }

  for (const [i, {start, end}] of windows.entries()) {
    const t = end - start
    // [B, t, 17, C]: the clip, and its flipped copy
    const batch = new Float32Array(batchSize * t * NUM_JOINTS * channels)
    for (let f = 0; f < t; f++) {
      for (let j = 0; j < NUM_JOINTS; j++) {
        const s = (start + f) * ROW + j * 3
        const d = (f * NUM_JOINTS + j) * channels
        for (let c = 0; c < channels; c++) batch[d + c] = normalized.data[s + c]!
      }
    }
    if (opts.flip) flipInto(batch, 0, batch, t * NUM_JOINTS * channels, t, channels)
    const out = await runModel({data: batch, shape: [batchSize, t, NUM_JOINTS, channels]})
    checkModelOutput(out, batchSize, t)

    // [t, 17, 3]: the prediction, averaged with the flipped-back one
    const pred = out.data.slice(0, t * ROW)
    if (opts.flip) {
      const back = new Float32Array(t * ROW)
      flipInto(out.data, t * ROW, back, 0, t, 3)
      for (let k = 0; k < pred.length; k++) pred[k] = (pred[k]! + back[k]!) / 2
    }
    if (opts.rootrel) {
      for (let f = 0; f < t; f++) pred.fill(0, f * ROW + ROOT * 3, f * ROW + ROOT * 3 + 3)
    } else {
      pred[ROOT * 3 + 2] = 0
    }
    if (opts.gt2d) {
      for (let f = 0; f < t; f++) {
        for (let j = 0; j < NUM_JOINTS; j++) {
          pred[f * ROW + j * 3] = normalized.data[(start + f) * ROW + j * 3]!
          pred[f * ROW + j * 3 + 1] = normalized.data[(start + f) * ROW + j * 3 + 1]!
        }
      }
    }

    // cross-fade: ramp up over the frames shared with the previous window, down over the next's
    const last = i === windows.length - 1
    for (let f = 0; f < t; f++) {
      const up = i > 0 && f < overlap ? (f + 1) / (overlap + 1) : 1
      const down = !last && f >= t - overlap ? (t - f) / (overlap + 1) : 1
      const w = up * down
      const frame = start + f
      weightSum[frame] = weightSum[frame]! + w
      const o = frame * ROW
      if (w === 1 && weightSum[frame] === 1) x3d.set(pred.subarray(f * ROW, (f + 1) * ROW), o)
      else for (let k = 0; k < ROW; k++) x3d[o + k] = x3d[o + k]! + w * pred[f * ROW + k]!
    }
    finalizeUpTo(last ? T : windows[i + 1]!.start)
    yield {window: i, windows: windows.length, start, end, finalized}
  }
  return {x3d: {data: x3d, shape: [T, NUM_JOINTS, 3]}, normalized, units: opts.mode === 'pixel' ? 'pixels' : 'normalized'}
}

/** The whole infer_wild pipeline on a [T, 17, 3] pixel track (see the module comment). */
export async function predictWild(keypoints: NDArray, opts: WildOptions, runModel: RunModel): Promise<WildResult> {
  const stream = predictWildStream(keypoints, opts, runModel)
  for (;;) {
    const step = await stream.next()
    if (step.done) return step.value
  }
}

/** Divides a frame's weighted sum by its weight and applies pixel mode's scaling back. */
function finalizeFrame(x3d: Float32Array, weightSum: Float32Array, t: number, opts: WildOptions): void {
  const o = t * ROW
  const w = weightSum[t]!
  if (w !== 1) for (let k = 0; k < ROW; k++) x3d[o + k] = x3d[o + k]! / w
  if (opts.mode === 'pixel') {
    const [vw, vh] = opts.videoSize!
    const scale = Math.min(vw, vh) / 2
    for (let j = 0; j < NUM_JOINTS; j++) {
      // as infer_wild: all three coordinates scaled, then x, y shifted; each step rounded to float32
      x3d[o + j * 3] = Math.fround(x3d[o + j * 3]! * scale) + vw / 2
      x3d[o + j * 3 + 1] = Math.fround(x3d[o + j * 3 + 1]! * scale) + vh / 2
      x3d[o + j * 3 + 2] = x3d[o + j * 3 + 2]! * scale
    }
  }
}

function checkTrack(keypoints: NDArray): void {
  const [T, J, C] = keypoints.shape
  if (keypoints.shape.length !== 3 || J !== NUM_JOINTS || C !== 3 || !T) {
    throw inputError(`keypoint track has shape [${keypoints.shape.join(', ')}]; expected [T, 17, 3] with T >= 1`)
  }
}

function checkVideoSize(videoSize: [number, number] | undefined): [number, number] {
  if (!videoSize) {
    throw inputError('pixel mode needs the video size', {hint: 'pass --video-size WIDTHxHEIGHT (e.g. 1920x1080), or drop --pixel to scale to [-1, 1]'})
  }
  const [w, h] = videoSize
  if (!(w > 0 && h > 0 && Number.isFinite(w) && Number.isFinite(h))) throw inputError(`video size ${w}x${h} is not two positive numbers`)
  return videoSize
}

function checkWindowing(clipLen: number, overlap: number): void {
  if (!Number.isInteger(clipLen) || clipLen < 1) throw inputError(`clip length ${clipLen} must be a whole number >= 1`)
  if (!Number.isInteger(overlap) || overlap < 0 || overlap >= clipLen) {
    throw inputError(`overlap ${overlap} must be a whole number from 0 to clip length - 1 (${clipLen - 1})`)
  }
}

function checkModelOutput(out: NDArray, batch: number, frames: number): void {
  const [b, t, j, c] = out.shape
  if (out.shape.length !== 4 || b !== batch || t !== frames || j !== NUM_JOINTS || c !== 3 || out.data.length !== batch * frames * ROW) {
    throw modelError(`the model returned shape [${out.shape.join(', ')}] for a batch of [${batch}, ${frames}, 17, C]; expected [${batch}, ${frames}, 17, 3]`)
  }
}
