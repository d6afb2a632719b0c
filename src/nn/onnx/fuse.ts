/**
 * Inference-only fusions, applied when an eval graph becomes an onnxruntime session (session.ts),
 * never to exported files (they stay standard ONNX) nor to training graphs (the gradient rules
 * know ONNX ops only).
 *
 * Multi-head attention written as the official code writes it —
 *
 *   qkv = x @ W + b                          [..., 3C]       (one Linear)
 *   r   = reshape(qkv, [L..., 3, H, c])                      (L: the token axes, e.g. [N, T, J])
 *   q, k, v = slices of transpose(r, P)      [batch..., S, c] (S: one of the L axes)
 *   o = softmax(q @ kᵀ * scale) @ v
 *   y = reshape(transpose(o, Q), [..., C])   (back to L order, heads concatenated)
 *
 * — becomes three MatMuls with the weight's column blocks and one com.microsoft
 * MultiHeadAttention, which adds the bias while laying out heads and runs a cache-blocked
 * (flash) attention on the CPU instead of writing the [.., S, S] scores to memory three times.
 * When S is not the last token axis (DSTformer's temporal attention, S = T of [N, T, J]), x is
 * transposed to [N, J, T, C] first and the output back, which moves C values per token instead
 * of the 3C of the qkv transpose it replaces. Same arithmetic up to float rounding (about 1e-7).
 */
import type {Graph, IRDim, IRNode, Initializer, ValueInfo} from './ir.js'
import {mulDims} from './ir.js'

const MS = 'com.microsoft'

export function fuseForInference(graph: Graph): Graph {
  return fuseAttention(graph)
}

interface Rewrite {
  /** Nodes the fused form replaces. */
  remove: Set<IRNode>
  /** Emitted where `anchor` (the final reshape) was. */
  anchor: IRNode
  add: IRNode[]
}

function fuseAttention(graph: Graph): Graph {
  const g = indexGraph(graph)
  const rewrites: Rewrite[] = []
  const claimed = new Set<IRNode>()
  for (const softmax of graph.nodes) {
    if (softmax.op !== 'Softmax') continue
    const match = matchAttention(g, softmax)
    const rw = match && emitAttention(g, match)
    if (rw && ![...rw.remove].some((n) => claimed.has(n))) {
      for (const n of rw.remove) claimed.add(n)
      rewrites.push(rw)
    }
  }
  if (rewrites.length === 0) return graph
  return applyRewrites(graph, g, rewrites)
}

/** The graph with each rewrite's nodes replaced by its fused form, and initializers nobody reads dropped. */
function applyRewrites(graph: Graph, g: GraphIndex, rewrites: Rewrite[]): Graph {
  const {outputs, initializers, values} = g
  const removed = new Set<IRNode>()
  const byAnchor = new Map<IRNode, IRNode[]>()
  for (const rw of rewrites) {
    for (const n of rw.remove) removed.add(n)
    byAnchor.set(rw.anchor, rw.add)
  }
  const nodes: IRNode[] = []
  for (const n of graph.nodes) {
    const added = byAnchor.get(n)
    if (added) nodes.push(...added)
    else if (!removed.has(n)) nodes.push(n)
  }
  // Drop initializers only the replaced nodes read (the fused qkv weight lives on as column blocks).
  const used = new Set<string>()
  for (const n of nodes) for (const i of n.inputs) used.add(i)
  for (const o of outputs) used.add(o)
  for (const name of [...initializers.keys()]) if (!used.has(name)) initializers.delete(name)
  for (const name of [...values.keys()]) if (!used.has(name) && !nodes.some((n) => n.outputs.includes(name))) values.delete(name)
  return {...graph, nodes, initializers, values}
}

/** Where one attention block sits in the graph (see the module comment for the pattern). */
interface AttentionMatch {
  softmax: IRNode
  scores: IRNode
  av: IRNode
  kt: IRNode
  split: IRNode
  splitUsers: IRNode[]
  pieces: [SplitPiece, SplitPiece, SplitPiece]
  r: IRNode
  rShape: IRDim[]
  rEntries: (number | 'dyn')[]
  nL: number
  seq: number
  seqEntry: number | 'dyn'
  heads: number
  C: number
  scale: number
  linear: IRNode
  weight: Initializer
  bias: string | undefined
  x: string
  ot: IRNode
  merged: IRNode
}

