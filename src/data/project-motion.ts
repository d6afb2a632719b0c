/**
 * Real 3D motion through a virtual camera into 2D pixel keypoints, the way a detector would see
 * it, with the camera-space 3D ground truth beside it: what `motion data project` writes so that
 * predict and eval can be tested end to end on real motion.
 *
 * World motion (mm, y or z up) is resampled to the target frame rate (MotionBERT's frame picking),
 * seen by a seeded pinhole camera aimed at the mean root position (src/data/augment/camera.ts;
 * angles, distance and focal length drawn from ranges unless given), backed off until every joint
 * of every frame lies inside the image, and optionally perturbed by pixel noise with detector-like
 * confidences (see `noisyDetections`).
 */
import {promises as fsp} from 'node:fs'
import path from 'node:path'
import {inputError} from '../core/errors.js'
import type {NDArray} from '../core/ndarray.js'
import {Rng} from '../core/rng.js'
import {DEFAULT_CAMERA_RANGES, lookAtCamera, projectToPixels, type Range, type VirtualCamera, worldToCamera} from './augment/camera.js'
import {OFFICIAL_SYNTHETIC_NOISE} from './augment/noise.js'
import {NUM_JOINTS, ROOT} from '../core/h36m.js'
import type {MotionClip} from './motion3d/clip.js'
import {readClipFolder} from './motion3d/clip-folder.js'
import {readClipFile} from './motion3d/readers.js'
import {resampledLength, resampleIndices, takeFrames} from './motion3d/resample.js'

export interface ProjectMotionOptions {
  /** Frame rate of the world motion. */
  sourceFps: number
  /** Frame rate of the output (frames are picked as MotionBERT's resample does). Default 30. */
  fps?: number
  /** First output frame (after resampling). Default 0. */
  start?: number
  /** Number of output frames. Default: to the end. */
  frames?: number
  /** Image [width, height] in pixels. */
  imageSize: readonly [number, number]
  /** Seed of the camera draw and the noise. Default 0. */
  seed?: number
  /** Fixed camera parameters; the ones not given are drawn from the seed. */
  yawDeg?: number
  pitchDeg?: number
  distanceMm?: number
  focalPx?: number
  /** Back the camera off until every joint is at least this many pixels inside the image (default 10; negative: never). */
  fitMarginPx?: number
  /** Standard deviation of the pixel noise (0: exact projection with confidence 1). */
  noisePx?: number
  upAxis?: 'y' | 'z'
}

export interface ProjectedMotion {
  /** `[T, 17, 3]` pixels x, y and confidence. */
  keypoints: NDArray
  /** `[T, 17, 3]` camera coordinates in mm (x right, y down, z forward), not root-relative. */
  camera3d: NDArray
  camera: VirtualCamera
  fps: number
  /** Output frame t is source frame sourceFrames[t]. */
  sourceFrames: Int32Array
  /** Whether the camera was moved back to keep the body in the image. */
  fitted: boolean
}

/** Focal lengths drawn by default: H36M's 1000..1300 px per 1000 px of the shorter image side. */
export function defaultFocalRange(imageSize: readonly [number, number]): Range {
  const s = Math.min(imageSize[0], imageSize[1]) / 1000
  return [DEFAULT_CAMERA_RANGES.focalPx[0] * s, DEFAULT_CAMERA_RANGES.focalPx[1] * s]
}

/** Parses "WxH" (e.g. 1080x1920) into [width, height]. */
export function parseImageSize(text: string): [number, number] {
  const m = /^\s*(\d+)\s*[xX×]\s*(\d+)\s*$/.exec(text)
  const size: [number, number] | undefined = m ? [Number(m[1]), Number(m[2])] : undefined
  if (!size || !(size[0] >= 16 && size[1] >= 16 && size[0] <= 100_000 && size[1] <= 100_000)) {
    throw inputError(`bad image size "${text}": expected WIDTHxHEIGHT in pixels, each 16..100000 (e.g. 1080x1920)`)
  }
  return size
}

