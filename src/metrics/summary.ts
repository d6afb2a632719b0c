/** The standard set of pose metrics in one call (what `motion eval` reports). */
import type {NDArray} from '../core/ndarray.js'
import {mpjpe} from './mpjpe.js'
import {nMpjpe} from './n-mpjpe.js'
import {pck} from './pck.js'
import {pMpjpe} from './procrustes.js'
import {type FloatArray, poseLayout} from './shape.js'
import {accelerationError, mpjve} from './temporal.js'

export interface PoseMetrics {
  mpjpe: number
  p_mpjpe: number
  n_mpjpe: number
  /** Null when there is no time axis (fewer than 2 frames per sequence). */
  mpjve: number | null
  acceleration_error: number | null
  /** Percentage of joints within `pckThreshold`. */
  pck: number
  pckThreshold: number
  frames: number
}

/** All pose metrics for `[..., J, 3]` arrays, in the input units. */
export function poseMetrics(pred: FloatArray, gt: FloatArray, opts: {pckThreshold?: number} = {}): PoseMetrics {
  const layout = poseLayout('pose metrics', pred, gt, {dims: 3})
  const temporal = pred.shape.length >= 3 && layout.framesPerSequence >= 2
  const threshold = opts.pckThreshold ?? 150
  return {
    mpjpe: mpjpe(pred, gt).mean,
    p_mpjpe: pMpjpe(pred, gt).mean,
    n_mpjpe: nMpjpe(pred, gt).mean,
    mpjve: temporal ? mpjve(pred, gt).mean : null,
    acceleration_error: temporal && layout.framesPerSequence >= 3 ? accelerationError(pred, gt).mean : null,
    pck: pck(pred, gt, threshold).pck,
    pckThreshold: threshold,
    frames: layout.frames,
  }
}

/** Subtracts joint `root` of each frame from every joint (`[..., J, C]`), in Float64. */
export function rootRelative(x: FloatArray, root = 0): NDArray<Float64Array> {
  const joints = x.shape[x.shape.length - 2]!
  const dims = x.shape[x.shape.length - 1]!
  const out = new Float64Array(x.data.length)
  const frameSize = joints * dims
  for (let o = 0; o < out.length; o += frameSize) {
    for (let i = 0; i < frameSize; i++) out[o + i] = x.data[o + i]! - x.data[o + root * dims + (i % dims)]!
  }
  return {data: out, shape: [...x.shape]}
}
