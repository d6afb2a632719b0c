/**
 * The tfjs trainer: tf.variableGrads over runModel + the loss (TfjsOps in train mode), then the
 * shared AdamW (src/train/optim.ts) on Float32Array copies of the trainable weights, so both engines
 * produce identical optimiser state and checkpoints. Frozen weights are plain tensors and never
 * change. BatchNorm running statistics are updated after each step as nn.BatchNorm1d does
 * (momentum 0.1, unbiased batch variance), which the op interface itself leaves to the loop.
 */
import * as tf from '@tensorflow/tfjs'

import {type Model, runModel, backboneInfo, HEAD_PREFIX} from '../model/model.js'
import type {Mode} from '../nn/ops.js'
import {TfjsOps} from '../nn/tfjs/ops.js'
import type {MeshLossConfig} from '../tasks/mesh/losses.js'
import {trainTask} from '../tasks/train-registry.js'
import type {NDArray} from '../core/ndarray.js'
import {DEFAULT_POSE_LOSS_LAMBDAS, type PoseLossLambdas} from '../nn/losses.js'
import {AdamW, adamwStateFromTensors, adamwStateToTensors} from './optim.js'
import type {SerializedOptimiserState, StepResult, TrainBatch, Trainer} from '../tasks/train-types.js'

let nextVariableId = 0

/** nn.BatchNorm1d's default momentum. */
const BN_MOMENTUM = 0.1

export interface TfjsTrainerOptions {
  model: Model
  /** Native names that train; everything else is frozen. */
  trainable: ReadonlySet<string>
  /** AdamW with its parameter groups (lr per group); the loop passes the epoch's decay as lrScale. */
  optimiser: AdamW
  lambdas?: Readonly<PoseLossLambdas>
  /** Mesh: MotionBERT's mesh objective (needed for mesh batches). */
  meshLoss?: Readonly<MeshLossConfig>
  /** tfjs backend name for reports. */
  backend: string
  /** Weight of the 2D reprojection loss on 2D-only batches (config lambda_2d; default 1). */
  lambda2d?: number
}

interface BatchNormStats {
  prefix: string
  mean: tf.Tensor
  variance: tf.Tensor
}

/** TfjsOps that also records each train-mode BatchNorm's batch statistics. */
class RecordingOps extends TfjsOps {
  readonly stats: BatchNormStats[] = []

  constructor(params: ReadonlyMap<string, tf.Tensor>, mode: Mode) {
    super(params, {mode})
  }

  override batchNorm(x: tf.Tensor, prefix: string, eps = 1e-5): tf.Tensor {
    if (this.mode === 'train' && this.hasParam(`${prefix}.running_mean`)) {
      const stats = tf.tidy(() => {
        const axes = x.rank === 2 ? [0] : [0, 2]
        const count = x.rank === 2 ? x.shape[0]! : x.shape[0]! * x.shape[2]!
        const mean = tf.mean(x, axes)
        const biased = tf.mean(tf.square(tf.sub(x, tf.reshape(mean, x.rank === 2 ? [1, -1] : [1, -1, 1]))), axes)
        const unbiased = count > 1 ? tf.mul(biased, tf.scalar(count / (count - 1))) : biased
        return [mean, unbiased] as const
      })
      this.stats.push({prefix, mean: tf.keep(stats[0]), variance: tf.keep(stats[1])})
    }
    return super.batchNorm(x, prefix, eps)
  }
}

export interface TfjsGradientResult extends StepResult {
  /** Native name → gradient of the loss (trainable parameters the loss reaches). */
  grads: Map<string, NDArray>
}

export class TfjsTrainer implements Trainer {
  readonly engine = 'tfjs' as const
  readonly backend: string
  readonly trainable: ReadonlySet<string>
  private readonly model: Model
  private readonly optimiser: AdamW
  private readonly lambdas: Readonly<PoseLossLambdas>
  private readonly meshLoss: Readonly<MeshLossConfig> | undefined
  private readonly lambda2d: number
  /** Master copies of every weight (trainable ones are updated in place by AdamW). */
  private readonly values = new Map<string, Float32Array>()
  private readonly shapes = new Map<string, number[]>()
  private readonly tensors = new Map<string, tf.Tensor>()
  /** tf variable name → native name. */
  private readonly varNames = new Map<string, string>()

