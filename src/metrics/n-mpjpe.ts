/**
 * N-MPJPE: MPJPE after scaling each predicted frame by the least-squares factor onto the ground
 * truth (no rotation or translation), as the official `n_mpjpe` (scale per frame over joints).
 */
import type {FrameMetric} from './mpjpe.js'
import {type FloatArray, meanOf, poseLayout} from './shape.js'

export function nMpjpe(pred: FloatArray, gt: FloatArray): FrameMetric {
  const {frames, joints, dims} = poseLayout('n_mpjpe', pred, gt)
  const p = pred.data
  const g = gt.data
  const perFrame = new Float64Array(frames)
  const n = joints * dims
  for (let f = 0; f < frames; f++) {
    const o = f * n
    let pp = 0
    let gp = 0
    for (let i = 0; i < n; i++) {
      pp += p[o + i]! * p[o + i]!
      gp += g[o + i]! * p[o + i]!
    }
    // The official ratio of means over joints; the 1/J factors cancel.
    const scale = gp / pp
    let sum = 0
    for (let j = 0; j < joints; j++) {
      let sq = 0
      for (let c = 0; c < dims; c++) {
        const d = scale * p[o + j * dims + c]! - g[o + j * dims + c]!
        sq += d * d
      }
      sum += Math.sqrt(sq)
    }
    perFrame[f] = sum / joints
  }
  return {mean: meanOf(perFrame), perFrame}
}
