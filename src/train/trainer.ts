/**
 * Choosing and building the training engine (`--engine auto|onnx|tfjs`, `--backend`):
 *  - auto: tfjs when a native binding (tfjs-node-gpu, tfjs-node) loads — TensorFlow's own kernels,
 *    GPU where available — else the ONNX gradient-graph trainer on onnxruntime-node (fast CPU),
 *    else tfjs on wasm/cpu as the last resort;
 *  - tfjs: tf.variableGrads (engine-tfjs.ts) on the backend `--backend` names (auto: first that loads);
 *  - onnx: gradient graphs (onnx-trainer.ts).
 * Both use the same AdamW (optim.ts) with backbone and head parameter groups, so their checkpoints
 * are interchangeable. The choice and the reason are reported at start.
 */
import {inputError} from '../core/errors.js'
import {type Model, runModel} from '../model/model.js'
import {loadOnnxRuntime} from '../nn/onnx/session.js'
import {type BackendName, selectBackend} from '../nn/tfjs/backend.js'
import type {MeshLossConfig} from '../tasks/mesh/losses.js'
import {trainTask} from '../tasks/train-registry.js'
import type {LossSpec, TaskLoss, TrainTaskEntry} from '../tasks/train-task.js'
import type {NDArray} from '../core/ndarray.js'
import {TfjsTrainer} from './engine-tfjs.js'
import type {PoseLossLambdas} from '../nn/losses.js'
import {createOnnxTrainer, type GradientResult, type OnnxTrainer} from './onnx-trainer.js'
import {AdamW, type AdamWConfig, adamwStateFromTensors, adamwStateToTensors} from './optim.js'
import type {RngState} from '../core/rng.js'
import type {LrSchedule} from './schedule.js'
import type {SerializedOptimiserState, StepResult, TrainBatch, Trainer, TrainTask} from '../tasks/train-types.js'

export type TrainEngineChoice = 'auto' | 'tfjs' | 'onnx'

export interface CreateTrainerOptions {
  engine: TrainEngineChoice
  backend: BackendName | 'auto'
  model: Model
  task: TrainTask
  trainable: ReadonlySet<string>
  schedule: LrSchedule
  weightDecay: number
  lambdas: Readonly<PoseLossLambdas>
  /** Shape of one training input batch (static for the onnx engine). */
  inputShape: readonly number[]
  /** Action: number of classes (one-hot targets). */
  classes?: number
  /** Mesh: MotionBERT's mesh objective (meshLossConfig); its lambda_verts decides whether vertices are a target. */
  meshLoss?: MeshLossConfig
  /** Mesh: vertices of the body model (the verts target's shape). */
  meshVertices?: number
  threads?: number
  /** Seed of the onnx trainer's dropout masks. */
  seed: number
  /** Weight of the 2D reprojection loss on 2D-only batches (config lambda_2d; default 1). */
  lambda2d?: number
}

export interface ChosenTrainer {
  trainer: Trainer
  /** Why this engine (reported at start). */
  reason: string
}

export function adamwConfig(schedule: LrSchedule, weightDecay: number): AdamWConfig {
  return {
    lr: schedule.head,
    weightDecay,
    groups: [
      {name: 'backbone', match: (n) => n.startsWith('backbone.'), lr: schedule.backbone},
      {name: 'head', match: (n) => n.startsWith('head.'), lr: schedule.head},
    ],
  }
}

export async function createTrainer(opts: CreateTrainerOptions): Promise<ChosenTrainer> {
  if (opts.engine === 'tfjs') return {trainer: await tfjsTrainer(opts, opts.backend), reason: '--engine tfjs'}
  if (opts.engine === 'onnx') {
    if (opts.backend !== 'auto') throw inputError(`--backend ${opts.backend} is a tfjs backend; it cannot be combined with --engine onnx`, {hint: 'drop --backend, or use --engine tfjs'})
    await loadOnnxRuntime()
    return {trainer: await onnxTrainer(opts), reason: '--engine onnx'}
  }
  if (opts.backend !== 'auto') return {trainer: await tfjsTrainer(opts, opts.backend), reason: `auto: --backend ${opts.backend} is a tfjs backend`}
  for (const native of ['node-gpu', 'node'] as const) {
    try {
      await selectBackend({force: native})
      return {trainer: await tfjsTrainer(opts, native), reason: `auto: tfjs-${native === 'node' ? 'node' : 'node-gpu'} loads (TensorFlow kernels)`}
    } catch {
      // not installed or not loadable here; try the next
    }
  }
  try {
    await loadOnnxRuntime()
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err)
    return {trainer: await tfjsTrainer(opts, 'auto'), reason: `auto: no native tfjs binding and onnxruntime-node does not load (${why})`}
  }
  return {trainer: await onnxTrainer(opts), reason: 'auto: no native tfjs binding loads; onnxruntime-node gradient graphs are the fast CPU engine'}
}

async function tfjsTrainer(opts: CreateTrainerOptions, backend: BackendName | 'auto'): Promise<Trainer> {
  const selection = await selectBackend({force: backend})
  return new TfjsTrainer({
    model: opts.model,
    trainable: opts.trainable,
    optimiser: new AdamW(adamwConfig(opts.schedule, opts.weightDecay)),
    lambdas: opts.lambdas,
    meshLoss: opts.meshLoss,
    backend: selection.backend,
    lambda2d: opts.lambda2d,
  })
}

