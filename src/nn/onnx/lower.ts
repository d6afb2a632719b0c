/**
 * Lowering: the recorded IR (ir.ts) to an ONNX ModelProto (proto.ts) and its bytes.
 * Most IR nodes are ONNX nodes already; lowering rewrites the two IR-level conventions
 * (ReduceSum axes as an input, Gelu as Erf decomposition below opset 20) and encodes tensors.
 */
import {type Attr, type Graph, type IRDType, type IRNode, type Initializer, type ValueInfo, isUnknownDim} from './ir.js'
import {
  type AttributeProto,
  AttributeType,
  DataType,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
  encodeModel,
} from './proto.js'

/**
 * Default opset. 17 has LayerNormalization; GELU is emitted as its Erf decomposition, which
 * onnxruntime fuses into one Gelu kernel (measured: as fast as opset 20's Gelu, see optimise notes).
 */
export const DEFAULT_OPSET = 17

export interface LowerOptions {
  /** Key/value pairs stored as ModelProto.metadata_props (readable via session metadata). */
  metadata?: Readonly<Record<string, string>>
  opset?: number
  graphName?: string
  producerVersion?: string
}

const ELEM_TYPE: Record<IRDType, number> = {float32: DataType.FLOAT, int64: DataType.INT64, bool: DataType.BOOL}

export function lowerGraph(graph: Graph, opts: LowerOptions = {}): ModelProto {
  const opset = opts.opset ?? DEFAULT_OPSET
  const nodes: NodeProto[] = []
  const extra: TensorProto[] = []
  let counter = 0
  const constTensor = (dtype: IRDType, shape: number[], data: Float32Array | BigInt64Array): string => {
    const name = `lower_const_${counter++}`
    extra.push(tensorProto({name, dtype, shape, data}))
    return name
  }
  const domains = new Set<string>()
  const push = (op: string, inputs: readonly string[], outputs: readonly string[], attrs: Readonly<Record<string, Attr>> = {}, domain?: string): void => {
    if (domain) domains.add(domain)
    nodes.push({
      input: [...inputs],
      output: [...outputs],
      name: `${op}_${nodes.length}`,
      op_type: op,
      ...(domain ? {domain} : {}),
      attribute: Object.entries(attrs).map(([name, a]) => attributeProto(name, a)),
    })
  }

  for (const node of graph.nodes) lowerNode(node)

  function lowerNode(node: IRNode): void {
    const [x] = node.inputs
    const [y] = node.outputs
    if (node.op === 'ReduceSum' || (opset >= 18 && (node.op === 'ReduceMean' || node.op === 'ReduceMax'))) {
      const {axes, ...rest} = node.attrs
      const axesName = constTensor('int64', [(axes as {ints: number[]}).ints.length], BigInt64Array.from((axes as {ints: number[]}).ints.map(BigInt)))
      push(node.op, [x!, axesName], [y!], rest)
      return
    }
    if (node.op === 'Gelu' && opset < 20) {
      // 0.5 * x * (1 + erf(x / sqrt(2))), in the order onnxruntime's GeluFusion recognises.
      const t = `${y}_gelu`
      push('Div', [x!, constTensor('float32', [], new Float32Array([Math.SQRT2]))], [`${t}_div`])
      push('Erf', [`${t}_div`], [`${t}_erf`])
      push('Add', [`${t}_erf`, constTensor('float32', [], new Float32Array([1]))], [`${t}_add`])
      push('Mul', [x!, `${t}_add`], [`${t}_mul`])
      push('Mul', [`${t}_mul`, constTensor('float32', [], new Float32Array([0.5]))], [y!])
      return
    }
    push(node.op, node.inputs, node.outputs, node.attrs, node.domain)
  }

  return {
    ir_version: opset >= 21 ? 10 : opset >= 19 ? 9 : 8,
    // Contrib ops (com.microsoft, from inference fusions) are at version 1 of their domain.
    opset_import: [{domain: '', version: opset}, ...[...domains].map((domain) => ({domain, version: 1}))],
    producer_name: 'motion',
    producer_version: opts.producerVersion ?? '0.1.0',
    graph: {
      node: nodes,
      name: opts.graphName ?? 'motion',
      initializer: [...[...graph.initializers.values()].map(tensorProto), ...extra],
      input: graph.inputs.map(valueInfoProto),
      output: graph.outputs.map(valueInfoProto),
    },
    metadata_props: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({key, value})),
  }
}

/** The ONNX file bytes for a recorded graph. */
export function toOnnxBytes(graph: Graph, opts: LowerOptions = {}): Uint8Array {
  return encodeModel(lowerGraph(graph, opts))
}

function tensorProto(init: Pick<Initializer, 'name' | 'dtype' | 'shape' | 'data'>): TensorProto {
  // raw_data is little-endian, as typed arrays are on every platform Node runs on here.
  const d = init.data
  return {
    name: init.name,
    dims: [...init.shape],
    data_type: ELEM_TYPE[init.dtype],
    raw_data: new Uint8Array(d.buffer, d.byteOffset, d.byteLength),
  }
}

function valueInfoProto(v: ValueInfo): ValueInfoProto {
  return {
    name: v.name,
    type: {
      tensor_type: {
        elem_type: ELEM_TYPE[v.dtype],
        shape: {dim: v.shape.map((d) => (typeof d === 'number' ? {dim_value: d} : isUnknownDim(d) ? {} : {dim_param: d}))},
      },
    },
  }
}

function attributeProto(name: string, a: Attr): AttributeProto {
  if ('i' in a) return {name, type: AttributeType.INT, i: a.i}
  if ('f' in a) return {name, type: AttributeType.FLOAT, f: a.f}
  if ('ints' in a) return {name, type: AttributeType.INTS, ints: [...a.ints]}
  if ('floats' in a) return {name, type: AttributeType.FLOATS, floats: [...a.floats]}
  return {name, type: AttributeType.STRING, s: new TextEncoder().encode(a.s)}
}
