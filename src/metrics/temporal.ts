/**
 * Temporal metrics along the time axis (the axis before the joints; `[T, J, C]` or `[N, T, J, C]`):
 * MPJVE (mean per-joint velocity error, the official `loss_velocity` in numbers) and the
 * acceleration error (as VIBE's compute_error_accel: second differences, mean joint distance).
 */
import type {FrameMetric} from './mpjpe.js'
import {type FloatArray, meanOf, poseLayout} from './shape.js'

/** MPJVE: per frame pair (T-1 per sequence) the mean norm of the velocity difference; input units per frame. */
export function mpjve(pred: FloatArray, gt: FloatArray): FrameMetric {
  return finiteDifferenceError('mpjve', pred, gt, [-1, 1])
}

/** Acceleration error: per inner frame (T-2 per sequence), input units per frame². */
export function accelerationError(pred: FloatArray, gt: FloatArray): FrameMetric {
  return finiteDifferenceError('acceleration_error', pred, gt, [1, -2, 1])
}

function finiteDifferenceError(metric: string, pred: FloatArray, gt: FloatArray, stencil: readonly number[]): FrameMetric {
  const {joints, dims, sequences, framesPerSequence: T} = poseLayout(metric, pred, gt, {minRank: 3})
  const width = stencil.length
  const outPerSeq = Math.max(T - width + 1, 0)
  const perFrame = new Float64Array(sequences * outPerSeq)
  // Official loss_velocity returns 0 for sequences too short to difference.
  if (outPerSeq === 0) return {mean: 0, perFrame}
  const p = pred.data
  const g = gt.data
  const frameSize = joints * dims
  for (let s = 0; s < sequences; s++) {
    for (let t = 0; t < outPerSeq; t++) {
      let sum = 0
      for (let j = 0; j < joints; j++) {
        let sq = 0
        for (let c = 0; c < dims; c++) {
          let d = 0
          for (let k = 0; k < width; k++) {
            const i = (s * T + t + k) * frameSize + j * dims + c
            d += stencil[k]! * (p[i]! - g[i]!)
          }
          sq += d * d
        }
        sum += Math.sqrt(sq)
      }
      perFrame[s * outPerSeq + t] = sum / joints
    }
  }
  return {mean: meanOf(perFrame), perFrame}
}
