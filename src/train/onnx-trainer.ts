/**
 * Training steps on onnxruntime-node through gradient graphs (DESIGN.md, "One model definition,
 * two executors"): the model and loss, written against Ops<T>, are recorded once in train mode with
 * static input shapes; reverse-mode differentiation (src/nn/onnx/grad.ts) appends the gradients
 * of the trainable parameters; one session then runs forward + loss + backward per step, and AdamW
 * (optim.ts) updates the weights as Float32Arrays.
 *
 *   const trainer = await createOnnxTrainer({
 *     buildModel: (ops, {x}) => runModel(ops, model, x!),
 *     buildLoss: (ops, {pose3d}, {y}) => combinedPoseLoss(ops, pose3d!, y!, lambdas, {parts: 'weighted'}),
 *     weights: model.weights, trainable: (name) => true,
 *     inputs: [{name: 'x', shape: [8, 81, 17, 3]}, {name: 'y', shape: [8, 81, 17, 3]}],
 *     optimizer: {lr: 5e-4, weightDecay: 0.01}, threads: 2, seed: 0,
 *   })
 *   const {loss, parts} = await trainer.step({x, y}, lrScale)
 *
 * Trainable parameters are graph inputs (fed every step); frozen ones stay constants in the graph
 * and get no gradient nodes at all. Dropout masks are graph inputs drawn from a seeded Rng, so a
 * run is reproducible and resumable (rngState); BatchNorm uses batch statistics and its running
 * statistics are updated here with PyTorch's momentum rule (unbiased variance).
 */
import os from 'node:os'
import {inputError, modelError} from '../core/errors.js'
import {type NDArray, shapeString} from '../core/ndarray.js'
import type {Ops} from '../nn/ops.js'
import {GRAD_PREFIX, differentiate, paramsToInputs} from '../nn/onnx/grad.js'
import type {Graph} from '../nn/onnx/ir.js'
import {optimiseGraph} from '../nn/onnx/optimise.js'
import {OnnxRecorder, type Value} from '../nn/onnx/recorder.js'
import {toOnnxBytes} from '../nn/onnx/lower.js'
import {loadOnnxRuntime} from '../nn/onnx/session.js'
import {type BatchNormStats, type DropoutMask, TrainingOps, fillDropoutMask} from '../nn/onnx/train-ops.js'
import {AdamW, type AdamWConfig, type AdamWState} from './optim.js'
import {Rng, type RngState} from '../core/rng.js'

/** The model's forward pass: graph inputs (by name) to named outputs. */
export type ForwardFn = <T>(ops: Ops<T>, inputs: Readonly<Record<string, T>>) => Record<string, T>

export interface LossResult<T> {
  /** The scalar that is differentiated. */
  total: T
  /** Scalars reported with each step (not differentiated unless part of total). */
  parts?: Readonly<Partial<Record<string, T>>>
}

/** The loss from the model's outputs and the graph inputs (targets are inputs too). */
export type LossFn = <T>(ops: Ops<T>, outputs: Readonly<Record<string, T>>, inputs: Readonly<Record<string, T>>) => LossResult<T>

export interface TrainInputSpec {
  readonly name: string
  /** Static shape: batch and frames are fixed for the trainer's lifetime. */
  readonly shape: readonly number[]
}

export interface OnnxTrainerOptions {
  buildModel: ForwardFn
  buildLoss: LossFn
  /** Every parameter and buffer of the model (native names). Not modified; see weights(). */
  weights: ReadonlyMap<string, NDArray>
  /** Which parameters get gradients and updates (the rest are frozen). */
  trainable: (name: string) => boolean
  inputs: readonly TrainInputSpec[]
  optimizer: AdamWConfig
  /** onnxruntime intra-op threads (default: all cores). */
  threads?: number
  /** Seed (or saved state) of the RNG that draws dropout masks. */
  seed?: number | RngState
  /** BatchNorm running-statistics momentum (PyTorch default 0.1). */
  batchNormMomentum?: number
}

export interface StepResult {
  loss: number
  parts: Record<string, number>
}

