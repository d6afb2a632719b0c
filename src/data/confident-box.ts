/** The box crop_scale (MotionBERT) scales by: the x, y extent of the confidently detected joints. */

export interface ConfidentBox {
  xmin: number
  xmax: number
  ymin: number
  ymax: number
  /** Joints with nonzero confidence; the extent is ±Infinity when there are none. */
  count: number
}

/** Over an interleaved `[..., C]` array (x, y, confidence, ...): the joints whose confidence is nonzero. */
export function confidentBox(data: ArrayLike<number>, channels: number): ConfidentBox {
  let xmin = Infinity
  let xmax = -Infinity
  let ymin = Infinity
  let ymax = -Infinity
  let count = 0
  for (let i = 0; i < data.length; i += channels) {
    if (data[i + 2] === 0) continue
    count++
    xmin = Math.min(xmin, data[i]!)
    xmax = Math.max(xmax, data[i]!)
    ymin = Math.min(ymin, data[i + 1]!)
    ymax = Math.max(ymax, data[i + 1]!)
  }
  return {xmin, xmax, ymin, ymax, count}
}
