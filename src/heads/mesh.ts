/**
 * Mesh head: MotionBERT's SMPLRegressor (lib/model/model_mesh.py) on the DSTformer representation.
 *  - pose: per frame, fc1 → BatchNorm → ReLU → head_pose: 24 rotations in the 6D representation,
 *    offset from the mean pose (`init_pose`), turned into rotation matrices;
 *  - shape: per clip, the representation averaged over frames, fc2 → BatchNorm → ReLU → head_shape:
 *    10 SMPL betas offset from the mean shape (`init_shape`), shared by the clip's frames;
 *  - SMPL (src/nn/smpl.ts) turns them into vertices (×1000: millimetres) and H36M-17 joints
 *    regressed from the vertices with `J_regressor_h36m`.
 * The body model lives in the weights as `head.smpl.*` buffers, as official mesh checkpoints keep it
 * (or built from the user's SMPL files, src/tasks/mesh/body-model.ts).
 *
 * Graph outputs: rotmat [N, T, 24, 3, 3], betas [N, T, 10], verts [N, T, V, 3] (mm),
 * kp_3d [N, T, 17, 3] (mm). finishOutputs turns them into the official output set: theta
 * [N, T, 82] (72 axis-angle + 10 betas; the angle conversion runs in JS exactly as the official
 * code), verts and kp_3d.
 */
import type {ConfigKeySpec} from '../config/types.js'
import {rot6dToRotmat, rotmatToAxisAngle} from '../nn/rotation.js'
import {SMPL_BETAS, SMPL_JOINTS, SMPL_POSE_BASIS, regress, smplForward} from '../nn/smpl.js'
import {resolveConfig} from '../nn/registry/entry-config.js'
import type {NDArray} from '../core/ndarray.js'
import type {BackboneInfo, HeadEntry} from '../nn/registry/head.js'

export interface MeshConfig {
  [key: string]: number | boolean | string
  hidden_dim: number
  dropout: number
  num_verts: number
  num_faces: number
}

/** Body-model buffers of the official checkpoint that the forward pass does not read. */
const SMPL_BATCH = 64 // SMPLRegressor builds SMPL with batch_size=64; its unused parameters keep that size
const H36M_JOINTS = 17

const CONFIG_KEYS: readonly ConfigKeySpec[] = [
  {key: 'hidden_dim', type: 'integer', min: 1, default: 1024, inferable: true, description: 'Width of fc1/fc2 in the mesh head (official mesh configs: 1024).'},
  {key: 'dropout', type: 'number', min: 0, max: 1, default: 0,
    description: 'Dropout probability on the pose and shape features (training only; official mesh configs: 0.1, pose configs carry it as 0.0).'},
  {key: 'dropout_loc', type: 'integer', min: 0, unread: true, description: 'Present in the official mesh configs; not read by the official code.'},
  {key: 'num_verts', type: 'integer', min: 1, default: 6890, inferable: true, description: 'Vertices of the body model (SMPL: 6890), read off head.smpl.v_template.'},
  {key: 'num_faces', type: 'integer', min: 1, default: 13776, inferable: true, description: 'Triangles of the body model (SMPL: 13776), read off head.smpl.faces_tensor.'},
]

/** The SMPL parameter prefix inside the head. */
export const SMPL_PREFIX = 'smpl.'

/** Names (relative to the head) that are buffers, not trainable parameters. */
export function isMeshBuffer(name: string): boolean {
  return name.startsWith(SMPL_PREFIX) || name === 'init_pose' || name === 'init_shape' || /\.(running_mean|running_var|num_batches_tracked)$/.test(name)
}

function expectedParams(c: MeshConfig, backbone: BackboneInfo): Map<string, number[]> {
  const H = c.hidden_dim
  const V = c.num_verts
  const p = new Map<string, number[]>()
  const features = backbone.numJoints * backbone.representationDim
  for (const fc of ['fc1', 'fc2']) {
    p.set(`${fc}.weight`, [H, features])
    p.set(`${fc}.bias`, [H])
  }
  for (const bn of ['bn1', 'bn2']) for (const k of ['weight', 'bias', 'running_mean', 'running_var']) p.set(`${bn}.${k}`, [H])
  p.set('head_pose.weight', [SMPL_JOINTS * 6, H])
  p.set('head_pose.bias', [SMPL_JOINTS * 6])
  p.set('head_shape.weight', [SMPL_BETAS, H])
  p.set('head_shape.bias', [SMPL_BETAS])
  p.set('init_pose', [1, SMPL_JOINTS * 6])
  p.set('init_shape', [1, SMPL_BETAS])
  p.set('smpl.v_template', [V, 3])
  p.set('smpl.shapedirs', [V, 3, SMPL_BETAS])
  p.set('smpl.posedirs', [SMPL_POSE_BASIS, V * 3])
  p.set('smpl.J_regressor', [SMPL_JOINTS, V])
  p.set('smpl.lbs_weights', [V, SMPL_JOINTS])
  p.set('smpl.parents', [SMPL_JOINTS])
  p.set('smpl.faces_tensor', [c.num_faces, 3])
  p.set('smpl.J_regressor_h36m', [H36M_JOINTS, V])
  return p
}

