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
import {meshLoss, type MeshLossConfig} from '../tasks/mesh/losses.js'
import type {NDArray} from '../core/ndarray.js'
import {crossEntropy, oneHot} from '../nn/classification.js'
import {TfjsTrainer} from './engine-tfjs.js'
import {combinedPoseLoss, loss2dWeighted, type PoseLossLambdas} from '../nn/losses.js'
import {backbonePoseLoss} from '../nn/losses-literature.js'
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
  const {model, task, lambdas} = opts
  const n = opts.inputShape[0]!
  const targetShape = task === 'action' ? [n, opts.classes!] : [...opts.inputShape.slice(0, -1), 3]
  const meshConfig = opts.meshLoss
  const meshInputs = task === 'mesh' ? meshTargetInputs(opts.inputShape, meshConfig, opts.meshVertices) : null
  const inner = await createOnnxTrainer({
    buildModel: (ops, inputs) => runModel(ops, model, inputs.x!),
    buildLoss: (ops, outputs, inputs) => {
      if (task === 'mesh') {
        // MotionBERT's MeshLoss on the head's graph outputs; the targets are graph inputs.
        const withVerts = meshConfig!.lambda_verts > 0
        const l = meshLoss(
          ops,
          {rotmat: outputs.rotmat!, betas: outputs.betas!, kp_3d: outputs.kp_3d!, verts: withVerts ? outputs.verts : undefined},
          {rotmat: inputs.rotmat!, betas: inputs.betas!, kp_3d: inputs.kp_3d!, verts: withVerts ? inputs.verts : undefined},
          meshConfig,
          {parts: 'weighted'},
        )
        return {total: l.total, parts: l.parts}
      }
      if (task === 'action') {
        const ce = crossEntropy(ops, outputs.logits!, inputs.y!)
        return {total: ce, parts: {ce}}
      }
      const own = backbonePoseLoss(ops, model.backbone.name, outputs, inputs.y!, lambdas)
      if (own) return own
      const l = combinedPoseLoss(ops, outputs.pose3d!, inputs.y!, lambdas, {parts: 'weighted'})
      return {total: l.total, parts: l.parts}
    },
    weights: model.weights,
    trainable: (name) => opts.trainable.has(name),
    inputs: meshInputs ?? [
      {name: 'x', shape: [...opts.inputShape]},
      {name: 'y', shape: targetShape},
    ],
    optimizer: adamwConfig(opts.schedule, opts.weightDecay),
    threads: opts.threads,
    seed: opts.seed,
  })
  const lambda2d = opts.lambda2d ?? 1
  // 2D-only batches (--data-2d): lambda_2d · loss_2d_weighted on a second graph sharing the weights.
  const twoD: TwoDGraph = (shapes) =>
    inner.withLoss(
      (ops, outputs, inputs) => {
        const l2d = loss2dWeighted(ops, outputs.pose3d!, inputs.y!, inputs.conf!)
        return {total: lambda2d === 1 ? l2d : ops.scale(l2d, lambda2d), parts: {'2d_proj': l2d}}
      },
      [
        {name: 'x', shape: shapes.x},
        {name: 'y', shape: shapes.y},
        {name: 'conf', shape: shapes.conf},
      ],
    )
  return new OnnxTrainerAdapter(inner, opts.trainable, opts.threads, opts.classes, twoD)
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
  ) {
    this.backend = `onnxruntime-node${threads ? `, ${threads} threads` : ''}`
  }

  async step(batch: TrainBatch, lrScale: number): Promise<StepResult> {
    if (batch.features) throw new Error('the onnx trainer does not take cached features; the feature cache trains on tfjs')
    if (batch.conf) return (await this.twoDTrainer(batch)).step({x: batch.input, y: batch.target!, conf: batch.conf}, lrScale)
    if (batch.task === 'mesh') {
      const m = batch.mesh!
      return this.inner.step({x: batch.input, rotmat: m.rotmat, betas: m.betas, kp_3d: m.kp_3d, ...(m.verts ? {verts: m.verts} : {})}, lrScale)
    }
    let y: NDArray
    if (batch.task === 'action') {
      const labels = batch.labels!
      y = {data: oneHot(labels, this.classes!), shape: [labels.length, this.classes!]}
    } else {
      y = batch.target!
    }
    return this.inner.step({x: batch.input, y}, lrScale)
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

/** Graph inputs of a mesh training step: the clip and MeshLoss's targets (static shapes). */
function meshTargetInputs(inputShape: readonly number[], config: MeshLossConfig | undefined, vertices: number | undefined): Array<{name: string; shape: number[]}> {
  if (!config) throw new Error('createTrainer: task mesh needs meshLoss')
  const [n, t] = inputShape as [number, number]
  const inputs = [
    {name: 'x', shape: [...inputShape]},
    {name: 'rotmat', shape: [n, t, 24, 3, 3]},
    {name: 'betas', shape: [n, t, 10]},
    {name: 'kp_3d', shape: [n, t, 17, 3]},
  ]
  if (config.lambda_verts > 0) {
    if (!vertices) throw new Error('createTrainer: lambda_verts needs meshVertices')
    inputs.push({name: 'verts', shape: [n, t, vertices, 3]})
  }
  return inputs
}
