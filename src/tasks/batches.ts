/**
 * Training batches from windowed 3D motion (src/data/motion3d + src/data/augment):
 *  - pose3d / pretraining: each window seen through a fresh virtual camera (2D input from the
 *    projected 3D, MotionBERT `synthetic`), normalised, flipped half the time (`flip`), then the
 *    batch-level official noise and joint/frame masking (`noise`, `mask_ratio`, `mask_T_ratio`);
 *    targets root-relative (`rootrel`) or with the first frame's root depth at 0, as train.py;
 *  - action: the same 2D views, the window's action as the label, `persons` people per sample
 *    (a clip holds one; the others are zeros, as NTU samples with fewer people than M).
 * All randomness comes from the Rng the loop passes, so a resumed run draws the same batches.
 */
import {inputError} from '../core/errors.js'
import {augment2d, type Augment2dOptions, depthRelativeToFirstRoot, makeTrainingPair, rootRelative, stack, type TrainingPairOptions} from '../data/augment/index.js'
import type {Motion3dDataset} from '../data/motion3d/dataset.js'
import type {NDArray} from '../core/ndarray.js'
import type {Rng} from '../core/rng.js'
import type {TrainBatch, TrainTask} from './train-types.js'

export interface BatchSource {
  readonly task: TrainTask
  /** Number of samples (windows) in an epoch. */
  readonly size: number
  readonly batchSize: number
  /** Builds the batch of the given sample indices, drawing augmentation from `rng`. */
  batch(indices: readonly number[], rng: Rng): TrainBatch
}

export interface PoseBatchOptions {
  batchSize: number
  pair: TrainingPairOptions
  augment: Augment2dOptions
  rootrel: boolean
  /** Drop the confidence channel (MotionBERT `no_conf`). */
  noConf?: boolean
}

/**
 * Steps in one epoch: every sample once (a DataLoader without drop_last), the last batch completed
 * from the start of the shuffle so every batch has the same shape.
 */
export function stepsPerEpoch(source: Pick<BatchSource, 'size' | 'batchSize'>): number {
  return Math.ceil(source.size / Math.min(source.batchSize, source.size))
}

export class PoseBatchSource implements BatchSource {
  readonly task = 'pose3d' as const

  constructor(
    readonly dataset: Motion3dDataset,
    private readonly opts: PoseBatchOptions,
  ) {
    if (dataset.length === 0) throw inputError('no training windows: every clip is shorter than it can be windowed')
  }

  get size(): number {
    return this.dataset.length
  }

  get batchSize(): number {
    return this.opts.batchSize
  }

  batch(indices: readonly number[], rng: Rng): TrainBatch {
    const pairs = indices.map((i) => makeTrainingPair(this.dataset.window(i), rng, this.opts.pair))
    let input = stack(pairs.map((p) => p.input)) // [N, T, J, 3]
    const label = stack(pairs.map((p) => p.label)) // [N, T, J, 3]
    input = augment2d(input, rng, this.opts.augment)
    if (this.opts.noConf) input = dropLastChannel(input)
    const target = this.opts.rootrel ? rootRelative(label) : depthRelativeToFirstRoot(label)
    return {task: 'pose3d', input, target}
  }
}

export interface ActionBatchOptions {
  batchSize: number
  pair: TrainingPairOptions
  augment: Augment2dOptions
  /** People per sample (M); 1 unless the model was trained with more. */
  persons: number
  noConf?: boolean
}

export class ActionBatchSource implements BatchSource {
  readonly task = 'action' as const

  constructor(
    readonly dataset: Motion3dDataset,
    private readonly opts: ActionBatchOptions,
  ) {
    if (dataset.actions.length < 2) {
      throw inputError(`action training needs at least 2 labelled actions, the data has ${dataset.actions.length}`, {
        hint: 'label clips with "action" in index.json or put them in one folder per action',
      })
    }
    if (dataset.length === 0) throw inputError('no training windows in the data')
  }

  get size(): number {
    return this.dataset.length
  }

  get batchSize(): number {
    return this.opts.batchSize
  }

  get classes(): string[] {
    return this.dataset.actions
  }

  batch(indices: readonly number[], rng: Rng): TrainBatch {
    const windows = indices.map((i) => this.dataset.window(i))
    const labels = Int32Array.from(windows.map((w) => {
      if (w.actionIndex === null || w.actionIndex < 0) throw inputError(`clip has no action label`, {file: w.clip.file})
      return w.actionIndex
    }))
    let input = stack(windows.map((w) => makeTrainingPair(w, rng, this.opts.pair).input)) // [N, T, J, 3]
    input = augment2d(input, rng, this.opts.augment)
    if (this.opts.noConf) input = dropLastChannel(input)
    return {task: 'action', input: withPersons(input, this.opts.persons), labels}
  }
}

/** `[N, T, J, C]` → `[N, M, T, J, C]`: the clip as person 0, zeros for the others. */
export function withPersons(x: NDArray, persons: number): NDArray {
  const [N, ...rest] = x.shape as [number, ...number[]]
  const per = x.data.length / N
  const out = new Float32Array(N * persons * per)
  for (let n = 0; n < N; n++) out.set(x.data.subarray(n * per, (n + 1) * per), n * persons * per)
  return {data: out, shape: [N, persons, ...rest]}
}

export function dropLastChannel(x: NDArray): NDArray {
  const C = x.shape[x.shape.length - 1]!
  const n = x.data.length / C
  const out = new Float32Array(n * (C - 1))
  for (let i = 0; i < n; i++) for (let c = 0; c < C - 1; c++) out[i * (C - 1) + c] = x.data[i * C + c]!
  return {data: out, shape: [...x.shape.slice(0, -1), C - 1]}
}
