/**
 * Action training and evaluation on MotionBERT's NTU pickles (src/data/ntu.ts): batches as
 * NTURGBD.__getitem__ (random_move when training with `random_move`, crop_scale with
 * scale_range_train), and train_action.py's validate (crop_scale with scale_range_test; top-1 and
 * top-5 accuracy in %).
 */
import path from 'node:path'

import {cropScaleAction, ntuSamples, ntuSplitNames, type NtuPickle, type NtuSample, randomMove, readNtuPickle} from '../../data/ntu.js'
import {inputError} from '../../core/errors.js'
import type {NDArray} from '../../core/ndarray.js'
import type {BatchSource} from '../batches.js'
import type {ActionEvalResult, BatchPredictor} from '../evaluate.js'
import {actionEvalResult, evalIndices} from '../evaluate.js'
import {Rng} from '../../core/rng.js'
import type {TrainBatch} from '../train-types.js'

export interface NtuBatchOptions {
  batchSize: number
  randomMove: boolean
  scaleRange: readonly [number, number]
  noConf?: boolean
}

export class NtuBatchSource implements BatchSource {
  readonly task = 'action' as const

  constructor(
    readonly samples: readonly NtuSample[],
    private readonly opts: NtuBatchOptions,
  ) {
    if (samples.length === 0) throw inputError('no training samples in the NTU pickle split')
  }

  get size(): number {
    return this.samples.length
  }

  get batchSize(): number {
    return Math.min(this.opts.batchSize, this.samples.length)
  }

  batch(indices: readonly number[], rng: Rng): TrainBatch {
    const inputs = indices.map((i) => {
      let x = this.samples[i]!.motion
      if (this.opts.randomMove) x = randomMove(x, rng)
      return cropScaleAction(x, this.opts.scaleRange, rng)
    })
    return {task: 'action', input: stackSamples(inputs, this.opts.noConf), labels: Int32Array.from(indices.map((i) => this.samples[i]!.label))}
  }
}

/** [P, T, J, 3] samples → [N, P, T, J, C] (C = 2 without the confidence). */
export function stackSamples(samples: readonly NDArray[], noConf = false): NDArray {
  const [P, T, J] = samples[0]!.shape as [number, number, number]
  const C = noConf ? 2 : 3
  const out = new Float32Array(samples.length * P * T * J * C)
  samples.forEach((s, n) => {
    if (!noConf) return out.set(s.data, n * P * T * J * 3)
    for (let i = 0; i < P * T * J; i++) for (let c = 0; c < 2; c++) out[(n * P * T * J + i) * 2 + c] = s.data[i * 3 + c]!
  })
  return {data: out, shape: [samples.length, P, T, J, C]}
}

export interface NtuEvalOptions {
  scaleRange: readonly [number, number]
  batchSize: number
  classes: number
  /** Seed of the crop ratio when scale_range_test is a range (official: [2, 2], no draw). */
  seed: number
  limit?: number
  noConf?: boolean
}

export async function evaluateNtu(predict: BatchPredictor, samples: readonly NtuSample[], opts: NtuEvalOptions): Promise<ActionEvalResult> {
  const picked = evalIndices(samples.length, opts.limit && opts.limit > 0 ? opts.limit : undefined)
  const rng = new Rng(opts.seed)
  const logits: number[] = []
  const labels: number[] = []
  for (let start = 0; start < picked.length; start += opts.batchSize) {
    const batch = picked.slice(start, start + opts.batchSize).map((i) => samples[i]!)
    const x = stackSamples(batch.map((s) => cropScaleAction(s.motion, opts.scaleRange, opts.scaleRange[0] === opts.scaleRange[1] ? undefined : rng)), opts.noConf)
    const out = await predict(x)
    if (out.data.length !== batch.length * opts.classes) throw inputError(`the model gives ${out.data.length / batch.length} scores per sample, the data has ${opts.classes} classes`)
    logits.push(...out.data)
    labels.push(...batch.map((s) => s.label))
  }
  // NTU pickles carry label indices only, so the classes are named by index.
  return actionEvalResult(logits, labels, Array.from({length: opts.classes}, (_, c) => `class ${c}`))
}

export interface NtuRunData {
  train: NtuSample[]
  test: NtuSample[]
  splits: {train: string; test: string}
}

/** Train samples (resampling jittered from `seed`) and test samples of a pickle. */
export function ntuRunData(pkl: NtuPickle, opts: {dataSplit?: string; clipLen: number; persons: number; seed: number}): NtuRunData {
  const splits = ntuSplitNames(pkl, opts.dataSplit)
  const train = ntuSamples(pkl, splits.train, {clipLen: opts.clipLen, persons: opts.persons, rng: new Rng(opts.seed ^ 0x7a11)})
  const test = pkl.splits.has(splits.test) ? ntuSamples(pkl, splits.test, {clipLen: opts.clipLen, persons: opts.persons}) : []
  return {train, test, splits}
}

/** Classes of a pickle: the labels 0..max, or more when the config says (action_classes). */
export function ntuClassCount(pkl: NtuPickle, configured?: number): number {
  const max = pkl.annotations.reduce((m, a) => Math.max(m, a.label), -1)
  if (max < 0) throw inputError('the pickle has no annotations', {file: pkl.file})
  if (configured !== undefined && configured <= max) throw inputError(`action_classes is ${configured}, but the pickle has label ${max}`, {file: pkl.file})
  return Math.max(max + 1, configured ?? 0)
}

const loaded = new Map<string, Promise<NtuPickle>>()

/** readNtuPickle, once per file and process (a run reads it for its classes, then its samples). */
export function loadNtuPickle(file: string): Promise<NtuPickle> {
  const key = path.resolve(file)
  let p = loaded.get(key)
  if (!p) {
    p = readNtuPickle(key)
    loaded.set(key, p)
    p.catch(() => loaded.delete(key))
  }
  return p
}
