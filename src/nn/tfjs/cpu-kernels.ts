/**
 * Faster kernels for tfjs's pure-JavaScript `cpu` backend, the fallback when neither a native
 * binding nor wasm loads.
 *
 * Why: tfjs-backend-cpu computes a broadcasting Add/Sub/Multiply/RealDiv with an index conversion
 * per element, about 12x slower than the same op on equal shapes (a [408, 4, 27, 27] − [..., 1]
 * took 180 ms against 16 ms), and its Transpose makes an array per element. Every bias, LayerNorm
 * and softmax in the models broadcasts, so these were most of a forward pass on this backend.
 *
 * The kernels here walk the output with per-operand strides instead, and give bit-identical
 * results: the same float64 arithmetic on float32 inputs, rounded to float32 at the same points as
 * tfjs's own kernels (its Softmax is max, sub, exp, sum and div, each stored as float32; a
 * transpose only moves values). Anything else (other dtypes, equal shapes, shapes that do not
 * broadcast, softmax over another axis) goes to the original kernel, errors included.
 * BatchMatMul, now the largest part, was tried too: a row-major loop in JavaScript was no faster.
 */
import * as tf from '@tensorflow/tfjs-core'
import {type KernelFunc, overrideKernel} from './kernel-override.js'
import {copyStrided, size, strides} from '../../core/ndarray.js'

type Binary = 'Add' | 'Sub' | 'Multiply' | 'RealDiv'

interface CpuBackend {
  data: {get(dataId: object): {values?: unknown}}
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array | Int32Array | Uint8Array): tf.TensorInfo
}

const BINARY: readonly Binary[] = ['Add', 'Sub', 'Multiply', 'RealDiv']
/** Replaces the cpu backend's broadcasting binary ops, Softmax and Transpose (overrideKernel replaces each once per process). */
export function installFastCpuKernels(): void {
  for (const name of BINARY) overrideKernel(name, 'cpu', (original) => (args) => broadcastKernel(name, args, original))
  overrideKernel('Softmax', 'cpu', (original) => (args) => softmaxKernel(args, original))
  overrideKernel('Transpose', 'cpu', (original) => (args) => transposeKernel(args, original))
}

function float32Values(backend: unknown, info: tf.TensorInfo): Float32Array | undefined {
  if (info.dtype !== 'float32') return undefined
  const values = (backend as CpuBackend).data.get(info.dataId).values
  return values instanceof Float32Array ? values : undefined
}

/** The broadcast output shape of `a` and `b` (numpy rules), or undefined when they do not broadcast. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length)
  const out = new Array<number>(rank)
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1
    const db = b[b.length - rank + i] ?? 1
    if (da !== db && da !== 1 && db !== 1) return undefined
    out[i] = da === 1 ? db : da
  }
  return out
}

/** Element strides of `shape` read as `outShape` (0 along broadcast axes). */
function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const rank = outShape.length
  const strides = new Array<number>(rank).fill(0)
  let stride = 1
  for (let i = rank - 1; i >= 0; i--) {
    const d = shape[shape.length - rank + i] ?? 1
    strides[i] = d === 1 ? 0 : stride
    stride *= d
  }
  return strides
}

/** out[i] = a[i'] op b[i''] over the broadcast shape, rows of the last axis at a time. */
export function broadcastBinary(op: Binary, a: Float32Array, aShape: readonly number[], b: Float32Array, bShape: readonly number[], outShape: readonly number[]): Float32Array {
  const rank = outShape.length
  const n = size(outShape)
  const out = new Float32Array(n)
  if (n === 0) return out
  const as = broadcastStrides(aShape, outShape)
  const bs = broadcastStrides(bShape, outShape)
  const last = rank > 0 ? outShape[rank - 1]! : 1
  const sa = rank > 0 ? as[rank - 1]! : 0
  const sb = rank > 0 ? bs[rank - 1]! : 0
  const index = new Array<number>(Math.max(0, rank - 1)).fill(0)
  let ia = 0
  let ib = 0
  for (let o = 0; o < n; o += last) {
    switch (op) {
      case 'Add':
        for (let k = 0; k < last; k++) out[o + k] = a[ia + k * sa]! + b[ib + k * sb]!
        break
      case 'Sub':
        for (let k = 0; k < last; k++) out[o + k] = a[ia + k * sa]! - b[ib + k * sb]!
        break
      case 'Multiply':
        for (let k = 0; k < last; k++) out[o + k] = a[ia + k * sa]! * b[ib + k * sb]!
        break
      case 'RealDiv':
        for (let k = 0; k < last; k++) out[o + k] = a[ia + k * sa]! / b[ib + k * sb]!
        break
    }
    // next row: an odometer over the outer axes, moving both operands' offsets with it
    for (let d = rank - 2; d >= 0; d--) {
      index[d]!++
      ia += as[d]!
      ib += bs[d]!
      if (index[d]! < outShape[d]!) break
      ia -= as[d]! * outShape[d]!
      ib -= bs[d]! * outShape[d]!
      index[d] = 0
    }
  }
  return out
}

