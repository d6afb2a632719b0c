/**
 * The SMPL body model's forward pass (smplx lbs with pose2rot=False, as MotionBERT's SMPLRegressor
 * calls it), written against Ops so both executors run it and gradients flow to betas and rotations:
 *
 *   v_shaped  = v_template + shapedirs · β                       (shape blend shapes)
 *   J         = J_regressor · v_shaped                           (rest-pose joints)
 *   v_posed   = v_shaped + posedirs · vec(R[1:] − I)             (pose blend shapes)
 *   G_k       = G_parent(k) · [R_k | J_k − J_parent(k)]          (rigid transforms down the tree)
 *   v         = Σ_k w_vk · (G_k − [0 | G_k·J_k]) · [v_posed; 1]  (linear blend skinning)
 *
 * The body model's arrays are parameters under a prefix (official checkpoints: `head.smpl.`), named
 * as smplx registers them: v_template [V, 3], shapedirs [V, 3, 10], posedirs [207, V·3],
 * J_regressor [24, V], lbs_weights [V, 24]. The kinematic tree is SMPL's (checked when a body model
 * is loaded, see body-model.ts); it is walked level by level so the graph stays small.
 */
import type {Ops} from './ops.js'

/** SMPL's 24 joints: parent of each (smplx `parents`, kintree_table[0] with -1 at the root). */
export const SMPL_PARENTS: readonly number[] = [-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21]
export const SMPL_JOINTS = 24
export const SMPL_BETAS = 10
/** 23 non-root joints × 9 matrix entries. */
export const SMPL_POSE_BASIS = 207

/** Names of the body-model arrays the forward pass reads (under a prefix such as `head.smpl.`). */
export const SMPL_BUFFERS = ['v_template', 'shapedirs', 'posedirs', 'J_regressor', 'lbs_weights'] as const

export interface SmplOutput<T> {
  /** [B, V, 3], in the body model's units (metres for SMPL). */
  vertices: T
  /** [B, 24, 3] posed SMPL joints. */
  joints: T
}

/** Joints grouped by depth in the tree, root first; every joint's parent is in an earlier level. */
export function treeLevels(parents: readonly number[]): number[][] {
  const depth = parents.map(() => -1)
  const depthOf = (j: number): number => {
    if (depth[j]! >= 0) return depth[j]!
    const p = parents[j]!
    depth[j] = p < 0 ? 0 : depthOf(p) + 1
    return depth[j]!
  }
  parents.forEach((_, j) => depthOf(j))
  const levels: number[][] = []
  depth.forEach((d, j) => (levels[d] ??= []).push(j))
  return levels
}

/**
 * SMPL forward: betas [B, 10] and rotation matrices [B, 24, 3, 3] (root first) → vertices and joints.
 * `prefix` names the body-model parameters (e.g. `head.smpl.`).
 */
