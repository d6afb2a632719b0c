/**
 * Training batches that look like `motion predict` on a user's video (config `video_views`):
 * each sample takes a random stretch of a world clip at a random video frame rate (24-60 fps by
 * default, interpolated from the clip's own rate), films it with a static or panning camera
 * (src/data/augment/video-view.ts), adds detector-like noise with missed and low-confidence
 * joints, rebuilds the joints the chosen keypoint layout's reader synthesises, and normalises the
 * window to its own box as predict does for models trained this way (`input_norm: window`).
 * The pose target is the camera-space pose relative to the root, in metres, so bone lengths do
 * not change with the person's distance. Action samples carry their label; a flip swaps left and
 * right labels (`wave-left-hand` ↔ `wave-right-hand`).
 */
import {addDetectorNoise, type DetectorNoiseRanges, DETECTOR_NOISE_RANGES} from '../../data/augment/detector-noise.js'
import {withConfidence} from '../../data/augment/confidence.js'
import {flipPoses} from '../../data/augment/flip.js'
import {type InputLayout, rebuildAsLayout} from '../../data/augment/input-layout.js'
import {augment2d, type Augment2dOptions} from '../../data/augment/mask.js'
import {stack} from '../../data/augment/sample.js'
import {sampleVideoView, VIDEO_VIEW_RANGES, type VideoViewRanges} from '../../data/augment/video-view.js'
import {NUM_JOINTS, ROOT} from '../../core/h36m.js'
import type {MotionClip} from '../../data/motion3d/clip.js'
import {normalizeWindow} from '../../data/wild.js'
import {inputError} from '../../core/errors.js'
import type {NDArray} from '../../core/ndarray.js'
import type {Rng} from '../../core/rng.js'
import {type BatchSource, dropLastChannel, withPersons} from '../batches.js'
import type {TrainBatch} from '../train-types.js'

export interface VideoSampleOptions {
  clipLen: number
  /** Video frame rates drawn uniformly, fps. */
  fpsRange: readonly [number, number]
  view?: VideoViewRanges
  noise?: DetectorNoiseRanges
  /** Keypoint layouts whose readers' joints the input imitates, drawn uniformly. */
  layouts: readonly InputLayout[]
  flip: boolean
}

export interface VideoSample {
  /** `[T, 17, 3]` window-normalised x, y and confidence. */
  input: NDArray
  /** `[T, 17, 3]` camera coordinates relative to the root, metres. */
  target: NDArray
  flipped: boolean
}

/** Camera-space mm → the pose target's metres. */
export const TARGET_MM_PER_UNIT = 1000

/** One sample from a world clip (mm, y up) as a video would show it. */
export function videoSample(clip: MotionClip, rng: Rng, opts: VideoSampleOptions): VideoSample {
  const world = takeStretch(clip, rng, opts)
  const view = sampleVideoView(world, rng, opts.view ?? VIDEO_VIEW_RANGES)
  let keypoints = addDetectorNoise(view.pixels, rng, opts.noise ?? DETECTOR_NOISE_RANGES)
  const layout = opts.layouts[rng.int(opts.layouts.length)]!
  keypoints = imitateLayout(keypoints, layout)
  let input: NDArray
  try {
    input = normalizeWindow(keypoints)
  } catch {
    // Too few confident joints to scale by: the exact projection instead.
    input = normalizeWindow(withConfidence(view.pixels, 1))
  }
  let target = rootRelativeMetres(view.camera)
  const flipped = opts.flip && rng.next() < 0.5
  if (flipped) {
    input = flipPoses(input)
    target = flipPoses(target)
  }
  return {input, target, flipped}
}

/**
 * `clipLen` frames of the clip at a random video frame rate: positions interpolated at
 * start + i·step (step = clip fps / video fps); a clip too short for that is slowed down to fit.
 */
export function takeStretch(clip: MotionClip, rng: Rng, opts: Pick<VideoSampleOptions, 'clipLen' | 'fpsRange'>): NDArray {
  const n = clip.positions.shape[0]!
  const L = opts.clipLen
  const clipFps = clip.fps ?? 30
  const videoFps = rng.uniform(opts.fpsRange[0], opts.fpsRange[1])
  let step = clipFps / videoFps
  if (L > 1 && (L - 1) * step > n - 1) step = (n - 1) / (L - 1)
  const span = (L - 1) * step
  const start = rng.uniform(0, Math.max(0, n - 1 - span))
  const src = clip.positions.data
  const row = NUM_JOINTS * 3
  const out = new Float32Array(L * row)
  for (let i = 0; i < L; i++) {
    const t = Math.min(start + i * step, n - 1)
    const t0 = Math.floor(t)
    const t1 = Math.min(t0 + 1, n - 1)
    const a = t - t0
    for (let k = 0; k < row; k++) out[i * row + k] = (1 - a) * src[t0 * row + k]! + a * src[t1 * row + k]!
  }
  if (clip.upAxis === 'z') {
    // (x, y, z) z-up → (x, z, -y) y-up
    for (let i = 0; i < out.length; i += 3) {
      const y = out[i + 1]!
      out[i + 1] = out[i + 2]!
      out[i + 2] = -y
    }
  }
  return {data: out, shape: [L, NUM_JOINTS, 3]}
}

