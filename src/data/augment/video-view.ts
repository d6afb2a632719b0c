/**
 * Cameras that film world motion the way a user's video does, for training and evaluation inputs:
 *  - static: a fixed camera 3-15 m away, the person moving through the frame, off-centre, the whole
 *    body in view for the whole window (the camera zooms out until it is);
 *  - panning: a fixed camera position that turns to follow the person, with lag.
 * Focal lengths come from a field of view on the image's long side, and image sizes include
 * portrait phone video. Unlike `sampleCamera` (one camera aimed at every window's centre), the
 * person's path shows in the 2D track, as it does in a video.
 */
import type {NDArray} from '../../core/ndarray.js'
import type {Rng} from '../../core/rng.js'
import {NUM_JOINTS, ROOT} from '../../core/h36m.js'
import type {Range} from './camera.js'

export type VideoViewKind = 'static' | 'panning'

export interface VideoViewRanges {
  /** Probability of a static camera (the rest pan). */
  staticProbability: number
  /** Camera to the window's mean root position, mm. */
  distanceMm: Range
  /** Camera height above the lowest joint of the window, mm. */
  heightMm: Range
  /** Field of view across the image's long side, degrees. */
  longSideFovDeg: Range
  rollDeg: Range
  /** Image sizes [width, height] and their weights. */
  imageSizes: ReadonlyArray<{size: readonly [number, number]; weight: number}>
  /** The person's extent over the window fills at most this fraction of the image. */
  maxFill: number
  /** Panning: the camera aims at the root averaged over this many frames (lag). */
  panSmoothFrames: Range
  /** Every joint stays at least this far in front of the camera (it backs off), mm. */
  minDepthMm: number
}

export const VIDEO_VIEW_RANGES: Readonly<VideoViewRanges> = Object.freeze({
  staticProbability: 0.6,
  distanceMm: [3000, 15000] as const,
  heightMm: [400, 2500] as const,
  longSideFovDeg: [40, 80] as const,
  rollDeg: [-4, 4] as const,
  imageSizes: [
    {size: [1920, 1080] as const, weight: 0.35},
    {size: [1280, 720] as const, weight: 0.15},
    {size: [1080, 1920] as const, weight: 0.2},
    {size: [720, 1280] as const, weight: 0.05},
    {size: [640, 480] as const, weight: 0.1},
    {size: [1000, 1000] as const, weight: 0.15},
  ],
  maxFill: 0.95,
  panSmoothFrames: [1, 30] as const,
  minDepthMm: 1000,
})

export interface VideoView {
  kind: VideoViewKind
  /** `[T, 17, 3]` camera coordinates (x right, y down, z forward), mm. */
  camera: NDArray
  /** `[T, 17, 2]` pixels. */
  pixels: NDArray
  imageSize: [number, number]
  focal: number
}

