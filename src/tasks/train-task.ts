/**
 * What a task supplies to training (issue 17, "one house"): its labels, its initial model, its
 * batches and per-epoch evaluation, the targets of a batch and the loss on them. src/train only
 * asks the registry (train-registry.ts) for these, so the loop, the engines and the run never
 * branch on a task's name.
 */
import type {MotionConfig} from '../config/schema.js'
import type {NDArray} from '../core/ndarray.js'
import type {InferenceEngine} from '../model/engine.js'
import type {Model} from '../model/model.js'
import type {BackboneLoss} from '../nn/losses-literature.js'
import type {PoseLossLambdas} from '../nn/losses.js'
import type {Ops} from '../nn/ops.js'
import type {BatchSource} from './batches.js'
import type {MeshLossConfig} from './mesh/losses.js'
import type {RunSettings, TrainBatch, TrainTask} from './train-types.js'

/** Scores the model with these weights (metric name → value). */
export type Evaluate = (weights: Map<string, NDArray>) => Promise<Record<string, number>>

/**
 * An Evaluate that scores the current weights on an inference engine (onnx where it loads),
 * released after each evaluation; `score` gets the model's prediction function.
 */
export function engineEvaluate(
  engineFor: (model: Model) => Promise<InferenceEngine>,
  model: Model,
  score: (predict: (input: NDArray) => Promise<NDArray>) => Promise<Record<string, number>>,
): Evaluate {
  return async (weights) => {
    const engine = await engineFor({...model, weights})
    const predict = async (input: NDArray): Promise<NDArray> => {
      const out = await engine.run(input)
      return out.pose3d ?? out.logits ?? Object.values(out)[0]!
    }
    try {
      return await score(predict)
    } finally {
      await engine.dispose()
    }
  }
}

/** The metric that picks the best checkpoint. */
export interface BestMetricChoice {
  name: string
  higherIsBetter: boolean
}

/** Without an evaluation, the best checkpoint is the one with the lowest training loss. */
export const LOSS_ONLY: BestMetricChoice = {name: 'loss', higherIsBetter: false}

/** What the loss needs besides outputs and targets. */
export interface LossSpec {
  /** The model's backbone (MixSTE / Strided carry their own objectives). */
  backbone: {readonly name: string; readonly poseLoss?: BackboneLoss}
  lambdas: Readonly<PoseLossLambdas>
  /** The mesh objective (mesh batches). */
  meshLoss?: Readonly<MeshLossConfig>
  /** Weight of the 2D reprojection loss on 2D-only batches (default 1). */
  lambda2d?: number
}

export interface TaskLoss<T> {
  total: T
  /** The parts for logging; undefined parts were not computed. */
  parts: Record<string, T | undefined>
}

/** A named graph input with its static shape (the onnx trainer's feeds). */
export interface GraphInput {
  name: string
  shape: number[]
}

export interface TargetShapeOptions {
  /** Classes of a classification head. */
  classes?: number
  meshLoss?: Readonly<MeshLossConfig>
  /** Vertices of the body model (the verts target's shape). */
  meshVertices?: number
}

export interface TrainDataContext {
  settings: RunSettings
  /** The run's config (clip_len and no_conf already fitted to the model). */
  config: MotionConfig
  model: Model
  /** The inference engine evaluations run on (the run's engine choice, backend and threads). */
  engineFor: (model: Model) => Promise<InferenceEngine>
}

export interface TaskTrainData {
  source: BatchSource
  /** 2D-only batches (--data-2d), one per step. */
  source2d?: BatchSource
  /** The mesh objective and the body model's vertex count, for the trainers. */
  meshLoss?: MeshLossConfig
  meshVertices?: number
  /**
   * The per-epoch evaluation (none without test data or with eval_limit 0) and the metric that
   * picks the best checkpoint ('loss' without evaluation). Called once the engine is chosen.
   */
  evaluation(): Promise<TaskEvaluation>
}

/** A run's per-epoch evaluation (absent: none) and the metric that picks its best checkpoint. */
export interface TaskEvaluation {
  evaluate?: Evaluate
  best: BestMetricChoice
}

export interface TrainTaskEntry {
  readonly name: TrainTask
  /** One line for --help and errors. */
  readonly description: string
  /** Whether --data-2d (2D-only samples) applies. */
  readonly takesData2d: boolean
  /** Whether --smpl-dir (a body model for a fresh head) applies. */
  readonly takesSmplDir: boolean
  /** Classification tasks: the class names in label order and the people per sample, from the data. */
  labels?(data: string, config: MotionConfig, persons: number): Promise<{classes: string[]; persons: number}>
  /** The model a new run starts from (pretrain: fresh; finetune: --from, with a fresh head if needed). */
  initialModel(settings: RunSettings): Promise<Model>
  /** The training batches and the evaluation of a run. */
  trainData(ctx: TrainDataContext): Promise<TaskTrainData>
  /** The batch's targets as named arrays (the loss's inputs besides the model's outputs). */
  targets(batch: TrainBatch, classes: number | undefined): Record<string, NDArray>
  /** The targets as static graph inputs, for a model input of `inputShape`. */
  targetInputs(inputShape: readonly number[], opts: TargetShapeOptions): GraphInput[]
  /** The objective on the model's outputs and the targets (any Ops: tfjs or an ONNX gradient graph). */
  loss<T>(ops: Ops<T>, outputs: Readonly<Record<string, T>>, targets: Readonly<Record<string, T | undefined>>, spec: LossSpec): TaskLoss<T>
}
