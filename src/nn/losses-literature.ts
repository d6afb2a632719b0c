/**
 * The training objectives of the other lifters in the backbone registry, exactly as their official
 * code defines them, against the op interface (tfjs autograd and ONNX gradient graphs alike):
 *
 *  - MixSTE (JinluZhang1126/MixSTE run.py, common/loss.py): the target's root joint set to 0
 *    (`inputs_3d[:, :, 0] = 0`), then
 *      weighted MPJPE   mean(w_j · ‖pred − gt‖)                                  (weighted_mpjpe)
 *    + 0.5 · temporal consistency  mean(w_j · (pred[t+1] − pred[t])²) over every element (dif_seq)
 *    + 2.0 · MPJVE    mean(‖Δpred − Δgt‖) over frame differences          (mean_velocity_error_train)
 *    with the official H36M joint weights w = [1, 1, 2.5, 2.5, 1, 2.5, 2.5, 1, 1, 1, 1.5, 1.5, 4, 4, 1.5, 4, 4].
 *  - Strided Transformer (Vegetebird/StridedTransformer-Pose3D main.py, full-to-single supervision):
 *    the target's root set to 0, then
 *      mpjpe(VTE full output, gt) + mpjpe(STE centre output, gt[:, pad])   with pad = (frames − 1) / 2.
 *
 * The weights are config keys, declared by the backbone entries (`lossKeys`; defaults: the official
 * values). Inputs: targets `[N, T, J, 3]`;
 * outputs by name as the backbone gives them (`pose3d`, and `pose3d_full` for the Strided Transformer).
 */
import {inputError} from '../core/errors.js'
import {isStaticDim, type Ops} from './ops.js'
import {lossMpjpe, lossVelocity, safeNorm} from './losses.js'

/** MixSTE run.py `w_mpjpe` for h36m (17 joints, H36M order). */
export const MIXSTE_JOINT_WEIGHTS: readonly number[] = [1, 1, 2.5, 2.5, 1, 2.5, 2.5, 1, 1, 1, 1.5, 1.5, 4, 4, 1.5, 4, 4]

export interface LiteratureLossWeights {
  /** MixSTE: per-joint weights of the weighted MPJPE and the temporal consistency loss. */
  mixste_joint_weights: readonly number[]
  /** MixSTE: weight of the temporal consistency loss (official 0.5). */
  lambda_tcl: number
  /** MixSTE: weight of the mean per-joint velocity error (official 2.0). */
  lambda_mpjve: number
  /** Strided Transformer: weight of MPJPE on the VTE's full-sequence output (official 1). */
  lambda_full: number
  /** Strided Transformer: weight of MPJPE on the STE's centre-frame output (official 1). */
  lambda_single: number
}

export const LITERATURE_LOSS_DEFAULTS: Readonly<LiteratureLossWeights> = Object.freeze({
  mixste_joint_weights: MIXSTE_JOINT_WEIGHTS,
  lambda_tcl: 0.5,
  lambda_mpjve: 2,
  lambda_full: 1,
  lambda_single: 1,
})

/**
 * The weights from a flat config (or any object holding the keys); keys not set take the official
 * values. A set value of the wrong kind is an input error naming the key.
 */
export function literatureLossWeights(source: object): LiteratureLossWeights {
  const raw = source as Record<string, unknown>
  const num = (key: 'lambda_tcl' | 'lambda_mpjve' | 'lambda_full' | 'lambda_single'): number => {
    const v = raw[key]
    if (v === undefined || v === null) return LITERATURE_LOSS_DEFAULTS[key]
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw inputError(`config key ${key} must be a number >= 0, got ${JSON.stringify(v)}`)
    return v
  }
  const w = raw.mixste_joint_weights
  let weights = MIXSTE_JOINT_WEIGHTS
  if (w !== undefined && w !== null) {
    if (!Array.isArray(w) || !w.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0)) {
      throw inputError(`config key mixste_joint_weights must be a list of numbers >= 0 (one per joint), got ${JSON.stringify(w)}`)
    }
    weights = w as number[]
  }
  return {mixste_joint_weights: weights, lambda_tcl: num('lambda_tcl'), lambda_mpjve: num('lambda_mpjve'), lambda_full: num('lambda_full'), lambda_single: num('lambda_single')}
}

export interface LiteratureLoss<T> {
  total: T
  /** Unweighted parts, for logging. */
  parts: Record<string, T>
}

/** The target with its root joint (0) set to 0 in every frame, as both official loops do. */
export function zeroRoot<T>(ops: Ops<T>, gt: T): T {
  const J = ops.dim(gt, 2)
  if (!isStaticDim(J)) throw new Error('zeroRoot needs a static joint axis')
  const mask = new Float32Array(J).fill(1)
  mask[0] = 0
  return ops.mul(gt, ops.constant(mask, [1, 1, J, 1]))
}