/** `world` `[T, 17, 3]` mm -> pixel keypoints and camera-space 3D (see the module comment). */
export function projectMotion(world: NDArray, opts: ProjectMotionOptions): ProjectedMotion {
  const fps = opts.fps ?? 30
  if (!(fps > 0) || !(opts.sourceFps > 0)) throw inputError(`frame rates must be positive (source ${opts.sourceFps}, target ${fps})`)
  const noisePx = opts.noisePx ?? 0
  if (!(noisePx >= 0) || !Number.isFinite(noisePx)) throw inputError(`--noise must be a number of pixels >= 0, got ${noisePx}`)
  const T0 = world.shape[0]!
  // Frame indices after resampling, then the requested range.
  const indices =
    fps === opts.sourceFps ? Int32Array.from({length: T0}, (_, i) => i) : resampleIndices(T0, resampledLength(T0, opts.sourceFps, fps))
  const start = opts.start ?? 0
  const available = indices.length - start
  if (!Number.isInteger(start) || start < 0 || available < 1) {
    throw inputError(`--start ${start} is outside the clip (${indices.length} frames at ${fps} fps)`)
  }
  const count = opts.frames ?? available
  if (!Number.isInteger(count) || count < 1) throw inputError(`--frames must be a whole number >= 1, got ${count}`)
  if (count > available) throw inputError(`--frames ${count} is more than the ${available} frames from --start ${start} (${indices.length} at ${fps} fps)`)
  const sourceFrames = indices.slice(start, start + count)
  const positions = takeFrames(world, sourceFrames) // [T, 17, 3] world mm

  const rng = new Rng(opts.seed ?? 0)
  const draw = (r: Range): number => rng.uniform(r[0], r[1])
  // Always draw all five, so a fixed value does not change the others for a seed.
  const drawn = {
    yawDeg: draw(DEFAULT_CAMERA_RANGES.yawDeg),
    pitchDeg: draw(DEFAULT_CAMERA_RANGES.pitchDeg),
    rollDeg: draw(DEFAULT_CAMERA_RANGES.rollDeg),
    distanceMm: draw(DEFAULT_CAMERA_RANGES.distanceMm),
    focal: draw(defaultFocalRange(opts.imageSize)),
  }
  if (opts.distanceMm !== undefined && !(opts.distanceMm > 0)) throw inputError(`--distance must be positive mm, got ${opts.distanceMm}`)
  if (opts.focalPx !== undefined && !(opts.focalPx > 0)) throw inputError(`--focal must be positive pixels, got ${opts.focalPx}`)
  let camera = lookAtCamera(positions, {
    yawDeg: opts.yawDeg ?? drawn.yawDeg,
    pitchDeg: opts.pitchDeg ?? drawn.pitchDeg,
    rollDeg: drawn.rollDeg,
    distanceMm: opts.distanceMm ?? drawn.distanceMm,
    focal: opts.focalPx ?? drawn.focal,
    imageSize: opts.imageSize,
    minDepthMm: DEFAULT_CAMERA_RANGES.minDepthMm,
    upAxis: opts.upAxis ?? 'y',
  })
  const margin = opts.fitMarginPx ?? 10
  let fitted = false
  if (margin >= 0) {
    const back = backOffToFit(worldToCamera(positions, camera), camera, margin)
    if (back > 0) {
      camera = {...camera, translation: [camera.translation[0], camera.translation[1], camera.translation[2] + back], distanceMm: camera.distanceMm + back}
      fitted = true
    }
  }
  const camera3d = worldToCamera(positions, camera)
  const pixels = projectToPixels(camera3d, camera) // [T, 17, 2]
  const keypoints = noisePx > 0 ? noisyDetections(pixels, noisePx, rng) : withConfidenceOne(pixels)
  return {keypoints, camera3d, camera, fps, sourceFrames, fitted}
}