export interface GradientResult extends StepResult {
  /** Gradient per trainable parameter the loss depends on (state-dict layout). */
  grads: Map<string, NDArray>
}

export interface OnnxTrainer {
  /** Trainable parameters that are graph inputs, in feed order. */
  readonly trainableParams: readonly string[]
  /** Trainable parameters the loss does not depend on (no gradient; AdamW skips them as torch does). */
  readonly unusedParams: readonly string[]
  /** The recorded training graph (forward, loss, gradients). */
  readonly graph: Graph
  /** Forward + backward + AdamW update. `lrScale` multiplies every group's lr (schedules). */
  step(batch: Readonly<Record<string, NDArray>>, lrScale?: number): Promise<StepResult>
  /** Forward + backward without an update (draws dropout masks and updates BatchNorm stats like step). */
  gradients(batch: Readonly<Record<string, NDArray>>): Promise<GradientResult>
  /**
   * A second training graph (the same model, another loss and inputs, e.g. the 2D loss of 2D-only
   * batches) over this trainer's weights, AdamW state and dropout Rng: a step on either updates both.
   * Dispose each separately.
   */
  withLoss(buildLoss: LossFn, inputs: readonly TrainInputSpec[]): Promise<OnnxTrainer>
  /** Current weights: the given map with trained parameters and running statistics replaced. */
  weights(): Map<string, NDArray>
  optimizerState(): AdamWState
  loadOptimizerState(state: AdamWState): void
  rngState(): RngState
  loadRngState(state: RngState): void
  dispose(): Promise<void>
}

const LOSS = 'loss'
const PART = 'part:'
const BN_MEAN = 'bn_mean:'
const BN_VAR = 'bn_var:'

export interface TrainingGraph {
  graph: Graph
  /** Parameters fed as inputs, with their shapes. */
  params: Map<string, readonly number[]>
  /** Parameter -> gradient output name. */
  gradients: Map<string, string>
  partNames: string[]
  dropoutMasks: DropoutMask[]
  batchNorms: BatchNormStats[]
}

/** Record forward + loss in train mode and append the gradients of the trainable parameters. */
export function recordTrainingGraph(opts: Pick<OnnxTrainerOptions, 'buildModel' | 'buildLoss' | 'weights' | 'trainable' | 'inputs'>): TrainingGraph {
  const rec = new OnnxRecorder(opts.weights, 'train')
  const ops = new TrainingOps(rec)
  const inputs: Record<string, Value> = {}
  for (const spec of opts.inputs) {
    if (!spec.shape.every((d) => Number.isInteger(d) && d > 0)) throw inputError(`training input ${spec.name} needs a static shape, got ${shapeString([...spec.shape])}`)
    inputs[spec.name] = rec.addInput({name: spec.name, shape: [...spec.shape]})
  }
  const outputs = opts.buildModel(ops, inputs)
  const loss = opts.buildLoss(ops, outputs, inputs)
  const graphOutputs: Record<string, Value> = {[LOSS]: loss.total}
  const partNames: string[] = []
  for (const [name, v] of Object.entries(loss.parts ?? {})) {
    if (!v) continue
    graphOutputs[PART + name] = v
    partNames.push(name)
  }
  for (const s of ops.batchNormStats) {
    graphOutputs[BN_MEAN + s.prefix] = s.mean
    graphOutputs[BN_VAR + s.prefix] = s.variance
  }
  const forward = optimiseGraph(rec.finish(graphOutputs))
  const {graph: withInputs, params} = paramsToInputs(forward, opts.trainable)
  if (params.size === 0) throw inputError('nothing to train: no parameter the model uses is trainable', {hint: 'check --freeze'})
  const {graph, gradients} = differentiate(withInputs, {loss: LOSS, wrt: [...params.keys()]})
  return {
    graph,
    params: new Map([...params].map(([k, v]) => [k, v.shape as number[]])),
    gradients,
    partNames,
    dropoutMasks: ops.dropoutMasks,
    batchNorms: ops.batchNormStats,
  }
}

