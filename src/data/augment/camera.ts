/**
 * Virtual pinhole cameras that turn world-space motion (millimetres, y or z up) into what a camera
 * sees: camera coordinates as MotionBERT uses them (x right, y down, z forward, mm), pixels, and
 * the "2.5D" image-space label (u, v, depth in pixels) that H36M's `joint3d_image` provides.
 */
import {inputError} from '../../core/errors.js'
import type {NDArray} from '../../core/ndarray.js'
import type {Rng} from '../../core/rng.js'
import {ROOT} from '../../core/h36m.js'

export type Range = readonly [number, number]

/** Ranges the random camera is drawn from (uniformly). Angles in degrees. */
export interface CameraRanges {
  /** Azimuth of the camera around the subject (rotation about the world up axis). */
  yawDeg: Range
  /** Elevation: positive looks down at the subject from above. */
  pitchDeg: Range
  /** Rotation about the optical axis. */
  rollDeg: Range
  /** Distance from the camera to the window's mean root position, mm. */
  distanceMm: Range
  /** Focal length in pixels (fx = fy). */
  focalPx: Range
  /** Image [width, height] in pixels; the principal point is the image centre. */
  imageSize: readonly [number, number]
  /** Every joint is kept at least this far in front of the camera (the camera backs off), mm. */
  minDepthMm?: number
}

/** Human3.6M-like cameras: ~1000x1000 images, f ≈ 1150 px, 4-7 m away, around the subject. */
export const DEFAULT_CAMERA_RANGES: Readonly<CameraRanges> = Object.freeze({
  yawDeg: [-180, 180] as const,
  pitchDeg: [-5, 25] as const,
  rollDeg: [-5, 5] as const,
  distanceMm: [4000, 7000] as const,
  focalPx: [1000, 1300] as const,
  imageSize: [1000, 1000] as const,
  minDepthMm: 1000,
})

export interface VirtualCamera {
  /** World -> camera rotation, row-major 3x3: p_cam = R·p_world + t. */
  rotation: Float64Array
  /** mm */
  translation: [number, number, number]
  focal: number
  /** Principal point in pixels. */
  cx: number
  cy: number
  width: number
  height: number
  /** What was drawn (for logs and tests). */
  yawDeg: number
  pitchDeg: number
  rollDeg: number
  distanceMm: number
}

/** Checks ranges (low <= high, positive sizes), naming the offending key. */
export function validateCameraRanges(r: CameraRanges): void {
  const check = (key: string, [lo, hi]: Range, positive = false): void => {
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo > hi) throw inputError(`camera.${key}: expected [low, high] with low <= high, got [${lo}, ${hi}]`)
    if (positive && lo <= 0) throw inputError(`camera.${key}: values must be positive, got [${lo}, ${hi}]`)
  }
  check('yawDeg', r.yawDeg)
  check('pitchDeg', r.pitchDeg)
  check('rollDeg', r.rollDeg)
  check('distanceMm', r.distanceMm, true)
  check('focalPx', r.focalPx, true)
  const [w, h] = r.imageSize
  if (!(w > 0 && h > 0)) throw inputError(`camera.imageSize: expected positive [width, height], got [${w}, ${h}]`)
}

/**
 * Draws a camera looking at the window's mean root position. `positions` `[T, 17, 3]` world mm.
 * If a joint would come closer than `minDepthMm`, the camera backs off along its axis.
 */
export function sampleCamera(positions: NDArray, rng: Rng, ranges: CameraRanges = DEFAULT_CAMERA_RANGES, upAxis: 'y' | 'z' = 'y'): VirtualCamera {
  validateCameraRanges(ranges)
  const draw = (r: Range): number => (r[0] === r[1] ? r[0] : rng.uniform(r[0], r[1]))
  const yawDeg = draw(ranges.yawDeg)
  const pitchDeg = draw(ranges.pitchDeg)
  const rollDeg = draw(ranges.rollDeg)
  const distanceMm = draw(ranges.distanceMm)
  const focal = draw(ranges.focalPx)
  return lookAtCamera(positions, {yawDeg, pitchDeg, rollDeg, distanceMm, focal, imageSize: ranges.imageSize, minDepthMm: ranges.minDepthMm, upAxis})
}

export interface CameraPose {
  yawDeg: number
  pitchDeg: number
  rollDeg: number
  distanceMm: number
  focal: number
  imageSize: readonly [number, number]
  minDepthMm?: number
  upAxis?: 'y' | 'z'
}

/** The camera for given angles and distance, aimed at the window's mean root position. */
export function lookAtCamera(positions: NDArray, pose: CameraPose): VirtualCamera {
  const rad = Math.PI / 180
  // World (y up) -> camera axes when looking horizontally along world -z: x right, y down, z forward.
  const base = [1, 0, 0, 0, -1, 0, 0, 0, -1]
  // A z-up world is first turned to y up: (x, y, z) -> (x, z, -y).
  const zUp = [1, 0, 0, 0, 0, 1, 0, -1, 0]
  const yaw = rotY(pose.yawDeg * rad)
  const pitch = rotX(pose.pitchDeg * rad)
  const roll = rotZ(pose.rollDeg * rad)
  let r = mul3(roll, mul3(pitch, mul3(base, yaw)))
  if ((pose.upAxis ?? 'y') === 'z') r = mul3(r, zUp)
  const rotation = Float64Array.from(r)
  const centre = meanRoot(positions)
  const rc = apply3(rotation, centre)
  const translation: [number, number, number] = [-rc[0]!, -rc[1]!, pose.distanceMm - rc[2]!]
  const minDepth = pose.minDepthMm ?? 0
  if (minDepth > 0) {
    let minZ = Infinity
    const d = positions.data
    for (let i = 0; i < d.length; i += 3) {
      const z = rotation[6]! * d[i]! + rotation[7]! * d[i + 1]! + rotation[8]! * d[i + 2]! + translation[2]
      if (z < minZ) minZ = z
    }
    if (minZ < minDepth) translation[2] += minDepth - minZ
  }
  const [width, height] = pose.imageSize
  return {
    rotation,
    translation,
    focal: pose.focal,
    cx: width / 2,
    cy: height / 2,
    width,
    height,
    yawDeg: pose.yawDeg,
    pitchDeg: pose.pitchDeg,
    rollDeg: pose.rollDeg,
    distanceMm: translation[2] + rc[2]!,
  }
}