  constructor(opts: TfjsTrainerOptions) {
    this.model = opts.model
    this.trainable = opts.trainable
    this.optimiser = opts.optimiser
    this.lambdas = opts.lambdas ?? DEFAULT_POSE_LOSS_LAMBDAS
    this.meshLoss = opts.meshLoss
    this.lambda2d = opts.lambda2d ?? 1
    this.backend = opts.backend
    for (const [name, w] of opts.model.weights) {
      const data = Float32Array.from(w.data)
      this.values.set(name, data)
      this.shapes.set(name, [...w.shape])
      this.tensors.set(name, this.upload(name, data))
    }
  }

  private upload(name: string, data: Float32Array): tf.Tensor {
    const t = tf.tensor(data, this.shapes.get(name)!, 'float32')
    if (!this.trainable.has(name)) return t
    const varName = `motion_train_${nextVariableId++}`
    const v = tf.variable(t, true, varName)
    t.dispose()
    this.varNames.set(varName, name)
    return v
  }

  async step(batch: TrainBatch, lrScale: number): Promise<StepResult> {
    const ops = new RecordingOps(this.tensors, 'train')
    try {
      const {loss, parts, grads} = await this.computeGradients(batch, ops)
      if (!Number.isFinite(loss)) return {loss, parts}
      this.optimiser.step(this.values, new Map([...grads].map(([name, g]) => [name, g.data])), lrScale)
      for (const name of grads.keys()) {
        const next = tf.tensor(this.values.get(name)!, this.shapes.get(name)!, 'float32')
        ;(this.tensors.get(name) as tf.Variable).assign(next)
        next.dispose() // assign shares the data; the wrapper tensor is ours to release
      }
      await this.updateRunningStats(ops)
      return {loss, parts}
    } finally {
      for (const s of ops.stats) tf.dispose([s.mean, s.variance])
    }
  }

  /**
   * Loss, parts and the trainable parameters' gradients on one batch, changing nothing (no update,
   * no BatchNorm statistics): what the ONNX trainer's gradients() reports, for comparing engines.
   */
  async gradients(batch: TrainBatch): Promise<TfjsGradientResult> {
    const ops = new RecordingOps(this.tensors, 'train')
    try {
      return await this.computeGradients(batch, ops)
    } finally {
      for (const s of ops.stats) tf.dispose([s.mean, s.variance])
    }
  }

  private async computeGradients(batch: TrainBatch, ops: RecordingOps): Promise<TfjsGradientResult> {
    const vars = [...this.trainable].map((n) => this.tensors.get(n) as tf.Variable)
    const partTensors: Record<string, tf.Tensor> = {}
    const x = tf.tensor(batch.input.data, batch.input.shape, 'float32')
    const inputs: tf.Tensor[] = [x]
    try {
      const lossFn = (): tf.Scalar => {
        const outputs = this.forward(ops, x, batch, inputs)
        const total = this.loss(ops, outputs, batch, partTensors, inputs)
        return total as tf.Scalar
      }
      const {value, grads} = vars.length > 0 ? tf.variableGrads(lossFn, vars) : {value: tf.tidy(lossFn), grads: {} as tf.NamedTensorMap}
      const loss = (await value.data())[0]!
      value.dispose()
      const gradArrays = new Map<string, NDArray>()
      for (const v of vars) {
        const g = grads[v.name]
        if (g) gradArrays.set(this.nameOf(v), {data: (await g.data()) as Float32Array, shape: [...g.shape]})
      }
      tf.dispose(Object.values(grads))
      return {loss, parts: await readParts(partTensors), grads: gradArrays}
    } finally {
      tf.dispose(inputs)
      tf.dispose(Object.values(partTensors))
    }
  }

