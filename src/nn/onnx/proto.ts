/**
 * The part of onnx.proto (github.com/onnx/onnx, onnx/onnx.proto) this tool writes. Field numbers
 * and enum values are those of onnx.proto; names are kept. encodeModel writes the protobuf wire
 * format itself (every predict records and encodes its model, and protobufjs cost more than the
 * rest of that together: ~60 ms to load and ~100 ms to encode the bundled model, on a loaded
 * machine); decodeModel reads with protobufjs, loaded on first use, from the schema below.
 */
import {createRequire} from 'node:module'
import type protobufTypes from 'protobufjs/light.js'

/** TensorProto.DataType values. */
export const DataType = {FLOAT: 1, UINT8: 2, INT32: 6, INT64: 7, BOOL: 9} as const

/** AttributeProto.AttributeType values. */
export const AttributeType = {FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7, STRINGS: 8} as const

export interface TensorProto {
  name: string
  dims: number[]
  data_type: number
  raw_data: Uint8Array
}

export interface AttributeProto {
  name: string
  type: number
  f?: number
  i?: number
  s?: Uint8Array
  t?: TensorProto
  floats?: number[]
  ints?: number[]
}

export interface NodeProto {
  input: string[]
  output: string[]
  name: string
  op_type: string
  domain?: string
  attribute: AttributeProto[]
}

export interface DimensionProto {
  dim_value?: number
  dim_param?: string
}

export interface ValueInfoProto {
  name: string
  type: {tensor_type: {elem_type: number; shape: {dim: DimensionProto[]}}}
}

export interface GraphProto {
  node: NodeProto[]
  name: string
  initializer: TensorProto[]
  input: ValueInfoProto[]
  output: ValueInfoProto[]
  value_info?: ValueInfoProto[]
}

export interface ModelProto {
  ir_version: number
  opset_import: {domain: string; version: number}[]
  producer_name: string
  producer_version: string
  doc_string?: string
  graph: GraphProto
  metadata_props: {key: string; value: string}[]
}

const repeated = (type: string, id: number) => ({rule: 'repeated', type, id})

const schema = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            ir_version: {type: 'int64', id: 1},
            opset_import: repeated('OperatorSetIdProto', 8),
            producer_name: {type: 'string', id: 2},
            producer_version: {type: 'string', id: 3},
            domain: {type: 'string', id: 4},
            model_version: {type: 'int64', id: 5},
            doc_string: {type: 'string', id: 6},
            graph: {type: 'GraphProto', id: 7},
            metadata_props: repeated('StringStringEntryProto', 14),
          },
        },
        OperatorSetIdProto: {fields: {domain: {type: 'string', id: 1}, version: {type: 'int64', id: 2}}},
        StringStringEntryProto: {fields: {key: {type: 'string', id: 1}, value: {type: 'string', id: 2}}},
        GraphProto: {
          fields: {
            node: repeated('NodeProto', 1),
            name: {type: 'string', id: 2},
            initializer: repeated('TensorProto', 5),
            doc_string: {type: 'string', id: 10},
            input: repeated('ValueInfoProto', 11),
            output: repeated('ValueInfoProto', 12),
            value_info: repeated('ValueInfoProto', 13),
          },
        },
        NodeProto: {
          fields: {
            input: repeated('string', 1),
            output: repeated('string', 2),
            name: {type: 'string', id: 3},
            op_type: {type: 'string', id: 4},
            attribute: repeated('AttributeProto', 5),
            doc_string: {type: 'string', id: 6},
            domain: {type: 'string', id: 7},
          },
        },
        AttributeProto: {
          fields: {
            name: {type: 'string', id: 1},
            f: {type: 'float', id: 2},
            i: {type: 'int64', id: 3},
            s: {type: 'bytes', id: 4},
            t: {type: 'TensorProto', id: 5},
            g: {type: 'GraphProto', id: 6},
            floats: {...repeated('float', 7), options: {packed: true}},
            ints: {...repeated('int64', 8), options: {packed: true}},
            strings: repeated('bytes', 9),
            tensors: repeated('TensorProto', 10),
            doc_string: {type: 'string', id: 13},
            type: {type: 'int32', id: 20},
            ref_attr_name: {type: 'string', id: 21},
          },
        },
        TensorProto: {
          fields: {
            dims: {...repeated('int64', 1), options: {packed: true}},
            data_type: {type: 'int32', id: 2},
            float_data: {...repeated('float', 4), options: {packed: true}},
            int32_data: {...repeated('int32', 5), options: {packed: true}},
            int64_data: {...repeated('int64', 7), options: {packed: true}},
            name: {type: 'string', id: 8},
            raw_data: {type: 'bytes', id: 9},
            doc_string: {type: 'string', id: 12},
          },
        },
        ValueInfoProto: {
          fields: {name: {type: 'string', id: 1}, type: {type: 'TypeProto', id: 2}, doc_string: {type: 'string', id: 3}},
        },
        TypeProto: {
          fields: {tensor_type: {type: 'Tensor', id: 1}, denotation: {type: 'string', id: 6}},
          nested: {
            Tensor: {fields: {elem_type: {type: 'int32', id: 1}, shape: {type: 'TensorShapeProto', id: 2}}},
          },
        },
        TensorShapeProto: {
          fields: {dim: repeated('Dimension', 1)},
          nested: {
            Dimension: {
              oneofs: {value: {oneof: ['dim_value', 'dim_param']}},
              fields: {dim_value: {type: 'int64', id: 1}, dim_param: {type: 'string', id: 2}, denotation: {type: 'string', id: 3}},
            },
          },
        },
      },
    },
  },
}

