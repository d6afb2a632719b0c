/**
 * 3x3 rotation helpers for BVH: Euler angles in any Tait-Bryan order, shortest-arc rotations and
 * frames built from two directions. Matrices are row-major `number[9]`, applied to column vectors.
 *
 * BVH convention (and Blender's importer): a joint with channels `Zrotation Xrotation Yrotation`
 * has the local rotation R = Rz(z) · Rx(x) · Ry(y); the first listed axis is the outermost.
 */
export type Vec3 = [number, number, number]
export type Mat3 = number[]
export type Axis = 0 | 1 | 2
/** An Euler order as the axes in channel order, e.g. [2, 0, 1] for `Zrotation Xrotation Yrotation`. */
export type EulerOrder = readonly [Axis, Axis, Axis]

export const IDENTITY: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1]
const DEG = Math.PI / 180

export function axisRotation(axis: Axis, radians: number): Mat3 {
  const c = Math.cos(radians)
  const s = Math.sin(radians)
  if (axis === 0) return [1, 0, 0, 0, c, -s, 0, s, c]
  if (axis === 1) return [c, 0, s, 0, 1, 0, -s, 0, c]
  return [c, -s, 0, s, c, 0, 0, 0, 1]
}

export function matMul(a: Mat3, b: Mat3): Mat3 {
  const out = new Array<number>(9)
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) out[i * 3 + j] = a[i * 3]! * b[j]! + a[i * 3 + 1]! * b[3 + j]! + a[i * 3 + 2]! * b[6 + j]!
  }
  return out
}

export function transpose(a: Mat3): Mat3 {
  return [a[0]!, a[3]!, a[6]!, a[1]!, a[4]!, a[7]!, a[2]!, a[5]!, a[8]!]
}

export function apply(m: Mat3, v: readonly number[]): Vec3 {
  return [
    m[0]! * v[0]! + m[1]! * v[1]! + m[2]! * v[2]!,
    m[3]! * v[0]! + m[4]! * v[1]! + m[5]! * v[2]!,
    m[6]! * v[0]! + m[7]! * v[1]! + m[8]! * v[2]!,
  ]
}

export function dot(a: readonly number[], b: readonly number[]): number {
  return a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!
}

export function cross(a: readonly number[], b: readonly number[]): Vec3 {
  return [a[1]! * b[2]! - a[2]! * b[1]!, a[2]! * b[0]! - a[0]! * b[2]!, a[0]! * b[1]! - a[1]! * b[0]!]
}

export function norm(a: readonly number[]): number {
  return Math.hypot(a[0]!, a[1]!, a[2]!)
}

/** Unit vector, or undefined for a (near) zero vector. */
export function normalize(a: readonly number[]): Vec3 | undefined {
  const n = norm(a)
  return n > 1e-12 ? [a[0]! / n, a[1]! / n, a[2]! / n] : undefined
}

/** Rotation from Euler angles in degrees, listed in channel order: R = R_a(θ0) · R_b(θ1) · R_c(θ2). */
export function eulerToMatrix(order: EulerOrder, degrees: readonly number[]): Mat3 {
  return matMul(matMul(axisRotation(order[0], degrees[0]! * DEG), axisRotation(order[1], degrees[1]! * DEG)), axisRotation(order[2], degrees[2]! * DEG))
}

/**
 * Euler angles (degrees, channel order) for a rotation, picking among the equivalent solutions
 * (the two Tait-Bryan branches, each angle ±360°) the one nearest `previous`, so consecutive frames
 * do not flip. The third angle is solved from the residual rotation, so the result reproduces `m`
 * exactly even at gimbal lock (where the first angle is kept from `previous`).
 */
export function matrixToEuler(m: Mat3, order: EulerOrder, previous?: readonly number[]): Vec3 {
  const [i, j, k] = order
  // +1 for cyclic orders (XYZ, YZX, ZXY), -1 for the others.
  const e = (j - i + 3) % 3 === 1 ? 1 : -1
  const at = (r: number, c: number): number => m[r * 3 + c]!
  const sinB = Math.max(-1, Math.min(1, e * at(i, k)))
  const b = Math.asin(sinB)
  const cosB = Math.sqrt(Math.max(0, 1 - sinB * sinB))
  const candidates: Vec3[] = []
  const prevA = previous ? previous[0]! * DEG : 0
  if (cosB < 1e-9) {
    candidates.push(completeEuler(m, order, prevA, b))
  } else {
    const a = Math.atan2(-e * at(j, k), at(k, k))
    candidates.push(completeEuler(m, order, a, b))
    candidates.push(completeEuler(m, order, a + Math.PI, Math.PI - b))
  }
  let best = candidates[0]!.map((r) => r / DEG) as Vec3
  if (previous) {
    let bestDist = Infinity
    for (const cand of candidates) {
      const deg = cand.map((r, n) => unwrapNear(r / DEG, previous[n]!)) as Vec3
      const dist = Math.abs(deg[0] - previous[0]!) + Math.abs(deg[1] - previous[1]!) + Math.abs(deg[2] - previous[2]!)
      if (dist < bestDist) {
        bestDist = dist
        best = deg
      }
    }
  }
  return best
}

/** Given the first two angles (radians), the third is the rotation left over about the last axis. */
function completeEuler(m: Mat3, order: EulerOrder, a: number, b: number): Vec3 {
  const rest = matMul(transpose(matMul(axisRotation(order[0], a), axisRotation(order[1], b))), m)
  const k = order[2]
  const p = (k + 1) % 3
  const q = (k + 2) % 3
  return [a, b, Math.atan2(rest[q * 3 + p]!, rest[p * 3 + p]!)]
}

function unwrapNear(deg: number, target: number): number {
  return deg + 360 * Math.round((target - deg) / 360)
}

/** The smallest rotation taking unit vector `from` to unit vector `to`; `fallbackAxis` (unit, ⟂ from) for 180°. */
export function shortestArc(from: Vec3, to: Vec3, fallbackAxis: Vec3): Mat3 {
  const c = dot(from, to)
  const axis = cross(from, to)
  const s = norm(axis)
  if (s < 1e-9) {
    if (c > 0) return [...IDENTITY]
    return axisAngle(fallbackAxis, Math.PI)
  }
  return axisAngle([axis[0] / s, axis[1] / s, axis[2] / s], Math.atan2(s, c))
}

/** Rodrigues' rotation about a unit axis. */
export function axisAngle(u: Vec3, angle: number): Mat3 {
  const c = Math.cos(angle)
  const s = Math.sin(angle)
  const t = 1 - c
  const [x, y, z] = u
  return [
    t * x * x + c, t * x * y - s * z, t * x * z + s * y,
    t * x * y + s * z, t * y * y + c, t * y * z - s * x,
    t * x * z - s * y, t * y * z + s * x, t * z * z + c,
  ]
}

/**
 * The orthonormal frame whose columns are (primary, secondary made ⟂ to primary, their cross
 * product); undefined when the two directions are (nearly) parallel.
 */
export function frameFrom(primary: Vec3, secondary: Vec3): Mat3 | undefined {
  const e1 = normalize(primary)
  if (!e1) return undefined
  const d = dot(secondary, e1)
  const e2 = normalize([secondary[0] - d * e1[0], secondary[1] - d * e1[1], secondary[2] - d * e1[2]])
  if (!e2 || norm(secondary) < 1e-12 || Math.abs(d) / norm(secondary) > 0.9999) return undefined
  const e3 = cross(e1, e2)
  return [e1[0], e2[0], e3[0], e1[1], e2[1], e3[1], e1[2], e2[2], e3[2]]
}