  private nameOf(v: tf.Variable): string {
    return this.varNames.get(v.name)!
  }

  /** Backbone + head, or the head alone on cached features. */
  private forward(ops: TfjsOps, x: tf.Tensor, batch: TrainBatch, inputs: tf.Tensor[]): Record<string, tf.Tensor> {
    if (!batch.features) return runModel(ops, this.model, x)
    const features = tf.tensor(batch.features.data, batch.features.shape, 'float32')
    inputs.push(features)
    const info = backboneInfo(this.model.backbone, this.model.config.backboneConfig)
    // The cache holds the head's pooled slots when it pools frames first (feature-cache.ts).
    const cached: Record<string, tf.Tensor> = {[this.model.head.poolFrames ? 'pooledRepresentation' : 'representation']: features}
    return this.model.head.forward(ops, cached, this.model.config.headConfig, {input: x, backbone: info, prefix: HEAD_PREFIX})
  }

  /** The task's objective (src/tasks/train-registry.ts) on the batch's targets. */
  private loss(ops: TfjsOps, outputs: Record<string, tf.Tensor>, batch: TrainBatch, parts: Record<string, tf.Tensor>, inputs: tf.Tensor[]): tf.Tensor {
    const task = trainTask(batch.task)
    const targets: Record<string, tf.Tensor> = {}
    for (const [name, a] of Object.entries(task.targets(batch, outputs.logits?.shape[1]))) {
      const t = tf.tensor(a.data, a.shape, 'float32')
      inputs.push(t)
      targets[name] = t
    }
    const l = task.loss(ops, outputs, targets, {backbone: this.model.backbone, lambdas: this.lambdas, meshLoss: this.meshLoss, lambda2d: this.lambda2d})
    for (const [k, v] of Object.entries(l.parts)) if (v) parts[k] = tf.keep(tf.clone(v))
    return l.total
  }

  private async updateRunningStats(ops: RecordingOps): Promise<void> {
    for (const s of ops.stats) {
      for (const [key, stat] of [['running_mean', s.mean], ['running_var', s.variance]] as const) {
        const name = `${s.prefix}.${key}`
        const running = this.values.get(name)
        if (!running) continue
        const batch = (await stat.data()) as Float32Array
        for (let i = 0; i < running.length; i++) running[i] = (1 - BN_MOMENTUM) * running[i]! + BN_MOMENTUM * batch[i]!
        this.tensors.get(name)!.dispose()
        this.tensors.set(name, this.upload(name, running))
      }
      const counter = this.values.get(`${s.prefix}.num_batches_tracked`)
      if (counter && counter.length === 1) {
        counter[0] = counter[0]! + 1
        const name = `${s.prefix}.num_batches_tracked`
        this.tensors.get(name)!.dispose()
        this.tensors.set(name, this.upload(name, counter))
      }
    }
  }

  weights(): Map<string, NDArray> {
    const out = new Map<string, NDArray>()
    for (const [name, data] of this.values) out.set(name, {data: Float32Array.from(data), shape: [...this.shapes.get(name)!]})
    return out
  }

  optimiserState(): SerializedOptimiserState {
    const {tensors, metadata} = adamwStateToTensors(this.optimiser.getState())
    return {tensors, meta: {kind: 'adamw', steps: JSON.stringify(metadata.steps)}}
  }

  loadOptimiserState(state: SerializedOptimiserState): void {
    this.optimiser.loadState(adamwStateFromTensors(state.tensors, {steps: JSON.parse(String(state.meta.steps ?? '{}')) as Record<string, number>}))
  }

  dispose(): void {
    for (const t of this.tensors.values()) t.dispose()
    this.tensors.clear()
  }
}

async function readParts(parts: Record<string, tf.Tensor>): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const [k, t] of Object.entries(parts)) out[k] = (await t.data())[0]!
  return out
}
