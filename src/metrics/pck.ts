/** 3DPCK: the percentage of joints whose error is below a threshold (150 mm by convention). */
import {type FloatArray, poseLayout, squaredDistanceAt} from './shape.js'

export interface PckResult {
  /** Percentage (0-100) of joints within the threshold, over all frames. */
  pck: number
  /** Percentage per frame. */
  perFrame: Float64Array
  threshold: number
}

/** Threshold in the input units; 150 assumes millimetres. Align (e.g. root-relative) before calling. */
export function pck(pred: FloatArray, gt: FloatArray, threshold = 150): PckResult {
  const {frames, joints, dims} = poseLayout('pck', pred, gt)
  const p = pred.data
  const g = gt.data
  const perFrame = new Float64Array(frames)
  let hits = 0
  const t2 = threshold * threshold
  for (let f = 0; f < frames; f++) {
    let frameHits = 0
    for (let j = 0; j < joints; j++) {
      if (squaredDistanceAt(p, g, (f * joints + j) * dims, dims) < t2) frameHits++
    }
    perFrame[f] = (100 * frameHits) / joints
    hits += frameHits
  }
  return {pck: (100 * hits) / (frames * joints), perFrame, threshold}
}