/** What every training graph of one trainer shares: weights, AdamW moments and the dropout Rng. */
interface SharedTrainingState {
  /** Every weight (trained parameters and running statistics replaced as they change). */
  current: Map<string, NDArray>
  /** The trainable parameters' data (updated in place by AdamW). */
  paramData: Map<string, Float32Array>
  optimizer: AdamW
  rng: {value: Rng}
  momentum: number
  threads: number | undefined
  weights: ReadonlyMap<string, NDArray>
  trainable: (name: string) => boolean
  buildModel: ForwardFn
}

export async function createOnnxTrainer(opts: OnnxTrainerOptions): Promise<OnnxTrainer> {
  const shared: SharedTrainingState = {
    current: new Map(opts.weights),
    paramData: new Map(),
    optimizer: new AdamW(opts.optimizer),
    rng: {value: typeof opts.seed === 'object' ? Rng.fromState(opts.seed) : new Rng(opts.seed ?? 0)},
    momentum: opts.batchNormMomentum ?? 0.1,
    threads: opts.threads,
    weights: opts.weights,
    trainable: opts.trainable,
    buildModel: opts.buildModel,
  }
  return trainerOnGraph(shared, opts.buildLoss, opts.inputs)
}

/** One recorded graph (model + this loss) over the shared weights and optimiser state. */
async function trainerOnGraph(shared: SharedTrainingState, buildLoss: LossFn, inputs: readonly TrainInputSpec[]): Promise<OnnxTrainer> {
  const recorded = recordTrainingGraph({buildModel: shared.buildModel, buildLoss, weights: shared.weights, trainable: shared.trainable, inputs})
  const {current, paramData} = shared
  for (const [name, shape] of recorded.params) {
    if (paramData.has(name)) continue
    const w = shared.weights.get(name)!
    if (w.shape.join() !== shape.join()) throw modelError(`parameter ${name} is ${shapeString(w.shape)} in the weights, ${shapeString([...shape])} in the graph`)
    const copy = {data: Float32Array.from(w.data), shape: [...w.shape]}
    current.set(name, copy)
    paramData.set(name, copy.data)
  }
  const {optimizer, momentum} = shared
  const masks = recorded.dropoutMasks.map((m) => ({...m, data: new Float32Array(m.shape.reduce((p, q) => p * q, 1))}))
  const runner = await createTrainingSession(recorded.graph, shared.threads)
  const inputShapes = new Map(inputs.map((s) => [s.name, s.shape]))

  async function run(batch: Readonly<Record<string, NDArray>>): Promise<GradientResult> {
    const feeds: Record<string, NDArray> = {}
    for (const [name, shape] of inputShapes) {
      const x = batch[name]
      if (!x) throw inputError(`training batch lacks input "${name}"`)
      if (x.shape.length !== shape.length || x.shape.some((d, i) => d !== shape[i])) {
        throw inputError(`training input "${name}" is ${shapeString(x.shape)}, the training graph was built for ${shapeString([...shape])}`, {
          hint: 'batch size and frames are fixed per trainer; drop or pad the last partial batch',
        })
      }
      feeds[name] = x
    }
    for (const [name, shape] of recorded.params) feeds[name] = {data: paramData.get(name)!, shape: [...shape]}
    for (const m of masks) {
      fillDropoutMask(m.data, m.rate, () => shared.rng.value.next())
      feeds[m.name] = {data: m.data, shape: [...m.shape]}
    }
    const out = await runner.run(feeds)
    const loss = out[LOSS]!.data[0]!
    if (!Number.isFinite(loss)) throw modelError(`the training loss is ${loss}`, {hint: 'lower the learning rate or check the data for extreme values'})
    const parts: Record<string, number> = {}
    for (const p of recorded.partNames) parts[p] = out[PART + p]!.data[0]!
    for (const s of recorded.batchNorms) updateRunningStats(current, s, out[BN_MEAN + s.prefix]!.data, out[BN_VAR + s.prefix]!.data, momentum)
    const grads = new Map<string, NDArray>()
    for (const [param, outName] of recorded.gradients) grads.set(param, out[outName]!)
    return {loss, parts, grads}
  }

  const trainableParams = [...recorded.params.keys()]
  return {
    trainableParams,
    unusedParams: trainableParams.filter((p) => !recorded.gradients.has(p)),
    graph: recorded.graph,
    async step(batch, lrScale = 1) {
      const {loss, parts, grads} = await run(batch)
      optimizer.step(paramData, new Map([...grads].map(([k, g]) => [k, g.data])), lrScale)
      return {loss, parts}
    },
    gradients: run,
    withLoss: (loss, lossInputs) => trainerOnGraph(shared, loss, lossInputs),
    weights: () => new Map([...current].map(([k, v]) => [k, {data: v.data, shape: [...v.shape]}])),
    optimizerState: () => optimizer.getState(),
    loadOptimizerState: (state) => optimizer.loadState(state),
    rngState: () => shared.rng.value.state(),
    loadRngState: (state) => {
      shared.rng.value = Rng.fromState(state)
    },
    dispose: () => runner.dispose(),
  }
}