/**
 * The joints a reader of `layout` synthesises, rebuilt its way; COCO-17 has no head top, its reader
 * puts the head between the eyes, here halfway from the nose joint to the head joint.
 */
export function imitateLayout(keypoints: NDArray, layout: InputLayout): NDArray {
  const out = rebuildAsLayout(keypoints, layout)
  if (layout !== 'coco17') return out
  const d = Float32Array.from(out.data)
  for (let i = 0; i < d.length; i += NUM_JOINTS * 3) {
    for (let c = 0; c < 2; c++) d[i + 10 * 3 + c] = (d[i + 9 * 3 + c]! + d[i + 10 * 3 + c]!) / 2
  }
  return {data: d, shape: out.shape}
}

function rootRelativeMetres(camera: NDArray): NDArray {
  const d = camera.data
  const out = new Float32Array(d.length)
  const row = NUM_JOINTS * 3
  for (let f = 0; f < d.length; f += row) {
    for (let j = 0; j < NUM_JOINTS; j++) for (let c = 0; c < 3; c++) out[f + j * 3 + c] = (d[f + j * 3 + c]! - d[f + ROOT * 3 + c]!) / TARGET_MM_PER_UNIT
  }
  return {data: out, shape: [...camera.shape]}
}

/** For each class, the class a horizontal flip turns it into (left ↔ right in the name), else itself. */
export function flippedLabels(classes: readonly string[]): Int32Array {
  return Int32Array.from(classes.map((name, i) => {
    const swapped = name.replace(/left|right/g, (m) => (m === 'left' ? 'right' : 'left'))
    const j = classes.indexOf(swapped)
    return j >= 0 ? j : i
  }))
}

export interface VideoBatchOptions extends VideoSampleOptions {
  task: 'pose3d' | 'action'
  batchSize: number
  /** Window slots per epoch come from each clip's duration: one per `strideSeconds`. */
  strideSeconds: number
  augment: Augment2dOptions
  /** Action: the class names (index = label) and people per sample. */
  classes?: readonly string[]
  persons?: number
  noConf?: boolean
}

/** Random video-like samples; an epoch visits each clip in proportion to its duration. */
export class VideoBatchSource implements BatchSource {
  readonly task: 'pose3d' | 'action'
  private readonly slots: Int32Array
  private readonly flipMap: Int32Array | null

  constructor(
    readonly clips: readonly MotionClip[],
    private readonly opts: VideoBatchOptions,
  ) {
    this.task = opts.task
    const slots: number[] = []
    clips.forEach((c, i) => {
      const seconds = c.positions.shape[0]! / (c.fps ?? 30)
      const n = Math.max(1, Math.round(seconds / opts.strideSeconds))
      for (let k = 0; k < n; k++) slots.push(i)
    })
    if (slots.length === 0) throw inputError('no training clips')
    this.slots = Int32Array.from(slots)
    this.flipMap = opts.task === 'action' ? flippedLabels(opts.classes ?? []) : null
    if (opts.task === 'action') {
      const unknown = clips.find((c) => c.action === null || !(opts.classes ?? []).includes(c.action))
      if (unknown) throw inputError(`clip has action ${JSON.stringify(unknown.action)}, not one of the run's classes`, {file: unknown.file})
    }
  }

  get size(): number {
    return this.slots.length
  }

  get batchSize(): number {
    return this.opts.batchSize
  }

  batch(indices: readonly number[], rng: Rng): TrainBatch {
    const samples = indices.map((i) => {
      const clip = this.clips[this.slots[i % this.slots.length]!]!
      return {clip, sample: videoSample(clip, rng, this.opts)}
    })
    let input = stack(samples.map((s) => s.sample.input)) // [N, T, 17, 3]
    input = augment2d(input, rng, this.opts.augment)
    if (this.opts.noConf) input = dropLastChannel(input)
    if (this.task === 'pose3d') return {task: 'pose3d', input, target: stack(samples.map((s) => s.sample.target))}
    const classes = this.opts.classes ?? []
    const labels = Int32Array.from(samples.map(({clip, sample}) => {
      const label = classes.indexOf(clip.action!)
      return sample.flipped ? this.flipMap![label]! : label
    }))
    return {task: 'action', input: withPersons(input, this.opts.persons ?? 1), labels}
  }
}
