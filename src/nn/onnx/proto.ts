/**
 * The part of onnx.proto (github.com/onnx/onnx, onnx/onnx.proto) this tool writes, defined in
 * code for protobufjs. Field numbers and enum values are those of onnx.proto; names are kept.
 */
import protobuf from 'protobufjs/light.js'

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

let modelType: protobuf.Type | undefined

function model(): protobuf.Type {
  modelType ??= protobuf.Root.fromJSON(schema).lookupType('onnx.ModelProto')
  return modelType
}

export function encodeModel(m: ModelProto): Uint8Array {
  return model().encode(m).finish()
}

/** Decode bytes written by encodeModel (or any ONNX model; fields outside the schema are skipped). */
export function decodeModel(bytes: Uint8Array): ModelProto {
  const msg = model().decode(bytes)
  return model().toObject(msg, {longs: Number, arrays: true}) as unknown as ModelProto
}
