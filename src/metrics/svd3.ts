/**
 * Singular value decomposition of a 3x3 matrix, enough for rigid alignment (Kabsch/Procrustes).
 * V and the singular values come from a cyclic Jacobi eigen-decomposition of AᵀA (sorted
 * descending); U's columns are A·vᵢ/sᵢ, completed to an orthonormal basis where sᵢ is (near) zero.
 * Matrices are row-major Float64Array(9).
 */

export interface Svd3 {
  /** Left singular vectors as columns (det may be -1, like V's). */
  u: Float64Array
  /** Singular values, descending, all >= 0. */
  s: Float64Array
  /** Right singular vectors as columns (det may be -1). */
  v: Float64Array
}

/** Eigen-decomposition of a symmetric 3x3 matrix by cyclic Jacobi rotations. */
export function symmetricEigen3(m: Float64Array): {values: Float64Array; vectors: Float64Array} {
  const a = Float64Array.from(m)
  const v = new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1])
  for (let sweep = 0; sweep < 60; sweep++) {
    const off = a[1]! * a[1]! + a[2]! * a[2]! + a[5]! * a[5]!
    const diag = a[0]! * a[0]! + a[4]! * a[4]! + a[8]! * a[8]!
    if (off <= 1e-32 * diag || off === 0) break
    for (const [p, q] of [
      [0, 1],
      [0, 2],
      [1, 2],
    ] as const) {
      const apq = a[p * 3 + q]!
      if (apq === 0) continue
      const app = a[p * 3 + p]!
      const aqq = a[q * 3 + q]!
      // Rotation angle that zeroes a[p][q] (Golub & Van Loan, symmetric Schur).
      const theta = (aqq - app) / (2 * apq)
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1))
      const c = 1 / Math.sqrt(t * t + 1)
      const s = t * c
      for (let k = 0; k < 3; k++) {
        // A <- Jᵀ A J, applied as column then row updates.
        const akp = a[k * 3 + p]!
        const akq = a[k * 3 + q]!
        a[k * 3 + p] = c * akp - s * akq
        a[k * 3 + q] = s * akp + c * akq
      }
      for (let k = 0; k < 3; k++) {
        const apk = a[p * 3 + k]!
        const aqk = a[q * 3 + k]!
        a[p * 3 + k] = c * apk - s * aqk
        a[q * 3 + k] = s * apk + c * aqk
      }
      for (let k = 0; k < 3; k++) {
        const vkp = v[k * 3 + p]!
        const vkq = v[k * 3 + q]!
        v[k * 3 + p] = c * vkp - s * vkq
        v[k * 3 + q] = s * vkp + c * vkq
      }
    }
  }
  const order = [0, 1, 2].sort((i, j) => a[j * 4]! - a[i * 4]!)
  const values = new Float64Array(3)
  const vectors = new Float64Array(9)
  order.forEach((src, dst) => {
    values[dst] = a[src * 4]!
    for (let k = 0; k < 3; k++) vectors[k * 3 + dst] = v[k * 3 + src]!
  })
  return {values, vectors}
}

/** SVD of a 3x3 row-major matrix: A = U diag(s) Vᵀ. */
export function svd3(a: Float64Array): Svd3 {
  const ata = new Float64Array(9)
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      let sum = 0
      for (let k = 0; k < 3; k++) sum += a[k * 3 + i]! * a[k * 3 + j]!
      ata[i * 3 + j] = sum
    }
  }
  const {values, vectors: v} = symmetricEigen3(ata)
  const s = values.map((x) => Math.sqrt(Math.max(x, 0)))
  const u = new Float64Array(9)
  const col = (m: Float64Array, j: number): number[] => [m[j]!, m[3 + j]!, m[6 + j]!]
  const setCol = (m: Float64Array, j: number, x: readonly number[]): void => {
    m[j] = x[0]!
    m[3 + j] = x[1]!
    m[6 + j] = x[2]!
  }
  const tol = 1e-12 * Math.max(s[0]!, Number.MIN_VALUE)
  for (let j = 0; j < 3; j++) {
    const vj = col(v, j)
    let av = [0, 1, 2].map((r) => a[r * 3]! * vj[0]! + a[r * 3 + 1]! * vj[1]! + a[r * 3 + 2]! * vj[2]!)
    if (s[j]! > tol) {
      av = av.map((x) => x / s[j]!)
      // Re-orthogonalise against the earlier columns (rounding).
      for (let k = 0; k < j; k++) av = orthogonalTo(av, col(u, k))
      av = normalise(av)
    } else if (j === 0) {
      av = [1, 0, 0]
    } else if (j === 1) {
      av = anyOrthogonal(col(u, 0))
    } else {
      av = cross(col(u, 0), col(u, 1))
    }
    setCol(u, j, av)
  }
  return {u, s, v}
}

export function cross(a: readonly number[], b: readonly number[]): number[] {
  return [a[1]! * b[2]! - a[2]! * b[1]!, a[2]! * b[0]! - a[0]! * b[2]!, a[0]! * b[1]! - a[1]! * b[0]!]
}

function dot(a: readonly number[], b: readonly number[]): number {
  return a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!
}

function normalise(a: readonly number[]): number[] {
  const n = Math.sqrt(dot(a, a))
  return a.map((x) => x / n)
}

function orthogonalTo(a: readonly number[], unit: readonly number[]): number[] {
  const d = dot(a, unit)
  return a.map((x, i) => x - d * unit[i]!)
}

function anyOrthogonal(unit: readonly number[]): number[] {
  const axis = Math.abs(unit[0]!) < 0.9 ? [1, 0, 0] : [0, 1, 0]
  return normalise(orthogonalTo(axis, unit))
}

/** Determinant of a row-major 3x3 matrix. */
export function det3(m: Float64Array): number {
  return (
    m[0]! * (m[4]! * m[8]! - m[5]! * m[7]!) - m[1]! * (m[3]! * m[8]! - m[5]! * m[6]!) + m[2]! * (m[3]! * m[7]! - m[4]! * m[6]!)
  )
}
