/** Recording a model function into a Graph (see index.ts for the public API). */
import type {NDArray} from '../../core/ndarray.js'
import type {Mode, Ops} from '../ops.js'
import type {Graph} from './ir.js'
import {optimiseGraph} from './optimise.js'
import {decodeModel} from './proto.js'
import {type InputSpec, OnnxRecorder, type Value} from './recorder.js'

export interface RecordSpec {
  inputs: readonly InputSpec[]
  weights: ReadonlyMap<string, NDArray>
  mode?: Mode
  /** Run the peephole passes of optimise.ts (default true). */
  optimise?: boolean
}

export type BuildFn = (ops: Ops<Value>, inputs: Record<string, Value>) => Record<string, Value>

/** Record `build` once into a graph with the given inputs (static sizes or named dynamic axes). */
export function recordGraph(build: BuildFn, spec: RecordSpec): Graph {
  const rec = new OnnxRecorder(spec.weights, spec.mode ?? 'eval')
  const inputs: Record<string, Value> = {}
  for (const s of spec.inputs) inputs[s.name] = rec.addInput(s)
  const graph = rec.finish(build(rec, inputs))
  return spec.optimise === false ? graph : optimiseGraph(graph)
}

/** The metadata_props of ONNX model bytes (onnxruntime-node does not expose them). */
export function readOnnxMetadata(bytes: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {}
  for (const {key, value} of decodeModel(bytes).metadata_props ?? []) out[key] = value
  return out
}