let modelType: protobufTypes.Type | undefined

function model(): protobufTypes.Type {
  if (!modelType) {
    const protobuf = createRequire(import.meta.url)('protobufjs/light.js') as typeof protobufTypes
    modelType = protobuf.Root.fromJSON(schema).lookupType('onnx.ModelProto')
  }
  return modelType
}

/** The ONNX file bytes of `m` (fields in field-number order, as protobuf encoders write them). */
export function encodeModel(m: ModelProto): Uint8Array {
  return Encoder.encode(m, writeModel)
}

/** Decode bytes written by encodeModel (or any ONNX model; fields outside the schema are skipped). */
export function decodeModel(bytes: Uint8Array): ModelProto {
  const msg = model().decode(bytes)
  return model().toObject(msg, {longs: Number, arrays: true}) as unknown as ModelProto
}

// ---- the wire format --------------------------------------------------------------------------

const VARINT = 0
const LENGTH_DELIMITED = 2
const FIXED32 = 5

function writeModel(w: Encoder, m: ModelProto): void {
  w.varintField(1, m.ir_version)
  w.stringField(2, m.producer_name)
  w.stringField(3, m.producer_version)
  w.stringField(6, m.doc_string)
  w.messageField(7, m.graph, writeGraph)
  for (const o of m.opset_import) w.messageField(8, o, writeOpset)
  for (const e of m.metadata_props) w.messageField(14, e, writeEntry)
}

function writeOpset(w: Encoder, o: ModelProto['opset_import'][number]): void {
  w.stringField(1, o.domain)
  w.varintField(2, o.version)
}

function writeEntry(w: Encoder, e: ModelProto['metadata_props'][number]): void {
  w.stringField(1, e.key)
  w.stringField(2, e.value)
}

function writeGraph(w: Encoder, g: GraphProto): void {
  for (const n of g.node) w.messageField(1, n, writeNode)
  w.stringField(2, g.name)
  for (const t of g.initializer) w.messageField(5, t, writeTensor)
  for (const v of g.input) w.messageField(11, v, writeValueInfo)
  for (const v of g.output) w.messageField(12, v, writeValueInfo)
  for (const v of g.value_info ?? []) w.messageField(13, v, writeValueInfo)
}

function writeNode(w: Encoder, n: NodeProto): void {
  for (const s of n.input) w.stringField(1, s)
  for (const s of n.output) w.stringField(2, s)
  w.stringField(3, n.name)
  w.stringField(4, n.op_type)
  for (const a of n.attribute) w.messageField(5, a, writeAttribute)
  w.stringField(7, n.domain)
}

function writeAttribute(w: Encoder, a: AttributeProto): void {
  w.stringField(1, a.name)
  w.floatField(2, a.f)
  w.varintField(3, a.i)
  w.bytesField(4, a.s)
  w.messageField(5, a.t, writeTensor)
  w.packedFloats(7, a.floats)
  w.packedVarints(8, a.ints)
  w.varintField(20, a.type)
}

function writeTensor(w: Encoder, t: TensorProto): void {
  w.packedVarints(1, t.dims)
  w.varintField(2, t.data_type)
  w.stringField(8, t.name)
  w.bytesField(9, t.raw_data)
}

function writeValueInfo(w: Encoder, v: ValueInfoProto): void {
  w.stringField(1, v.name)
  w.messageField(2, v.type, writeType)
}

function writeType(w: Encoder, t: ValueInfoProto['type']): void {
  w.messageField(1, t.tensor_type, writeTensorType)
}

function writeTensorType(w: Encoder, t: ValueInfoProto['type']['tensor_type']): void {
  w.varintField(1, t.elem_type)
  w.messageField(2, t.shape, writeShape)
}

