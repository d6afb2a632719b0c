/**
 * The op interface for recording a training step: the ONNX recorder in train mode, with the two
 * stochastic/stateful ops made explicit so a step is reproducible and differentiable:
 *  - dropout multiplies by a mask fed as a graph input (`dropout_mask_<k>`, values 0 or 1/(1-p)),
 *    drawn by the caller's seeded RNG each step (see DropoutMask);
 *  - batchNorm normalises with the batch statistics and exposes the batch mean and biased variance
 *    as values the trainer returns as outputs, to update running statistics in JS (PyTorch's
 *    momentum rule, done by the caller).
 * Everything else is delegated to the recorder unchanged.
 */
import {modelError} from '../../core/errors.js'
import type {Dim, Ops} from '../ops.js'
import type {OnnxRecorder, Value} from './recorder.js'

export interface DropoutMask {
  /** Graph input name. */
  readonly name: string
  readonly shape: readonly number[]
  /** Drop probability. */
  readonly rate: number
}

export interface BatchNormStats {
  /** Parameter prefix, e.g. `head.bn` (running stats are `${prefix}.running_mean/var`). */
  readonly prefix: string
  /** Batch mean and biased variance per channel, `[C]` values in the graph. */
  readonly mean: Value
  readonly variance: Value
  /** Elements averaged per channel (N or N*L), for the unbiased running variance. */
  readonly count: number
}

export class TrainingOps implements Ops<Value> {
  readonly executor = 'onnx' as const
  readonly mode = 'train' as const
  readonly dropoutMasks: DropoutMask[] = []
  readonly batchNormStats: BatchNormStats[] = []

  constructor(private readonly rec: OnnxRecorder) {
    if (rec.mode !== 'train') throw new Error('TrainingOps needs a recorder in train mode')
  }

  dropout(x: Value, rate: number): Value {
    if (rate <= 0) return x
    if (rate >= 1) throw modelError(`dropout rate ${rate} must be below 1`)
    const shape = staticShape(x, 'dropout')
    const mask = this.rec.addInput({name: `dropout_mask_${this.dropoutMasks.length}`, shape})
    this.dropoutMasks.push({name: mask.name, shape, rate})
    return this.rec.mul(x, mask)
  }

  batchNorm(x: Value, prefix: string, eps = 1e-5): Value {
    const shape = staticShape(x, `batchNorm ${prefix}`)
    if (shape.length !== 2 && shape.length !== 3) throw modelError(`batchNorm ${prefix}: expects [N, C] or [N, C, L], got rank ${shape.length}`)
    const r = this.rec
    const c = shape[1]!
    const axes = shape.length === 3 ? [0, 2] : [0]
    const paramShape = shape.length === 3 ? [1, c, 1] : [1, c]
    const mu = r.mean(x, axes, true)
    const centred = r.sub(x, mu)
    const variance = r.mean(r.mul(centred, centred), axes, true)
    let y = r.div(centred, r.sqrt(r.addScalar(variance, eps)))
    if (r.hasParam(`${prefix}.weight`)) y = r.mul(y, r.reshape(r.param(`${prefix}.weight`), paramShape))
    if (r.hasParam(`${prefix}.bias`)) y = r.add(y, r.reshape(r.param(`${prefix}.bias`), paramShape))
    this.batchNormStats.push({prefix, mean: r.reshape(mu, [c]), variance: r.reshape(variance, [c]), count: shape[0]! * (shape[2] ?? 1)})
    return y
  }

  // ---- delegated -------------------------------------------------------------------------------
  param(name: string): Value {
    return this.rec.param(name)
  }
  hasParam(name: string): boolean {
    return this.rec.hasParam(name)
  }
  constant(values: Float32Array | readonly number[], shape: readonly number[]): Value {
    return this.rec.constant(values, shape)
  }
  dim(x: Value, axis: number): Dim {
    return this.rec.dim(x, axis)
  }
  rank(x: Value): number {
    return this.rec.rank(x)
  }
  add(a: Value, b: Value): Value {
    return this.rec.add(a, b)
  }
  sub(a: Value, b: Value): Value {
    return this.rec.sub(a, b)
  }
  mul(a: Value, b: Value): Value {
    return this.rec.mul(a, b)
  }
  div(a: Value, b: Value): Value {
    return this.rec.div(a, b)
  }
  scale(x: Value, s: number): Value {
    return this.rec.scale(x, s)
  }
  addScalar(x: Value, s: number): Value {
    return this.rec.addScalar(x, s)
  }
  neg(x: Value): Value {
    return this.rec.neg(x)
  }
  abs(x: Value): Value {
    return this.rec.abs(x)
  }
  sqrt(x: Value): Value {
    return this.rec.sqrt(x)
  }
  exp(x: Value): Value {
    return this.rec.exp(x)
  }
  log(x: Value): Value {
    return this.rec.log(x)
  }
  sin(x: Value): Value {
    return this.rec.sin(x)
  }
  cos(x: Value): Value {
    return this.rec.cos(x)
  }
  tanh(x: Value): Value {
    return this.rec.tanh(x)
  }
  sigmoid(x: Value): Value {
    return this.rec.sigmoid(x)
  }
  relu(x: Value): Value {
    return this.rec.relu(x)
  }
  gelu(x: Value): Value {
    return this.rec.gelu(x)
  }
  maximumScalar(x: Value, s: number): Value {
    return this.rec.maximumScalar(x, s)
  }
  matmul(a: Value, b: Value, opts?: {transposeA?: boolean; transposeB?: boolean}): Value {
    return this.rec.matmul(a, b, opts)
  }
  linear(x: Value, weight: string, bias?: string | null): Value {
    return this.rec.linear(x, weight, bias)
  }
  conv1d(x: Value, weight: string, bias: string | null, opts: {stride?: number; padding?: number; dilation?: number}): Value {
    return this.rec.conv1d(x, weight, bias, opts)
  }
  sum(x: Value, axes: readonly number[], keepDims?: boolean): Value {
    return this.rec.sum(x, axes, keepDims)
  }
  mean(x: Value, axes: readonly number[], keepDims?: boolean): Value {
    return this.rec.mean(x, axes, keepDims)
  }
  max(x: Value, axes: readonly number[], keepDims?: boolean): Value {
    return this.rec.max(x, axes, keepDims)
  }
  softmax(x: Value, axis?: number): Value {
    return this.rec.softmax(x, axis)
  }
  layerNorm(x: Value, prefix: string, eps?: number): Value {
    return this.rec.layerNorm(x, prefix, eps)
  }
  reshape(x: Value, shape: readonly Dim[]): Value {
    return this.rec.reshape(x, shape)
  }
  transpose(x: Value, perm: readonly number[]): Value {
    return this.rec.transpose(x, perm)
  }
  concat(xs: readonly Value[], axis: number): Value {
    return this.rec.concat(xs, axis)
  }
  slice(x: Value, axis: number, start: number, end: Dim): Value {
    return this.rec.slice(x, axis, start, end)
  }
  gather(x: Value, indices: readonly number[], axis: number): Value {
    return this.rec.gather(x, indices, axis)
  }
}

function staticShape(x: Value, what: string): number[] {
  return x.shape.map((d) => {
    if (typeof d !== 'number') throw modelError(`${what}: training graphs need static shapes, got dim ${d}`)
    return d
  })
}

/** Fill a dropout mask: each element 0 with probability `rate`, else 1/(1-rate). */
export function fillDropoutMask(out: Float32Array, rate: number, uniform: () => number): void {
  const keep = 1 / (1 - rate)
  for (let i = 0; i < out.length; i++) out[i] = uniform() < rate ? 0 : keep
}
