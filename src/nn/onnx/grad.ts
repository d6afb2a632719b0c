/**
 * Reverse-mode differentiation of a recorded graph (ir.ts): the gradient graph of DESIGN.md's
 * "One model definition, two executors". Given a graph with a scalar loss output, `differentiate`
 * appends the backward nodes (one VJP rule per op, grad-rules.ts) and a gradient output per
 * requested value, so one onnxruntime session computes forward, loss and gradients.
 *
 * Training graphs have static shapes (batch and frames fixed per run), which keeps every rule a
 * plain shape computation. Only nodes on a path from a requested value to the loss get backward
 * nodes (dead-branch pruning), so frozen parameters and logging-only loss parts cost nothing.
 *
 * `paramsToInputs` turns trainable parameters from initializers into graph inputs so the weights
 * can change every step without rebuilding the session. A linear weight stored pre-transposed
 * (`W^T`, ParamSource 'transpose') becomes the input `W` plus a Transpose node, so weights are fed
 * and gradients come back in state-dict layout; onnxruntime fuses those transposes into its GEMMs.
 */
import {modelError} from '../../core/errors.js'
import type {Graph, IRNode, Initializer, ValueInfo} from './ir.js'
import {GraphBuilder} from './grad-builder.js'
import {type GradPart, NON_DIFFERENTIABLE, VJP_RULES} from './grad-rules.js'
import {optimiseGraph} from './optimise.js'

/** Prefix of gradient output names: `grad:<value name>`. */
export const GRAD_PREFIX = 'grad:'

export interface ParamInputs {
  graph: Graph
  /** Parameter name -> graph input name (the same string) for every parameter made an input. */
  params: Map<string, ValueInfo>
}

/**
 * Make the parameters selected by `trainable` graph inputs named by their state-dict key (shape as
 * in the state dict). Other initializers (frozen parameters, constants) stay in the graph.
 */
export function paramsToInputs(graph: Graph, trainable: (param: string) => boolean): ParamInputs {
  const params = new Map<string, ValueInfo>()
  const initializers = new Map<string, Initializer>()
  const values = new Map(graph.values)
  const prologue: IRNode[] = []
  for (const [name, init] of graph.initializers) {
    const src = init.source
    if (!src || init.dtype !== 'float32' || !trainable(src.param)) {
      initializers.set(name, init)
      continue
    }
    const shape = src.transform === 'transpose' ? [init.shape[1]!, init.shape[0]!] : [...init.shape]
    const existing = params.get(src.param)
    if (existing && existing.shape.join() !== shape.join()) throw modelError(`parameter ${src.param} is used with two shapes`)
    const input: ValueInfo = existing ?? {name: src.param, dtype: 'float32', shape}
    params.set(src.param, input)
    values.set(input.name, input)
    if (src.transform === 'transpose') prologue.push({op: 'Transpose', inputs: [input.name], outputs: [name], attrs: {perm: {ints: [1, 0]}}})
    else if (name !== input.name) prologue.push({op: 'Identity', inputs: [input.name], outputs: [name], attrs: {}})
  }
  return {
    graph: {...graph, inputs: [...graph.inputs, ...params.values()], nodes: [...prologue, ...graph.nodes], initializers, values},
    params,
  }
}

export interface DifferentiateOptions {
  /** Name of the scalar loss output. */
  loss: string
  /** Values (graph inputs, usually parameters) to differentiate with respect to. */
  wrt: readonly string[]
}

export interface GradientGraph {
  /** The input graph's outputs followed by `grad:<name>` for every value the loss depends on. */
  graph: Graph
  /** wrt name -> output name of its gradient; values the loss does not depend on are absent. */
  gradients: Map<string, string>
}

