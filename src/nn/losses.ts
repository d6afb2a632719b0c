/**
 * Training losses, written once against the op interface (differentiable ops only) so the tfjs
 * executor (autograd) and the ONNX gradient graphs compute the same thing. Definitions follow the
 * official lib/model/loss.py exactly; inputs are `[N, T, J, 3]` with time on axis 1.
 *
 * Two deliberate numerical guards, invisible in the values:
 *  - Euclidean norms are sqrt(max(|x|², 1e-20)) so a zero difference has a zero gradient instead
 *    of NaN (torch.norm's subgradient at 0 is 0 too);
 *  - acos, which the op interface lacks, is Abramowitz & Stegun 4.4.46 (|error| <= 2e-8 rad, below
 *    float32 resolution), used on cosines clamped to [-1+1e-7, 1-1e-7] as the official get_angles.
 */
import {type Dim, isStaticDim, type Ops} from './ops.js'

/** MotionBERT's lambda keys (configs/pretrain/MB_pretrain.yaml, configs/pose3d/MB_ft_h36m.yaml). */
export interface PoseLossLambdas {
  lambda_3d_velocity: number
  lambda_scale: number
  lambda_lv: number
  lambda_lg: number
  lambda_a: number
  lambda_av: number
}

/** The official defaults: velocity 20, scale 0.5, limb and angle terms off. */
export const DEFAULT_POSE_LOSS_LAMBDAS: Readonly<PoseLossLambdas> = Object.freeze({
  lambda_3d_velocity: 20,
  lambda_scale: 0.5,
  lambda_lv: 0,
  lambda_lg: 0,
  lambda_a: 0,
  lambda_av: 0,
})

export const POSE_LOSS_NAMES = ['mpjpe', 'n_mpjpe', 'velocity', 'limb_var', 'limb_gt', 'angle', 'angle_velocity'] as const
export type PoseLossName = (typeof POSE_LOSS_NAMES)[number]

/** Which lambda weighs each part (MPJPE has weight 1). */
const LAMBDA_OF: Record<PoseLossName, keyof PoseLossLambdas | null> = {
  mpjpe: null,
  n_mpjpe: 'lambda_scale',
  velocity: 'lambda_3d_velocity',
  limb_var: 'lambda_lv',
  limb_gt: 'lambda_lg',
  angle: 'lambda_a',
  angle_velocity: 'lambda_av',
}

/** Bones as [a, b] joint pairs; the limb vector is x[a] - x[b] (official get_limb_lens order). */
export const LIMB_PAIRS: readonly (readonly [number, number])[] = [
  [0, 1], [1, 2], [2, 3],
  [0, 4], [4, 5], [5, 6],
  [0, 7], [7, 8], [8, 9], [9, 10],
  [8, 11], [11, 12], [12, 13],
  [8, 14], [14, 15], [15, 16],
]

/** Pairs of limbs (indices into LIMB_PAIRS) whose angle get_angles measures. */
export const ANGLE_PAIRS: readonly (readonly [number, number])[] = [
  [0, 3], [0, 6], [3, 6], [0, 1], [1, 2], [3, 4], [4, 5], [6, 7], [7, 10],
  [7, 13], [8, 13], [10, 13], [7, 8], [8, 9], [10, 11], [11, 12], [13, 14], [14, 15],
]

const NORM_FLOOR = 1e-20
const COS_SIM_EPS = 1e-8
const ANGLE_EPS = 1e-7

// ---- helpers ---------------------------------------------------------------------------------

/** Euclidean norm over the last axis (keeps no dim). */
export function safeNorm<T>(ops: Ops<T>, x: T): T {
  return ops.sqrt(ops.maximumScalar(ops.sum(ops.mul(x, x), [-1]), NORM_FLOOR))
}

function meanAll<T>(ops: Ops<T>, x: T): T {
  return ops.mean(x, Array.from({length: ops.rank(x)}, (_, i) => i))
}

function zero<T>(ops: Ops<T>): T {
  return ops.constant([0], [])
}

/** x[:, 1:] - x[:, :-1] along axis 1. */
function timeDiff<T>(ops: Ops<T>, x: T): T {
  return ops.sub(ops.slice(x, 1, 1, ops.dim(x, 1)), ops.slice(x, 1, 0, -1))
}

