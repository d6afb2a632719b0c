/**
 * One training pair from one window, as MotionDataset3D.__getitem__ builds it:
 *  - world clips (mocap, BVH): a random virtual camera, the 2.5D image-space label, normalised by
 *    the image (DataReaderH36M) or the clip's bounding square (crop_scale_3d), flipped half of the
 *    time, and the 2D input taken from the label's x, y with confidence 1 (official `synthetic`);
 *  - MotionBERT clip pickles: the label as stored; with detections (`data_input`) both are flipped
 *    together half of the time, without them (or with `synthetic`) the input comes from the label.
 * Noise and masking are batch-level (`augment2d`), and root-relative labels are the loop's step.
 */
import type {NDArray} from '../../core/ndarray.js'
import type {Rng} from '../../core/rng.js'
import type {Motion3dWindow} from '../motion3d/dataset.js'
import {type CameraRanges, DEFAULT_CAMERA_RANGES, imageSpacePose, type Range, sampleCamera, type VirtualCamera, worldToCamera} from './camera.js'
import {withConfidence} from './confidence.js'
import {flipPoses} from './flip.js'
import {type InputLayout, rebuildAsLayout} from './input-layout.js'
import {cropScale3d, normaliseByImage} from './normalise.js'

export type Normalisation = 'image' | 'crop'

export interface TrainingPairOptions {
  /** Camera ranges for world clips (default DEFAULT_CAMERA_RANGES). */
  camera?: CameraRanges
  /** 'image' (x / width, as H36M; default) or 'crop' (crop_scale_3d over the window). */
  normalisation?: Normalisation
  /** crop_scale_3d's ratio range (MotionBERT `scale_range_pretrain`); 'crop' only; default [1, 1]. */
  scaleRange?: Range
  /**
   * With 'image': the probability that a world-clip pair is crop-scaled instead (config
   * `crop_scale_prob`), so a pose model sees both what H36M-style training gives (people a fraction of
   * the image) and what `motion predict` gives it (each track scaled to its box), as MotionBERT's
   * pretraining mixes H36M with crop-scaled AMASS.
   */
  cropProbability?: number
  /** Random horizontal flip with probability 1/2 (MotionBERT `flip`). */
  flip?: boolean
  /** Ignore stored detections and use the label's x, y with confidence 1 (MotionBERT `synthetic` / `gt_2d`). */
  synthetic?: boolean
  /** Rebuild the 2D input joints this keypoint layout synthesises, as its reader does (MotionBERT halpe2h36m: spine = mid(pelvis, thorax)); default h36m17 (exact). */
  inputLayout?: InputLayout
}

export interface TrainingPair {
  /** `[T, 17, 3]` x, y (normalised) and confidence. */
  input: NDArray
  /** `[T, 17, 3]` normalised 3D target (not yet root-relative). */
  label: NDArray
  /** `[T]` millimetres per normalised unit for root-relative differences (world clips; null otherwise). */
  mmPerUnit: Float32Array | null
  camera: VirtualCamera | null
  flipped: boolean
}

export function makeTrainingPair(window: Motion3dWindow, rng: Rng, opts: TrainingPairOptions = {}): TrainingPair {
  if (window.clip.space === 'image-normalised') return fromPreprocessed(window, rng, opts)
  const camera = sampleCamera(window.positions, rng, opts.camera ?? DEFAULT_CAMERA_RANGES, window.clip.upAxis)
  const {positions: image, mmPerPixel} = imageSpacePose(worldToCamera(window.positions, camera), camera)
  let label: NDArray
  let pixelsPerUnit: number
  if (useCrop(opts, rng)) {
    const crop = cropScale3d(image, opts.scaleRange ?? [1, 1], rng)
    label = crop.positions
    pixelsPerUnit = crop.unitsPerNormalised
  } else {
    label = normaliseByImage(image, camera.width, camera.height)
    pixelsPerUnit = camera.width / 2
  }
  const flipped = (opts.flip ?? false) && rng.next() > 0.5
  if (flipped) label = flipPoses(label)
  const mmPerUnit = mmPerPixel.map((m) => m * pixelsPerUnit)
  return {input: syntheticInput(label, opts), label, mmPerUnit, camera, flipped}
}

function useCrop(opts: TrainingPairOptions, rng: Rng): boolean {
  if ((opts.normalisation ?? 'image') === 'crop') return true
  const p = opts.cropProbability ?? 0
  // No draw at 0 or 1, so runs without the key keep their random streams.
  return p >= 1 || (p > 0 && rng.next() < p)
}

function fromPreprocessed(window: Motion3dWindow, rng: Rng, opts: TrainingPairOptions): TrainingPair {
  let label = window.positions
  if (window.input2d && !opts.synthetic) {
    let input = window.input2d.shape[2] === 3 ? window.input2d : withConfidence(window.input2d, 1)
    const flipped = (opts.flip ?? false) && rng.next() > 0.5
    if (flipped) {
      input = flipPoses(input)
      label = flipPoses(label)
    }
    return {input, label, mmPerUnit: null, camera: null, flipped}
  }
  // Augmenter3D.augment3D: crop_scale_3d only when scale_range_pretrain is configured.
  if (opts.scaleRange) label = cropScale3d(label, opts.scaleRange, rng).positions
  const flipped = (opts.flip ?? false) && rng.next() > 0.5
  if (flipped) label = flipPoses(label)
  return {input: syntheticInput(label, opts), label, mmPerUnit: null, camera: null, flipped}
}

/** The label's x, y with confidence 1, joints rebuilt as `inputLayout`'s reader makes them. */
function syntheticInput(label: NDArray, opts: TrainingPairOptions): NDArray {
  const input = withConfidence(label, 1)
  return opts.inputLayout ? rebuildAsLayout(input, opts.inputLayout) : input
}

/** Stacks `[T, J, C]` arrays of equal shape into `[N, T, J, C]`. */
export function stack(items: readonly NDArray[]): NDArray {
  if (items.length === 0) throw new Error('stack: no arrays')
  const shape = items[0]!.shape
  const n = items[0]!.data.length
  const out = new Float32Array(items.length * n)
  items.forEach((a, i) => {
    if (a.data.length !== n || a.shape.some((d, k) => d !== shape[k])) {
      throw new Error(`stack: shape [${a.shape.join(', ')}] differs from [${shape.join(', ')}]`)
    }
    out.set(a.data, i * n)
  })
  return {data: out, shape: [items.length, ...shape]}
}