function meanAll<T>(ops: Ops<T>, x: T): T {
  return ops.mean(x, Array.from({length: ops.rank(x)}, (_, i) => i))
}

function jointWeights<T>(ops: Ops<T>, weights: readonly number[], J: number, shape: (j: number) => number[]): T {
  if (weights.length !== J) throw inputError(`mixste_joint_weights has ${weights.length} entries, the model has ${J} joints`, {hint: 'give one weight per joint'})
  return ops.constant(Float32Array.from(weights), shape(J))
}

/** weighted_mpjpe: mean(w_j · ‖pred − gt‖) over `[N, T, J]`. */
export function lossWeightedMpjpe<T>(ops: Ops<T>, pred: T, gt: T, weights: readonly number[]): T {
  const J = ops.dim(pred, 2) as number
  const w = jointWeights(ops, weights, J, (j) => [1, 1, j])
  return meanAll(ops, ops.mul(safeNorm(ops, ops.sub(pred, gt)), w))
}

/** MixSTE's temporal consistency (dif_seq): mean(w_j · (pred[:, 1:] − pred[:, :-1])²); 0 for one frame. */
export function lossTemporalConsistency<T>(ops: Ops<T>, pred: T, weights: readonly number[]): T {
  const T = ops.dim(pred, 1)
  if (isStaticDim(T) && T <= 1) return ops.constant([0], [])
  const J = ops.dim(pred, 2) as number
  const w = jointWeights(ops, weights, J, (j) => [1, 1, j, 1])
  const diff = ops.sub(ops.slice(pred, 1, 1, T), ops.slice(pred, 1, 0, -1)) // [N, T-1, J, 3]
  return meanAll(ops, ops.mul(ops.mul(diff, diff), w))
}

/** MixSTE's objective for pred, gt `[N, T, J, 3]` (see the module comment). */
export function mixsteLoss<T>(ops: Ops<T>, pred: T, gt: T, weights: Readonly<LiteratureLossWeights> = LITERATURE_LOSS_DEFAULTS): LiteratureLoss<T> {
  const target = zeroRoot(ops, gt)
  const wMpjpe = lossWeightedMpjpe(ops, pred, target, weights.mixste_joint_weights)
  const tcl = lossTemporalConsistency(ops, pred, weights.mixste_joint_weights)
  const mpjve = lossVelocity(ops, pred, target) // mean_velocity_error_train(axis=1)
  let total = wMpjpe
  if (weights.lambda_tcl !== 0) total = ops.add(total, ops.scale(tcl, weights.lambda_tcl))
  if (weights.lambda_mpjve !== 0) total = ops.add(total, ops.scale(mpjve, weights.lambda_mpjve))
  return {total, parts: {w_mpjpe: wMpjpe, tcl, mpjve}}
}

/**
 * The Strided Transformer's full-to-single objective: `full` `[N, T, J, 3]` (VTE), `centre`
 * `[N, 1, J, 3]` (STE), gt `[N, T, J, 3]` with T odd.
 */
export function stridedLoss<T>(ops: Ops<T>, centre: T, full: T, gt: T, weights: Readonly<LiteratureLossWeights> = LITERATURE_LOSS_DEFAULTS): LiteratureLoss<T> {
  const frames = ops.dim(gt, 1)
  if (!isStaticDim(frames)) throw new Error('the Strided Transformer loss needs a static frame axis')
  const pad = Math.floor((frames - 1) / 2) // opt.pad
  const target = zeroRoot(ops, gt)
  const mpjpeFull = lossMpjpe(ops, full, target)
  const mpjpeSingle = lossMpjpe(ops, centre, ops.slice(target, 1, pad, pad + 1))
  const total = ops.add(ops.scale(mpjpeFull, weights.lambda_full), ops.scale(mpjpeSingle, weights.lambda_single))
  return {total, parts: {mpjpe_full: mpjpeFull, mpjpe_single: mpjpeSingle}}
}

/** A backbone's own objective on the model's outputs (a registry entry's `poseLoss`). */
export type BackboneLoss = <T>(ops: Ops<T>, outputs: Readonly<Record<string, T>>, gt: T, weights: Readonly<LiteratureLossWeights>) => LiteratureLoss<T>

/**
 * The backbone's own objective on the model's outputs (its registry entry's `poseLoss`), or
 * undefined when it trains with MotionBERT's combined pose loss (DSTformer). `config` holds the
 * weight keys (unset: official values).
 */
export function backbonePoseLoss<T>(ops: Ops<T>, backbone: {readonly poseLoss?: BackboneLoss}, outputs: Readonly<Record<string, T>>, gt: T, config: object): LiteratureLoss<T> | undefined {
  return backbone.poseLoss?.(ops, outputs, gt, literatureLossWeights(config))
}