function matchAttention(g: GraphIndex, softmax: IRNode): AttentionMatch | undefined {
  const {producer, consumers, outputs, values, onlyUse, init, shapeEntries, splitPiece} = g
  const sIn = values.get(softmax.inputs[0]!)
  if (!sIn) return undefined
  const axis = (softmax.attrs.axis as {i: number} | undefined)?.i ?? -1
  if (axis !== -1 && axis !== sIn.shape.length - 1) return undefined
  // scores * scale (optional)
  let scores = producer.get(softmax.inputs[0]!)
  let scale = 1
  if (scores?.op === 'Mul') {
    const [a, b] = scores.inputs as [string, string]
    const constName = [a, b].find((n) => init(n)?.data instanceof Float32Array && init(n)!.data.length === 1)
    if (!constName || !onlyUse(scores.outputs[0]!)) return undefined
    scale = (init(constName)!.data as Float32Array)[0]!
    scores = producer.get(constName === a ? b : a)
  }
  if (scores?.op !== 'MatMul' || !onlyUse(scores.outputs[0]!)) return undefined
  const av = onlyUse(softmax.outputs[0]!)
  if (av?.op !== 'MatMul' || av.inputs[0] !== softmax.outputs[0]) return undefined
  const kt = producer.get(scores.inputs[1]!)
  if (kt?.op !== 'Transpose' || !onlyUse(kt.outputs[0]!)) return undefined
  const ktPerm = (kt.attrs.perm as {ints: number[]}).ints
  const rank = ktPerm.length
  if (!ktPerm.every((p, i) => (i < rank - 2 ? p === i : p === (i === rank - 2 ? rank - 1 : rank - 2)))) return undefined

  // q, k, v: reshape(slice(transpose(reshape(qkv)), 0, i:i+1)) from one split
  const pieces = [scores.inputs[0]!, kt.inputs[0]!, av.inputs[1]!].map((name) => splitPiece(name))
  if (pieces.some((p) => !p)) return undefined
  const [pq, pk, pv] = pieces as SplitPiece[]
  if (pq.index !== 0 || pk.index !== 1 || pv.index !== 2 || pq.split !== pk.split || pq.split !== pv.split) return undefined
  const split = pq.split
  const splitUsers = consumers.get(split.outputs[0]!) ?? []
  if (splitUsers.length !== 3 || outputs.has(split.outputs[0]!)) return undefined
  const r = producer.get(split.inputs[0]!)
  if (r?.op !== 'Reshape' || !onlyUse(r.outputs[0]!) || r.attrs.allowzero) return undefined
  const rShape = values.get(r.outputs[0]!)?.shape
  if (!rShape || rShape.length < 4) return undefined
  const nL = rShape.length - 3
  const [three, heads, headSize] = rShape.slice(nL) as [IRDim, IRDim, IRDim]
  if (three !== 3 || typeof heads !== 'number' || typeof headSize !== 'number') return undefined
  const C = heads * headSize
  const P = (split.attrs.perm as {ints: number[]}).ints
  if (P[0] !== nL || P[P.length - 1] !== nL + 2) return undefined
  const qAxes = P.slice(1) // R axes of q's layout
  const seq = qAxes[qAxes.length - 2]!
  if (seq >= nL) return undefined

  // qkv = x @ W (+ b), W an initializer [C, 3C]
  let linear = producer.get(r.inputs[0]!)
  let bias: string | undefined
  if (linear?.op === 'Add') {
    if (!onlyUse(linear.outputs[0]!)) return undefined
    const [a, b] = linear.inputs as [string, string]
    bias = [a, b].find((n) => init(n)?.shape.length === 1 && init(n)?.shape[0] === 3 * C)
    if (!bias) return undefined
    linear = producer.get(bias === a ? b : a)
  }
  if (linear?.op !== 'MatMul' || !onlyUse(linear.outputs[0]!)) return undefined
  const weight = init(linear.inputs[1]!)
  if (!weight || !(weight.data instanceof Float32Array) || weight.shape.length !== 2 || weight.shape[0] !== C || weight.shape[1] !== 3 * C) return undefined
  const x = linear.inputs[0]!
  const xInfo = values.get(x)
  if (!xInfo || xInfo.shape[xInfo.shape.length - 1] !== C || mulDims(xInfo.shape.slice(0, -1)) !== mulDims(rShape.slice(0, nL))) return undefined

  // output: reshape(transpose(o, Q)) must be L order then (H, c)
  const ot = onlyUse(av.outputs[0]!)
  if (ot?.op !== 'Transpose') return undefined
  const merged = onlyUse(ot.outputs[0]!)
  if (merged?.op !== 'Reshape' || merged.attrs.allowzero) return undefined
  const outAxes = (ot.attrs.perm as {ints: number[]}).ints.map((i) => qAxes[i]!)
  // L axes in order, then H and c (R axis nL is the dropped '3')
  if (!outAxes.every((a, i) => a === (i < nL ? i : i + 1))) return undefined
  const mergedShape = values.get(merged.outputs[0]!)?.shape
  if (!mergedShape || mergedShape[mergedShape.length - 1] !== C || mulDims(mergedShape.slice(0, -1)) !== mulDims(rShape.slice(0, nL))) return undefined

  // the shape tensor of r tells the token axes' sizes; the sequence size must not be -1 or 0
  const rEntries = shapeEntries(r.inputs[1]!)
  if (!rEntries || rEntries.length !== rShape.length) return undefined
  const seqEntry = rEntries[seq]!
  if (seqEntry === -1 || seqEntry === 0 || rEntries.some((e) => e === 0)) return undefined

  return {softmax, scores, av, kt, split, splitUsers, pieces: [pq, pk, pv], r, rShape: [...rShape], rEntries, nL, seq, seqEntry, heads, C, scale, linear, weight, bias, x, ot, merged}
}

