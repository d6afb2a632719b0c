/**
 * What the training loop hands an engine and gets back. Both engines (tfjs autograd in
 * engine-tfjs.ts, ONNX gradient graphs in onnx-trainer.ts) sit behind the Trainer interface so the
 * loop, checkpoints and reporters do not care which one runs.
 */
import type {NDArray} from '../core/ndarray.js'

export type TrainTask = 'pose3d' | 'action' | 'mesh'

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
