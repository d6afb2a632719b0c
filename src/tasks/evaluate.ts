/**
 * Evaluation as MotionBERT's train.py `evaluate` and train_action.py `validate`:
 *  - pose3d: each test window seen by a fixed virtual camera (drawn from `cameraSeed`, so never the
 *    training cameras), 2D input exact or with the official synthetic noise; predictions (flip
 *    averaged when `flip`) and the 2.5D ground truth are scaled to millimetres per frame
 *    (the 2.5d_factor; predictions of metre-trained models, such as the official MixSTE / Strided
 *    checkpoints, by 1000), made root-relative, and scored per frame; each action's score is the mean
 *    over its frames and the overall score the mean over actions (the official H36M table);
 *  - action: top-1 / top-5 accuracy over the test windows.
 */
import {addSyntheticNoise, dropConfidence, flipPoses, makeTrainingPair, stack, type TrainingPairOptions} from '../data/augment/index.js'
import type {Motion3dDataset} from '../data/motion3d/dataset.js'
import {type ClassAccuracy, classBreakdown, mpjpe, nMpjpe, pMpjpe, topKAccuracy} from '../metrics/index.js'
import {rootRelative} from '../metrics/summary.js'
import {inputError} from '../core/errors.js'
import type {OutputUnits} from '../model/units.js'
import type {NDArray} from '../core/ndarray.js'
import {withPersons} from './batches.js'
import {Rng} from '../core/rng.js'

/** Runs the model on a model-ready batch; returns the main output (pose3d or logits). */
export type BatchPredictor = (input: NDArray) => Promise<NDArray>

export interface PoseEvalOptions {
  /** Seed of the evaluation cameras (and noise). */
  cameraSeed: number
  /** Add the official synthetic 2D noise to the inputs (else exact projected 2D). */
  noise?: boolean
  pair?: TrainingPairOptions
  /** Flip test-time augmentation (MotionBERT `flip`). */
  flip?: boolean
  batchSize: number
  /** Use at most this many windows (spread evenly over the set). */
  limit?: number
  noConf?: boolean
  /**
   * What the model predicts in (default normalised, as the training targets): normalised
   * predictions are scaled to mm as the ground truth (2.5d_factor), metre ones by 1000.
   */
  outputUnits?: OutputUnits
}

export interface PoseEvalRow {
  action: string
  frames: number
  mpjpe: number
  p_mpjpe: number
  n_mpjpe: number
}

export interface PoseEvalResult {
  /** Means over actions, mm, root-relative. */
  mpjpe: number
  p_mpjpe: number
  n_mpjpe: number
  frames: number
  windows: number
  perAction: PoseEvalRow[]
  units: 'mm'
}

/** Window indices to evaluate: all, or `limit` spread evenly. */
export function evalIndices(total: number, limit?: number): number[] {
  if (limit === undefined || limit >= total) return Array.from({length: total}, (_, i) => i)
  return Array.from({length: limit}, (_, k) => Math.floor((k * total) / limit))
}

