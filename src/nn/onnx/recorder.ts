/**
 * The ONNX executor of the op interface: instead of computing, each call appends IR nodes
 * (src/nn/onnx/ir.ts) and tracks the shape of the value it makes. `finish()` returns the Graph.
 */
import {modelError} from '../../core/errors.js'
import type {NDArray} from '../../core/ndarray.js'
import {shapeString} from '../../core/ndarray.js'
import {type Dim, type Mode, type Ops, type SymbolicDim, normAxis} from '../ops.js'
import {
  type Attrs,
  type Graph,
  type IRDim,
  type IRDType,
  type IRNode,
  type Initializer,
  type ParamSource,
  type ValueInfo,
  divDims,
  mulDims,
} from './ir.js'

/** A recorded value: its name in the graph, dtype and (partly symbolic) shape. */
export type Value = ValueInfo

export interface InputSpec {
  readonly name: string
  /** Static sizes, or names of dynamic axes such as 'N' (batch) and 'T' (frames). */
  readonly shape: readonly (number | string)[]
}

export class OnnxRecorder implements Ops<Value> {
  readonly executor = 'onnx' as const
  readonly mode: Mode

  private readonly nodes: IRNode[] = []
  private readonly values = new Map<string, ValueInfo>()
  private readonly initializers = new Map<string, Initializer>()
  private readonly inputs: ValueInfo[] = []
  private readonly weights: ReadonlyMap<string, NDArray>
  private counter = 0
  /** Symbolic dim expression -> name of a 1-element int64 value holding it. */
  private readonly dimRefs = new Map<string, string>()
  /** Name of a 1-element int64 value -> the symbolic expression it holds. */
  private readonly refDims = new Map<string, IRDim>()
  /** Cache key (e.g. 'f32:0.5', 'i64:1,2') -> initializer name, to share small constants. */
  private readonly constCache = new Map<string, string>()

  constructor(weights: ReadonlyMap<string, NDArray>, mode: Mode) {
    this.weights = weights
    this.mode = mode
  }

  // ---- graph plumbing ------------------------------------------------------------------------

  addInput(spec: InputSpec): Value {
    for (const d of spec.shape) {
      const ok = typeof d === 'number' ? Number.isInteger(d) && d >= 0 : /^[A-Za-z_][A-Za-z0-9_]*$/.test(d)
      if (!ok) throw new Error(`input "${spec.name}": dim ${JSON.stringify(d)} must be a size or an axis name such as 'N'`)
    }
    const v: ValueInfo = {name: spec.name, dtype: 'float32', shape: [...spec.shape]}
    this.values.set(v.name, v)
    this.inputs.push(v)
    return v
  }

  finish(outputs: Record<string, Value>): Graph {
    const outs: ValueInfo[] = []
    for (const [name, v] of Object.entries(outputs)) {
      // Graph outputs get the caller's names; an Identity node renames when needed.
      if (v.name !== name) this.emit('Identity', [v.name], {}, [{name, dtype: v.dtype, shape: v.shape}])
      outs.push({name, dtype: v.dtype, shape: v.shape})
    }
    return {
      inputs: [...this.inputs],
      outputs: outs,
      nodes: [...this.nodes],
      initializers: new Map(this.initializers),
      values: new Map(this.values),
      mode: this.mode,
    }
  }