/** The fused form of a matched attention block: three MatMuls and one com.microsoft MultiHeadAttention. */
function emitAttention(g: GraphIndex, m: AttentionMatch): Rewrite {
  const {producer, fresh, intConst, value, columnBlock} = g
  const {softmax, scores, av, kt, split, splitUsers, r, rShape, rEntries, nL, seq, seqEntry, heads, C, scale, linear, weight, bias, x, ot, merged} = m
  const [pq, pk, pv] = m.pieces
  const add: IRNode[] = []
  const node = (op: string, inputs: string[], out: string, attrs: IRNode['attrs'] = {}, domain?: string): string => {
    add.push({op, inputs, outputs: [out], attrs, ...(domain ? {domain} : {})})
    return out
  }
  const seqDim = rShape[seq]!
  const others = Array.from({length: nL}, (_, i) => i).filter((i) => i !== seq)
  const gatherShape = (axes: number[]): string => {
    const known = axes.map((a) => rEntries[a]!)
    if (known.every((e): e is number => typeof e === 'number')) return intConst([...known, C])
    const g = node('Gather', [r.inputs[1]!, intConst(axes)], value(fresh('dims'), [axes.length], 'int64'), {axis: {i: 0}})
    return node('Concat', [g, intConst([C])], value(fresh('shape'), [axes.length + 1], 'int64'), {axis: {i: 0}})
  }
  // x as [batch', S, C]
  let x3: string
  let back: ((o: string) => string) | undefined
  const bsd = [mulDims(others.map((a) => rShape[a]!)), seqDim, C]
  if (seq === nL - 1) {
    x3 = node('Reshape', [x, shape3()], value(fresh('x'), bsd))
  } else {
    const xL = node('Reshape', [x, gatherShape(Array.from({length: nL}, (_, i) => i))], value(fresh('x'), [...rShape.slice(0, nL), C]))
    const permIn = [...others, seq, nL]
    const xT = node('Transpose', [xL], value(fresh('x'), [...permIn.map((a) => (a === nL ? C : rShape[a]!))]), {perm: {ints: permIn}})
    x3 = node('Reshape', [xT, shape3()], value(fresh('x'), bsd))
    back = (o) => {
      const oL = node('Reshape', [o, gatherShape([...others, seq])], value(fresh('o'), [...others.map((a) => rShape[a]!), seqDim, C]))
      const inverse = permIn.map((_, i) => permIn.indexOf(i))
      return node('Transpose', [oL], value(fresh('o'), [...rShape.slice(0, nL), C]), {perm: {ints: inverse}})
    }
  }
  const [wq, wk, wv] = [0, 1, 2].map((i) => columnBlock(weight, i, C))
  const proj = [wq!, wk!, wv!].map((w) => node('MatMul', [x3, w], value(fresh('qkv'), bsd)))
  const attnInputs = bias ? [...proj, bias] : proj
  const o = node('MultiHeadAttention', attnInputs, value(fresh('attn'), bsd), {num_heads: {i: heads}, scale: {f: scale}}, MS)
  const last = back ? back(o) : o
  add.push({op: 'Reshape', inputs: [last, merged.inputs[1]!], outputs: [merged.outputs[0]!], attrs: {}})

  const remove = new Set<IRNode>([softmax, scores, av, kt, split, r, linear, ot, merged, ...splitUsers, pq.reshape, pk.reshape, pv.reshape])
  const mul = producer.get(softmax.inputs[0]!)
  if (mul && mul !== scores) remove.add(mul)
  const addBias = producer.get(r.inputs[0]!)
  if (addBias && addBias !== linear) remove.add(addBias)
  return {remove, anchor: merged, add}

  function shape3(): string {
    return typeof seqEntry === 'number' ? intConst([-1, seqEntry, C]) : node('Concat', [intConst([-1]), node('Gather', [r!.inputs[1]!, intConst([seq])], value(fresh('dims'), [1], 'int64'), {axis: {i: 0}}), intConst([C])], value(fresh('shape'), [3], 'int64'), {axis: {i: 0}})
  }
}