/** Append the backward pass for d loss / d wrt to the graph. */
export function differentiate(forward: Graph, opts: DifferentiateOptions): GradientGraph {
  const lossInfo = forward.values.get(opts.loss)
  if (!lossInfo) throw new Error(`differentiate: no value named ${opts.loss}`)
  if (lossInfo.shape.length !== 0 && !(lossInfo.shape.length === 1 && lossInfo.shape[0] === 1)) {
    throw modelError(`the loss must be a scalar, got shape [${lossInfo.shape.join(', ')}]`)
  }
  for (const w of opts.wrt) if (!forward.values.has(w)) throw new Error(`differentiate: no value named ${w}`)

  // LayerNormalization nodes expose Mean and InvStdDev, which their gradient reuses.
  const nodes = forward.nodes.map((n) => n)
  const values = new Map(forward.values)
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!
    if (n.op !== 'LayerNormalization' || n.outputs.length > 1) continue
    const y = n.outputs[0]!
    const shape = values.get(n.inputs[0]!)!.shape
    const axis = n.attrs.axis && 'i' in n.attrs.axis ? n.attrs.axis.i : -1
    const first = axis < 0 ? axis + shape.length : axis
    const statShape = shape.map((d, k) => (k >= first ? 1 : d))
    for (const suffix of ['mean', 'inv_std']) values.set(`${y}/${suffix}`, {name: `${y}/${suffix}`, dtype: 'float32', shape: statShape})
    nodes[i] = {...n, outputs: [y, `${y}/mean`, `${y}/inv_std`]}
  }
  const graph: Graph = {...forward, nodes, values}

  // Values depending on wrt (forward sweep) and values the loss depends on (backward sweep).
  const requires = new Set(opts.wrt)
  for (const n of nodes) {
    if (NON_DIFFERENTIABLE.has(n.op)) continue
    if (n.inputs.some((i) => requires.has(i))) for (const o of n.outputs) if (values.get(o)?.dtype === 'float32') requires.add(o)
  }
  const reaches = new Set([opts.loss])
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!
    if (n.outputs.some((o) => reaches.has(o))) for (const inp of n.inputs) if (inp) reaches.add(inp)
  }
  const active = (name: string): boolean => requires.has(name) && reaches.has(name)

  const b = new GraphBuilder(graph)
  const parts = new Map<string, GradPart[]>()
  const addPart = (name: string, part: GradPart): void => {
    const list = parts.get(name)
    if (list) list.push(part)
    else parts.set(name, [part])
  }
  addPart(opts.loss, {value: b.reshape(b.scalar(1), lossInfo.shape.map(Number))})

  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i]!
    if (!node.outputs.some(active)) continue
    const needs = node.inputs.map((inp) => inp !== '' && active(inp))
    if (!needs.some(Boolean)) continue
    const dy = node.outputs.map((o) => (parts.has(o) ? combine(b, o, parts.get(o)!) : null))
    if (dy.every((g) => g === null)) continue
    const rule = VJP_RULES[node.op]
    if (!rule) {
      const hint = node.op === 'Dropout' ? 'record training graphs with TrainingOps (train-ops.ts), which feeds dropout masks as inputs' : undefined
      throw modelError(`no gradient rule for ONNX op ${node.op} (node output ${node.outputs[0]})`, {hint})
    }
    const grads = rule({b, node, dy, needs})
    grads.forEach((g, k) => {
      if (g && needs[k]) addPart(node.inputs[k]!, g)
    })
  }

  const gradients = new Map<string, string>()
  const outputs: ValueInfo[] = [...forward.outputs]
  for (const w of opts.wrt) {
    const list = parts.get(w)
    if (!list) continue
    const g = combine(b, w, list)
    const name = GRAD_PREFIX + w
    b.emit1('Identity', [g], {}, b.shape(w))
    // Rename the Identity's output to the public gradient name.
    const last = b.nodes.pop()!
    b.nodes.push({...last, outputs: [name]})
    b.values.set(name, {name, dtype: 'float32', shape: b.shape(w)})
    outputs.push({name, dtype: 'float32', shape: b.shape(w)})
    gradients.set(w, name)
  }
  const result = b.finish(graph, outputs)
  return {graph: fuseTransposedGemms(optimiseGraph(result)), gradients}
}

