/**
 * Rigid skeletons: one set of bone lengths per person, fitted over the whole track, and poses
 * rebuilt with them (`motion predict --skeleton rigid`; the BVH writer uses the same fit).
 * Each bone's length is the median of its per-frame lengths (robust to the frames a detector got
 * wrong); left and right bones keep their own, so a track with constant bones is reproduced exactly.
 * Rebuilding keeps every bone's direction and the root's position, and walks the H36M tree from
 * the pelvis outwards.
 */
import type {NDArray} from './ndarray.js'
import {H36M_PARENTS, NUM_JOINTS} from './h36m.js'

/**
 * `[T, 17, 3]` → the fitted length of the bone ending at each joint (index = child joint; the root
 * gets 0), in the poses' units.
 */
export function fitBoneLengths(x3d: NDArray): Float64Array {
  const T = checkTrack(x3d)
  const d = x3d.data
  const medians = new Float64Array(NUM_JOINTS)
  const lens = new Float64Array(T)
  for (let j = 0; j < NUM_JOINTS; j++) {
    const p = H36M_PARENTS[j]!
    if (p < 0) continue
    let n = 0
    for (let t = 0; t < T; t++) {
      const a = (t * NUM_JOINTS + j) * 3
      const b = (t * NUM_JOINTS + p) * 3
      const len = Math.hypot(d[a]! - d[b]!, d[a + 1]! - d[b + 1]!, d[a + 2]! - d[b + 2]!)
      if (Number.isFinite(len)) lens[n++] = len
    }
    medians[j] = n > 0 ? median(lens.subarray(0, n)) : 0
  }
  return medians
}

/**
 * `[T, 17, 3]` with every bone set to `lengths` (default: fitted on the track) along its own
 * direction in each frame; the root joint stays where it is. A bone of zero length in a frame
 * keeps the fitted length along the parent's direction of the previous frame, or straight down.
 */
export function rigidSkeleton(x3d: NDArray, lengths: Float64Array = fitBoneLengths(x3d)): NDArray {
  const T = checkTrack(x3d)
  const d = x3d.data
  const out = new Float32Array(d.length)
  const lastDir = new Float64Array(NUM_JOINTS * 3)
  for (let j = 0; j < NUM_JOINTS; j++) lastDir[j * 3 + 1] = 1 // y down: straight down
  for (let t = 0; t < T; t++) {
    const base = t * NUM_JOINTS * 3
    // H36M_PARENTS lists every parent before its children, so one pass in joint order suffices.
    for (let j = 0; j < NUM_JOINTS; j++) {
      const p = H36M_PARENTS[j]!
      const o = base + j * 3
      if (p < 0) {
        out[o] = d[o]!
        out[o + 1] = d[o + 1]!
        out[o + 2] = d[o + 2]!
        continue
      }
      const q = base + p * 3
      let vx = d[o]! - d[q]!
      let vy = d[o + 1]! - d[q + 1]!
      let vz = d[o + 2]! - d[q + 2]!
      const n = Math.hypot(vx, vy, vz)
      if (n > 1e-12 && Number.isFinite(n)) {
        vx /= n
        vy /= n
        vz /= n
        lastDir[j * 3] = vx
        lastDir[j * 3 + 1] = vy
        lastDir[j * 3 + 2] = vz
      } else {
        vx = lastDir[j * 3]!
        vy = lastDir[j * 3 + 1]!
        vz = lastDir[j * 3 + 2]!
      }
      const len = lengths[j]!
      out[o] = out[q]! + vx * len
      out[o + 1] = out[q + 1]! + vy * len
      out[o + 2] = out[q + 2]! + vz * len
    }
  }
  return {data: out, shape: [...x3d.shape]}
}

/**
 * Median over bones of each bone's coefficient of variation of length over the track (std / mean):
 * 0 for a rigid skeleton. The steadiness figure of docs/default-models.md.
 */
export function boneLengthCv(x3d: NDArray): number {
  const T = checkTrack(x3d)
  const d = x3d.data
  const cvs: number[] = []
  for (let j = 0; j < NUM_JOINTS; j++) {
    const p = H36M_PARENTS[j]!
    if (p < 0) continue
    let s = 0
    let s2 = 0
    for (let t = 0; t < T; t++) {
      const a = (t * NUM_JOINTS + j) * 3
      const b = (t * NUM_JOINTS + p) * 3
      const len = Math.hypot(d[a]! - d[b]!, d[a + 1]! - d[b + 1]!, d[a + 2]! - d[b + 2]!)
      s += len
      s2 += len * len
    }
    const mean = s / T
    const variance = Math.max(0, s2 / T - mean * mean)
    if (mean > 0) cvs.push(Math.sqrt(variance) / mean)
  }
  return cvs.length ? median(Float64Array.from(cvs)) : 0
}

/**
 * Seam jumps: the largest frame-to-frame step of the root-relative pose (mean joint displacement)
 * over the median step. Compared with the same ratio of the true motion, it shows whether window
 * boundaries jump.
 */
export function jumpRatio(x3d: NDArray): number {
  const T = checkTrack(x3d)
  if (T < 3) return 1
  const d = x3d.data
  const steps = new Float64Array(T - 1)
  for (let t = 1; t < T; t++) {
    let s = 0
    for (let j = 0; j < NUM_JOINTS; j++) {
      let dist2 = 0
      for (let c = 0; c < 3; c++) {
        const now = d[(t * NUM_JOINTS + j) * 3 + c]! - d[t * NUM_JOINTS * 3 + c]!
        const before = d[((t - 1) * NUM_JOINTS + j) * 3 + c]! - d[(t - 1) * NUM_JOINTS * 3 + c]!
        dist2 += (now - before) ** 2
      }
      s += Math.sqrt(dist2)
    }
    steps[t - 1] = s / NUM_JOINTS
  }
  const med = median(steps)
  let max = 0
  for (const v of steps) max = Math.max(max, v)
  return med > 0 ? max / med : 1
}

/** Median of the values (0 for none). */
export function median(values: ArrayLike<number>): number {
  if (values.length === 0) return 0
  const s = Float64Array.from(values).sort()
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

function checkTrack(x3d: NDArray): number {
  const [T, J, C] = x3d.shape
  if (x3d.shape.length !== 3 || J !== NUM_JOINTS || C !== 3 || !T) throw new Error(`expected poses [T, 17, 3], got [${x3d.shape.join(', ')}]`)
  return T
}