/** World `[..., 3]` (mm) to camera coordinates (x right, y down, z forward; mm). */
export function worldToCamera(positions: NDArray, cam: VirtualCamera): NDArray {
  const out = new Float32Array(positions.data.length)
  const r = cam.rotation
  const t = cam.translation
  const d = positions.data
  for (let i = 0; i < d.length; i += 3) {
    const x = d[i]!
    const y = d[i + 1]!
    const z = d[i + 2]!
    out[i] = r[0]! * x + r[1]! * y + r[2]! * z + t[0]
    out[i + 1] = r[3]! * x + r[4]! * y + r[5]! * z + t[1]
    out[i + 2] = r[6]! * x + r[7]! * y + r[8]! * z + t[2]
  }
  return {data: out, shape: [...positions.shape]}
}

/** Camera coordinates `[..., 3]` to pixels `[..., 2]` (pinhole). Points at z <= 0 are an error. */
export function projectToPixels(cameraPositions: NDArray, cam: VirtualCamera): NDArray {
  const d = cameraPositions.data
  const n = d.length / 3
  const out = new Float32Array(n * 2)
  for (let i = 0; i < n; i++) {
    const z = d[i * 3 + 2]!
    if (!(z > 0)) throw inputError(`projection: a joint lies at depth ${z} mm, behind the camera`, {hint: 'increase camera.distanceMm or minDepthMm'})
    out[i * 2] = (cam.focal * d[i * 3]!) / z + cam.cx
    out[i * 2 + 1] = (cam.focal * d[i * 3 + 1]!) / z + cam.cy
  }
  return {data: out, shape: [...cameraPositions.shape.slice(0, -1), 2]}
}

export interface ImageSpacePose {
  /** `[T, J, 3]`: pixels u, v and depth in pixels z·f/z_root (H36M joint3d_image style). */
  positions: NDArray
  /** `[T]` millimetres per pixel at the root depth (z_root / f), H36M's 2.5d_factor. */
  mmPerPixel: Float32Array
}

/**
 * The 2.5D label: u, v in pixels and depth scaled by f / z_root per frame, so root-relative x, y
 * and z share one scale and multiplying by `mmPerPixel` gives millimetres back.
 */
export function imageSpacePose(cameraPositions: NDArray, cam: VirtualCamera): ImageSpacePose {
  const [T, J] = cameraPositions.shape as [number, number, number]
  const uv = projectToPixels(cameraPositions, cam)
  const out = new Float32Array(T * J * 3)
  const mmPerPixel = new Float32Array(T)
  const d = cameraPositions.data
  for (let t = 0; t < T; t++) {
    const zRoot = d[(t * J + ROOT) * 3 + 2]!
    mmPerPixel[t] = zRoot / cam.focal
    for (let j = 0; j < J; j++) {
      const i = t * J + j
      out[i * 3] = uv.data[i * 2]!
      out[i * 3 + 1] = uv.data[i * 2 + 1]!
      out[i * 3 + 2] = (d[i * 3 + 2]! * cam.focal) / zRoot
    }
  }
  return {positions: {data: out, shape: [T, J, 3]}, mmPerPixel}
}

// ---- small 3x3 helpers (row-major number arrays) ---------------------------------------------

function rotX(a: number): number[] {
  const c = Math.cos(a)
  const s = Math.sin(a)
  return [1, 0, 0, 0, c, -s, 0, s, c]
}

function rotY(a: number): number[] {
  const c = Math.cos(a)
  const s = Math.sin(a)
  return [c, 0, s, 0, 1, 0, -s, 0, c]
}

function rotZ(a: number): number[] {
  const c = Math.cos(a)
  const s = Math.sin(a)
  return [c, -s, 0, s, c, 0, 0, 0, 1]
}

function mul3(a: readonly number[], b: readonly number[]): number[] {
  const out = new Array<number>(9).fill(0)
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) out[i * 3 + j]! += a[i * 3 + k]! * b[k * 3 + j]!
  return out
}

function apply3(m: ArrayLike<number>, p: readonly number[]): number[] {
  return [0, 1, 2].map((r) => m[r * 3]! * p[0]! + m[r * 3 + 1]! * p[1]! + m[r * 3 + 2]! * p[2]!)
}

function meanRoot(positions: NDArray): number[] {
  const J = positions.shape[positions.shape.length - 2]!
  const T = positions.data.length / (J * 3)
  const c = [0, 0, 0]
  for (let t = 0; t < T; t++) for (let k = 0; k < 3; k++) c[k]! += positions.data[(t * J + ROOT) * 3 + k]!
  return c.map((v) => v / T)
}