  private fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`
  }

  private emit(op: string, inputs: readonly string[], attrs: Attrs, outs: readonly ValueInfo[]): Value[] {
    for (const o of outs) this.values.set(o.name, o)
    this.nodes.push({op, inputs: [...inputs], outputs: outs.map((o) => o.name), attrs})
    return [...outs]
  }

  private emit1(op: string, inputs: readonly string[], attrs: Attrs, shape: readonly IRDim[], dtype: IRDType = 'float32'): Value {
    return this.emit(op, inputs, attrs, [{name: this.fresh(op.toLowerCase()), dtype, shape}])[0]!
  }

  private addInitializer(init: Initializer): Value {
    this.initializers.set(init.name, init)
    const v: ValueInfo = {name: init.name, dtype: init.dtype, shape: [...init.shape]}
    this.values.set(init.name, v)
    return v
  }

  private weight(name: string): NDArray {
    const w = this.weights.get(name)
    if (!w) throw modelError(`the model needs parameter "${name}" but the weights do not contain it`)
    return w
  }

  private floatConst(values: Float32Array, shape: readonly number[]): Value {
    const key = values.length <= 16 ? `f32:${shape.join(',')}:${Array.from(values).join(',')}` : undefined
    const cached = key ? this.constCache.get(key) : undefined
    if (cached) return this.values.get(cached)!
    const v = this.addInitializer({name: this.fresh('const'), dtype: 'float32', shape: [...shape], data: values})
    if (key) this.constCache.set(key, v.name)
    return v
  }

  private scalar(s: number): Value {
    return this.floatConst(new Float32Array([s]), [])
  }

  private intConst(values: readonly number[]): Value {
    const key = `i64:${values.join(',')}`
    const cached = this.constCache.get(key)
    if (cached) return this.values.get(cached)!
    const data = BigInt64Array.from(values.map((x) => BigInt(x)))
    const v = this.addInitializer({name: this.fresh('shape'), dtype: 'int64', shape: [values.length], data})
    this.constCache.set(key, v.name)
    return v
  }

  // ---- values --------------------------------------------------------------------------------

  param(name: string): Value {
    return this.paramAs(name, 'identity')
  }

  /** A parameter as an initializer, optionally stored transposed (`[out, in]` -> `[in, out]`). */
  private paramAs(name: string, transform: ParamSource['transform']): Value {
    const initName = transform === 'identity' ? name : `${name}^T`
    const existing = this.values.get(initName)
    if (existing) return existing
    const w = this.weight(name)
    if (transform === 'identity') {
      return this.addInitializer({name: initName, dtype: 'float32', shape: [...w.shape], data: w.data, source: {param: name, transform}})
    }
    if (w.shape.length !== 2) throw modelError(`parameter "${name}" should be a 2D linear weight, got shape ${shapeString(w.shape)}`)
    const [rows, cols] = w.shape as [number, number]
    const t = new Float32Array(rows * cols)
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = w.data[r * cols + c]!
    return this.addInitializer({name: initName, dtype: 'float32', shape: [cols, rows], data: t, source: {param: name, transform}})
  }

  hasParam(name: string): boolean {
    return this.weights.has(name)
  }

  constant(values: Float32Array | readonly number[], shape: readonly number[]): Value {
    const data = values instanceof Float32Array ? values : Float32Array.from(values)
    return this.floatConst(data, shape)
  }

  dim(x: Value, axis: number): Dim {
    const a = normAxis(axis, x.shape.length)
    const d = x.shape[a]!
    if (typeof d === 'number') return d
    let ref = this.dimRefs.get(d)
    if (!ref) {
      // Shape with start/end (opset 15) yields the 1-element slice directly.
      ref = this.emit1('Shape', [x.name], {start: {i: a}, end: {i: a + 1}}, [1], 'int64').name
      this.dimRefs.set(d, ref)
      this.refDims.set(ref, d)
    }
    return {symbolic: true, ref} satisfies SymbolicDim
  }

  rank(x: Value): number {
    return x.shape.length
  }

  // ---- elementwise ---------------------------------------------------------------------------

  private binary(op: string, a: Value, b: Value): Value {
    return this.emit1(op, [a.name, b.name], {}, broadcastShapes(a.shape, b.shape, op))
  }

  private unary(op: string, x: Value, attrs: Attrs = {}): Value {
    return this.emit1(op, [x.name], attrs, x.shape)
  }

  add(a: Value, b: Value): Value {
    return this.binary('Add', a, b)
  }
  sub(a: Value, b: Value): Value {
    return this.binary('Sub', a, b)
  }
  mul(a: Value, b: Value): Value {
    return this.binary('Mul', a, b)
  }
  div(a: Value, b: Value): Value {
    return this.binary('Div', a, b)
  }
  scale(x: Value, s: number): Value {
    return this.binary('Mul', x, this.scalar(s))
  }
  addScalar(x: Value, s: number): Value {
    return this.binary('Add', x, this.scalar(s))
  }
  maximumScalar(x: Value, s: number): Value {
    return this.binary('Max', x, this.scalar(s))
  }
  neg(x: Value): Value {
    return this.unary('Neg', x)
  }
  abs(x: Value): Value {
    return this.unary('Abs', x)
  }
  sqrt(x: Value): Value {
    return this.unary('Sqrt', x)
  }
  exp(x: Value): Value {
    return this.unary('Exp', x)
  }
  log(x: Value): Value {
    return this.unary('Log', x)
  }
  sin(x: Value): Value {
    return this.unary('Sin', x)
  }
  cos(x: Value): Value {
    return this.unary('Cos', x)
  }
  tanh(x: Value): Value {
    return this.unary('Tanh', x)
  }
  sigmoid(x: Value): Value {
    return this.unary('Sigmoid', x)
  }
  relu(x: Value): Value {
    return this.unary('Relu', x)
  }
  gelu(x: Value): Value {
    return this.unary('Gelu', x)
  }

  // ---- linear algebra ------------------------------------------------------------------------

  matmul(a: Value, b: Value, opts: {transposeA?: boolean; transposeB?: boolean} = {}): Value {
    const ta = opts.transposeA ? this.transpose(a, swapLastTwo(a.shape.length)) : a
    const tb = opts.transposeB ? this.transpose(b, swapLastTwo(b.shape.length)) : b
    if (ta.shape.length < 2 || tb.shape.length < 2) throw new Error('matmul: both operands need rank >= 2')
    const batch = broadcastShapes(ta.shape.slice(0, -2), tb.shape.slice(0, -2), 'MatMul')
    const shape = [...batch, ta.shape[ta.shape.length - 2]!, tb.shape[tb.shape.length - 1]!]
    return this.emit1('MatMul', [ta.name, tb.name], {}, shape)
  }

  linear(x: Value, weight: string, bias?: string | null): Value {
    // The weight is stored as W^T [in, out], so no Transpose node runs per call.
    const wt = this.paramAs(weight, 'transpose')
    const inDim = wt.shape[0]
    const last = x.shape[x.shape.length - 1]
    if (typeof last === 'number' && last !== inDim) {
      throw modelError(`linear "${weight}" expects ${String(inDim)} input features, got ${last} (input shape ${formatShape(x.shape)})`)
    }
    const y = this.emit1('MatMul', [x.name, wt.name], {}, [...x.shape.slice(0, -1), wt.shape[1]!])
    return bias ? this.add(y, this.param(bias)) : y
  }

  conv1d(x: Value, weight: string, bias: string | null, opts: {stride?: number; padding?: number; dilation?: number}): Value {
    const w = this.param(weight) // [Cout, Cin, K]
    const stride = opts.stride ?? 1
    const pad = opts.padding ?? 0
    const dilation = opts.dilation ?? 1
    const k = w.shape[2] as number
    const len = x.shape[2]!
    const outLen = typeof len === 'number' ? Math.floor((len + 2 * pad - dilation * (k - 1) - 1) / stride) + 1 : this.fresh('?conv')
    const inputs = bias ? [x.name, w.name, this.param(bias).name] : [x.name, w.name]
    const attrs: Attrs = {kernel_shape: {ints: [k]}, strides: {ints: [stride]}, pads: {ints: [pad, pad]}, dilations: {ints: [dilation]}}
    return this.emit1('Conv', inputs, attrs, [x.shape[0]!, w.shape[0]!, outLen])
  }

  // ---- reductions and normalisation ------------------------------------------------------------

  private reduce(op: string, x: Value, axes: readonly number[], keepDims: boolean): Value {
    const rank = x.shape.length
    const norm = [...new Set(axes.map((a) => normAxis(a, rank)))].sort((p, q) => p - q)
    const shape: IRDim[] = []
    x.shape.forEach((d, i) => {
      if (!norm.includes(i)) shape.push(d)
      else if (keepDims) shape.push(1)
    })
    return this.emit1(op, [x.name], {axes: {ints: norm}, keepdims: {i: keepDims ? 1 : 0}}, shape)
  }

  sum(x: Value, axes: readonly number[], keepDims = false): Value {
    return this.reduce('ReduceSum', x, axes, keepDims)
  }
  mean(x: Value, axes: readonly number[], keepDims = false): Value {
    return this.reduce('ReduceMean', x, axes, keepDims)
  }
  max(x: Value, axes: readonly number[], keepDims = false): Value {
    return this.reduce('ReduceMax', x, axes, keepDims)
  }

  softmax(x: Value, axis = -1): Value {
    return this.unary('Softmax', x, {axis: {i: normAxis(axis, x.shape.length)}})
  }

  layerNorm(x: Value, prefix: string, eps = 1e-5): Value {
    const inputs = [x.name, this.param(`${prefix}.weight`).name, this.param(`${prefix}.bias`).name]
    return this.emit1('LayerNormalization', inputs, {axis: {i: -1}, epsilon: {f: eps}}, x.shape)
  }

  batchNorm(x: Value, prefix: string, eps = 1e-5): Value {
    const gamma = this.param(`${prefix}.weight`)
    const beta = this.param(`${prefix}.bias`)
    if (this.mode === 'eval') {
      const inputs = [x.name, gamma.name, beta.name, this.param(`${prefix}.running_mean`).name, this.param(`${prefix}.running_var`).name]
      return this.emit1('BatchNormalization', inputs, {epsilon: {f: eps}}, x.shape)
    }
    // Train mode: normalise with the batch statistics (biased variance, as PyTorch does).
    const axes = x.shape.length === 3 ? [0, 2] : [0]
    const paramShape = x.shape.length === 3 ? [1, gamma.shape[0] as number, 1] : [1, gamma.shape[0] as number]
    const mu = this.mean(x, axes, true)
    const centred = this.sub(x, mu)
    const variance = this.mean(this.mul(centred, centred), axes, true)
    const normed = this.div(centred, this.sqrt(this.addScalar(variance, eps)))
    return this.add(this.mul(normed, this.reshape(gamma, paramShape)), this.reshape(beta, paramShape))
  }

  dropout(x: Value, rate: number): Value {
    if (this.mode === 'eval' || rate === 0) return x
    const training = this.addInitializer({name: this.fresh('training'), dtype: 'bool', shape: [], data: new Uint8Array([1])})
    return this.emit1('Dropout', [x.name, this.scalar(rate).name, training.name], {}, x.shape)
  }

  // ---- shape ---------------------------------------------------------------------------------

  reshape(x: Value, shape: readonly Dim[]): Value {
    const total = mulDims(x.shape)
    const known: IRDim[] = []
    let inferAt = -1
    const out: IRDim[] = shape.map((d, i) => {
      if (typeof d === 'number') {
        if (d === -1) {
          if (inferAt >= 0) throw new Error('reshape: more than one -1')
          inferAt = i
          return -1
        }
        known.push(d)
        return d
      }
      const expr = this.refDims.get(d.ref)
      if (expr === undefined) throw new Error(`reshape: unknown symbolic dim ${d.ref}`)
      known.push(expr)
      return expr
    })
    if (inferAt >= 0) out[inferAt] = divDims(total, mulDims(known)) ?? this.fresh('?reshape')
    else if (typeof total === 'number' && typeof mulDims(out) === 'number' && total !== mulDims(out)) {
      throw modelError(`reshape: cannot reshape ${formatShape(x.shape)} to ${formatShape(out)}`)
    }
    // ONNX reads 0 as "copy this dim" unless allowzero; PyTorch means an empty axis.
    const attrs: Attrs = shape.includes(0) ? {allowzero: {i: 1}} : {}
    return this.emit1('Reshape', [x.name, this.shapeTensor(shape).name], attrs, out)
  }

  /** An int64 shape tensor: a constant when all dims are numbers, else a Concat of pieces. */
  private shapeTensor(shape: readonly Dim[]): Value {
    if (shape.every((d) => typeof d === 'number')) return this.intConst(shape as number[])
    const pieces: string[] = []
    let run: number[] = []
    for (const d of shape) {
      if (typeof d === 'number') {
        run.push(d)
        continue
      }
      if (run.length) pieces.push(this.intConst(run).name)
      run = []
      pieces.push(d.ref)
    }
    if (run.length) pieces.push(this.intConst(run).name)
    return this.emit1('Concat', pieces, {axis: {i: 0}}, [shape.length], 'int64')
  }

  transpose(x: Value, perm: readonly number[]): Value {
    const rank = x.shape.length
    if (perm.length !== rank) throw new Error(`transpose: perm [${perm.join(', ')}] does not match rank ${rank}`)
    const p = perm.map((a) => normAxis(a, rank))
    return this.emit1('Transpose', [x.name], {perm: {ints: p}}, p.map((a) => x.shape[a]!))
  }

  concat(xs: readonly Value[], axis: number): Value {
    if (xs.length === 0) throw new Error('concat: no inputs')
    const first = xs[0]!
    const a = normAxis(axis, first.shape.length)
    const shape = [...first.shape]
    const sizes = xs.map((x) => x.shape[a]!)
    shape[a] = sizes.every((s) => typeof s === 'number') ? (sizes as number[]).reduce((p, q) => p + q, 0) : sizes.length === 1 ? sizes[0]! : this.fresh('?concat')
    return this.emit1('Concat', xs.map((x) => x.name), {axis: {i: a}}, shape)
  }

  slice(x: Value, axis: number, start: number, end: Dim): Value {
    const a = normAxis(axis, x.shape.length)
    const size = x.shape[a]!
    let outSize: IRDim
    let endName: string
    if (typeof end === 'number') {
      endName = this.intConst([end]).name
      if (typeof size === 'number') {
        const s = clampIndex(start, size)
        outSize = Math.max(0, clampIndex(end, size) - s)
      } else {
        outSize = start >= 0 && end >= 0 ? end - start : this.fresh('?slice')
      }
    } else {
      endName = end.ref
      const expr = this.refDims.get(end.ref)!
      outSize = start === 0 ? expr : this.fresh('?slice')
    }
    const shape = [...x.shape]
    shape[a] = outSize
    return this.emit1('Slice', [x.name, this.intConst([start]).name, endName, this.intConst([a]).name], {}, shape)
  }

  gather(x: Value, indices: readonly number[], axis: number): Value {
    const a = normAxis(axis, x.shape.length)
    const shape = [...x.shape]
    shape[a] = indices.length
    return this.emit1('Gather', [x.name, this.intConst(indices).name], {axis: {i: a}}, shape)
  }
}

function formatShape(shape: readonly IRDim[]): string {
  return `[${shape.join(', ')}]`
}

function clampIndex(i: number, size: number): number {
  const j = i < 0 ? i + size : i
  return Math.min(Math.max(j, 0), size)
}

function swapLastTwo(rank: number): number[] {
  const p = Array.from({length: rank}, (_, i) => i)
  p[rank - 2] = rank - 1
  p[rank - 1] = rank - 2
  return p
}

let unknownCounter = 0

/** Numpy broadcasting over (partly symbolic) shapes. */
export function broadcastShapes(a: readonly IRDim[], b: readonly IRDim[], op: string): IRDim[] {
  const n = Math.max(a.length, b.length)
  const out: IRDim[] = []
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1
    const db = b[b.length - n + i] ?? 1
    if (da === db || db === 1) out.push(da)
    else if (da === 1) out.push(db)
    else if (typeof da === 'number' && typeof db === 'number') {
      throw modelError(`${op}: shapes ${formatShape(a)} and ${formatShape(b)} do not broadcast`)
    } else if (typeof da === 'number' || typeof db === 'number') {
      out.push(typeof da === 'number' ? da : db) // a static size > 1 pins the symbolic one
    } else {
      out.push(`?bcast_${unknownCounter++}`) // two different symbols: either may be 1 at run time
    }
  }
  return out
}
