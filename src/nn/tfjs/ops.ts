/**
 * The tfjs executor: interprets the op interface (src/nn/ops.ts) eagerly on tf.Tensors with
 * PyTorch semantics, so a model written once against Ops<T> gives the official numbers here.
 *
 * Tensors created by the ops are not tracked here: callers run a forward pass inside tf.tidy
 * (forwardModel does) so that intermediates are released.
 */
// tfjs-core and its cpu kernels, not the @tensorflow/tfjs bundle: every op used here is core's,
// and the bundle's layers, converter and data packages cost each process ~0.4 s CPU to import.
// The cpu backend is registered here, as the bundle did, for code that runs ops before
// selectBackend (src/nn/tfjs/backend.ts) has picked one. Core does not add the chained ops
// (x.reshape(...)): call the op functions.
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import {type Dim, type Mode, type Ops, isStaticDim, normAxis} from '../ops.js'

export interface TfjsOpsOptions {
  mode?: Mode
}

export class TfjsOps implements Ops<tf.Tensor> {
  readonly executor = 'tfjs' as const
  readonly mode: Mode

  /** `params` maps state-dict names to tensors (tf.Variable when training). */
  constructor(
    private readonly params: ReadonlyMap<string, tf.Tensor>,
    opts: TfjsOpsOptions = {},
  ) {
    this.mode = opts.mode ?? 'eval'
  }

  // ---- values ------------------------------------------------------------------------------
  param(name: string): tf.Tensor {
    const p = this.params.get(name)
    if (!p) throw new Error(`tfjs executor: no parameter named ${name}`)
    return p
  }

  hasParam(name: string): boolean {
    return this.params.has(name)
  }

  constant(values: Float32Array | readonly number[], shape: readonly number[]): tf.Tensor {
    return tf.tensor(values instanceof Float32Array ? values : Float32Array.from(values), [...shape], 'float32')
  }

  dim(x: tf.Tensor, axis: number): Dim {
    return x.shape[normAxis(axis, x.rank)]!
  }

  rank(x: tf.Tensor): number {
    return x.rank
  }

