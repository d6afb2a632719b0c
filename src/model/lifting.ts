/**
 * How `motion predict` (and per-epoch evaluation) runs backbones that are not MotionBERT's
 * DSTformer, each as its official code evaluates it. A registry keyed by backbone name; a backbone
 * without an entry (DSTformer) goes through infer_wild (src/data/wild.ts).
 *
 *  - MixSTE (run.py `eval_data_prepare`): consecutive clips of exactly `num_frame` frames, the last
 *    clip the sequence's final `num_frame` frames (so it overlaps the one before; frames covered
 *    twice keep the earlier clip's prediction); a sequence shorter than `num_frame` is edge-padded
 *    at the end and the padding dropped from the output.
 *  - Strided Transformer (main.py / demo/vis.py): one window of `frames` per output frame, centred
 *    on it, the sequence edge-padded at both ends (the windows of stridedWindows in
 *    src/backbones/strided.ts, built per batch); the STE's centre-frame output
 *    is that frame's prediction. Windows are batched.
 *
 * Both: 2D input is x, y only, normalised as the official `normalize_screen_coordinates`
 * (x / w * 2 - 1, y / w * 2 - h / w: the video's width maps to [-1, 1], aspect ratio kept), which
 * needs the video size; flip test-time augmentation as their evaluations do (x negated and
 * left/right swapped on the input, the prediction flipped back and averaged with the plain one);
 * the root joint set to 0 in every frame (both train on root-relative targets; the Strided demo
 * zeroes it). Output units follow the model's (src/model/units.ts): the official checkpoints are
 * trained on Human3.6M camera coordinates in metres, reported in millimetres (x 1000) as their
 * evaluations report errors; models finetuned here predict normalised units, reported as such.
 */
import type {EntryConfig, ScreenWindows} from '../nn/registry/backbone.js'
import {flipInto} from '../data/wild.js'
import {NUM_JOINTS, ROOT} from '../core/h36m.js'
import {inputError, modelError} from '../core/errors.js'
import type {PoseUnits} from '../formats/writers/types.js'
import type {ModelSpec} from './model.js'
import {type OutputUnits, describeOutputUnits, officialOutputUnits, reportedUnits} from './units.js'
import {exampleInputShape} from './example-shape.js'
import {type NDArray, shapeString} from '../core/ndarray.js'

const ROW = NUM_JOINTS * 3

/** Runs the model on a batch `[B, t, 17, 2]` and returns its `pose3d`. */
export type RunPose = (batch: NDArray) => Promise<NDArray>

export interface SequenceOptions {
  /** Video [width, height] in pixels (normalize_screen_coordinates). */
  videoSize: [number, number]
  /** Flip test-time augmentation (both official evaluations use it). */
  flip: boolean
  /** Windows per model call (before flip doubling); default 32. */
  batchWindows?: number
}

export interface SequenceProgress {
  /** Index of the model call just made, and how many there are. */
  window: number
  windows: number
  start: number
  end: number
  /** Frames [0, finalized) of x3d hold their final values. */
  finalized: number
}

export interface SequenceResult {
  /** `[T, 17, 3]` root-relative camera coordinates in `units`. */
  x3d: NDArray
  /** `[T, 17, 2]` the normalised model input. */
  normalized: NDArray
  units: PoseUnits
}

export interface LiftOptions {
  flip: boolean
  /** Windows per model call (before flip doubling); default 32. */
  batchWindows?: number
}

/**
 * Lifts a `[T, 17, >=2]` sequence already in model units (normalised 2D) to `[T, 17, 3]` in model
 * units, yielding progress after each model call.
 */
export type LiftNormalised = (sequence: NDArray, run: RunPose, opts: LiftOptions) => AsyncGenerator<SequenceProgress, NDArray, void>

export interface LiftingStrategy {
  readonly backbone: string
  /** How 2D keypoints are normalised, in words (recorded in outputs and exports). */
  readonly normalisation: string
  /** What the outputs are, in words. */
  readonly outputUnits: string
  /** The model's own output units. */
  readonly modelUnits: OutputUnits
  /** Multiplier from model output units to `units` (metres → mm). */
  readonly outputScale: number
  readonly units: PoseUnits
  /** Model calls for a sequence of `frames` (progress planning). */
  calls(frames: number, batchWindows?: number): number
  /** Model-unit lifting of a normalised sequence (predict, evaluation). */
  liftNormalised: LiftNormalised
}

const DEFAULT_BATCH_WINDOWS = 32