/** Whether the time axis is known to hold at most one frame (the official losses return 0 then). */
function tooShort(t: Dim): boolean {
  return isStaticDim(t) && t <= 1
}

function clamp<T>(ops: Ops<T>, x: T, lo: number, hi: number): T {
  // min(v, hi) = -max(-v, -hi)
  return ops.neg(ops.maximumScalar(ops.neg(ops.maximumScalar(x, lo)), -hi))
}

/** acos on [-1, 1] from A&S 4.4.46: acos(a) = sqrt(1-a)·P(a) for a = |x|, mirrored for x < 0. */
export function acosApprox<T>(ops: Ops<T>, x: T): T {
  const c = [1.570796305, -0.2145988016, 0.0889789874, -0.0501743046, 0.030891881, -0.0170881256, 0.0066700901, -0.0012624911]
  const a = ops.abs(x)
  let p = ops.addScalar(ops.scale(a, c[7]!), c[6]!)
  for (let k = 5; k >= 0; k--) p = ops.addScalar(ops.mul(p, a), c[k]!)
  const acosAbs = ops.mul(ops.sqrt(ops.addScalar(ops.neg(a), 1)), p)
  // acos(x) = π/2 + sign(x)·(acos(|x|) - π/2); sign from x / max(|x|, tiny) is 0 at x = 0.
  const sign = ops.div(x, ops.maximumScalar(a, 1e-12))
  return ops.addScalar(ops.mul(sign, ops.addScalar(acosAbs, -Math.PI / 2)), Math.PI / 2)
}

/** Limb vectors x[a] - x[b] for LIMB_PAIRS: `[N, T, 16, 3]`. */
function limbVectors<T>(ops: Ops<T>, x: T): T {
  return ops.sub(
    ops.gather(x, LIMB_PAIRS.map((p) => p[0]), 2),
    ops.gather(x, LIMB_PAIRS.map((p) => p[1]), 2),
  )
}

/** Limb lengths `[N, T, 16]` (official get_limb_lens). */
export function limbLengths<T>(ops: Ops<T>, x: T): T {
  return safeNorm(ops, limbVectors(ops, x))
}

/** Angles between limb pairs `[N, T, 18]` in radians (official get_angles). */
export function limbAngles<T>(ops: Ops<T>, x: T): T {
  const limbs = limbVectors(ops, x) // [N, T, 16, 3]
  const a = ops.gather(limbs, ANGLE_PAIRS.map((p) => p[0]), 2) // [N, T, 18, 3]
  const b = ops.gather(limbs, ANGLE_PAIRS.map((p) => p[1]), 2)
  const dot = ops.sum(ops.mul(a, b), [-1])
  const na = ops.maximumScalar(safeNorm(ops, a), COS_SIM_EPS)
  const nb = ops.maximumScalar(safeNorm(ops, b), COS_SIM_EPS)
  const cos = ops.div(dot, ops.mul(na, nb)) // F.cosine_similarity
  return acosApprox(ops, clamp(ops, cos, -1 + ANGLE_EPS, 1 - ANGLE_EPS))
}

// ---- losses ----------------------------------------------------------------------------------

/** Mean per-joint position error over everything (official loss_mpjpe). */
export function lossMpjpe<T>(ops: Ops<T>, pred: T, gt: T): T {
  return meanAll(ops, safeNorm(ops, ops.sub(pred, gt)))
}

/** MPJPE after the per-frame least-squares scale of pred onto gt (official n_mpjpe). */
export function lossNMpjpe<T>(ops: Ops<T>, pred: T, gt: T): T {
  const normPred = ops.mean(ops.sum(ops.mul(pred, pred), [3], true), [2], true) // [N, T, 1, 1]
  const normTarget = ops.mean(ops.sum(ops.mul(gt, pred), [3], true), [2], true)
  const scale = ops.div(normTarget, normPred)
  return lossMpjpe(ops, ops.mul(scale, pred), gt)
}

/** Mean per-joint velocity error (official loss_velocity); 0 for a single frame. */
export function lossVelocity<T>(ops: Ops<T>, pred: T, gt: T): T {
  if (tooShort(ops.dim(pred, 1))) return zero(ops)
  return meanAll(ops, safeNorm(ops, ops.sub(timeDiff(ops, pred), timeDiff(ops, gt))))
}