  // ---- elementwise -------------------------------------------------------------------------
  add(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return tf.add(a, b)
  }
  sub(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return tf.sub(a, b)
  }
  mul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return tf.mul(a, b)
  }
  div(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return tf.div(a, b)
  }
  scale(x: tf.Tensor, s: number): tf.Tensor {
    return tf.mul(x, tf.scalar(s, 'float32'))
  }
  addScalar(x: tf.Tensor, s: number): tf.Tensor {
    return tf.add(x, tf.scalar(s, 'float32'))
  }
  neg(x: tf.Tensor): tf.Tensor {
    return tf.neg(x)
  }
  abs(x: tf.Tensor): tf.Tensor {
    return tf.abs(x)
  }
  sqrt(x: tf.Tensor): tf.Tensor {
    return tf.sqrt(x)
  }
  exp(x: tf.Tensor): tf.Tensor {
    return tf.exp(x)
  }
  log(x: tf.Tensor): tf.Tensor {
    return tf.log(x)
  }
  sin(x: tf.Tensor): tf.Tensor {
    return tf.sin(x)
  }
  cos(x: tf.Tensor): tf.Tensor {
    return tf.cos(x)
  }
  tanh(x: tf.Tensor): tf.Tensor {
    return tf.tanh(x)
  }
  sigmoid(x: tf.Tensor): tf.Tensor {
    return tf.sigmoid(x)
  }
  relu(x: tf.Tensor): tf.Tensor {
    return tf.relu(x)
  }
  /** 0.5 x (1 + erf(x / sqrt 2)): torch.nn.GELU() default, not the tanh approximation. */
  gelu(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.mul(tf.mul(x, tf.scalar(0.5)), tf.add(tf.scalar(1), tf.erf(tf.mul(x, tf.scalar(Math.SQRT1_2))))))
  }
  maximumScalar(x: tf.Tensor, s: number): tf.Tensor {
    return tf.maximum(x, tf.scalar(s, 'float32'))
  }

  // ---- linear algebra ----------------------------------------------------------------------
  matmul(a: tf.Tensor, b: tf.Tensor, opts: {transposeA?: boolean; transposeB?: boolean} = {}): tf.Tensor {
    return tf.matMul(a, b, opts.transposeA ?? false, opts.transposeB ?? false)
  }

  linear(x: tf.Tensor, weight: string, bias?: string | null): tf.Tensor {
    const w = this.param(weight) // [out, in]
    const [out, inFeatures] = w.shape as [number, number]
    if (x.shape[x.rank - 1] !== inFeatures) {
      throw new Error(`linear ${weight}: input has ${x.shape[x.rank - 1]} features, weight expects ${inFeatures}`)
    }
    return tf.tidy(() => {
      const lead = x.shape.slice(0, -1)
      const x2 = tf.reshape(x, [-1, inFeatures]) // [M, in]
      // wasm's matmul is ~9x slower with transposeB than on a pre-transposed weight; cpu the reverse.
      let y = tf.getBackend() === 'wasm' ? tf.matMul(x2, tf.transpose(w)) : tf.matMul(x2, w, false, true) // [M, out]
      if (bias) y = tf.add(y, this.param(bias))
      return tf.reshape(y, [...lead, out])
    })
  }

  /**
   * As im2col + one matMul built from slice/reshape/concat/pad, not tf.conv1d: every backend
   * differentiates these, while tfjs-wasm has no filter-gradient kernel (Conv2DBackpropFilter) and
   * tfjs has no gradient for dilated convolutions at all.
   */
  conv1d(x: tf.Tensor, weight: string, bias: string | null, opts: {stride?: number; padding?: number; dilation?: number}): tf.Tensor {
    const stride = opts.stride ?? 1
    const padding = opts.padding ?? 0
    const dilation = opts.dilation ?? 1
    const w = this.param(weight) // [Cout, Cin, K]
    const [cout, cin, k] = w.shape as [number, number, number]
    if (x.rank !== 3 || x.shape[1] !== cin) throw new Error(`conv1d ${weight}: expects [N, ${cin}, L], got [${x.shape.join(', ')}]`)
    const [n, , len] = x.shape as [number, number, number]
    const span = dilation * (k - 1) + 1
    const lout = Math.floor((len + 2 * padding - span) / stride) + 1
    if (lout <= 0) throw new Error(`conv1d ${weight}: ${len} frames (padding ${padding}) are fewer than the kernel's span ${span}`)
    return tf.tidy(() => {
      // Tap j reads rows j*dilation + t*stride (t < lout) of the padded input. Viewed as periods of
      // `stride` rows, that is period t + floor(j*dilation / stride), phase (j*dilation) % stride:
      // one slice per tap. Zero rows at the end make the last period whole.
      const periods = lout + Math.floor(((k - 1) * dilation) / stride)
      const extra = periods * stride - (len + 2 * padding)
      let xs = tf.transpose(x, [0, 2, 1]) // [N, L, Cin]
      if (padding > 0 || extra !== 0) {
        // extra < 0: rows past the last period are never read.
        xs = tf.pad(xs, [[0, 0], [padding, padding + Math.max(extra, 0)], [0, 0]]) // [N, Lp, Cin]
        if (extra < 0) xs = tf.slice(xs, [0, 0, 0], [n, periods * stride, cin])
      }
      const phased = tf.reshape(xs, [n, periods, stride, cin]) // [N, P, stride, Cin]
      const taps: tf.Tensor[] = []
      if (dilation === 1 && k <= stride) {
        // Taps are the first k phases of each period (e.g. kernel 3, stride 3): one slice.
        taps.push(tf.slice(phased, [0, 0, 0, 0], [n, lout, k, cin]))
      } else {
        for (let j = 0; j < k; j++) {
          const q = Math.floor((j * dilation) / stride)
          taps.push(tf.slice(phased, [0, q, (j * dilation) % stride, 0], [n, lout, 1, cin])) // [N, lout, 1, Cin]
        }
      }
      const cols = tf.reshape(taps.length === 1 ? taps[0]! : tf.concat(taps, 2), [n * lout, k * cin]) // [N*lout, K*Cin], column j*Cin + ci
      const filter = tf.reshape(tf.transpose(w, [2, 1, 0]), [k * cin, cout]) // [K*Cin, Cout], same row order
      let y: tf.Tensor = tf.matMul(cols, filter) // [N*lout, Cout]
      if (bias) y = tf.add(y, this.param(bias))
      return tf.transpose(tf.reshape(y, [n, lout, cout]), [0, 2, 1]) // [N, Cout, Lout]
    })
  }

  // ---- reductions and normalisation ---------------------------------------------------------
  sum(x: tf.Tensor, axes: readonly number[], keepDims = false): tf.Tensor {
    return tf.sum(x, axes.map((a) => normAxis(a, x.rank)), keepDims)
  }
  mean(x: tf.Tensor, axes: readonly number[], keepDims = false): tf.Tensor {
    return tf.mean(x, axes.map((a) => normAxis(a, x.rank)), keepDims)
  }
  max(x: tf.Tensor, axes: readonly number[], keepDims = false): tf.Tensor {
    return tf.max(x, axes.map((a) => normAxis(a, x.rank)), keepDims)
  }

  softmax(x: tf.Tensor, axis = -1): tf.Tensor {
    const a = normAxis(axis, x.rank)
    if (a === x.rank - 1) return tf.softmax(x, -1)
    return tf.tidy(() => {
      const shifted = tf.sub(x, tf.max(x, a, true))
      const e = tf.exp(shifted)
      return tf.div(e, tf.sum(e, a, true))
    })
  }

  /** PyTorch LayerNorm: biased variance over the last axis, eps inside the square root. */
  layerNorm(x: tf.Tensor, prefix: string, eps = 1e-5): tf.Tensor {
    return tf.tidy(() => {
      const mu = tf.mean(x, -1, true)
      const centred = tf.sub(x, mu)
      const variance = tf.mean(tf.square(centred), -1, true)
      const normed = tf.mul(centred, tf.rsqrt(tf.add(variance, tf.scalar(eps))))
      return tf.add(tf.mul(normed, this.param(`${prefix}.weight`)), this.param(`${prefix}.bias`))
    })
  }

  /**
   * nn.BatchNorm1d over axis 1 of [N, C] or [N, C, L]. Train mode normalises with the batch's biased
   * variance (as PyTorch does); updating the running statistics is the training loop's job.
   */
  batchNorm(x: tf.Tensor, prefix: string, eps = 1e-5): tf.Tensor {
    if (x.rank !== 2 && x.rank !== 3) throw new Error(`batchNorm ${prefix}: expects [N, C] or [N, C, L], got rank ${x.rank}`)
    return tf.tidy(() => {
      const paramShape = x.rank === 2 ? [1, -1] : [1, -1, 1]
      const reduceAxes = x.rank === 2 ? [0] : [0, 2]
      let mu: tf.Tensor
      let variance: tf.Tensor
      if (this.mode === 'train') {
        mu = tf.mean(x, reduceAxes, true)
        variance = tf.mean(tf.square(tf.sub(x, mu)), reduceAxes, true)
      } else {
        mu = tf.reshape(this.param(`${prefix}.running_mean`), paramShape)
        variance = tf.reshape(this.param(`${prefix}.running_var`), paramShape)
      }
      const normed = tf.mul(tf.sub(x, mu), tf.rsqrt(tf.add(variance, tf.scalar(eps))))
      let y = normed
      if (this.params.has(`${prefix}.weight`)) y = tf.mul(y, tf.reshape(this.param(`${prefix}.weight`), paramShape))
      if (this.params.has(`${prefix}.bias`)) y = tf.add(y, tf.reshape(this.param(`${prefix}.bias`), paramShape))
      return y
    })
  }

  dropout(x: tf.Tensor, rate: number): tf.Tensor {
    if (this.mode !== 'train' || rate <= 0) return x
    return tf.dropout(x, rate)
  }

  // ---- shape -------------------------------------------------------------------------------
  reshape(x: tf.Tensor, shape: readonly Dim[]): tf.Tensor {
    return tf.reshape(x, shape.map(staticDim))
  }

  transpose(x: tf.Tensor, perm: readonly number[]): tf.Tensor {
    return tf.transpose(x, perm.map((a) => normAxis(a, x.rank)))
  }

  concat(xs: readonly tf.Tensor[], axis: number): tf.Tensor {
    if (xs.length === 0) throw new Error('concat of nothing')
    return tf.concat([...xs], normAxis(axis, xs[0]!.rank))
  }

  slice(x: tf.Tensor, axis: number, start: number, end: Dim): tf.Tensor {
    const a = normAxis(axis, x.rank)
    const len = x.shape[a]!
    const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + len : v, 0), len)
    const s = clamp(start)
    const e = clamp(staticDim(end))
    const begin = x.shape.map(() => 0)
    const size = x.shape.map(() => -1)
    begin[a] = s
    size[a] = Math.max(e - s, 0)
    return tf.slice(x, begin, size)
  }

  /**
   * The index list as runs (contiguous, or arithmetic with >= 3 entries) taken by slices, joined by
   * concat: differentiable on every backend, where tf.gather's gradient needs UnsortedSegmentSum,
   * which tfjs-wasm lacks. Exact: values are only moved.
   */
  gather(x: tf.Tensor, indices: readonly number[], axis: number): tf.Tensor {
    const a = normAxis(axis, x.rank)
    const len = x.shape[a]!
    const idx = indices.map((i) => (i < 0 ? i + len : i))
    const bad = idx.find((i) => !Number.isInteger(i) || i < 0 || i >= len)
    if (bad !== undefined) throw new Error(`gather: index ${bad} out of range for an axis of ${len}`)
    if (idx.length === 0) throw new Error('gather of no indices')
    return tf.tidy(() => {
      const pieces = indexRuns(idx).map((run) => takeEvery(x, a, run.start, run.count, run.step))
      return pieces.length === 1 ? pieces[0]! : tf.concat(pieces, a)
    })
  }
}