/** One of q, k, v: a slice of the split transpose, reshaped. */
interface SplitPiece {
  index: number
  split: IRNode
  reshape: IRNode
}

/** Lookups over one graph that the matcher and the rewriter share; new initializers and values go into its maps. */
function indexGraph(graph: Graph) {
  const producer = new Map<string, IRNode>()
  const consumers = new Map<string, IRNode[]>()
  for (const n of graph.nodes) {
    for (const o of n.outputs) producer.set(o, n)
    for (const i of n.inputs) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n])
  }
  const outputs = new Set(graph.outputs.map((o) => o.name))
  const initializers = new Map(graph.initializers)
  const values = new Map(graph.values)
  let counter = 0
  const fresh = (p: string): string => `fuse_${p}_${counter++}`

  const onlyUse = (name: string): IRNode | undefined => {
    const c = consumers.get(name)
    return c && c.length === 1 && !outputs.has(name) ? c[0] : undefined
  }
  const init = (name: string): Initializer | undefined => initializers.get(name)
  const ints = (name: string | undefined): number[] | undefined => {
    const t = name ? init(name) : undefined
    return t && t.data instanceof BigInt64Array ? Array.from(t.data, Number) : undefined
  }
  const intConst = (vals: readonly number[]): string => {
    const name = fresh('shape')
    initializers.set(name, {name, dtype: 'int64', shape: [vals.length], data: BigInt64Array.from(vals.map(BigInt))})
    values.set(name, {name, dtype: 'int64', shape: [vals.length]})
    return name
  }
  const value = (name: string, shape: readonly IRDim[], dtype: ValueInfo['dtype'] = 'float32'): string => {
    values.set(name, {name, dtype, shape: [...shape]})
    return name
  }
  /** Entries of an int64 shape tensor: a number when known, 'dyn' for a run-time (positive) size. */
  const shapeEntries = (name: string): (number | 'dyn')[] | undefined => {
    const direct = ints(name)
    if (direct) return direct
    const p = producer.get(name)
    if (p?.op !== 'Concat') return undefined
    const out: (number | 'dyn')[] = []
    for (const i of p.inputs) {
      const c = ints(i)
      if (c) out.push(...c)
      else if (producer.get(i)?.op === 'Shape' && values.get(i)?.shape[0] === 1) out.push('dyn')
      else return undefined
    }
    return out
  }
  return {producer, consumers, outputs, initializers, values, fresh, onlyUse, init, ints, intConst, value, shapeEntries, splitPiece, columnBlock}


  /** `name` = Reshape(Slice(T, axis 0, i:i+1)) dropping the leading 1, T a Transpose output. */
  function splitPiece(name: string): SplitPiece | undefined {
    const reshape = producer.get(name)
    if (reshape?.op !== 'Reshape' || !onlyUse(name)) return undefined
    const slice = producer.get(reshape.inputs[0]!)
    if (slice?.op !== 'Slice' || !onlyUse(slice.outputs[0]!) || slice.inputs.length > 4) return undefined
    const [starts, ends, axes] = [ints(slice.inputs[1]), ints(slice.inputs[2]), ints(slice.inputs[3])]
    if (!starts || !ends || !axes || axes.length !== 1 || axes[0] !== 0 || ends[0] !== starts[0]! + 1) return undefined
    const split = producer.get(slice.inputs[0]!)
    if (split?.op !== 'Transpose') return undefined
    const sliced = values.get(slice.outputs[0]!)?.shape
    const reshaped = values.get(name)?.shape
    if (!sliced || !reshaped || reshaped.length !== sliced.length - 1 || sliced[0] !== 1) return undefined
    return {index: starts[0]!, split, reshape}
  }

  /** Columns [i*C, (i+1)*C) of a [C, 3C] weight as a new [C, C] initializer. */
  function columnBlock(w: Initializer, i: number, C: number): string {
    const name = `${w.name}[${i}]`
    if (!initializers.has(name)) {
      const src = w.data as Float32Array
      const out = new Float32Array(C * C)
      for (let row = 0; row < C; row++) out.set(src.subarray(row * 3 * C + i * C, row * 3 * C + (i + 1) * C), row * C)
      initializers.set(name, {name, dtype: 'float32', shape: [C, C], data: out})
      values.set(name, {name, dtype: 'float32', shape: [C, C]})
    }
    return name
  }
}

type GraphIndex = ReturnType<typeof indexGraph>
