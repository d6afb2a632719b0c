/**
 * What the training loop hands an engine and gets back. Both engines (tfjs autograd in
 * engine-tfjs.ts, ONNX gradient graphs in onnx-trainer.ts) sit behind the Trainer interface so the
 * loop, checkpoints and reporters do not care which one runs.
 */
import type {NDArray} from '../core/ndarray.js'
import type {Task} from '../heads/tasks.js'

/** Every task trains (tasks/train-registry.ts). */
export type TrainTask = Task

/** Mesh ground truth for a batch (src/tasks/mesh/data.ts): MotionBERT's MeshLoss targets. */
export interface MeshBatchTarget {
  /** [N, T, 24, 3, 3] rotation matrices of the true SMPL pose. */
  rotmat: NDArray
  /** [N, T, 10] */
  betas: NDArray
  /** [N, T, 17, 3] mm */
  kp_3d: NDArray
  /** [N, T, V, 3] mm; only when lambda_verts > 0. */
  verts?: NDArray
}

export interface TrainBatch {
  task: TrainTask
  /** Model input: `[N, T, J, C]` (pose3d) or `[N, M, T, J, C]` (action). */
  input: NDArray
  /** pose3d: target `[N, T, J, 3]` (root-relative or first-root-depth-relative, normalised units). */
  target?: NDArray
  /** action: class index per sample. */
  labels?: Int32Array
  /** mesh: SMPL targets. */
  mesh?: MeshBatchTarget
  /** Cached backbone representation for this batch (`[N·M, T, J, R]`); the backbone is skipped. */
  features?: NDArray
  /**
   * A 2D-only batch (`--data-2d`): `[N, T, J, 1]` keypoint confidences. The objective is then
   * lambda_2d · loss_2d_weighted(pred, target, conf) with target the clean 2D window `[N, T, J, 3]`.
   */
  conf?: NDArray
}

export interface StepResult {
  /** The total objective of the step (before the update). */
  loss: number
  /** Its parts, unweighted (pose: mpjpe, n_mpjpe, velocity, ...; action: ce). */
  parts: Record<string, number>
}

export interface Trainer {
  readonly engine: 'tfjs' | 'onnx'
  /** tfjs backend or onnxruntime provider, for reports. */
  readonly backend: string
  /** Names that are updated (the rest stay bit-for-bit). */
  readonly trainable: ReadonlySet<string>
  /**
   * Forward, loss, gradients and one AdamW update. `lrScale` multiplies every parameter group's
   * base rate (the epoch's lr_decay factor).
   */
  step(batch: TrainBatch, lrScale: number): Promise<StepResult>
  /** The current weights, every name of the model (copies). */
  weights(): Map<string, NDArray>
  /** Optimiser state as named arrays plus scalars (for checkpoints). */
  optimiserState(): SerializedOptimiserState
  /** Restores a state saved by optimiserState (resume). */
  loadOptimiserState(state: SerializedOptimiserState): void
  dispose(): void
}

/** Optimiser state in a form a checkpoint can store: named float32 arrays + JSON scalars. */
export interface SerializedOptimiserState {
  tensors: Map<string, NDArray>
  meta: Record<string, number | string>
}

export interface BestMetric {
  /** e.g. 'mpjpe' (mm), 'top1' (%), or 'loss' when there is no evaluation. */
  name: string
  higherIsBetter: boolean
  value: number | null
  epoch: number | null
}

/** Everything a resumed run needs to rebuild the same data, model and schedule. */
export interface RunSettings {
  version: 1
  command: 'pretrain' | 'finetune'
  task: TrainTask
  /** Data folder (absolute). */
  data: string
  /** The resolved config values (MotionBERT keys) the run trains with. */
  config: Record<string, unknown>
  /** Model keys for buildModel (backbone, head, sizes). */
  modelConfig: Record<string, unknown>
  freeze: string
  seed: number
  engine: string
  backend: string
  checkpointEvery: number
  /** Where the initial weights came from (finetune), absolute. */
  from?: string
  /** Action: class names in label order; persons per sample. */
  classes?: string[]
  persons?: number
  /** Mesh: --smpl-dir the body model was read from (a fresh mesh head). */
  smplDir?: string
  /** 2D-only keypoint files/folders (--data-2d), absolute; absent: none. */
  data2d?: string[]
  /** Max windows used for the per-epoch evaluation. */
  evalLimit: number
  /** Clips resampled to this frame rate (null: as stored). */
  fps: number | null
  createdAt: string
}