export function smplForward<T>(ops: Ops<T>, betas: T, rotmats: T, prefix: string, parents: readonly number[] = SMPL_PARENTS): SmplOutput<T> {
  const p = (name: string): T => ops.param(prefix + name)
  const vTemplate = p('v_template') // [V, 3]
  const numVerts = ops.dim(vTemplate, 0)
  const numJoints = parents.length

  // Shape blend shapes: einsum('bl,mkl->bmk') as one matmul with shapedirs viewed [V·3, 10].
  const shapedirs = ops.reshape(p('shapedirs'), [-1, SMPL_BETAS]) // [V*3, 10]
  const shapeOffsets = ops.reshape(ops.matmul(betas, shapedirs, {transposeB: true}), [-1, numVerts, 3]) // [B, V, 3]
  const vShaped = ops.add(vTemplate, shapeOffsets) // [B, V, 3]

  const joints = regress(ops, p('J_regressor'), vShaped, numJoints) // [B, 24, 3]

  // Pose blend shapes from (R_k − I) of the non-root joints.
  const eye = ops.constant([1, 0, 0, 0, 1, 0, 0, 0, 1], [3, 3])
  const poseFeature = ops.reshape(ops.sub(ops.slice(rotmats, 1, 1, numJoints), eye), [-1, (numJoints - 1) * 9]) // [B, 207]
  const poseOffsets = ops.reshape(ops.matmul(poseFeature, p('posedirs')), [-1, numVerts, 3]) // [B, V, 3]
  const vPosed = ops.add(poseOffsets, vShaped) // [B, V, 3]

  const {worldR, worldT} = rigidTransforms(ops, rotmats, joints, parents) // [B, 24, 3, 3], [B, 24, 3]

  // Relative transforms A_k = [G_R | G_t − G_R·J_k], flattened to 12 numbers per joint.
  const rotatedRest = ops.sum(ops.mul(worldR, ops.reshape(joints, [-1, numJoints, 1, 3])), [-1]) // [B, 24, 3]
  const relT = ops.reshape(ops.sub(worldT, rotatedRest), [-1, numJoints, 3, 1]) // [B, 24, 3, 1]
  const A = ops.reshape(ops.concat([worldR, relT], 3), [-1, numJoints, 12]) // [B, 24, 12]

  // Skinning: per-vertex blend of the transforms as one matmul [V, 24] · [24, B·12].
  const Aflat = ops.reshape(ops.transpose(A, [1, 0, 2]), [numJoints, -1]) // [24, B*12]
  const blended = ops.matmul(p('lbs_weights'), Aflat) // [V, B*12]
  const perVertex = ops.transpose(ops.reshape(blended, [numVerts, -1, 3, 4]), [1, 0, 2, 3]) // [B, V, 3, 4]
  // T · [v_posed; 1] as smplx computes it (homogeneous coordinates; no slicing of T)
  const ones = ops.addScalar(ops.scale(ops.slice(vPosed, 2, 0, 1), 0), 1) // [B, V, 1]
  const homogeneous = ops.reshape(ops.concat([vPosed, ones], 2), [-1, numVerts, 1, 4]) // [B, V, 1, 4]
  const vertices = ops.sum(ops.mul(perVertex, homogeneous), [-1]) // [B, V, 3]
  return {vertices, joints: worldT}
}

/**
 * `regressor` [K, V] applied to every frame's vertices [B, V, 3] → [B, K, 3]
 * (smplx vertices2joints, einsum 'bik,ji->bjk'), as one matmul over V.
 */
export function regress<T>(ops: Ops<T>, regressor: T, vertices: T, rows: number): T {
  const numVerts = ops.dim(vertices, 1)
  const byVertex = ops.reshape(ops.transpose(vertices, [1, 0, 2]), [numVerts, -1]) // [V, B*3]
  const out = ops.reshape(ops.matmul(regressor, byVertex), [rows, -1, 3]) // [K, B, 3]
  return ops.transpose(out, [1, 0, 2]) // [B, K, 3]
}

/**
 * smplx batch_rigid_transform: world rotations and joint positions of every joint, composing each
 * joint's local transform [R_k | J_k − J_parent] onto its parent's, one tree level at a time.
 */
function rigidTransforms<T>(ops: Ops<T>, rotmats: T, joints: T, parents: readonly number[]): {worldR: T; worldT: T} {
  const n = parents.length
  const parentJoints = ops.gather(joints, parents.slice(1), 1) // [B, 23, 3]
  const relJoints = ops.concat([ops.slice(joints, 1, 0, 1), ops.sub(ops.slice(joints, 1, 1, n), parentJoints)], 1) // [B, 24, 3]

  const levels = treeLevels(parents)
  const order: number[] = [] // joints in the order their transforms are concatenated
  const position = new Array<number>(n)
  let worldR: T | null = null // [B, done, 3, 3]
  let worldT: T | null = null // [B, done, 3]
  for (const level of levels) {
    const localR = ops.gather(rotmats, level, 1) // [B, m, 3, 3]
    const localT = ops.gather(relJoints, level, 1) // [B, m, 3]
    let newR: T
    let newT: T
    if (worldR === null || worldT === null) {
      newR = localR
      newT = localT
    } else {
      const at = level.map((j) => position[parents[j]!]!)
      const parentR = ops.gather(worldR, at, 1) // [B, m, 3, 3]
      const parentT = ops.gather(worldT, at, 1) // [B, m, 3]
      newR = ops.matmul(parentR, localR)
      newT = ops.add(ops.sum(ops.mul(parentR, ops.reshape(localT, [-1, level.length, 1, 3])), [-1]), parentT)
    }
    for (const j of level) {
      position[j] = order.length
      order.push(j)
    }
    worldR = worldR === null ? newR : ops.concat([worldR, newR], 1)
    worldT = worldT === null ? newT : ops.concat([worldT, newT], 1)
  }
  // Back to joint order.
  const back = Array.from({length: n}, (_, j) => position[j]!)
  return {worldR: ops.gather(worldR!, back, 1), worldT: ops.gather(worldT!, back, 1)}
}