/** A camera view of a `[T, 17, 3]` world window (mm, y up). */
export function sampleVideoView(world: NDArray, rng: Rng, ranges: VideoViewRanges = VIDEO_VIEW_RANGES, kind?: VideoViewKind): VideoView {
  const T = world.shape[0]!
  const w = world.data
  const chosen: VideoViewKind = kind ?? (rng.next() < ranges.staticProbability ? 'static' : 'panning')
  const imageSize = pickImageSize(ranges, rng)
  const [W, H] = imageSize
  const fov = (rng.uniform(ranges.longSideFovDeg[0], ranges.longSideFovDeg[1]) * Math.PI) / 180
  let focal = Math.max(W, H) / 2 / Math.tan(fov / 2)

  // Ground position and floor of the window.
  const mean = [0, 0, 0]
  let floor = Infinity
  for (let t = 0; t < T; t++) {
    for (let k = 0; k < 3; k++) mean[k]! += w[(t * NUM_JOINTS + ROOT) * 3 + k]! / T
    for (let j = 0; j < NUM_JOINTS; j++) floor = Math.min(floor, w[(t * NUM_JOINTS + j) * 3 + 1]!)
  }
  const yaw = rng.uniform(-Math.PI, Math.PI)
  const distance = rng.uniform(ranges.distanceMm[0], ranges.distanceMm[1])
  const height = rng.uniform(ranges.heightMm[0], ranges.heightMm[1])
  const roll = (rng.uniform(ranges.rollDeg[0], ranges.rollDeg[1]) * Math.PI) / 180
  const centre: Vec3 = [mean[0]! + distance * Math.sin(yaw), floor + height, mean[2]! + distance * Math.cos(yaw)]

  // Per-frame aim: the window's mean root (static), or the root averaged over a lagging window (panning).
  const aims: Vec3[] = []
  if (chosen === 'static') {
    const aim: Vec3 = [mean[0]!, mean[1]!, mean[2]!]
    for (let t = 0; t < T; t++) aims.push(aim)
  } else {
    const span = Math.max(1, Math.round(rng.uniform(ranges.panSmoothFrames[0], ranges.panSmoothFrames[1])))
    for (let t = 0; t < T; t++) {
      const a: Vec3 = [0, 0, 0]
      let n = 0
      for (let s = Math.max(0, t - span + 1); s <= t; s++) {
        for (let k = 0; k < 3; k++) a[k] += w[(s * NUM_JOINTS + ROOT) * 3 + k]!
        n++
      }
      aims.push([a[0] / n, a[1] / n, a[2] / n])
    }
  }

  const camera = new Float32Array(T * NUM_JOINTS * 3)
  for (let t = 0; t < T; t++) {
    const r = lookAt(centre, aims[t]!, roll)
    for (let j = 0; j < NUM_JOINTS; j++) {
      const i = (t * NUM_JOINTS + j) * 3
      const p: Vec3 = [w[i]! - centre[0], w[i + 1]! - centre[1], w[i + 2]! - centre[2]]
      for (let k = 0; k < 3; k++) camera[i + k] = r[k * 3]! * p[0] + r[k * 3 + 1]! * p[1] + r[k * 3 + 2]! * p[2]
    }
  }
  // Too close: the camera backs off along its axis.
  let minZ = Infinity
  for (let i = 2; i < camera.length; i += 3) minZ = Math.min(minZ, camera[i]!)
  if (minZ < ranges.minDepthMm) for (let i = 2; i < camera.length; i += 3) camera[i] = camera[i]! + ranges.minDepthMm - minZ

  // Project about the optical axis, zoom out until the whole window fits, then place it at random.
  const n = T * NUM_JOINTS
  const uv = new Float32Array(n * 2)
  let umin = Infinity
  let umax = -Infinity
  let vmin = Infinity
  let vmax = -Infinity
  for (let i = 0; i < n; i++) {
    const u = camera[i * 3]! / camera[i * 3 + 2]!
    const v = camera[i * 3 + 1]! / camera[i * 3 + 2]!
    uv[i * 2] = u
    uv[i * 2 + 1] = v
    umin = Math.min(umin, u)
    umax = Math.max(umax, u)
    vmin = Math.min(vmin, v)
    vmax = Math.max(vmax, v)
  }
  const fit = Math.min(1, (ranges.maxFill * W) / Math.max(focal * (umax - umin), 1e-9), (ranges.maxFill * H) / Math.max(focal * (vmax - vmin), 1e-9))
  focal *= fit
  const cx = rng.uniform(-focal * umin, W - focal * umax)
  const cy = rng.uniform(-focal * vmin, H - focal * vmax)
  for (let i = 0; i < n; i++) {
    uv[i * 2] = focal * uv[i * 2]! + cx
    uv[i * 2 + 1] = focal * uv[i * 2 + 1]! + cy
  }
  return {kind: chosen, camera: {data: camera, shape: [T, NUM_JOINTS, 3]}, pixels: {data: uv, shape: [T, NUM_JOINTS, 2]}, imageSize: [W, H], focal}
}

type Vec3 = [number, number, number]

function pickImageSize(ranges: VideoViewRanges, rng: Rng): [number, number] {
  const total = ranges.imageSizes.reduce((s, e) => s + e.weight, 0)
  let x = rng.next() * total
  for (const e of ranges.imageSizes) {
    x -= e.weight
    if (x <= 0) return [e.size[0], e.size[1]]
  }
  const last = ranges.imageSizes[ranges.imageSizes.length - 1]!
  return [last.size[0], last.size[1]]
}

/**
 * World (y up) → camera rotation, row-major: rows are the camera's right, down and forward axes,
 * forward pointing from `from` to `to`, rolled by `roll` radians about it.
 */
export function lookAt(from: Vec3, to: Vec3, roll = 0): number[] {
  const f = normalise([to[0] - from[0], to[1] - from[1], to[2] - from[2]])
  let right = normalise(cross(f, [0, 1, 0]))
  let down = cross(f, right)
  if (roll !== 0) {
    const c = Math.cos(roll)
    const s = Math.sin(roll)
    const r2: Vec3 = [c * right[0] + s * down[0], c * right[1] + s * down[1], c * right[2] + s * down[2]]
    const d2: Vec3 = [-s * right[0] + c * down[0], -s * right[1] + c * down[1], -s * right[2] + c * down[2]]
    right = r2
    down = d2
  }
  return [...right, ...down, ...f]
}

function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}

function normalise(a: Vec3): Vec3 {
  const n = Math.hypot(a[0], a[1], a[2]) || 1
  return [a[0] / n, a[1] / n, a[2] / n]
}
