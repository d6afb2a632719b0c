/**
 * 2D noise that looks like a real keypoint detector's on video, in pixels and in proportion to the
 * person's size in each frame: a slowly drifting per-joint offset, per-frame jitter, occasional
 * outliers, and missed joints (isolated, and occlusions that last several frames). Missed joints
 * get confidence 0 and either sit at (0, 0), as COCO-style files write them, or keep a wrong
 * position; confidences fall as the error grows. Extremities are noisier than the torso.
 * The strengths are drawn per window, so some inputs are clean and some are poor.
 */
import type {NDArray} from '../../core/ndarray.js'
import type {Rng} from '../../core/rng.js'
import {NUM_JOINTS} from '../../core/h36m.js'
import type {Range} from './camera.js'

export interface DetectorNoiseRanges {
  /** Slow per-joint offset, standard deviation as a fraction of the person's height. */
  drift: Range
  /** Per-frame jitter, standard deviation as a fraction of the person's height. */
  jitter: Range
  /** Probability per joint and frame of a gross error (up to 15% of the height). */
  outlierRate: Range
  /** Probability per joint and frame of a missed joint. */
  dropRate: Range
  /** Probability per joint and frame that an occlusion of 3-30 frames starts. */
  occlusionRate: Range
  /** Key frames of the drifting offset per 100 frames. */
  driftKeysPer100: number
}

export const DETECTOR_NOISE_RANGES: Readonly<DetectorNoiseRanges> = Object.freeze({
  drift: [0.002, 0.02] as const,
  jitter: [0.001, 0.01] as const,
  outlierRate: [0, 0.01] as const,
  dropRate: [0, 0.03] as const,
  occlusionRate: [0, 0.004] as const,
  driftKeysPer100: 12,
})

/** Moderate detector noise for evaluation: fixed strengths, no outliers or long occlusions. */
export const EVAL_DETECTOR_NOISE: Readonly<DetectorNoiseRanges> = Object.freeze({
  drift: [0.008, 0.008] as const,
  jitter: [0.004, 0.004] as const,
  outlierRate: [0, 0] as const,
  dropRate: [0.01, 0.01] as const,
  occlusionRate: [0, 0] as const,
  driftKeysPer100: 12,
})

/** Relative noise per H36M joint: wrists and ankles most, the torso least. */
const JOINT_NOISE = [0.8, 1, 1.2, 1.5, 1, 1.2, 1.5, 0.8, 0.8, 0.9, 1, 1, 1.3, 1.6, 1, 1.3, 1.6]

/**
 * `[T, 17, 2]` pixels → `[T, 17, 3]` noisy pixels with confidence. `clean` (probability) leaves a
 * window exact with confidence 1, as a perfect detector would give.
 */
export function addDetectorNoise(pixels: NDArray, rng: Rng, ranges: DetectorNoiseRanges = DETECTOR_NOISE_RANGES, clean = 0.05): NDArray {
  const T = pixels.shape[0]!
  const J = NUM_JOINTS
  const src = pixels.data
  const out = new Float32Array(T * J * 3)
  if (rng.next() < clean) {
    for (let i = 0; i < T * J; i++) {
      out[i * 3] = src[i * 2]!
      out[i * 3 + 1] = src[i * 2 + 1]!
      out[i * 3 + 2] = 1
    }
    return {data: out, shape: [T, J, 3]}
  }
  const draw = (r: Range): number => rng.uniform(r[0], r[1])
  const drift = draw(ranges.drift)
  const jitter = draw(ranges.jitter)
  const outlierRate = draw(ranges.outlierRate)
  const dropRate = draw(ranges.dropRate)
  const occlusionRate = draw(ranges.occlusionRate)

  // Person height per frame (pixels), for scale.
  const heights = new Float32Array(T)
  for (let t = 0; t < T; t++) {
    let vmin = Infinity
    let vmax = -Infinity
    let umin = Infinity
    let umax = -Infinity
    for (let j = 0; j < J; j++) {
      const u = src[(t * J + j) * 2]!
      const v = src[(t * J + j) * 2 + 1]!
      vmin = Math.min(vmin, v)
      vmax = Math.max(vmax, v)
      umin = Math.min(umin, u)
      umax = Math.max(umax, u)
    }
    heights[t] = Math.max(vmax - vmin, umax - umin, 1)
  }

  // Drifting offsets at key frames, interpolated linearly: [K, J, 2] in height units.
  const K = Math.max(2, Math.round((T * ranges.driftKeysPer100) / 100))
  const keys = new Float32Array(K * J * 2)
  for (let i = 0; i < keys.length; i++) keys[i] = rng.normal(0, drift) * JOINT_NOISE[Math.floor(i / 2) % J]!

  // Occlusions: runs of missed frames per joint.
  const missed = new Uint8Array(T * J)
  for (let j = 0; j < J; j++) {
    for (let t = 0; t < T; t++) {
      if (rng.next() < occlusionRate) {
        const len = 3 + rng.int(28)
        for (let s = t; s < Math.min(T, t + len); s++) missed[s * J + j] = 1
      }
      if (rng.next() < dropRate) missed[t * J + j] = 1
    }
  }
  const zeroMissed = rng.next() < 0.5

  for (let t = 0; t < T; t++) {
    const pos = T > 1 ? (t * (K - 1)) / (T - 1) : 0
    const k0 = Math.min(Math.floor(pos), K - 2)
    const a = pos - k0
    const h = heights[t]!
    for (let j = 0; j < J; j++) {
      const i = t * J + j
      let dx = (1 - a) * keys[(k0 * J + j) * 2]! + a * keys[((k0 + 1) * J + j) * 2]!
      let dy = (1 - a) * keys[(k0 * J + j) * 2 + 1]! + a * keys[((k0 + 1) * J + j) * 2 + 1]!
      dx += rng.normal(0, jitter) * JOINT_NOISE[j]!
      dy += rng.normal(0, jitter) * JOINT_NOISE[j]!
      if (rng.next() < outlierRate) {
        dx += rng.uniform(-0.15, 0.15)
        dy += rng.uniform(-0.15, 0.15)
      }
      const err = Math.hypot(dx, dy)
      if (missed[i]) {
        out[i * 3] = zeroMissed ? 0 : src[i * 2]! + (dx + rng.normal(0, 0.05)) * h
        out[i * 3 + 1] = zeroMissed ? 0 : src[i * 2 + 1]! + (dy + rng.normal(0, 0.05)) * h
        out[i * 3 + 2] = 0
        continue
      }
      out[i * 3] = src[i * 2]! + dx * h
      out[i * 3 + 1] = src[i * 2 + 1]! + dy * h
      // A detector's score: high for good joints, falling with the error, never quite 0.
      out[i * 3 + 2] = Math.min(1, Math.max(0.05, 0.93 - 4 * err + rng.normal(0, 0.06)))
    }
  }
  return {data: out, shape: [T, J, 3]}
}
