/**
 * A small node emitter for the backward half of a training graph (grad.ts). Training graphs have
 * static shapes, so every value's shape is a plain number list and rules can compute with it.
 * Emitted nodes follow the IR conventions of ir.ts (e.g. ReduceSum axes as an attribute), so the
 * result lowers like any recorded graph.
 */
import {modelError} from '../../core/errors.js'
import {type Attrs, type Graph, type IRDType, type IRNode, type Initializer, type ValueInfo} from './ir.js'
import {broadcastShapes} from './recorder.js'

export class GraphBuilder {
  readonly nodes: IRNode[]
  readonly values: Map<string, ValueInfo>
  readonly initializers: Map<string, Initializer>
  private counter = 0
  private readonly constCache = new Map<string, string>()

  constructor(
    graph: Graph,
    private readonly prefix = 'grad',
  ) {
    this.nodes = [...graph.nodes]
    this.values = new Map(graph.values)
    this.initializers = new Map(graph.initializers)
  }

  /** Static shape of a value (a model error when a dim is symbolic: training graphs are static). */
  shape(name: string): number[] {
    const v = this.values.get(name)
    if (!v) throw new Error(`grad: unknown value ${name}`)
    return v.shape.map((d) => {
      if (typeof d !== 'number') throw modelError(`gradient graphs need static shapes; value ${name} has dim ${d}`, {hint: 'record the training graph with fixed batch and frames'})
      return d
    })
  }

  fresh(base: string): string {
    let name: string
    do name = `${this.prefix}/${base}_${this.counter++}`
    while (this.values.has(name))
    return name
  }

  /** Append a node with outputs of the given shapes; returns the output names. */
  emit(op: string, inputs: readonly string[], attrs: Attrs, outs: readonly {shape: readonly number[]; dtype?: IRDType}[]): string[] {
    const names = outs.map((o) => {
      const name = this.fresh(op.toLowerCase())
      this.values.set(name, {name, dtype: o.dtype ?? 'float32', shape: [...o.shape]})
      return name
    })
    this.nodes.push({op, inputs: [...inputs], outputs: names, attrs})
    return names
  }

  emit1(op: string, inputs: readonly string[], attrs: Attrs, shape: readonly number[], dtype: IRDType = 'float32'): string {
    return this.emit(op, inputs, attrs, [{shape, dtype}])[0]!
  }

  // ---- constants -------------------------------------------------------------------------------

  private initializer(key: string, dtype: IRDType, shape: readonly number[], data: Float32Array | BigInt64Array): string {
    const cached = this.constCache.get(key)
    if (cached) return cached
    const name = this.fresh('const')
    this.initializers.set(name, {name, dtype, shape: [...shape], data})
    this.values.set(name, {name, dtype, shape: [...shape]})
    this.constCache.set(key, name)
    return name
  }

  scalar(v: number): string {
    return this.initializer(`f:${v}`, 'float32', [], new Float32Array([v]))
  }

  ints(values: readonly number[]): string {
    return this.initializer(`i:${values.join(',')}`, 'int64', [values.length], BigInt64Array.from(values.map((x) => BigInt(x))))
  }

  floatConst(data: Float32Array, shape: readonly number[]): string {
    const name = this.fresh('const')
    this.initializers.set(name, {name, dtype: 'float32', shape: [...shape], data})
    this.values.set(name, {name, dtype: 'float32', shape: [...shape]})
    return name
  }

  /** The values of a constant int64 initializer (Slice starts, Gather indices), else undefined. */
  constInts(name: string): number[] | undefined {
    const init = this.initializers.get(name)
    if (!init || !(init.data instanceof BigInt64Array)) return undefined
    return Array.from(init.data, (x) => Number(x))
  }

  // ---- arithmetic ------------------------------------------------------------------------------

  private binary(op: string, a: string, b: string, dtype: IRDType = 'float32'): string {
    const shape = broadcastShapes(this.shape(a), this.shape(b), op) as number[]
    return this.emit1(op, [a, b], {}, shape, dtype)
  }

