/**
 * Whole models (backbone + head, src/model/model.ts) on the ONNX executor: record once with
 * dynamic batch and frames, keep the session, run any clip length up to maxlen.
 */
import {type NDArray} from '../core/ndarray.js'
import {type Model, type ModelSpec, checkModelInput, finishOutputs, modelInputLayout, runModel} from './model.js'
import {fixedFrames} from './example-shape.js'
import type {Graph} from '../nn/onnx/ir.js'
import {recordGraph} from '../nn/onnx/record.js'
import {type OnnxRunner, createOnnxRunner} from '../nn/onnx/session.js'

/** Axes of a head's input layout that stay dynamic in the recorded graph. */
export const DYNAMIC_AXES: readonly string[] = ['N', 'T']

export interface RecordModelOptions {
  /** Keep batch and frames symbolic (default true); false records the example shape exactly. */
  dynamic?: boolean
}

/**
 * Record a model's forward pass as a graph with input `x` and the model's outputs (e.g. `pose3d`
 * and `representation`). `exampleShape` fixes the static axes (joints, channels, persons).
 */
export function recordModelGraph(model: ModelSpec & Pick<Model, 'weights'>, exampleShape: readonly number[], opts: RecordModelOptions = {}): Graph {
  const layout = modelInputLayout(model)
  const dynamic = opts.dynamic ?? true
  const axes = dynamicAxes(model)
  const shape = exampleShape.map((d, i) => (dynamic && axes.includes(layout[i] ?? '') ? layout[i]! : d))
  return recordGraph((ops, {x}) => runModel(ops, model, x!), {inputs: [{name: 'x', shape}], weights: model.weights, mode: 'eval'})
}

export interface OnnxForwardOptions {
  /** Intra-op threads (default: all cores). */
  threads?: number
  /** Name of the input file, for error messages. */
  file?: string
  /**
   * The outputs wanted (e.g. ['pose3d']); the others are not copied out of the session. Ignored
   * for heads whose finishOutputs works from several outputs (mesh).
   */
  outputs?: readonly string[]
}

interface CachedModelRunner {
  /** The input's static axes (all but N and T) the graph was recorded for. */
  key: string
  threads: number
  runner: Promise<OnnxRunner>
}

const modelRunners = new WeakMap<Model, CachedModelRunner>()

/**
 * The ONNX counterpart of forwardModel: same checks, same output names and numbers (1e-4).
 * The graph and session are built on first use per model and kept until disposeOnnxModel.
 */
export async function forwardModelOnnx(model: Model, input: NDArray, opts: OnnxForwardOptions = {}): Promise<Record<string, NDArray>> {
  checkModelInput(model, input, {file: opts.file})
  const runner = await modelRunner(model, input.shape, opts.threads ?? 0)
  const wanted = model.head.finishOutputs ? undefined : opts.outputs
  return finishOutputs(model, await runner.run({x: input}, wanted))
}

/** Records the graph and creates the session forwardModelOnnx will use for inputs shaped like `shape` (same threads). */
export async function prepareModelOnnx(model: Model, shape: readonly number[], opts: OnnxForwardOptions = {}): Promise<void> {
  await modelRunner(model, shape, opts.threads ?? 0)
}

/** DYNAMIC_AXES, less T for models that take exactly one clip length (MixSTE, Strided). */
export function dynamicAxes(model: ModelSpec): readonly string[] {
  return fixedFrames(model) ? DYNAMIC_AXES.filter((a) => a !== 'T') : DYNAMIC_AXES
}

async function modelRunner(model: Model, shape: readonly number[], threads: number): Promise<OnnxRunner> {
  const layout = modelInputLayout(model)
  const axes = dynamicAxes(model)
  const key = shape.map((d, i) => (axes.includes(layout[i] ?? '') ? '*' : d)).join(',')
  const cached = modelRunners.get(model)
  if (cached && cached.key === key && cached.threads === threads) return cached.runner
  if (cached) await disposeOnnxModel(model)
  const runner = createOnnxRunner(recordModelGraph(model, shape), {threads: threads || undefined})
  modelRunners.set(model, {key, threads, runner})
  runner.catch(() => modelRunners.delete(model))
  return runner
}

/** Release the model's onnxruntime session (forwardModelOnnx builds it again when needed). */
export async function disposeOnnxModel(model: Model): Promise<void> {
  const cached = modelRunners.get(model)
  if (!cached) return
  modelRunners.delete(model)
  const runner = await cached.runner.catch(() => undefined)
  await runner?.dispose()
}
