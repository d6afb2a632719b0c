/**
 * The ONNX executor's public API: record a model written against Ops<T> into a Graph, encode it
 * as ONNX bytes, run it in onnxruntime-node.
 *
 *   const graph = recordGraph((ops, {x}) => ({y: model(ops, x)}), {
 *     inputs: [{name: 'x', shape: ['N', 'T', 17, 3]}], weights, mode: 'eval'})
 *   const runner = await createOnnxRunner(graph, {threads: 4})
 *   const {y} = await runner.run({x: input})
 *
 * Whole models: src/model/onnx-model.ts (forwardModelOnnx), kept out of this index because it
 * loads the model registry.
 */
export type {Graph, IRNode, Initializer, ValueInfo, IRDim} from './ir.js'
export type {InputSpec, Value} from './recorder.js'
export {OnnxRecorder} from './recorder.js'
export {lowerGraph, toOnnxBytes, DEFAULT_OPSET, type LowerOptions} from './lower.js'
export {createOnnxRunner, loadOnnxRuntime, onnxRuntimeAvailable, onnxSessionCounts, releaseIdleSessions, type OnnxRunner, type OnnxRunnerOptions} from './session.js'
export {optimiseGraph} from './optimise.js'

export {recordGraph, readOnnxMetadata, type RecordSpec, type BuildFn} from './record.js'