/** How far (mm, along the optical axis) the camera must move back so every point is `margin` px inside the image. */
function backOffToFit(cam3d: NDArray, camera: VirtualCamera, margin: number): number {
  const halfW = Math.min(camera.cx, camera.width - camera.cx) - margin
  const halfH = Math.min(camera.cy, camera.height - camera.cy) - margin
  if (!(halfW > 0 && halfH > 0)) throw inputError(`the image (${camera.width}x${camera.height}) is too small for a ${margin} px margin`)
  let back = 0
  const d = cam3d.data
  for (let i = 0; i < d.length; i += 3) {
    // |f·x / (z + b)| <= halfW  <=>  z + b >= f·|x| / halfW
    const need = Math.max((camera.focal * Math.abs(d[i]!)) / halfW, (camera.focal * Math.abs(d[i + 1]!)) / halfH) - d[i + 2]!
    if (need > back) back = need
  }
  return back > 0 ? back * (1 + 1e-6) : 0
}

function withConfidenceOne(pixels: NDArray): NDArray {
  const n = pixels.data.length / 2
  const out = new Float32Array(n * 3)
  for (let i = 0; i < n; i++) {
    out[i * 3] = pixels.data[i * 2]!
    out[i * 3 + 1] = pixels.data[i * 2 + 1]!
    out[i * 3 + 2] = 1
  }
  return {data: out, shape: [...pixels.shape.slice(0, -1), 3]}
}

/**
 * Per-joint difficulty: the official synthetic-noise standard deviation of each H36M joint (mean
 * of x and y) over their mean, so wrists and ankles are noisier than the head, as with detectors.
 */
export const JOINT_NOISE_WEIGHTS: readonly number[] = (() => {
  const s = OFFICIAL_SYNTHETIC_NOISE.std.map(([x, y]) => (x + y) / 2)
  const mean = s.reduce((a, b) => a + b, 0) / s.length
  return s.map((v) => v / mean)
})()

/**
 * Gaussian pixel noise (std `noisePx` times the joint's weight, independent per frame, as detector
 * jitter) and confidences like AlphaPose's (calibrated on ../shared/data/alphapose-real: median
 * about 0.9, a tail down to about 0.6): lower for harder joints and for larger offsets,
 * `clip(0.995 - 0.025·r - 0.1·(w_j - 1) + N(0, 0.02) - Exp(0.09), 0.05, 0.99)` with r the offset
 * in units of the joint's std.
 */
export function noisyDetections(pixels: NDArray, noisePx: number, rng: Rng): NDArray {
  const n = pixels.data.length / 2
  const out = new Float32Array(n * 3)
  for (let i = 0; i < n; i++) {
    const w = JOINT_NOISE_WEIGHTS[i % NUM_JOINTS]!
    const dx = rng.normal(0, 1)
    const dy = rng.normal(0, 1)
    out[i * 3] = pixels.data[i * 2]! + dx * noisePx * w
    out[i * 3 + 1] = pixels.data[i * 2 + 1]! + dy * noisePx * w
    const r = Math.hypot(dx, dy)
    const tail = -0.09 * Math.log(1 - rng.next())
    const c = 0.995 - 0.025 * r - 0.1 * (w - 1) + rng.normal(0, 0.02) - tail
    out[i * 3 + 2] = Math.min(Math.max(c, 0.05), 0.99)
  }
  return {data: out, shape: [...pixels.shape.slice(0, -1), 3]}
}

/** Camera-space positions made root-relative (root joint 0 at the origin in every frame). */
export function rootRelativeCopy(cam3d: NDArray): NDArray {
  const out = Float32Array.from(cam3d.data)
  const T = cam3d.shape[0]!
  for (let t = 0; t < T; t++) {
    const r = (t * NUM_JOINTS + ROOT) * 3
    const rx = cam3d.data[r]!
    const ry = cam3d.data[r + 1]!
    const rz = cam3d.data[r + 2]!
    for (let j = 0; j < NUM_JOINTS; j++) {
      const k = (t * NUM_JOINTS + j) * 3
      out[k] = out[k]! - rx
      out[k + 1] = out[k + 1]! - ry
      out[k + 2] = out[k + 2]! - rz
    }
  }
  return {data: out, shape: [...cam3d.shape]}
}

// ---- where the motion comes from -----------------------------------------------------------------

