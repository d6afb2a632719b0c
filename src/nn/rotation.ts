/**
 * Rotation conversions of MotionBERT's mesh code (lib/utils/utils_mesh.py, smplx/lbs.py):
 *  - rot6dToRotmat: the 6D representation → rotation matrix, against Ops (differentiable, in the model);
 *  - rotmatToAxisAngle: kornia's rotation_matrix_to_angle_axis as the official code runs it, in plain
 *    JS on output arrays (it is never differentiated: theta is an output, the losses use matrices);
 *  - axisAngleToRotmat: smplx's batch_rodrigues, in JS (ground-truth poses, flip averaging, tools);
 *  - rotationAngles: the angle of each rotation matrix against Ops (the pose part of |theta| in the
 *    official loss_norm, without an atan2 op).
 */
import type {Ops} from './ops.js'

/**
 * Official rot6d_to_rotmat: x viewed as [M, 3, 2]; b1 = normalize(col 0), b2 = normalize(col 1 minus its
 * b1 component), b3 = b1 × b2; the matrix has columns b1, b2, b3. `x` is [..., 6k]; returns [M, 3, 3]
 * with M = (all elements) / 6.
 */
export function rot6dToRotmat<T>(ops: Ops<T>, x: T): T {
  const m = ops.reshape(x, [-1, 3, 2]) // [M, 3, 2]
  const a1 = ops.slice(m, 2, 0, 1) // [M, 3, 1]
  const a2 = ops.slice(m, 2, 1, 2) // [M, 3, 1]
  const b1 = normalizeAxis1(ops, a1)
  const dot = ops.sum(ops.mul(b1, a2), [1], true) // [M, 1, 1]
  const b2 = normalizeAxis1(ops, ops.sub(a2, ops.mul(dot, b1)))
  const b3 = cross3(ops, b1, b2)
  return ops.concat([b1, b2, b3], 2) // [M, 3, 3], columns b1 b2 b3
}

/** F.normalize(v, dim=1, eps=1e-6) on [M, 3, 1]: v / max(‖v‖, 1e-6). */
function normalizeAxis1<T>(ops: Ops<T>, v: T): T {
  const norm = ops.sqrt(ops.sum(ops.mul(v, v), [1], true)) // [M, 1, 1]
  return ops.div(v, ops.maximumScalar(norm, 1e-6))
}

/** Cross product along axis 1 of [M, 3, 1] vectors. */
function cross3<T>(ops: Ops<T>, a: T, b: T): T {
  const a1 = ops.gather(a, [1, 2, 0], 1)
  const a2 = ops.gather(a, [2, 0, 1], 1)
  const b1 = ops.gather(b, [1, 2, 0], 1)
  const b2 = ops.gather(b, [2, 0, 1], 1)
  return ops.sub(ops.mul(a1, b2), ops.mul(a2, b1))
}

/**
 * The rotation angle (in [0, π]) of each 3×3 matrix of `r` [..., 3, 3], against Ops:
 * ‖R − I‖_F = 2√2·sin(θ/2), so θ = 2·asin(‖R − I‖_F / 2√2) = π − 2·acos(·). Accurate near θ = 0,
 * where most SMPL joints are (trace-based acos is not); `acos` is the caller's differentiable acos.
 */
export function rotationAngles<T>(ops: Ops<T>, r: T, acos: (x: T) => T): T {
  const eye = ops.constant([1, 0, 0, 0, 1, 0, 0, 0, 1], [3, 3])
  const d = ops.sub(r, eye) // [..., 3, 3]
  const sq = ops.sum(ops.sum(ops.mul(d, d), [-1]), [-1]) // [...]
  // Floors keep the gradient finite at the identity (zero angle) and at a half turn.
  const halfSin = ops.scale(ops.sqrt(ops.maximumScalar(sq, 1e-20)), 1 / (2 * Math.SQRT2))
  const clamped = ops.neg(ops.maximumScalar(ops.neg(halfSin), -(1 - 1e-7)))
  return ops.addScalar(ops.scale(acos(clamped), -2), Math.PI)
}

// ---- plain JS (outputs and data, not differentiated) ------------------------------------------

/**
 * Official rotation_matrix_to_angle_axis (kornia via rotation_matrix_to_quaternion and
 * quaternion_to_angle_axis, NaN → 0), for `count` row-major 3×3 matrices. Returns [count × 3].
 */
