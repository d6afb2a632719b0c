/** Horizontal flip as MotionBERT's flip_data: negate x and swap left/right joints. */
import type {NDArray} from '../../core/ndarray.js'
import {H36M_FLIP_PERMUTATION, NUM_JOINTS} from '../../core/h36m.js'

/**
 * `[..., 17, C]` with x as channel 0, centred at 0 (normalised or root-relative data; pixel
 * coordinates must be normalised first). Returns new data; flipping twice gives the input back.
 */
export function flipPoses(x: NDArray): NDArray {
  const J = x.shape[x.shape.length - 2]!
  const C = x.shape[x.shape.length - 1]!
  if (J !== NUM_JOINTS) throw new Error(`flipPoses: expected 17 joints, got shape [${x.shape.join(', ')}]`)
  const out = new Float32Array(x.data.length)
  for (let f = 0; f < x.data.length; f += J * C) {
    for (let j = 0; j < J; j++) {
      const src = f + H36M_FLIP_PERMUTATION[j]! * C
      const dst = f + j * C
      out[dst] = -x.data[src]!
      for (let c = 1; c < C; c++) out[dst + c] = x.data[src + c]!
    }
  }
  return {data: out, shape: [...x.shape]}
}
