/** Mean per-joint position error (Protocol #1), as the official numpy `mpjpe` (lib/model/loss.py). */
import {type FloatArray, meanOf, poseLayout, squaredDistanceAt} from './shape.js'

export interface FrameMetric {
  /** Mean over all frames (and joints), in the input units. */
  mean: number
  /** One value per frame (leading axes flattened), in the input units. */
  perFrame: Float64Array
}

/** MPJPE of `[..., J, C]` arrays: per frame the mean Euclidean joint distance. */
export function mpjpe(pred: FloatArray, gt: FloatArray): FrameMetric {
  const {frames, joints, dims} = poseLayout('mpjpe', pred, gt)
  const perFrame = new Float64Array(frames)
  const p = pred.data
  const g = gt.data
  for (let f = 0; f < frames; f++) {
    let sum = 0
    for (let j = 0; j < joints; j++) {
      sum += Math.sqrt(squaredDistanceAt(p, g, (f * joints + j) * dims, dims))
    }
    perFrame[f] = sum / joints
  }
  return {mean: meanOf(perFrame), perFrame}
}
