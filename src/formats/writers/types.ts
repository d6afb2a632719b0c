/**
 * What `motion predict` hands to the writers and the renderer: 3D joints for one person, with
 * the units and coordinates stated so every output can say what its numbers are.
 */
import type {NDArray} from '../../core/ndarray.js'

/** normalized: MotionBERT's [-1, 1] crop scale; pixels: --pixel mode; mm: millimetres. */
export type PoseUnits = 'normalized' | 'pixels' | 'mm'

export interface Prediction {
  /** [T, 17, 3] H36M-17 joints in camera coordinates: x right, y down (image), z away from the camera. */
  x3d: NDArray
  units: PoseUnits
  /** True when the pelvis is at the origin in every frame (--rootrel). */
  rootRelative: boolean
  /** [T, 17, 3] the 2D input (x, y in pixels, confidence), H36M-17 order, when known. */
  input2d?: NDArray
  /** Frames per second of the source, when known. */
  fps?: number
  /** The input file the prediction came from. */
  source: string
  /** The person (track id) this prediction is for. */
  person?: number | string
  /** The model used (a checkpoint path or the bundled model's name). */
  model: string
  /** The options that shaped the result (clip length, flip, smoothing, ...), recorded as given. */
  options: Record<string, unknown>
}

/** The coordinate statement every output carries. */
export const CAMERA_COORDINATES = 'camera: x right, y down (image), z away from the camera'
