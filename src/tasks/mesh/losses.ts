/**
 * MotionBERT's mesh training objective (lib/model/loss_mesh.py MeshLoss, weighted as train_mesh.py
 * does), against Ops so tfjs autograd and the ONNX gradient graphs compute the same thing:
 *
 *   total = lambda_3d·loss_3d_pos + lambda_scale·loss_3d_scale + lambda_3dv·loss_3d_velocity
 *         + lambda_lv·loss_lv + lambda_lg·loss_lg + lambda_a·loss_a + lambda_av·loss_av
 *         + lambda_shape·loss_shape + lambda_pose·loss_pose + lambda_norm·loss_norm
 *         (+ lambda_verts·loss_verts, ours; 0 by default as the official objective has no vertex term)
 *
 * The joint terms are the pose losses (src/nn/losses.ts) on root-relative kp_3d in mm. loss_pose
 * compares rotation matrices (L1 or MSE by loss_type): the official code converts the predicted
 * matrices to axis-angle and back with batch_rodrigues, an identity on rotations, so the predicted
 * matrices are used directly. loss_norm is the mean norm of theta per frame; the axis-angle part's
 * norm is each rotation's angle, computed from the matrices (rotationAngles).
 */
import type {Ops} from '../../nn/ops.js'
import {acosApprox, lossAngle, lossAngleVelocity, lossLimbGt, lossLimbVar, lossMpjpe, lossNMpjpe, lossVelocity, safeNorm} from '../../nn/losses.js'
import {rotationAngles} from '../../nn/rotation.js'

export interface MeshLossConfig {
  lambda_3d: number
  lambda_scale: number
  lambda_3dv: number
  lambda_lv: number
  lambda_lg: number
  lambda_a: number
  lambda_av: number
  lambda_pose: number
  lambda_shape: number
  lambda_norm: number
  /** Ours: mean root-relative vertex error (mm); 0 keeps the official objective. */
  lambda_verts: number
  /** criterion for loss_pose and loss_shape (nn.L1Loss or nn.MSELoss, mean). */
  loss_type: 'MSE' | 'L1'
}

/** The official mesh configs' values (configs/mesh/MB_ft_h36m.yaml). */
export const DEFAULT_MESH_LOSS: Readonly<MeshLossConfig> = Object.freeze({
  lambda_3d: 0.5,
  lambda_scale: 0,
  lambda_3dv: 10,
  lambda_lv: 0,
  lambda_lg: 0,
  lambda_a: 0,
  lambda_av: 0,
  lambda_pose: 1000,
  lambda_shape: 1,
  lambda_norm: 20,
  lambda_verts: 0,
  loss_type: 'L1',
})

/** Config keys of the mesh loss, in the official order of the loss dict. */
export const MESH_LOSS_NAMES = [
  'loss_3d_pos',
  'loss_3d_scale',
  'loss_3d_velocity',
  'loss_lv',
  'loss_lg',
  'loss_a',
  'loss_av',
  'loss_pose',
  'loss_shape',
  'loss_norm',
  'loss_verts',
] as const
export type MeshLossName = (typeof MESH_LOSS_NAMES)[number]

const LAMBDA_OF: Record<MeshLossName, Exclude<keyof MeshLossConfig, 'loss_type'>> = {
  loss_3d_pos: 'lambda_3d',
  loss_3d_scale: 'lambda_scale',
  loss_3d_velocity: 'lambda_3dv',
  loss_lv: 'lambda_lv',
  loss_lg: 'lambda_lg',
  loss_a: 'lambda_a',
  loss_av: 'lambda_av',
  loss_pose: 'lambda_pose',
  loss_shape: 'lambda_shape',
  loss_norm: 'lambda_norm',
  loss_verts: 'lambda_verts',
}

/** Build a full loss config from a raw config (MotionBERT keys); missing keys take the defaults. */
export function meshLossConfig(raw: Readonly<Record<string, unknown>> = {}): MeshLossConfig {
  const out: MeshLossConfig = {...DEFAULT_MESH_LOSS}
  for (const key of Object.values(LAMBDA_OF)) {
    const v = raw[key]
    if (typeof v === 'number' && Number.isFinite(v)) out[key] = v
  }
  if (raw.loss_type === 'MSE' || raw.loss_type === 'L1') out.loss_type = raw.loss_type
  return out
}