function writeShape(w: Encoder, s: ValueInfoProto['type']['tensor_type']['shape']): void {
  for (const d of s.dim) w.messageField(1, d, writeDim)
}

function writeDim(w: Encoder, d: DimensionProto): void {
  w.varintField(1, d.dim_value)
  w.stringField(2, d.dim_param)
}

const utf8 = new TextEncoder()

/**
 * Two passes over the message: the first adds up the size of everything (keeping each nested
 * message's length, in the order they come), the second writes into one buffer of exactly that
 * size. Fields are written only when set (not undefined or null), as protobufjs writes optional
 * fields; repeated numbers are packed.
 */
class Encoder {
  private sizing = true
  private size = 0
  /** Nested message lengths in pre-order; the writing pass reads them back in the same order. */
  private readonly lengths: number[] = []
  private next = 0
  private buf = new Uint8Array(0)
  private view = new DataView(this.buf.buffer)
  private pos = 0

  static encode<T>(value: T, write: (w: Encoder, value: T) => void): Uint8Array {
    const w = new Encoder()
    write(w, value)
    w.sizing = false
    w.buf = new Uint8Array(w.size)
    w.view = new DataView(w.buf.buffer)
    write(w, value)
    if (w.pos !== w.size) throw new Error(`protobuf encoder: wrote ${w.pos} bytes of ${w.size}`)
    return w.buf
  }

  varintField(field: number, value: number | undefined | null): void {
    if (value === undefined || value === null) return
    this.tag(field, VARINT)
    this.varint(value)
  }

  floatField(field: number, value: number | undefined | null): void {
    if (value === undefined || value === null) return
    this.tag(field, FIXED32)
    this.float(value)
  }

  stringField(field: number, value: string | undefined | null): void {
    if (value === undefined || value === null) return
    this.tag(field, LENGTH_DELIMITED)
    const n = utf8Length(value)
    this.varint(n)
    if (this.sizing) {
      this.size += n
    } else {
      const {written} = utf8.encodeInto(value, this.buf.subarray(this.pos, this.pos + n))
      this.pos += written
    }
  }

  bytesField(field: number, value: Uint8Array | undefined | null): void {
    if (value === undefined || value === null) return
    this.tag(field, LENGTH_DELIMITED)
    this.varint(value.length)
    if (this.sizing) {
      this.size += value.length
    } else {
      this.buf.set(value, this.pos)
      this.pos += value.length
    }
  }

  packedVarints(field: number, values: readonly number[] | undefined | null): void {
    if (!values?.length) return
    this.tag(field, LENGTH_DELIMITED)
    let n = 0
    for (const v of values) n += varintLength(v)
    this.varint(n)
    for (const v of values) this.varint(v)
  }

  packedFloats(field: number, values: readonly number[] | undefined | null): void {
    if (!values?.length) return
    this.tag(field, LENGTH_DELIMITED)
    this.varint(values.length * 4)
    for (const v of values) this.float(v)
  }

  messageField<T>(field: number, value: T | undefined | null, write: (w: Encoder, value: T) => void): void {
    if (value === undefined || value === null) return
    this.tag(field, LENGTH_DELIMITED)
    if (this.sizing) {
      const slot = this.lengths.push(0) - 1
      const before = this.size
      write(this, value)
      const n = this.size - before
      this.lengths[slot] = n
      this.size += varintLength(n)
    } else {
      this.varint(this.lengths[this.next++]!)
      write(this, value)
    }
  }

  private tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType)
  }

  /** An int32/int64/enum value; negative values take ten bytes (two's complement), as protobuf's int64. */
  private varint(value: number): void {
    if (this.sizing) {
      this.size += varintLength(value)
      return
    }
    if (value < 0) {
      let v = BigInt.asUintN(64, BigInt(value))
      while (v >= 0x80n) {
        this.buf[this.pos++] = Number(v & 0x7fn) | 0x80
        v >>= 7n
      }
      this.buf[this.pos++] = Number(v)
      return
    }
    let v = value
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80
      v = Math.floor(v / 0x80)
    }
    this.buf[this.pos++] = v
  }

  private float(value: number): void {
    if (this.sizing) {
      this.size += 4
      return
    }
    this.view.setFloat32(this.pos, value, true)
    this.pos += 4
  }
}

function varintLength(value: number): number {
  if (!Number.isSafeInteger(value)) throw new RangeError(`protobuf varint: ${value} is not a safe integer`)
  if (value < 0) return 10
  let n = 1
  for (let v = value; v >= 0x80; v = Math.floor(v / 0x80)) n++
  return n
}

/** Bytes of `s` in UTF-8 (a lone surrogate counts 3, as TextEncoder writes U+FFFD for it). */
function utf8Length(s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4
      i++
    } else n += 3
  }
  return n
}