export const mesh: HeadEntry<MeshConfig> = {
  name: 'mesh',
  description: 'SMPL mesh per frame (MotionBERT SMPLRegressor): theta (72 axis-angle + 10 shape), vertices and H36M joints in mm',
  task: 'mesh',
  configKeys: CONFIG_KEYS,
  defaults: {hidden_dim: 1024, dropout: 0, num_verts: 6890, num_faces: 13776},
  inputLayout: ['N', 'T', 'J', 'C'],
  outputs: ['rotmat', 'betas', 'verts', 'kp_3d'],
  finishedOutputs: ['theta', 'verts', 'kp_3d'],
  exposesRepresentation: false,
  needsRepresentation: true,
  inferConfig(weights, partial) {
    const fc1 = weights.get('fc1.weight') // [hidden, J * R]
    const vt = weights.get('smpl.v_template') // [V, 3]
    const faces = weights.get('smpl.faces_tensor') // [F, 3]
    return resolveConfig<MeshConfig>(CONFIG_KEYS, partial, {hidden_dim: fc1?.[0], num_verts: vt?.[0], num_faces: faces?.[0]}, 'mesh')
  },
  expectedParams,
  isBuffer: isMeshBuffer,
  optionalParams(c) {
    return new Map<string, number[]>([
      ['bn1.num_batches_tracked', []],
      ['bn2.num_batches_tracked', []],
      ['smpl.J_regressor_extra', [9, c.num_verts]],
      ['smpl.betas', [SMPL_BATCH, SMPL_BETAS]],
      ['smpl.global_orient', [SMPL_BATCH, 3]],
      ['smpl.body_pose', [SMPL_BATCH, (SMPL_JOINTS - 1) * 3]],
      ['smpl.vertex_joint_selector.extra_joints_idxs', [21]],
    ])
  },
  backboneInputShape: (shape) => (shape.length === 4 ? [...shape] : `expected [N, T, J, C] (rank 4), got rank ${shape.length}`),
  prepareInput: (_ops, x) => x,
  forward(ops, features, c, ctx) {
    const p = ctx.prefix
    const {representationDim: R, numJoints: J} = ctx.backbone
    const rep = features.representation! // [N, T, J, R]
    const frames = ops.dim(rep, 1)
    const feat = ops.reshape(rep, [-1, frames, J * R]) // [N, T, J*R]

    let pose = ops.dropout(ops.reshape(feat, [-1, J * R]), c.dropout) // [NT, J*R]
    pose = ops.relu(ops.batchNorm(ops.linear(pose, `${p}fc1.weight`, `${p}fc1.bias`), `${p}bn1`, 1e-5)) // [NT, H]
    let shape = ops.dropout(ops.mean(feat, [1]), c.dropout) // [N, J*R]: AdaptiveAvgPool over frames
    shape = ops.relu(ops.batchNorm(ops.linear(shape, `${p}fc2.weight`, `${p}fc2.bias`), `${p}bn2`, 1e-5)) // [N, H]

    const pose6d = ops.add(ops.linear(pose, `${p}head_pose.weight`, `${p}head_pose.bias`), ops.param(`${p}init_pose`)) // [NT, 144]
    const betasClip = ops.add(ops.linear(shape, `${p}head_shape.weight`, `${p}head_shape.bias`), ops.param(`${p}init_shape`)) // [N, 10]
    // Every frame of a clip shares its betas: broadcast over T (zeros shaped [N, T, 1] carry the frame axis).
    const frameZeros = ops.scale(ops.slice(feat, 2, 0, 1), 0) // [N, T, 1]
    const betas = ops.add(ops.reshape(betasClip, [-1, 1, SMPL_BETAS]), frameZeros) // [N, T, 10]

    const rotmat = ops.reshape(rot6dToRotmat(ops, pose6d), [-1, SMPL_JOINTS, 3, 3]) // [NT, 24, 3, 3]
    const smpl = smplForward(ops, ops.reshape(betas, [-1, SMPL_BETAS]), rotmat, `${p}${SMPL_PREFIX}`)
    const verts = ops.scale(smpl.vertices, 1000) // [NT, V, 3] mm
    const kp3d = regress(ops, ops.param(`${p}smpl.J_regressor_h36m`), verts, H36M_JOINTS) // [NT, 17, 3]
    return {
      rotmat: ops.reshape(rotmat, [-1, frames, SMPL_JOINTS, 3, 3]),
      betas,
      verts: ops.reshape(verts, [-1, frames, c.num_verts, 3]),
      kp_3d: ops.reshape(kp3d, [-1, frames, H36M_JOINTS, 3]),
    }
  },
  finishOutputs(outputs) {
    const {rotmat, betas, verts, kp_3d} = outputs
    if (!rotmat || !betas || !verts || !kp_3d) return outputs
    return {theta: thetaFromOutputs(rotmat, betas), verts, kp_3d}
  },
}

/** theta [N, T, 82] = per frame 24 axis-angle rotations (official conversion) then the 10 betas. */
export function thetaFromOutputs(rotmat: NDArray, betas: NDArray): NDArray {
  const [n, t] = rotmat.shape as [number, number]
  const frames = n * t
  const aa = rotmatToAxisAngle(rotmat.data, frames * SMPL_JOINTS) // [NT*24, 3]
  const theta = new Float32Array(frames * 82)
  for (let f = 0; f < frames; f++) {
    theta.set(aa.subarray(f * 72, f * 72 + 72), f * 82)
    theta.set(betas.data.subarray(f * SMPL_BETAS, (f + 1) * SMPL_BETAS), f * 82 + 72)
  }
  return {data: theta, shape: [n, t, 82]}
}