function broadcastKernel(op: Binary, args: Parameters<KernelFunc>[0], original: KernelFunc): ReturnType<KernelFunc> {
  const {a, b} = args.inputs as {a: tf.TensorInfo; b: tf.TensorInfo}
  const av = float32Values(args.backend, a)
  const bv = float32Values(args.backend, b)
  const outShape = broadcastShape(a.shape, b.shape)
  const equal = a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i])
  if (!av || !bv || !outShape || equal) return original(args)
  const values = broadcastBinary(op, av, a.shape, bv, b.shape, outShape)
  return (args.backend as unknown as CpuBackend).makeTensorInfo(outShape, 'float32', values)
}

/** Softmax over the last axis, rounded to float32 where tfjs's max/sub/exp/sum/div kernels store. */
export function softmaxRows(x: Float32Array, rowLength: number): Float32Array {
  const out = new Float32Array(x.length)
  if (rowLength === 0) return out
  for (let o = 0; o < x.length; o += rowLength) {
    let max = x[o]!
    for (let k = 1; k < rowLength; k++) {
      const v = x[o + k]!
      if (Number.isNaN(v) || v > max) max = v // as tfjs's Max: a NaN anywhere makes the row NaN
    }
    let sum = 0
    for (let k = 0; k < rowLength; k++) {
      const e = Math.fround(Math.exp(Math.fround(x[o + k]! - max)))
      out[o + k] = e
      sum += e
    }
    const total = Math.fround(sum)
    for (let k = 0; k < rowLength; k++) out[o + k] = out[o + k]! / total
  }
  return out
}

function softmaxKernel(args: Parameters<KernelFunc>[0], original: KernelFunc): ReturnType<KernelFunc> {
  const {logits} = args.inputs as {logits: tf.TensorInfo}
  const dim = (args.attrs as {dim?: number} | undefined)?.dim ?? -1
  const rank = logits.shape.length
  const values = float32Values(args.backend, logits)
  if (!values || rank === 0 || (dim !== -1 && dim !== rank - 1)) return original(args)
  const rowLength = logits.shape[rank - 1]!
  return (args.backend as unknown as CpuBackend).makeTensorInfo([...logits.shape], 'float32', softmaxRows(values, rowLength))
}

type Numeric = Float32Array | Int32Array | Uint8Array

/** `x` [shape] with its axes in the order `perm` (out axis i is x's axis perm[i]). */
export function transposeValues<T extends Numeric>(x: T, shape: readonly number[], perm: readonly number[]): T {
  const inStrides = strides(shape)
  const out = new (x.constructor as new (n: number) => T)(x.length)
  return copyStrided(x, 0, perm.map((p) => shape[p]!), perm.map((p) => inStrides[p]!), out)
}

function transposeKernel(args: Parameters<KernelFunc>[0], original: KernelFunc): ReturnType<KernelFunc> {
  const {x} = args.inputs as {x: tf.TensorInfo}
  const {perm} = args.attrs as {perm: number[]}
  const values = (args.backend as unknown as CpuBackend).data.get(x.dataId).values
  const numeric = values instanceof Float32Array || values instanceof Int32Array || values instanceof Uint8Array
  if (!numeric || x.dtype === 'complex64' || x.dtype === 'string' || perm.length !== x.shape.length) return original(args)
  const outShape = perm.map((p) => x.shape[p]!)
  return (args.backend as unknown as CpuBackend).makeTensorInfo(outShape, x.dtype, transposeValues(values, x.shape, perm))
}