async function onnxTrainer(opts: CreateTrainerOptions): Promise<Trainer> {
  const {model, lambdas} = opts
  const task = trainTask(opts.task)
  const spec: LossSpec = {backbone: model.backbone, lambdas, meshLoss: opts.meshLoss, lambda2d: opts.lambda2d}
  const targets = task.targetInputs(opts.inputShape, {classes: opts.classes, meshLoss: opts.meshLoss, meshVertices: opts.meshVertices})
  const inner = await createOnnxTrainer({
    buildModel: (ops, inputs) => runModel(ops, model, inputs.x!),
    // The task's objective on the graph outputs; the targets are graph inputs.
    buildLoss: (ops, outputs, inputs) => definedParts(task.loss(ops, outputs, inputs, spec)),
    weights: model.weights,
    trainable: (name) => opts.trainable.has(name),
    inputs: [{name: 'x', shape: [...opts.inputShape]}, ...targets],
    optimizer: adamwConfig(opts.schedule, opts.weightDecay),
    threads: opts.threads,
    seed: opts.seed,
  })
  const lambda2d = opts.lambda2d ?? 1
  // 2D-only batches (--data-2d): lambda_2d · loss_2d_weighted on a second graph sharing the weights.
  const twoD: TwoDGraph = (shapes) =>
    inner.withLoss(
      (ops, outputs, inputs) => definedParts(task.loss(ops, outputs, inputs, {...spec, lambda2d})),
      [
        {name: 'x', shape: shapes.x},
        {name: 'y', shape: shapes.y},
        {name: 'conf', shape: shapes.conf},
      ],
    )
  return new OnnxTrainerAdapter(inner, opts.trainable, opts.threads, opts.classes, twoD, task)
}

/** Builds the 2D-loss graph for the shapes of the first 2D batch (static per trainer). */
type TwoDGraph = (shapes: {x: number[]; y: number[]; conf: number[]}) => Promise<OnnxTrainer>

/** The onnx trainer behind the Trainer interface (batches to named feeds, state to checkpoints). */
export class OnnxTrainerAdapter implements Trainer {
  readonly engine = 'onnx' as const
  readonly backend: string
  private twoD: Promise<OnnxTrainer> | null = null

  constructor(
    private readonly inner: OnnxTrainer,
    readonly trainable: ReadonlySet<string>,
    threads: number | undefined,
    private readonly classes: number | undefined,
    private readonly buildTwoD?: TwoDGraph,
    private readonly task?: TrainTaskEntry,
  ) {
    this.backend = `onnxruntime-node${threads ? `, ${threads} threads` : ''}`
  }

  async step(batch: TrainBatch, lrScale: number): Promise<StepResult> {
    if (batch.features) throw new Error('the onnx trainer does not take cached features; the feature cache trains on tfjs')
    if (batch.conf) return (await this.twoDTrainer(batch)).step({x: batch.input, y: batch.target!, conf: batch.conf}, lrScale)
    return this.inner.step({x: batch.input, ...(this.task ?? trainTask(batch.task)).targets(batch, this.classes)}, lrScale)
  }

  /** Loss, parts and gradients of a 2D-only batch without an update (engine comparisons). */
  async gradients2d(batch: TrainBatch): Promise<GradientResult> {
    return (await this.twoDTrainer(batch)).gradients({x: batch.input, y: batch.target!, conf: batch.conf!})
  }

  private twoDTrainer(batch: TrainBatch): Promise<OnnxTrainer> {
    if (!this.buildTwoD) throw new Error('this onnx trainer takes no 2D-only batches')
    this.twoD ??= this.buildTwoD({x: [...batch.input.shape], y: [...batch.target!.shape], conf: [...batch.conf!.shape]})
    return this.twoD
  }

  weights(): Map<string, NDArray> {
    return new Map([...this.inner.weights()].map(([k, v]) => [k, {data: Float32Array.from(v.data), shape: [...v.shape]}]))
  }

  optimiserState(): SerializedOptimiserState {
    const {tensors, metadata} = adamwStateToTensors(this.inner.optimizerState())
    return {tensors, meta: {kind: 'adamw', steps: JSON.stringify(metadata.steps), dropoutRng: JSON.stringify(this.inner.rngState())}}
  }

  loadOptimiserState(state: SerializedOptimiserState): void {
    this.inner.loadOptimizerState(adamwStateFromTensors(state.tensors, {steps: JSON.parse(String(state.meta.steps ?? '{}')) as Record<string, number>}))
    if (typeof state.meta.dropoutRng === 'string') this.inner.loadRngState(JSON.parse(state.meta.dropoutRng) as RngState)
  }

  dispose(): void {
    void this.inner.dispose()
    if (this.twoD) void this.twoD.then((t) => t.dispose())
  }
}

/** A task loss with its uncomputed parts left out (the graph's outputs). */
function definedParts<T>(l: TaskLoss<T>): {total: T; parts: Record<string, T>} {
  return {total: l.total, parts: Object.fromEntries(Object.entries(l.parts).filter((e): e is [string, T] => e[1] !== undefined))}
}