export async function evaluatePose(predict: BatchPredictor, dataset: Motion3dDataset, opts: PoseEvalOptions): Promise<PoseEvalResult> {
  const units = opts.outputUnits ?? 'normalized'
  // Metre / millimetre predictions: a fixed factor to mm (the ground truth keeps its 2.5d_factor).
  const fixedScale = units === 'metres' ? 1000 : 1
  const rng = new Rng(opts.cameraSeed)
  const indices = evalIndices(dataset.length, opts.limit)
  const byAction = new Map<string, {mpjpe: number[]; p: number[]; n: number[]}>()
  for (let b = 0; b < indices.length; b += opts.batchSize) {
    const windows = indices.slice(b, b + opts.batchSize).map((i) => dataset.window(i))
    const pairs = windows.map((w) => makeTrainingPair(w, rng, {...opts.pair, flip: false}))
    let input = stack(pairs.map((p) => p.input)) // [N, T, J, 3]
    if (opts.noise) input = addSyntheticNoise(input, rng)
    if (opts.noConf) input = dropConfidence(input)
    let pred = await predict(input)
    if (opts.flip) {
      const flipped = flipPoses(await predict(flipPoses(input)))
      pred = {data: pred.data.map((v, i) => (v + flipped.data[i]!) / 2), shape: pred.shape}
    }
    const [, T, J] = pred.shape as [number, number, number, number]
    const per = T * J * 3
    pairs.forEach((pair, n) => {
      const scale = pair.mmPerUnit ?? new Float32Array(T).fill(1)
      if (units !== 'normalized' && !pair.mmPerUnit) {
        throw inputError(`the model predicts ${units}, and clip ${windows[n]!.clip.name} holds normalised image coordinates with no scale to millimetres`, {hint: 'evaluate it on world-coordinate clips (a clip folder of 3D motion)'})
      }
      const toMm = (a: NDArray, offset: number, perFrame: ArrayLike<number> | null): NDArray<Float64Array> => {
        const rel = rootRelative({data: a.data.subarray(offset, offset + per), shape: [T, J, 3]})
        for (let t = 0; t < T; t++) for (let i = 0; i < J * 3; i++) rel.data[t * J * 3 + i]! *= perFrame ? perFrame[t]! : fixedScale
        return rel
      }
      const p = toMm(pred, n * per, units === 'normalized' ? scale : null)
      const g = toMm(pair.label, 0, scale)
      const action = windows[n]!.clip.action ?? '(all)'
      let row = byAction.get(action)
      if (!row) byAction.set(action, (row = {mpjpe: [], p: [], n: []}))
      row.mpjpe.push(...mpjpe(p, g).perFrame)
      row.p.push(...pMpjpe(p, g).perFrame)
      row.n.push(...nMpjpe(p, g).perFrame)
    })
  }
  const mean = (xs: number[]): number => xs.reduce((a, v) => a + v, 0) / Math.max(xs.length, 1)
  const perAction = [...byAction.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([action, r]) => ({action, frames: r.mpjpe.length, mpjpe: mean(r.mpjpe), p_mpjpe: mean(r.p), n_mpjpe: mean(r.n)}))
  return {
    mpjpe: mean(perAction.map((r) => r.mpjpe)),
    p_mpjpe: mean(perAction.map((r) => r.p_mpjpe)),
    n_mpjpe: mean(perAction.map((r) => r.n_mpjpe)),
    frames: perAction.reduce((s, r) => s + r.frames, 0),
    windows: indices.length,
    perAction,
    units: 'mm',
  }
}

export interface ActionEvalOptions {
  cameraSeed: number
  pair?: TrainingPairOptions
  batchSize: number
  persons: number
  limit?: number
  noConf?: boolean
  /** Class names of the model in label order (the dataset's labels are mapped onto them). */
  classes: readonly string[]
}

export interface ActionEvalResult {
  top1: number
  top5: number
  samples: number
  units: '%'
  /** Top-1 of each class over its own samples, in the model's class order. */
  perClass: ClassAccuracy[]
  /** Counts: confusion[true class][predicted class]. */
  confusion: number[][]
}

/** Top-1/top-5 with the per-class breakdown, from logits `[N, classNames.length]` (flat) and labels. */
export function actionEvalResult(logits: readonly number[], labels: readonly number[], classNames: readonly string[]): ActionEvalResult {
  const empty = {perClass: classNames.map((c) => ({class: c, samples: 0, correct: 0, top1: 0})), confusion: classNames.map(() => classNames.map(() => 0))}
  if (labels.length === 0) return {top1: 0, top5: 0, samples: 0, units: '%', ...empty}
  const scores = {data: Float32Array.from(logits), shape: [labels.length, classNames.length]}
  const [top1, top5] = topKAccuracy(scores, labels, [1, Math.min(5, classNames.length)])
  return {top1: top1!, top5: top5!, samples: labels.length, units: '%', ...classBreakdown(scores, labels, classNames)}
}

export async function evaluateAction(predict: BatchPredictor, dataset: Motion3dDataset, opts: ActionEvalOptions): Promise<ActionEvalResult> {
  const rng = new Rng(opts.cameraSeed)
  const indices = evalIndices(dataset.length, opts.limit).filter((i) => {
    const a = dataset.window(i).clip.action
    return a !== null && opts.classes.includes(a)
  })
  const logits: number[] = []
  const labels: number[] = []
  for (let b = 0; b < indices.length; b += opts.batchSize) {
    const windows = indices.slice(b, b + opts.batchSize).map((i) => dataset.window(i))
    let input = stack(windows.map((w) => makeTrainingPair(w, rng, {...opts.pair, flip: false}).input))
    if (opts.noConf) input = dropConfidence(input)
    const out = await predict(withPersons(input, opts.persons)) // [N, classes]
    if (out.shape[1] !== opts.classes.length) throw inputError(`the model gives ${out.shape[1]} scores per window, the data has ${opts.classes.length} classes`)
    logits.push(...out.data)
    labels.push(...windows.map((w) => opts.classes.indexOf(w.clip.action!)))
  }
  return actionEvalResult(logits, labels, opts.classes)
}