interface TrainingSession {
  run(feeds: Readonly<Record<string, NDArray>>): Promise<Record<string, NDArray>>
  dispose(): Promise<void>
}

/**
 * One onnxruntime session for the training graph. Memory-pattern planning is off: for training
 * graphs it preallocates one block per pattern on top of the arena and doubled peak memory
 * (measured at MotionBERT-Lite, 243 frames, batch 4: 16 GB with it, 8.6 GB without).
 */
async function createTrainingSession(graph: Graph, threads: number | undefined): Promise<TrainingSession> {
  const ort = await loadOnnxRuntime()
  let session: Awaited<ReturnType<typeof ort.InferenceSession.create>>
  try {
    session = await ort.InferenceSession.create(toOnnxBytes(graph), {
      graphOptimizationLevel: 'all',
      intraOpNumThreads: threads && threads > 0 ? Math.floor(threads) : defaultThreads(),
      interOpNumThreads: 1,
      executionMode: 'sequential',
      enableMemPattern: false,
      enableCpuMemArena: true,
    })
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err)
    throw modelError(`onnxruntime could not load the training graph: ${reason}`, {hint: 'this is a bug in the gradient graph; try --engine tfjs'})
  }
  let disposed = false
  return {
    async run(feeds) {
      if (disposed) throw new Error('training session used after dispose')
      const tensors: Record<string, InstanceType<typeof ort.Tensor>> = {}
      for (const [name, x] of Object.entries(feeds)) tensors[name] = new ort.Tensor('float32', x.data, x.shape)
      let results: Awaited<ReturnType<typeof session.run>>
      try {
        results = await session.run(tensors)
      } catch (err) {
        const reason = err instanceof Error ? err.message.split('\n')[0] : String(err)
        throw modelError(`onnxruntime failed to run the training step: ${reason}`)
      }
      const out: Record<string, NDArray> = {}
      for (const [name, t] of Object.entries(results)) out[name] = {data: t.data as Float32Array, shape: t.dims.map(Number)}
      return out
    },
    async dispose() {
      if (disposed) return
      disposed = true
      await session.release()
    },
  }
}

function defaultThreads(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length
}

/** running = (1-m) running + m batch, with the unbiased batch variance (PyTorch BatchNorm). */
function updateRunningStats(weights: Map<string, NDArray>, s: BatchNormStats, mean: Float32Array, variance: Float32Array, m: number): void {
  const unbias = s.count > 1 ? s.count / (s.count - 1) : 1
  for (const [key, batch, factor] of [
    [`${s.prefix}.running_mean`, mean, 1],
    [`${s.prefix}.running_var`, variance, unbias],
  ] as const) {
    const old = weights.get(key)
    if (!old) continue
    const next = new Float32Array(old.data.length)
    for (let i = 0; i < next.length; i++) next[i] = (1 - m) * old.data[i]! + m * batch[i]! * factor
    weights.set(key, {data: next, shape: [...old.shape]})
  }
}

export {GRAD_PREFIX}