const SCREEN_NORMALISATION = 'H36M-17 x, y per frame (no confidence), normalised as the official normalize_screen_coordinates: x / w * 2 - 1, y / w * 2 - h / w (w, h: video size in pixels)'
/** The outputs in words, and how they are written. */
function outputFields(units: OutputUnits): Pick<LiftingStrategy, 'outputUnits' | 'modelUnits' | 'outputScale' | 'units'> {
  const reported = reportedUnits(units)
  return {outputUnits: `pose3d: root-relative 3D joints in ${describeOutputUnits(units)}`, modelUnits: units, outputScale: reported.scale, units: reported.units}
}

function numberOf(cfg: EntryConfig, key: string): number {
  const v = cfg[key]
  if (typeof v !== 'number') throw new Error(`backbone config lacks ${key}`)
  return v
}

/** Clip starts of consecutive clips (MixSTE's eval_data_prepare): 0, F, 2F, …, and the last clip ends at T. */
export function clipStartsCoveringAll(frames: number, clip: number): number[] {
  if (frames <= clip) return [0]
  const count = Math.ceil(frames / clip)
  const starts = Array.from({length: count - 1}, (_, i) => i * clip)
  starts.push(frames - clip)
  return starts
}

/** Frames `[from, to)` of a `[T, J, C]` sequence, edge-padded at the end to `length`. */
function sliceEdgePadded(seq: NDArray, from: number, length: number): Float32Array {
  const [T, J, C] = seq.shape as [number, number, number]
  const frame = J * C
  const out = new Float32Array(length * frame)
  for (let k = 0; k < length; k++) {
    const source = Math.min(T - 1, from + k)
    out.set(seq.data.subarray(source * frame, (source + 1) * frame), k * frame)
  }
  return out
}

/**
 * Windows centred on frames [start, end) of a `[T, J, C]` sequence (the Strided Transformer's): the rows
 * stridedWindows(sequence, frames) has for those frames (edge padding at the sequence's ends),
 * without building the others. `[end - start, frames, J, C]`, flat.
 */
export function centredWindowRange(seq: NDArray, frames: number, start: number, end: number): Float32Array {
  const T = seq.shape[0]!
  const pad = Math.floor((frames - 1) / 2)
  const frame = seq.data.length / T
  const out = new Float32Array((end - start) * frames * frame)
  for (let t = start; t < end; t++) {
    for (let k = 0; k < frames; k++) {
      const source = Math.min(T - 1, Math.max(0, t - pad + k))
      out.set(seq.data.subarray(source * frame, (source + 1) * frame), ((t - start) * frames + k) * frame)
    }
  }
  return out
}

/**
 * Runs `[n, t, 17, 2]` windows (concatenated in `windows`) with optional flip averaging; returns
 * `[n, t', 17, 3]` with the root joint zeroed.
 */
async function runWindows(windows: Float32Array, n: number, t: number, run: RunPose, flip: boolean): Promise<NDArray> {
  const per = t * NUM_JOINTS * 2
  const batchN = flip ? 2 * n : n
  const batch = new Float32Array(batchN * per)
  batch.set(windows.subarray(0, n * per))
  if (flip) for (let i = 0; i < n; i++) flipInto(windows, i * per, batch, (n + i) * per, t, 2)
  const out = await run({data: batch, shape: [batchN, t, NUM_JOINTS, 2]})
  if (out.shape.length !== 4 || out.shape[0] !== batchN || out.shape[2] !== NUM_JOINTS || out.shape[3] !== 3) {
    throw modelError(`the model returned pose3d ${shapeString(out.shape)} for a batch of ${shapeString([batchN, t, NUM_JOINTS, 2])}`)
  }
  const tOut = out.shape[1]!
  const outPer = tOut * ROW
  const pred = out.data.slice(0, n * outPer)
  if (flip) {
    const back = new Float32Array(outPer)
    for (let i = 0; i < n; i++) {
      flipInto(out.data, (n + i) * outPer, back, 0, tOut, 3)
      for (let k = 0; k < outPer; k++) pred[i * outPer + k] = (pred[i * outPer + k]! + back[k]!) / 2
    }
  }
  for (let f = 0; f < n * tOut; f++) pred.fill(0, f * ROW + ROOT * 3, f * ROW + ROOT * 3 + 3)
  return {data: pred, shape: [n, tOut, NUM_JOINTS, 3]}
}

