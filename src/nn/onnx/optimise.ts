/**
 * Peephole passes over the recorded IR, before lowering. They only remove work the model code
 * spelled out for clarity; onnxruntime's own graph optimiser (level 'all') then fuses what is
 * left (MatMul+scale, Erf-GELU, Transpose+MatMul, bias adds).
 *
 *  - Transpose(Transpose(x, p), q) -> Transpose(x, p∘q), dropped when the result is the identity;
 *  - Reshape(Reshape(x, a), b) -> Reshape(x, b) (0 entries are only emitted with allowzero=1,
 *    so b never copies from the intermediate shape);
 *  - Reshape to the shape the value already has -> removed;
 *  - nodes and initializers nothing uses -> removed.
 */
import type {Graph, IRDim, IRNode, Initializer, ValueInfo} from './ir.js'

export function optimiseGraph(graph: Graph): Graph {
  let nodes = [...graph.nodes]
  const values = new Map(graph.values)
  const outputs = new Set(graph.outputs.map((o) => o.name))
  for (let changed = true; changed; ) {
    changed = false
    const producer = new Map<string, IRNode>()
    for (const n of nodes) for (const o of n.outputs) producer.set(o, n)
    const rename = new Map<string, string>()
    const next: IRNode[] = []
    for (const node of nodes) {
      const src = producer.get(node.inputs[0] ?? '')
      if (node.op === 'Transpose' && src?.op === 'Transpose') {
        const inner = (src.attrs.perm as {ints: number[]}).ints
        const outer = (node.attrs.perm as {ints: number[]}).ints
        const perm = outer.map((a) => inner[a]!)
        next.push({...node, inputs: [src.inputs[0]!], attrs: {perm: {ints: perm}}})
        changed = true
        continue
      }
      if (node.op === 'Transpose' && isIdentityPerm((node.attrs.perm as {ints: number[]}).ints) && !outputs.has(node.outputs[0]!)) {
        rename.set(node.outputs[0]!, node.inputs[0]!)
        changed = true
        continue
      }
      if (node.op === 'Reshape' && src?.op === 'Reshape') {
        next.push({...node, inputs: [src.inputs[0]!, node.inputs[1]!]})
        changed = true
        continue
      }
      if (node.op === 'Reshape' && !outputs.has(node.outputs[0]!)) {
        const from = values.get(node.inputs[0]!)
        const to = values.get(node.outputs[0]!)
        if (from && to && sameKnownShape(from.shape, to.shape)) {
          rename.set(node.outputs[0]!, node.inputs[0]!)
          changed = true
          continue
        }
      }
      next.push(node)
    }
    nodes = rename.size ? next.map((n) => ({...n, inputs: n.inputs.map((i) => resolve(rename, i))})) : next
    const pruned = removeDead(nodes, outputs)
    if (pruned.length !== nodes.length) changed = true
    nodes = pruned
  }
  const used = new Set<string>()
  for (const n of nodes) for (const i of n.inputs) used.add(i)
  const initializers = new Map<string, Initializer>()
  for (const [name, init] of graph.initializers) if (used.has(name) || outputs.has(name)) initializers.set(name, init)
  const live = new Map<string, ValueInfo>()
  for (const [name, v] of values) if (used.has(name) || outputs.has(name) || nodes.some((n) => n.outputs.includes(name))) live.set(name, v)
  return {...graph, nodes, initializers, values: live}
}

function resolve(rename: ReadonlyMap<string, string>, name: string): string {
  let n = name
  while (rename.has(n)) n = rename.get(n)!
  return n
}

function isIdentityPerm(perm: readonly number[]): boolean {
  return perm.every((a, i) => a === i)
}

/** Equal shapes whose every dim is a number or a named (not unknown) symbol. */
function sameKnownShape(a: readonly IRDim[], b: readonly IRDim[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i] && !(typeof d === 'string' && d.includes('?')))
}

/** Drop nodes none of whose outputs reach a graph output (Dropout etc. have no side effects). */
function removeDead(nodes: readonly IRNode[], outputs: ReadonlySet<string>): IRNode[] {
  const needed = new Set(outputs)
  const keep: boolean[] = new Array(nodes.length).fill(false)
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!
    if (n.outputs.some((o) => needed.has(o))) {
      keep[i] = true
      for (const inp of n.inputs) if (inp) needed.add(inp)
    }
  }
  return nodes.filter((_, i) => keep[i])
}
