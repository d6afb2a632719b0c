/** The unit of 3D training data: one motion clip in H36M-17 joint order. */
import type {NDArray} from '../../core/ndarray.js'

/**
 * How a clip's positions are expressed:
 *  - 'world': metric 3D (units in `units`, normally mm) with `upAxis` up — mocap, BVH, our clip folders;
 *    virtual cameras turn these into training pairs.
 *  - 'image-normalised': MotionBERT's preprocessed `data_label` (camera/image space, x right,
 *    y down, normalised to about [-1, 1]); used as it is.
 */
export type ClipSpace = 'world' | 'image-normalised'

export interface MotionClip {
  /** Stable name: the path relative to the data folder. */
  name: string
  /** Absolute path of the file it came from. */
  file: string
  /** Action label (index.json `action`, else the parent folder name), or null. */
  action: string | null
  /** 'train' / 'test' / ... from index.json or the folder layout, or null. */
  split: string | null
  /** Frames per second, when known. */
  fps: number | null
  /** `[T, 17, 3]` float32, H36M-17 order. */
  positions: NDArray
  space: ClipSpace
  /** 'mm' for world clips, 'normalised' for image-normalised ones. */
  units: string
  /** World up axis ('y' for our data and BVH); meaningful for world clips. */
  upAxis: 'y' | 'z'
  /** MotionBERT's `data_input` `[T, 17, 3]` (x, y, confidence) when the file holds detections. */
  input2d?: NDArray
}

/** A set of clips read from one folder. */
export interface ClipSet {
  root: string
  clips: MotionClip[]
  /** Sorted distinct action labels (class index = position), empty when unlabelled. */
  actions: string[]
  /** Total frames over all clips. */
  frames: number
}

export function frameCount(clip: MotionClip): number {
  return clip.positions.shape[0]!
}
