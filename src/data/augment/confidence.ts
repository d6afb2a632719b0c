/** The confidence channel the models take as their third input channel. */
import type {NDArray} from '../../core/ndarray.js'

/** `[..., J, 2|3]` -> `[..., J, 3]` with x, y kept and confidence set to `value` (default 1, as synthetic 2D). */
export function withConfidence(x: NDArray, value = 1): NDArray {
  const C = x.shape[x.shape.length - 1]!
  const n = x.data.length / C
  const out = new Float32Array(n * 3)
  for (let i = 0; i < n; i++) {
    out[i * 3] = x.data[i * C]!
    out[i * 3 + 1] = x.data[i * C + 1]!
    out[i * 3 + 2] = value
  }
  return {data: out, shape: [...x.shape.slice(0, -1), 3]}
}

/** `[..., J, 3]` -> `[..., J, 2]`: x, y only, for models built with `no_conf` (dim_in 2). */
export function dropConfidence(x: NDArray): NDArray {
  const n = x.data.length / 3
  const out = new Float32Array(n * 2)
  for (let i = 0; i < n; i++) {
    out[i * 2] = x.data[i * 3]!
    out[i * 2 + 1] = x.data[i * 3 + 1]!
  }
  return {data: out, shape: [...x.shape.slice(0, -1), 2]}
}