/** Keeps x, y of a `[T, 17, C]` sequence. */
function xyOnly(seq: NDArray): NDArray {
  const [T, J, C] = seq.shape as [number, number, number]
  if (seq.shape.length !== 3 || J !== NUM_JOINTS || C < 2) throw inputError(`expected a [T, 17, 2 or 3] sequence, got ${shapeString(seq.shape)}`)
  if (C === 2) return seq
  const out = new Float32Array(T * J * 2)
  for (let i = 0; i < T * J; i++) {
    out[2 * i] = seq.data[i * C]!
    out[2 * i + 1] = seq.data[i * C + 1]!
  }
  return {data: out, shape: [T, J, 2]}
}

function clipsStrategy(backbone: string, F: number, units: OutputUnits): LiftingStrategy {
  return {
    backbone,
    normalisation: SCREEN_NORMALISATION,
    ...outputFields(units),
    calls: (frames, batchWindows = DEFAULT_BATCH_WINDOWS) => Math.ceil(clipStartsCoveringAll(frames, F).length / batchWindows),
    async *liftNormalised(sequence, run, opts) {
      const seq = xyOnly(sequence)
      const T = seq.shape[0]!
      const starts = clipStartsCoveringAll(T, F)
      const x3d = new Float32Array(T * ROW)
      const per = F * NUM_JOINTS * 2
      const batchWindows = opts.batchWindows ?? DEFAULT_BATCH_WINDOWS
      const calls = Math.ceil(starts.length / batchWindows)
      let covered = 0
      for (let c = 0; c < calls; c++) {
        const group = starts.slice(c * batchWindows, (c + 1) * batchWindows)
        const windows = new Float32Array(group.length * per)
        group.forEach((s, i) => windows.set(sliceEdgePadded(seq, s, F), i * per))
        const pred = await runWindows(windows, group.length, F, run, opts.flip) // [n, F, 17, 3]
        if (pred.shape[1] !== F) throw modelError(`MixSTE returned ${pred.shape[1]} frames for clips of ${F}`)
        group.forEach((s, i) => {
          // Frames before `covered` came from an earlier clip (only the last clip overlaps).
          const first = Math.max(s, covered)
          const last = Math.min(s + F, T)
          if (last > first) x3d.set(pred.data.subarray(i * F * ROW + (first - s) * ROW, i * F * ROW + (last - s) * ROW), first * ROW)
          covered = Math.max(covered, last)
        })
        yield {window: c, windows: calls, start: group[0]!, end: Math.min(group[group.length - 1]! + F, T), finalized: covered}
      }
      return {data: x3d, shape: [T, NUM_JOINTS, 3]}
    },
  }
}

function centreFrameStrategy(backbone: string, F: number, units: OutputUnits): LiftingStrategy {
  const fields = outputFields(units)
  return {
    backbone,
    normalisation: SCREEN_NORMALISATION,
    ...fields,
    outputUnits: `${fields.outputUnits}; the centre frame of each window (pose3d_full, the whole window, is not used)`,
    calls: (frames, batchWindows = DEFAULT_BATCH_WINDOWS) => Math.ceil(frames / batchWindows),
    async *liftNormalised(sequence, run, opts) {
      const seq = xyOnly(sequence)
      const T = seq.shape[0]!
      const batchWindows = opts.batchWindows ?? DEFAULT_BATCH_WINDOWS
      const x3d = new Float32Array(T * ROW)
      const calls = Math.ceil(T / batchWindows)
      for (let c = 0; c < calls; c++) {
        const start = c * batchWindows
        const end = Math.min(T, start + batchWindows)
        const windows = centredWindowRange(seq, F, start, end) // [end - start, F, 17, 2]
        const pred = await runWindows(windows, end - start, F, run, opts.flip) // [n, 1, 17, 3]
        if (pred.shape[1] !== 1) throw modelError(`the Strided Transformer returned ${pred.shape[1]} frames per window, expected its centre frame`)
        x3d.set(pred.data, start * ROW)
        yield {window: c, windows: calls, start, end, finalized: end}
      }
      return {data: x3d, shape: [T, NUM_JOINTS, 3]}
    },
  }
}

/** A backbone's windowing (its registry entry's screenWindows) → its strategy for a window length and output units. */
export const LIFTING_STRATEGIES: ReadonlyMap<ScreenWindows['kind'], (backbone: string, frames: number, units: OutputUnits) => LiftingStrategy> = new Map([
  ['clips', clipsStrategy],
  ['centre-frame', centreFrameStrategy],
])

/**
 * The model's lifting strategy, or undefined for infer_wild models (DSTformer). `units`: what the
 * model predicts in (LoadedModel.outputUnits); default the official checkpoints' units.
 */