/** A clip's fields for motion that is always world mm (name: the clip's, or the file name; fps: the index's, the file's or the caller's). */
// eslint-disable-next-line no-restricted-syntax -- 'action' is the clip's label field, not the task
export interface WorldMotion extends Pick<MotionClip, 'name' | 'file' | 'action' | 'split' | 'fps' | 'upAxis'> {
  /** `[T, 17, 3]` world mm. */
  positions: NDArray
}

/**
 * World-space motion from a clip folder (`clip` picks one; the name as in index.json, without
 * its extension, or the bare file name such as `walking_1`), a BVH, or an npy/npz `[T, 17, 3]` in mm.
 */
export async function loadWorldMotion(source: string, opts: {clip?: string; split?: string} = {}): Promise<WorldMotion> {
  const stat = await fsp.stat(source).catch(() => null)
  if (!stat) throw inputError('no such file or folder', {file: source, hint: 'give a clip folder (with index.json), a .bvh, or a .npy/.npz of [frames, 17, 3] mm'})
  if (stat.isDirectory()) {
    const set = await readClipFolder(source, opts.split === undefined ? {} : {split: opts.split})
    const clip = pickClip(set.clips, opts.clip, source, opts.split)
    if (clip.space !== 'world') throw notWorld(clip.file)
    return {name: clip.name, file: clip.file, action: clip.action, split: clip.split, fps: clip.fps, positions: clip.positions, upAxis: clip.upAxis}
  }
  if (opts.clip !== undefined) throw inputError(`--clip picks a clip inside a folder, but ${source} is a file`, {hint: 'drop --clip or pass the folder with --data'})
  if (opts.split !== undefined) throw inputError(`--split filters the clips of a folder, but ${source} is a file`, {hint: 'drop --split'})
  const contents = await readClipFile(source)
  if (contents.space !== 'world') throw notWorld(source)
  return {name: path.basename(source), file: path.resolve(source), action: null, split: null, fps: contents.fps, positions: contents.positions, upAxis: contents.upAxis}
}

function notWorld(file: string): Error {
  return inputError('holds MotionBERT preprocessed clips (already in image space); projecting needs world-space 3D in mm', {
    file,
    hint: 'use a folder of mocap clips such as cmu-mocap-h36m17, a BVH, or a [frames, 17, 3] npy in mm',
  })
}

/** Short names of clips: the file name without extension when unique in the set, else the path without extension. */
function shortNames(clips: readonly MotionClip[]): string[] {
  const base = (c: MotionClip): string => path.posix.basename(c.name).replace(/\.[^.]+$/, '')
  const counts = new Map<string, number>()
  for (const c of clips) counts.set(base(c), (counts.get(base(c)) ?? 0) + 1)
  return clips.map((c) => (counts.get(base(c)) === 1 ? base(c) : c.name.replace(/\.[^.]+$/, '')))
}

function pickClip(clips: readonly MotionClip[], wanted: string | undefined, dir: string, split: string | undefined): MotionClip {
  const names = shortNames(clips)
  const listing = [...names].sort((a, b) => a.localeCompare(b, 'en', {numeric: true})).join(', ')
  const where = `${dir}${split === undefined ? '' : ` (split ${split})`}`
  if (wanted === undefined) {
    if (clips.length === 1) return clips[0]!
    throw inputError(`${where} holds ${clips.length} clips; choose one with --clip NAME. Clips: ${listing}`)
  }
  const q = wanted.replace(/\\/g, '/')
  const noExt = (s: string): string => s.replace(/\.[^./]+$/, '')
  const base = (c: MotionClip): string => path.posix.basename(c.name)
  const matches = clips.filter((c, i) => c.name === q || noExt(c.name) === noExt(q) || names[i] === q || base(c) === q || noExt(base(c)) === q)
  if (matches.length === 1) return matches[0]!
  if (matches.length > 1) throw inputError(`clip name "${wanted}" matches ${matches.length} clips in ${where}: ${matches.map((c) => c.name).join(', ')}`, {hint: 'give the path inside the folder, or narrow with --split'})
  throw inputError(`no clip "${wanted}" in ${where}. Clips: ${listing}`)
}
