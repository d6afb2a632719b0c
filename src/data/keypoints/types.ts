/**
 * The one type every keypoint reader returns: detections grouped by person id and frame index,
 * already converted to H36M-17 (x, y, confidence) in the file's units (pixels for every detector
 * format; whatever the file holds for NPY/NPZ and CSV).
 */
import type {SourceLayout} from '../joint-maps.js'

export type KeypointFormat = 'alphapose' | 'coco' | 'openpose' | 'mediapipe' | 'csv' | 'npy'

export const KEYPOINT_FORMATS: readonly KeypointFormat[] = ['alphapose', 'coco', 'openpose', 'mediapipe', 'csv', 'npy']

/** One detection of one person in one frame. */
export interface Detection {
  /** Detector score (AlphaPose/COCO `score`, pose score, else the mean joint confidence); picks among duplicates. */
  score: number
  /** H36M-17 keypoints, row-major [17, 3]: x, y, confidence. */
  keypoints: Float32Array
}

export interface PersonDetections {
  /** Person / track id as text (AlphaPose idx 1 -> "1"). */
  id: string
  /** Frame index -> every detection of this person in that frame (usually one). */
  frames: Map<number, Detection[]>
}

/** How person ids were obtained. */
export type PersonIds =
  /** the file has track ids (AlphaPose idx, OpenPose person_id, CSV person column, ...) */
  | 'file'
  /** no ids and at most one detection per frame: everything is person "0" */
  | 'single'
  /** no ids and several detections per frame: linked frame to frame by nearest position */
  | 'tracked'

export interface KeypointData {
  /** The path that was read (file or OpenPose directory). */
  file: string
  format: KeypointFormat
  /** Joint layout of the source before mapping to H36M-17. */
  layout: SourceLayout
  /** Number of video frames: frame indices run 0..frameCount-1 (frames nobody was detected in count). */
  frameCount: number
  /** Frame number the file gives frame index 0 (e.g. 1 for out0000001.png), when frames are numbered. */
  firstFrameNumber?: number
  /** Image size [width, height] in pixels, when the file says. */
  imageSize?: [number, number]
  /** Coordinate units of x, y. */
  units: 'pixels' | 'normalized' | 'unknown'
  personIds: PersonIds
  /** People in order of first appearance. */
  people: PersonDetections[]
}

/** What a reader produces before grouping: one detection with its frame number and optional id. */
export interface RawDetection {
  /** Frame number as the file gives it (before subtracting the first frame number). */
  frame: number
  person?: string
  score: number
  keypoints: Float32Array
}

export interface ReadOptions {
  /** Force a format instead of detecting it. */
  format?: KeypointFormat
  /** Total number of video frames when known (extends trailing frames nobody was detected in). */
  frameCount?: number
  /** Image size [width, height] for normalised landmarks when the file does not give it. */
  imageSize?: [number, number]
}