interface IndexRun {
  start: number
  count: number
  step: number
}

/** Split an index list into runs start, start+step, ... (step >= 1; single indices are runs of 1). */
export function indexRuns(indices: readonly number[]): IndexRun[] {
  const runs: IndexRun[] = []
  let i = 0
  while (i < indices.length) {
    const start = indices[i]!
    const step = i + 1 < indices.length ? indices[i + 1]! - start : 0
    let j = i
    if (step >= 1) while (j + 1 < indices.length && indices[j + 1]! - indices[j]! === step) j++
    const count = j - i + 1
    // A strided run pays a reshape; two entries are cheaper as two slices.
    if (step === 1 || count >= 3) {
      runs.push({start, count, step: count === 1 ? 1 : step})
      i = j + 1
    } else {
      runs.push({start, count: 1, step: 1})
      i++
    }
  }
  return runs
}

/** x's entries start, start+step, ... (count of them) along `axis`, by slices and reshapes only. */
function takeEvery(x: tf.Tensor, axis: number, start: number, count: number, step: number): tf.Tensor {
  const len = x.shape[axis]!
  const sliceAxis = (t: tf.Tensor, begin: number, size: number): tf.Tensor => {
    const b = t.shape.map(() => 0)
    const s = t.shape.map(() => -1)
    b[axis] = begin
    s[axis] = size
    return tf.slice(t, b, s)
  }
  if (step === 1 || count === 1) return sliceAxis(x, start, count)
  // Whole periods of `step` while they fit in the axis; the last entry alone when they do not.
  const periods = start + count * step <= len ? count : count - 1
  const block = sliceAxis(x, start, periods * step) // [..., periods*step, ...]
  const split = [...x.shape.slice(0, axis), periods, step, ...x.shape.slice(axis + 1)]
  const b = split.map(() => 0)
  const s = split.map(() => -1)
  s[axis + 1] = 1
  const every = tf.reshape(tf.slice(tf.reshape(block, split), b, s), [...x.shape.slice(0, axis), periods, ...x.shape.slice(axis + 1)])
  return periods === count ? every : tf.concat([every, sliceAxis(x, start + periods * step, 1)], axis)
}

function staticDim(d: Dim): number {
  if (!isStaticDim(d)) throw new Error('tfjs executor: symbolic dims do not occur in eager execution')
  return d
}