/** Sum the contributions to one value's gradient into a single value of its shape. */
function combine(b: GraphBuilder, name: string, list: GradPart[]): string {
  if (list.length === 1 && !('axis' in list[0]!)) return list[0]!.value
  const shape = b.shape(name)
  const windows = list.filter((p): p is GradPart & {axis: number; start: number} => 'axis' in p)
  const denseParts = list.filter((p) => !('axis' in p)).map((p) => p.value)
  let merged: string[] = []
  // Windows along one axis that tile it exactly (q/k/v splits, stream halves) become one Concat.
  if (windows.length > 1 && denseParts.length === 0 && windows.every((w) => w.axis === windows[0]!.axis)) {
    const axis = windows[0]!.axis
    const sorted = [...windows].sort((p, q) => p.start - q.start)
    let at = 0
    let tiles = true
    for (const w of sorted) {
      if (w.start !== at) tiles = false
      at = w.start + b.shape(w.value)[axis]!
    }
    if (tiles && at === shape[axis]) merged = [b.concat(sorted.map((w) => w.value), axis)]
  }
  if (merged.length === 0) {
    merged = windows.map((w) => {
      const len = b.shape(w.value)[w.axis]!
      return b.pad(w.value, w.axis, w.start, shape[w.axis]! - w.start - len)
    })
  }
  return b.sum([...denseParts, ...merged])
}

/**
 * Transpose([1, 0]) of a 2D MatMul result (a weight gradient in state-dict layout) becomes the
 * MatMul of the transposed operands, whose Transposes onnxruntime folds into its GEMM.
 */
function fuseTransposedGemms(graph: Graph): Graph {
  const producer = new Map<string, IRNode>()
  const consumers = new Map<string, number>()
  for (const n of graph.nodes) {
    for (const o of n.outputs) producer.set(o, n)
    for (const i of n.inputs) consumers.set(i, (consumers.get(i) ?? 0) + 1)
  }
  const outputs = new Set(graph.outputs.map((o) => o.name))
  const values = new Map(graph.values)
  const replaced = new Map<IRNode, IRNode[]>()
  const dropped = new Set<IRNode>()
  let k = 0
  for (const n of graph.nodes) {
    if (n.op !== 'Transpose') continue
    const perm = n.attrs.perm && 'ints' in n.attrs.perm ? n.attrs.perm.ints : []
    if (perm.length !== 2 || perm[0] !== 1) continue
    const mm = producer.get(n.inputs[0]!)
    if (!mm || mm.op !== 'MatMul' || consumers.get(n.inputs[0]!) !== 1 || outputs.has(n.inputs[0]!)) continue
    const [p, q] = mm.inputs as [string, string]
    const sp = values.get(p)!.shape
    const sq = values.get(q)!.shape
    if (sp.length !== 2 || sq.length !== 2) continue
    const qt = `fuse/qt_${k}`
    const pt = `fuse/pt_${k++}`
    values.set(qt, {name: qt, dtype: 'float32', shape: [sq[1]!, sq[0]!]})
    values.set(pt, {name: pt, dtype: 'float32', shape: [sp[1]!, sp[0]!]})
    replaced.set(n, [
      {op: 'Transpose', inputs: [q], outputs: [qt], attrs: {perm: {ints: [1, 0]}}},
      {op: 'Transpose', inputs: [p], outputs: [pt], attrs: {perm: {ints: [1, 0]}}},
      {op: 'MatMul', inputs: [qt, pt], outputs: n.outputs, attrs: {}},
    ])
    dropped.add(mm)
  }
  if (replaced.size === 0) return graph
  const nodes: IRNode[] = []
  for (const n of graph.nodes) {
    if (dropped.has(n)) continue
    nodes.push(...(replaced.get(n) ?? [n]))
  }
  // Topological order: a replaced Transpose sits after its MatMul's inputs were produced.
  return optimiseGraph({...graph, nodes, values})
}