/** What the mesh head predicts (graph outputs of the mesh head). */
export interface MeshPrediction<T> {
  /** [N, T, 24, 3, 3] */
  rotmat: T
  /** [N, T, 10] */
  betas: T
  /** [N, T, 17, 3] mm */
  kp_3d: T
  /** [N, T, V, 3] mm; needed only when lambda_verts > 0. */
  verts?: T
}

/** Ground truth; rotmat from the true theta through axisAngleToRotmat (src/nn/rotation.ts). */
export interface MeshTarget<T> {
  rotmat: T
  betas: T
  kp_3d: T
  verts?: T
}

export interface MeshLoss<T> {
  total: T
  parts: Partial<Record<MeshLossName, T>>
}

export interface MeshLossOptions {
  /** 'all' computes every part for logging as the official loop does (default); 'weighted' only non-zero ones. */
  parts?: 'all' | 'weighted'
}

/** The official mesh objective for one batch. */
export function meshLoss<T>(ops: Ops<T>, pred: MeshPrediction<T>, gt: MeshTarget<T>, config: Readonly<MeshLossConfig> = DEFAULT_MESH_LOSS, opts: MeshLossOptions = {}): MeshLoss<T> {
  const rootRel = (x: T): T => ops.sub(x, ops.slice(x, 2, 0, 1)) // [N, T, 17, 3] minus the pelvis
  const predLocal = rootRel(pred.kp_3d)
  const gtLocal = rootRel(gt.kp_3d)
  const criterion = (a: T, b: T): T => {
    const d = ops.sub(a, b)
    return meanAll(ops, config.loss_type === 'L1' ? ops.abs(d) : ops.mul(d, d))
  }
  const compute: Record<MeshLossName, () => T> = {
    loss_3d_pos: () => lossMpjpe(ops, predLocal, gtLocal),
    loss_3d_scale: () => lossNMpjpe(ops, predLocal, gtLocal),
    loss_3d_velocity: () => lossVelocity(ops, predLocal, gtLocal),
    loss_lv: () => lossLimbVar(ops, predLocal),
    loss_lg: () => lossLimbGt(ops, predLocal, gtLocal),
    loss_a: () => lossAngle(ops, predLocal, gtLocal),
    loss_av: () => lossAngleVelocity(ops, predLocal, gtLocal),
    loss_pose: () => criterion(pred.rotmat, gt.rotmat),
    loss_shape: () => criterion(pred.betas, gt.betas),
    loss_norm: () => thetaNorm(ops, pred.rotmat, pred.betas),
    loss_verts: () => {
      if (!pred.verts || !gt.verts) throw new Error('meshLoss: lambda_verts needs verts in the prediction and the target')
      const rel = (v: T, kp: T): T => ops.sub(v, ops.slice(kp, 2, 0, 1))
      return meanAll(ops, safeNorm(ops, ops.sub(rel(pred.verts, pred.kp_3d), rel(gt.verts, gt.kp_3d))))
    },
  }
  const parts: Partial<Record<MeshLossName, T>> = {}
  let total: T | undefined
  for (const name of MESH_LOSS_NAMES) {
    const weight = config[LAMBDA_OF[name]]
    if (weight === 0 && (opts.parts === 'weighted' || (name === 'loss_verts' && !pred.verts))) continue
    const value = compute[name]()
    parts[name] = value
    if (weight === 0) continue
    const term = weight === 1 ? value : ops.scale(value, weight)
    total = total === undefined ? term : ops.add(total, term)
  }
  return {total: total ?? ops.constant([0], []), parts}
}

/** torch.norm(theta, dim=-1).mean(): ‖(24 axis-angle vectors, 10 betas)‖ per frame, averaged. */
export function thetaNorm<T>(ops: Ops<T>, rotmat: T, betas: T): T {
  const angles = rotationAngles(ops, rotmat, (x) => acosApprox(ops, x)) // [N, T, 24]
  const sq = ops.add(ops.sum(ops.mul(angles, angles), [-1]), ops.sum(ops.mul(betas, betas), [-1])) // [N, T]
  return meanAll(ops, ops.sqrt(ops.maximumScalar(sq, 1e-20)))
}

function meanAll<T>(ops: Ops<T>, x: T): T {
  return ops.mean(x, Array.from({length: ops.rank(x)}, (_, i) => i))
}