  add(a: string, b: string): string {
    return this.binary('Add', a, b)
  }
  sub(a: string, b: string): string {
    return this.binary('Sub', a, b)
  }
  mul(a: string, b: string): string {
    return this.binary('Mul', a, b)
  }
  div(a: string, b: string): string {
    return this.binary('Div', a, b)
  }
  compare(op: 'Greater' | 'GreaterOrEqual' | 'Equal', a: string, b: string): string {
    return this.binary(op, a, b, 'bool')
  }
  unary(op: string, x: string): string {
    return this.emit1(op, [x], {}, this.shape(x))
  }
  /** Where(cond, a, b) with broadcasting. */
  where(cond: string, a: string, b: string): string {
    const shape = broadcastShapes(broadcastShapes(this.shape(cond), this.shape(a), 'Where'), this.shape(b), 'Where') as number[]
    return this.emit1('Where', [cond, a, b], {}, shape)
  }
  sum(xs: readonly string[]): string {
    if (xs.length === 1) return xs[0]!
    return this.emit1('Sum', xs, {}, this.shape(xs[0]!))
  }

  // ---- shape -----------------------------------------------------------------------------------

  reshape(x: string, shape: readonly number[]): string {
    const from = this.shape(x)
    if (from.length === shape.length && from.every((d, i) => d === shape[i])) return x
    return this.emit1('Reshape', [x, this.ints(shape)], {}, shape)
  }

  transpose(x: string, perm: readonly number[]): string {
    const s = this.shape(x)
    if (perm.every((p, i) => p === i)) return x
    return this.emit1('Transpose', [x], {perm: {ints: [...perm]}}, perm.map((p) => s[p]!))
  }

  /** Swap the last two axes. */
  transposeLast(x: string): string {
    const r = this.shape(x).length
    const perm = Array.from({length: r}, (_, i) => i)
    perm[r - 2] = r - 1
    perm[r - 1] = r - 2
    return this.transpose(x, perm)
  }

  matmul(a: string, b: string): string {
    const sa = this.shape(a)
    const sb = this.shape(b)
    const batch = broadcastShapes(sa.slice(0, -2), sb.slice(0, -2), 'MatMul') as number[]
    return this.emit1('MatMul', [a, b], {}, [...batch, sa[sa.length - 2]!, sb[sb.length - 1]!])
  }

  expand(x: string, shape: readonly number[]): string {
    const s = this.shape(x)
    if (s.length === shape.length && s.every((d, i) => d === shape[i])) return x
    return this.emit1('Expand', [x, this.ints(shape)], {}, shape)
  }

  reduce(op: 'ReduceSum' | 'ReduceMean', x: string, axes: readonly number[], keepDims: boolean): string {
    if (axes.length === 0) return x
    const s = this.shape(x)
    const shape: number[] = []
    s.forEach((d, i) => {
      if (!axes.includes(i)) shape.push(d)
      else if (keepDims) shape.push(1)
    })
    return this.emit1(op, [x], {axes: {ints: [...axes].sort((p, q) => p - q)}, keepdims: {i: keepDims ? 1 : 0}}, shape)
  }

  /** Sum a broadcast gradient back to the shape of the operand it came from. */
  unbroadcast(g: string, target: readonly number[]): string {
    const s = this.shape(g)
    const lead = s.length - target.length
    const axes: number[] = []
    for (let i = 0; i < s.length; i++) {
      if (i < lead) axes.push(i)
      else if (target[i - lead] === 1 && s[i] !== 1) axes.push(i)
    }
    return this.reshape(this.reduce('ReduceSum', g, axes, true), target)
  }

  /** Zero-pad `x` along `axis` by `before` / `after` elements. */
  pad(x: string, axis: number, before: number, after: number): string {
    if (before === 0 && after === 0) return x
    const s = this.shape(x)
    const pads = new Array<number>(2 * s.length).fill(0)
    pads[axis] = before
    pads[s.length + axis] = after
    const shape = [...s]
    shape[axis] = s[axis]! + before + after
    return this.emit1('Pad', [x, this.ints(pads)], {mode: {s: 'constant'}}, shape)
  }

  concat(xs: readonly string[], axis: number): string {
    if (xs.length === 1) return xs[0]!
    const shape = this.shape(xs[0]!)
    shape[axis] = xs.reduce((acc, x) => acc + this.shape(x)[axis]!, 0)
    return this.emit1('Concat', xs, {axis: {i: axis}}, shape)
  }

  zeros(shape: readonly number[]): string {
    return this.expand(this.scalar(0), shape)
  }

  /** The graph with the emitted nodes and the given outputs. */
  finish(base: Graph, outputs: readonly ValueInfo[], inputs: readonly ValueInfo[] = base.inputs): Graph {
    return {inputs: [...inputs], outputs: [...outputs], nodes: [...this.nodes], initializers: new Map(this.initializers), values: new Map(this.values), mode: base.mode}
  }
}
