/**
 * P-MPJPE (Protocol #2): MPJPE after a per-frame similarity alignment (scale, rotation,
 * translation) of the prediction to the ground truth, as the official numpy `p_mpjpe`,
 * including its reflection handling (the alignment is always a proper rotation).
 */
import {type FrameMetric} from './mpjpe.js'
import {type FloatArray, meanOf, poseLayout} from './shape.js'
import {cross, svd3} from './svd3.js'

/** A similarity transform applied to row vectors: aligned = scale * (p @ rotation) + translation. */
export interface SimilarityTransform {
  scale: number
  /** Row-major 3x3, det +1. */
  rotation: Float64Array
  translation: [number, number, number]
}

/**
 * The similarity transform that best maps `pred` onto `gt` (both `[J, 3]`, row-major, read from
 * `offset`), exactly as official p_mpjpe computes it. Degenerate frames (all prediction joints at
 * one point, where the official code divides by zero) map every joint to the target centroid.
 */
export function procrustesTransform(
  pred: ArrayLike<number>,
  gt: ArrayLike<number>,
  joints: number,
  offset = 0,
): SimilarityTransform {
  const muX = [0, 0, 0]
  const muY = [0, 0, 0]
  for (let j = 0; j < joints; j++) {
    for (let c = 0; c < 3; c++) {
      muX[c]! += gt[offset + j * 3 + c]!
      muY[c]! += pred[offset + j * 3 + c]!
    }
  }
  for (let c = 0; c < 3; c++) {
    muX[c]! /= joints
    muY[c]! /= joints
  }
  let normX = 0
  let normY = 0
  // H = X0ᵀ Y0 with X0 the centred target and Y0 the centred prediction (normalised below).
  const h = new Float64Array(9)
  for (let j = 0; j < joints; j++) {
    const o = offset + j * 3
    for (let r = 0; r < 3; r++) {
      const x = gt[o + r]! - muX[r]!
      normX += x * x
      for (let c = 0; c < 3; c++) h[r * 3 + c]! += x * (pred[o + c]! - muY[c]!)
    }
    for (let c = 0; c < 3; c++) {
      const y = pred[o + c]! - muY[c]!
      normY += y * y
    }
  }
  normX = Math.sqrt(normX)
  normY = Math.sqrt(normY)
  if (normX === 0 || normY === 0) {
    return {scale: 0, rotation: new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]), translation: [muX[0]!, muX[1]!, muX[2]!]}
  }
  for (let i = 0; i < 9; i++) h[i]! /= normX * normY

  const {u, s, v} = svd3(h)
  // Official: R = V Uᵀ, then if det(R) < 0 the last columns of V and s change sign. Both cases are
  // R = v1 u1ᵀ + v2 u2ᵀ + (v1 × v2)(u1 × u2)ᵀ and trace = s1 + s2 + (u1 × u2)ᵀ H (v1 × v2),
  // which holds whatever signs the decomposition gave the third columns.
  const column = (m: Float64Array, j: number): number[] => [m[j]!, m[3 + j]!, m[6 + j]!]
  const u3 = cross(column(u, 0), column(u, 1))
  const v3 = cross(column(v, 0), column(v, 1))
  const rotation = new Float64Array(9)
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) {
      rotation[r * 3 + c] = v[r * 3]! * u[c * 3]! + v[r * 3 + 1]! * u[c * 3 + 1]! + v3[r]! * u3[c]!
    }
  }
  let u3hv3 = 0
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) u3hv3 += u3[r]! * h[r * 3 + c]! * v3[c]!
  const trace = s[0]! + s[1]! + u3hv3
  const scale = (trace * normX) / normY
  const translation: [number, number, number] = [0, 0, 0]
  for (let c = 0; c < 3; c++) {
    let muYR = 0
    for (let k = 0; k < 3; k++) muYR += muY[k]! * rotation[k * 3 + c]!
    translation[c] = muX[c]! - scale * muYR
  }
  return {scale, rotation, translation}
}

/** Applies a similarity transform to `[J, 3]` points (read from `offset`) into `out` at `offset`. */
export function applySimilarity(t: SimilarityTransform, points: ArrayLike<number>, joints: number, out: Float64Array, offset = 0): void {
  const r = t.rotation
  for (let j = 0; j < joints; j++) {
    const o = offset + j * 3
    const x = points[o]!
    const y = points[o + 1]!
    const z = points[o + 2]!
    for (let c = 0; c < 3; c++) out[o + c] = t.scale * (x * r[c]! + y * r[3 + c]! + z * r[6 + c]!) + t.translation[c]!
  }
}

/** The prediction aligned per frame to the ground truth (`[..., J, 3]`, Float64). */
export function procrustesAlign(pred: FloatArray, gt: FloatArray): {data: Float64Array; shape: number[]} {
  const {frames, joints} = poseLayout('procrustes', pred, gt, {dims: 3})
  const out = new Float64Array(pred.data.length)
  for (let f = 0; f < frames; f++) {
    const t = procrustesTransform(pred.data, gt.data, joints, f * joints * 3)
    applySimilarity(t, pred.data, joints, out, f * joints * 3)
  }
  return {data: out, shape: [...pred.shape]}
}

/** P-MPJPE of `[..., J, 3]` arrays, per frame and mean. */
export function pMpjpe(pred: FloatArray, gt: FloatArray): FrameMetric {
  const {frames, joints} = poseLayout('p_mpjpe', pred, gt, {dims: 3})
  const perFrame = new Float64Array(frames)
  const aligned = new Float64Array(joints * 3)
  const g = gt.data
  for (let f = 0; f < frames; f++) {
    const offset = f * joints * 3
    const t = procrustesTransform(pred.data, g, joints, offset)
    applySimilarity(t, pred.data.subarray(offset, offset + joints * 3), joints, aligned)
    let sum = 0
    for (let j = 0; j < joints; j++) {
      const dx = aligned[j * 3]! - g[offset + j * 3]!
      const dy = aligned[j * 3 + 1]! - g[offset + j * 3 + 1]!
      const dz = aligned[j * 3 + 2]! - g[offset + j * 3 + 2]!
      sum += Math.sqrt(dx * dx + dy * dy + dz * dz)
    }
    perFrame[f] = sum / joints
  }
  return {mean: meanOf(perFrame), perFrame}
}
