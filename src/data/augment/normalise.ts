/**
 * The normalisations MotionBERT applies to 3D training data (lib/utils/utils_data.py,
 * lib/data/datareader_h36m.py), and the root-relative transforms of the training loop.
 */
import type {NDArray} from '../../core/ndarray.js'
import type {Rng} from '../../core/rng.js'
import {ROOT} from '../../core/h36m.js'
import type {Range} from './camera.js'

/**
 * Image normalisation of DataReaderH36M: x / w·2 - 1, y / w·2 - h/w, and (for 3 channels) depth
 * z / w·2, so x spans [-1, 1] across the image and all axes share one scale. `[..., C>=2]`;
 * channels beyond the third (e.g. confidence) are kept. Returns new data.
 */
export function normaliseByImage(x: NDArray, width: number, height: number, opts: {depthChannel?: boolean} = {}): NDArray {
  const C = x.shape[x.shape.length - 1]!
  const depth = (opts.depthChannel ?? C === 3) && C >= 3
  const out = Float32Array.from(x.data)
  for (let i = 0; i < out.length; i += C) {
    out[i] = (out[i]! / width) * 2 - 1
    out[i + 1] = (out[i + 1]! / width) * 2 - height / width
    if (depth) out[i + 2] = (out[i + 2]! / width) * 2
  }
  return {data: out, shape: [...x.shape]}
}

/** Inverse of `normaliseByImage` (DataReaderH36M.denormalize). */
export function denormaliseByImage(x: NDArray, width: number, height: number, opts: {depthChannel?: boolean} = {}): NDArray {
  const C = x.shape[x.shape.length - 1]!
  const depth = (opts.depthChannel ?? C === 3) && C >= 3
  const out = Float32Array.from(x.data)
  for (let i = 0; i < out.length; i += C) {
    out[i] = ((out[i]! + 1) * width) / 2
    out[i + 1] = ((out[i + 1]! + height / width) * width) / 2
    if (depth) out[i + 2] = (out[i + 2]! * width) / 2
  }
  return {data: out, shape: [...x.shape]}
}

export interface CropScale3dResult {
  /** `[T, J, 3]` normalised: x, y of the clip's bounding square in [-1, 1]. */
  positions: NDArray
  /** Side of the bounding square in input units (0 when the clip has no extent). */
  scale: number
  /** Input units per normalised unit, for root-relative differences: scale / 2. */
  unitsPerNormalised: number
}

/**
 * crop_scale_3d exactly as official: depth made relative to the first frame's root, x and y
 * mapped by the clip's bounding square (side max(x range, y range) / ratio, ratio drawn uniformly
 * from `scaleRange`), depth divided by the same side, then every channel (depth too) mapped
 * v -> (v - 0.5)·2. A clip without extent becomes zeros, as official.
 */
export function cropScale3d(motion: NDArray, scaleRange: Range = [1, 1], rng?: Rng): CropScale3dResult {
  const d = motion.data
  let xmin = Infinity
  let xmax = -Infinity
  let ymin = Infinity
  let ymax = -Infinity
  for (let i = 0; i < d.length; i += 3) {
    xmin = Math.min(xmin, d[i]!)
    xmax = Math.max(xmax, d[i]!)
    ymin = Math.min(ymin, d[i + 1]!)
    ymax = Math.max(ymax, d[i + 1]!)
  }
  const ratio = scaleRange[0] === scaleRange[1] || !rng ? scaleRange[0] : rng.uniform(scaleRange[0], scaleRange[1])
  const scale = Math.max(xmax - xmin, ymax - ymin) / ratio
  const out = new Float32Array(d.length)
  if (scale === 0 || !Number.isFinite(scale)) return {positions: {data: out, shape: [...motion.shape]}, scale: 0, unitsPerNormalised: 0}
  const xs = (xmin + xmax - scale) / 2
  const ys = (ymin + ymax - scale) / 2
  const z0 = d[ROOT * 3 + 2]! // first frame's root depth
  for (let i = 0; i < d.length; i += 3) {
    out[i] = ((d[i]! - xs) / scale - 0.5) * 2
    out[i + 1] = ((d[i + 1]! - ys) / scale - 0.5) * 2
    out[i + 2] = ((d[i + 2]! - z0) / scale - 0.5) * 2
  }
  return {positions: {data: out, shape: [...motion.shape]}, scale, unitsPerNormalised: scale / 2}
}

/** Subtracts each frame's root joint from all joints (train.py with `rootrel: True`). `[..., J, C]`. */
export function rootRelative(x: NDArray, root = ROOT): NDArray {
  const J = x.shape[x.shape.length - 2]!
  const C = x.shape[x.shape.length - 1]!
  const out = new Float32Array(x.data.length)
  for (let f = 0; f < x.data.length; f += J * C) {
    for (let j = 0; j < J; j++) for (let c = 0; c < C; c++) out[f + j * C + c] = x.data[f + j * C + c]! - x.data[f + root * C + c]!
  }
  return {data: out, shape: [...x.shape]}
}

/**
 * Depth relative to the first frame's root of each sequence (train.py with `rootrel: False`):
 * `[N, T, J, 3]` or `[T, J, 3]`.
 */
export function depthRelativeToFirstRoot(x: NDArray, root = ROOT): NDArray {
  const [T, J, C] = x.shape.slice(-3) as [number, number, number]
  const out = Float32Array.from(x.data)
  const seq = T * J * C
  for (let s = 0; s < out.length; s += seq) {
    const z0 = x.data[s + root * C + 2]!
    for (let i = s + 2; i < s + seq; i += C) out[i] = out[i]! - z0
  }
  return {data: out, shape: [...x.shape]}
}