export function rotmatToAxisAngle(rotmats: ArrayLike<number>, count: number): Float32Array {
  const out = new Float32Array(count * 3)
  const eps = 1e-6
  for (let n = 0; n < count; n++) {
    const o = n * 9
    // rmat_t = transpose(R): t[i][j] = R[j][i]
    const t = (i: number, j: number): number => rotmats[o + j * 3 + i]!
    const t00 = t(0, 0)
    const t11 = t(1, 1)
    const t22 = t(2, 2)
    const maskD2 = t22 < eps
    const maskD0D1 = t00 > t11
    const maskD0ND1 = t00 < -t11
    let q: [number, number, number, number]
    let tr: number
    if (maskD2 && maskD0D1) {
      tr = 1 + t00 - t11 - t22
      q = [t(1, 2) - t(2, 1), tr, t(0, 1) + t(1, 0), t(2, 0) + t(0, 2)]
    } else if (maskD2) {
      tr = 1 - t00 + t11 - t22
      q = [t(2, 0) - t(0, 2), t(0, 1) + t(1, 0), tr, t(1, 2) + t(2, 1)]
    } else if (maskD0ND1) {
      tr = 1 - t00 - t11 + t22
      q = [t(0, 1) - t(1, 0), t(2, 0) + t(0, 2), t(1, 2) + t(2, 1), tr]
    } else {
      tr = 1 + t00 + t11 + t22
      q = [tr, t(1, 2) - t(2, 1), t(2, 0) - t(0, 2), t(0, 1) - t(1, 0)]
    }
    const s = 0.5 / Math.sqrt(tr)
    const [w, x, y, z] = [q[0] * s, q[1] * s, q[2] * s, q[3] * s]
    // quaternion_to_angle_axis
    const sinSq = x * x + y * y + z * z
    const sinTheta = Math.sqrt(sinSq)
    const twoTheta = 2 * (w < 0 ? Math.atan2(-sinTheta, -w) : Math.atan2(sinTheta, w))
    const k = sinSq > 0 ? twoTheta / sinTheta : 2
    const aa = [x * k, y * k, z * k]
    for (let c = 0; c < 3; c++) out[n * 3 + c] = Number.isNaN(aa[c]!) ? 0 : aa[c]!
  }
  return out
}

/**
 * smplx batch_rodrigues for `count` axis-angle vectors (angle = ‖v + 1e-8‖ as smplx computes it).
 * Returns row-major 3×3 matrices [count × 9].
 */
export function axisAngleToRotmat(aa: ArrayLike<number>, count: number): Float32Array {
  const out = new Float32Array(count * 9)
  for (let n = 0; n < count; n++) {
    const vx = aa[n * 3]!
    const vy = aa[n * 3 + 1]!
    const vz = aa[n * 3 + 2]!
    const angle = Math.hypot(vx + 1e-8, vy + 1e-8, vz + 1e-8)
    const [rx, ry, rz] = [vx / angle, vy / angle, vz / angle]
    const s = Math.sin(angle)
    const c1 = 1 - Math.cos(angle)
    // R = I + sin·K + (1 − cos)·K², K the cross-product matrix of the unit axis
    const K = [0, -rz, ry, rz, 0, -rx, -ry, rx, 0]
    const o = n * 9
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let kk = 0
        for (let m = 0; m < 3; m++) kk += K[i * 3 + m]! * K[m * 3 + j]!
        out[o + i * 3 + j] = (i === j ? 1 : 0) + s * K[i * 3 + j]! + c1 * kk
      }
    }
  }
  return out
}

/** SMPL joint pairs swapped by a horizontal flip (official flip_thetas). */
export const SMPL_FLIP_PAIRS: readonly (readonly [number, number])[] = [
  [1, 2], [4, 5], [7, 8], [10, 11], [13, 14], [16, 17], [18, 19], [20, 21], [22, 23],
]

/** Official flip_thetas_batch on [frames × 72] axis-angle poses: negate y and z, swap left/right. */
export function flipAxisAnglePoses(pose: ArrayLike<number>, frames: number): Float32Array {
  const out = new Float32Array(frames * 72)
  const partner = Array.from({length: 24}, (_, j) => j)
  for (const [a, b] of SMPL_FLIP_PAIRS) {
    partner[a] = b
    partner[b] = a
  }
  for (let f = 0; f < frames; f++) {
    for (let j = 0; j < 24; j++) {
      const src = f * 72 + partner[j]! * 3
      const dst = f * 72 + j * 3
      out[dst] = pose[src]!
      out[dst + 1] = -pose[src + 1]!
      out[dst + 2] = -pose[src + 2]!
    }
  }
  return out
}