export function liftingStrategy(model: ModelSpec, units?: OutputUnits): LiftingStrategy | undefined {
  const windows = model.backbone.screenWindows
  if (!windows) return undefined
  // The window length is the key clip_len follows (the positional embedding's frames).
  const frameKey = model.backbone.configRules?.frameKey
  if (frameKey === undefined) throw modelError(`backbone ${model.backbone.name} windows the screen but names no frame key (configRules.frameKey) for the window length`)
  return LIFTING_STRATEGIES.get(windows.kind)!(model.backbone.name, numberOf(model.config.backboneConfig, frameKey), units ?? officialOutputUnits(model))
}

/** normalize_screen_coordinates on a `[T, 17, >=2]` pixel track → `[T, 17, 2]`. */
export function normalizeScreen(keypoints: NDArray, videoSize: [number, number]): NDArray {
  const [w, h] = videoSize
  if (!(w > 0 && h > 0 && Number.isFinite(w) && Number.isFinite(h))) throw inputError(`video size ${w}x${h} is not two positive numbers`)
  const xy = xyOnly(keypoints)
  const out = new Float32Array(xy.data.length)
  for (let i = 0; i < out.length; i += 2) {
    out[i] = (xy.data[i]! / w) * 2 - 1
    out[i + 1] = (xy.data[i + 1]! / w) * 2 - h / w
  }
  return {data: out, shape: [...xy.shape]}
}

/** Runs a lift to the end (evaluation, tests). */
export async function liftSequence(strategy: LiftingStrategy, sequence: NDArray, run: RunPose, opts: LiftOptions): Promise<NDArray> {
  const it = strategy.liftNormalised(sequence, run, opts)
  for (;;) {
    const step = await it.next()
    if (step.done) return step.value
  }
}

/**
 * The whole predict path for one pixel track `[T, 17, 3]`: normalise, lift (progress after each
 * model call), scale to the strategy's units. Shaped as predictWildStream so predict reports
 * progress alike.
 */
export async function* predictSequenceStream(strategy: LiftingStrategy, keypoints: NDArray, opts: SequenceOptions, run: RunPose): AsyncGenerator<SequenceProgress, SequenceResult, void> {
  const normalized = normalizeScreen(keypoints, opts.videoSize)
  const x3d = yield* strategy.liftNormalised(normalized, run, {flip: opts.flip, batchWindows: opts.batchWindows})
  if (strategy.outputScale !== 1) for (let i = 0; i < x3d.data.length; i++) x3d.data[i] = x3d.data[i]! * strategy.outputScale
  return {x3d, normalized, units: strategy.units}
}

/** Channels per joint the model reads: 2 (x, y) for MixSTE / Strided and no_conf DSTformers, else 3. */
export function modelInputChannels(model: ModelSpec): number {
  const shape = exampleInputShape(model).shape
  return shape[shape.length - 1]!
}

/** `[..., C]` → `[..., 2]` (x, y). */
function dropToXy(x: NDArray): NDArray {
  const C = x.shape[x.shape.length - 1]!
  if (C === 2) return x
  const n = x.data.length / C
  const out = new Float32Array(n * 2)
  for (let i = 0; i < n; i++) {
    out[2 * i] = x.data[i * C]!
    out[2 * i + 1] = x.data[i * C + 1]!
  }
  return {data: out, shape: [...x.shape.slice(0, -1), 2]}
}

/**
 * A batch predictor `[N, T, 17, C]` → `[N, T, 17, 3]` for evaluation, from one that runs the model
 * on model-ready windows and returns `pose3d`. DSTformer models: `predict` itself. MixSTE / Strided:
 * each sample lifted through its official windows (Strided: one edge-padded window per frame, so
 * every frame is predicted by the STE centre output, as the official test), without flip (the
 * evaluation flips on its own) and with x, y only.
 */
export function sequencePredictor(model: ModelSpec, predict: RunPose): RunPose {
  const strategy = liftingStrategy(model)
  if (!strategy) return predict
  return async (input) => {
    const x = dropToXy(input)
    const [N, T, J] = x.shape as [number, number, number, number]
    const out = new Float32Array(N * T * J * 3)
    const per = T * J * 2
    for (let n = 0; n < N; n++) {
      const sample: NDArray = {data: x.data.subarray(n * per, (n + 1) * per), shape: [T, J, 2]}
      const lifted = await liftSequence(strategy, sample, predict, {flip: false})
      out.set(lifted.data, n * T * J * 3)
    }
    return {data: out, shape: [N, T, J, 3]}
  }
}