/** Mean over bones of the (unbiased) variance of each bone length over time (official loss_limb_var). */
export function lossLimbVar<T>(ops: Ops<T>, pred: T): T {
  const t = ops.dim(pred, 1)
  if (tooShort(t)) return zero(ops)
  const lens = limbLengths(ops, pred) // [N, T, 16]
  const centred = ops.sub(lens, ops.mean(lens, [1], true))
  const meanSq = ops.mean(ops.mul(centred, centred), [1]) // biased variance [N, 16]
  if (isStaticDim(t)) return meanAll(ops, ops.scale(meanSq, t / (t - 1)))
  // Dynamic T: Bessel's factor T/(T-1) from a count computed in the graph.
  const count = ops.sum(ops.addScalar(ops.scale(lens, 0), 1), [1]) // [N, 16], every entry T
  return meanAll(ops, ops.mul(meanSq, ops.div(count, ops.addScalar(count, -1))))
}

/** L1 between predicted and true bone lengths (official loss_limb_gt). */
export function lossLimbGt<T>(ops: Ops<T>, pred: T, gt: T): T {
  return meanAll(ops, ops.abs(ops.sub(limbLengths(ops, pred), limbLengths(ops, gt))))
}

/** L1 between predicted and true limb-pair angles (official loss_angle). */
export function lossAngle<T>(ops: Ops<T>, pred: T, gt: T): T {
  return meanAll(ops, ops.abs(ops.sub(limbAngles(ops, pred), limbAngles(ops, gt))))
}

/** L1 between the angles' frame differences (official loss_angle_velocity); 0 for a single frame. */
export function lossAngleVelocity<T>(ops: Ops<T>, pred: T, gt: T): T {
  if (tooShort(ops.dim(pred, 1))) return zero(ops)
  return meanAll(ops, ops.abs(ops.sub(timeDiff(ops, limbAngles(ops, pred)), timeDiff(ops, limbAngles(ops, gt)))))
}

/**
 * 2D reprojection loss for 2D-only samples (official loss_2d_weighted): mean norm of the xy
 * difference weighted by confidence. pred `[N, T, J, 3]`, target `[N, T, J, >=2]`, conf `[N, T, J, 1]`.
 */
export function loss2dWeighted<T>(ops: Ops<T>, pred: T, target: T, conf: T): T {
  const diff = ops.mul(ops.sub(ops.slice(pred, -1, 0, 2), ops.slice(target, -1, 0, 2)), conf)
  return meanAll(ops, safeNorm(ops, diff))
}

// ---- combined --------------------------------------------------------------------------------

export interface PoseLoss<T> {
  /** loss_mpjpe + Σ lambda · part, as official train_epoch. */
  total: T
  /** Every part computed (for logging), weighted or not. */
  parts: Partial<Record<PoseLossName, T>>
}

export interface CombinedLossOptions {
  /**
   * 'all' computes every part for logging, as the official loop does (default); 'weighted' only
   * those with a non-zero lambda (smaller gradient graphs).
   */
  parts?: 'all' | 'weighted'
}

/** The official 3D training objective for pred and gt `[N, T, 17, 3]`. */
export function combinedPoseLoss<T>(
  ops: Ops<T>,
  pred: T,
  gt: T,
  lambdas: Readonly<PoseLossLambdas> = DEFAULT_POSE_LOSS_LAMBDAS,
  opts: CombinedLossOptions = {},
): PoseLoss<T> {
  const compute: Record<PoseLossName, () => T> = {
    mpjpe: () => lossMpjpe(ops, pred, gt),
    n_mpjpe: () => lossNMpjpe(ops, pred, gt),
    velocity: () => lossVelocity(ops, pred, gt),
    limb_var: () => lossLimbVar(ops, pred),
    limb_gt: () => lossLimbGt(ops, pred, gt),
    angle: () => lossAngle(ops, pred, gt),
    angle_velocity: () => lossAngleVelocity(ops, pred, gt),
  }
  const parts: Partial<Record<PoseLossName, T>> = {}
  let total: T | undefined
  for (const name of POSE_LOSS_NAMES) {
    const key = LAMBDA_OF[name]
    const weight = key === null ? 1 : lambdas[key]
    if (weight === 0 && opts.parts === 'weighted') continue
    const value = compute[name]()
    parts[name] = value
    if (weight === 0) continue
    const term = weight === 1 ? value : ops.scale(value, weight)
    total = total === undefined ? term : ops.add(total, term)
  }
  return {total: total!, parts}
}
