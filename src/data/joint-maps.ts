/**
 * Maps from detector joint layouts to the H36M-17 skeleton (src/core/h36m.ts).
 *
 * Every H36M joint is the mean of one or more source joints (all channels: x, y and confidence).
 * halpe26 and coco17 are MotionBERT's own conversions (lib/data/dataset_wild.py `halpe2h36m`,
 * lib/data/dataset_action.py `coco2h36m`) and are applied exactly as there. body25, coco18 and
 * blazepose33 are ours, built in the same spirit: a joint the layout has is copied; pelvis,
 * spine, thorax and head are synthesised from neighbours as coco2h36m does (pelvis = mid-hips,
 * thorax = neck or mid-shoulders, spine = mid(pelvis, thorax), head = mid-eyes), and H36M joint 9
 * takes the nose, as both MotionBERT maps do.
 *
 * For our own maps (`missingMakesInvalid`), a synthesised joint whose sources include an
 * undetected one (confidence 0, which OpenPose writes as 0,0,0) gets confidence 0 and is placed
 * at the mean of the detected sources, so a missing hip does not drag the pelvis to the image
 * corner. MotionBERT's two maps keep their plain mean, for parity.
 */
import {NUM_JOINTS} from '../core/h36m.js'

export type SourceLayout = 'halpe26' | 'coco17' | 'body25' | 'coco18' | 'blazepose33' | 'h36m17'

export interface JointMap {
  layout: SourceLayout
  /** Human-readable name of the layout. */
  title: string
  /** Joint names of the source layout, in its order. */
  sourceJoints: readonly string[]
  /** For each H36M joint (in H36M order), the source joints averaged to make it. */
  sources: readonly (readonly number[])[]
  /** See the module comment. */
  missingMakesInvalid: boolean
}

export const HALPE26_JOINTS = [
  'Nose', 'LEye', 'REye', 'LEar', 'REar', 'LShoulder', 'RShoulder', 'LElbow', 'RElbow', 'LWrist', 'RWrist',
  'LHip', 'RHip', 'LKnee', 'RKnee', 'LAnkle', 'RAnkle', 'Head', 'Neck', 'Hip',
  'LBigToe', 'RBigToe', 'LSmallToe', 'RSmallToe', 'LHeel', 'RHeel',
] as const

export const COCO17_JOINTS = HALPE26_JOINTS.slice(0, 17)

export const BODY25_JOINTS = [
  'Nose', 'Neck', 'RShoulder', 'RElbow', 'RWrist', 'LShoulder', 'LElbow', 'LWrist', 'MidHip',
  'RHip', 'RKnee', 'RAnkle', 'LHip', 'LKnee', 'LAnkle', 'REye', 'LEye', 'REar', 'LEar',
  'LBigToe', 'LSmallToe', 'LHeel', 'RBigToe', 'RSmallToe', 'RHeel',
] as const

export const COCO18_JOINTS = [
  'Nose', 'Neck', 'RShoulder', 'RElbow', 'RWrist', 'LShoulder', 'LElbow', 'LWrist',
  'RHip', 'RKnee', 'RAnkle', 'LHip', 'LKnee', 'LAnkle', 'REye', 'LEye', 'REar', 'LEar',
] as const

/** MediaPipe / BlazePose 33 landmarks, named as tfjs-models pose-detection names them. */
export const BLAZEPOSE33_JOINTS = [
  'nose', 'left_eye_inner', 'left_eye', 'left_eye_outer', 'right_eye_inner', 'right_eye', 'right_eye_outer',
  'left_ear', 'right_ear', 'mouth_left', 'mouth_right', 'left_shoulder', 'right_shoulder', 'left_elbow',
  'right_elbow', 'left_wrist', 'right_wrist', 'left_pinky', 'right_pinky', 'left_index', 'right_index',
  'left_thumb', 'right_thumb', 'left_hip', 'right_hip', 'left_knee', 'right_knee', 'left_ankle',
  'right_ankle', 'left_heel', 'right_heel', 'left_foot_index', 'right_foot_index',
] as const

// Source lists in H36M order: pelvis, r_hip, r_knee, r_ankle, l_hip, l_knee, l_ankle, spine, thorax,
// neck/nose, head, l_shoulder, l_elbow, l_wrist, r_shoulder, r_elbow, r_wrist.

/** MotionBERT halpe2h36m: pelvis = Hip(19), spine = mean(Neck 18, Hip 19), thorax = Neck, head = Head(17). */
const HALPE26: JointMap = {
  layout: 'halpe26',
  title: 'Halpe-26 (AlphaPose)',
  sourceJoints: HALPE26_JOINTS,
  sources: [[19], [12], [14], [16], [11], [13], [15], [18, 19], [18], [0], [17], [5], [7], [9], [6], [8], [10]],
  missingMakesInvalid: false,
}

/** MotionBERT coco2h36m: pelvis = mid-hips, thorax = mid-shoulders, spine = mid(pelvis, thorax), head = mid-eyes. */
const COCO17: JointMap = {
  layout: 'coco17',
  title: 'COCO-17',
  sourceJoints: COCO17_JOINTS,
  // spine = ((11+12)/2 + (5+6)/2)/2, the mean of the four joints
  sources: [[11, 12], [12], [14], [16], [11], [13], [15], [11, 12, 5, 6], [5, 6], [0], [1, 2], [5], [7], [9], [6], [8], [10]],
  missingMakesInvalid: false,
}

/** OpenPose BODY_25: pelvis = MidHip, thorax = Neck, spine = mid(Neck, MidHip) (as halpe2h36m), head = mid-eyes. */
const BODY25: JointMap = {
  layout: 'body25',
  title: 'OpenPose BODY_25',
  sourceJoints: BODY25_JOINTS,
  sources: [[8], [9], [10], [11], [12], [13], [14], [1, 8], [1], [0], [15, 16], [5], [6], [7], [2], [3], [4]],
  missingMakesInvalid: true,
}

/** OpenPose COCO-18: pelvis = mid-hips, thorax = Neck, spine = mid(pelvis, Neck), head = mid-eyes. */
const COCO18: JointMap = {
  layout: 'coco18',
  title: 'OpenPose COCO-18',
  sourceJoints: COCO18_JOINTS,
  // spine = ((8+11)/2 + 1)/2: weights 1/4, 1/4, 1/2, written as a mean with Neck counted twice
  sources: [[8, 11], [8], [9], [10], [11], [12], [13], [8, 11, 1, 1], [1], [0], [14, 15], [5], [6], [7], [2], [3], [4]],
  missingMakesInvalid: true,
}

/** BlazePose-33: pelvis = mid-hips, thorax = mid-shoulders, spine = mid(pelvis, thorax), head = mid-eyes (as coco2h36m). */
const BLAZEPOSE33: JointMap = {
  layout: 'blazepose33',
  title: 'MediaPipe BlazePose-33',
  sourceJoints: BLAZEPOSE33_JOINTS,
  sources: [[23, 24], [24], [26], [28], [23], [25], [27], [23, 24, 11, 12], [11, 12], [0], [2, 5], [11], [13], [15], [12], [14], [16]],
  missingMakesInvalid: true,
}

const H36M17: JointMap = {
  layout: 'h36m17',
  title: 'H36M-17',
  sourceJoints: [
    'pelvis', 'r_hip', 'r_knee', 'r_ankle', 'l_hip', 'l_knee', 'l_ankle', 'spine', 'thorax',
    'neck', 'head', 'l_shoulder', 'l_elbow', 'l_wrist', 'r_shoulder', 'r_elbow', 'r_wrist',
  ],
  sources: Array.from({length: NUM_JOINTS}, (_, j) => [j]),
  missingMakesInvalid: false,
}

export const JOINT_MAPS: Readonly<Record<SourceLayout, JointMap>> = {
  halpe26: HALPE26,
  coco17: COCO17,
  body25: BODY25,
  coco18: COCO18,
  blazepose33: BLAZEPOSE33,
  h36m17: H36M17,
}

/**
 * Converts one detection from a source layout to H36M-17.
 * `src` holds at least `sourceJoints.length * 3` values (x, y, confidence per joint);
 * the result is written to `out` ([17 * 3]) at `outOffset`.
 */
export function mapToH36m(map: JointMap, src: ArrayLike<number>, out: Float32Array = new Float32Array(NUM_JOINTS * 3), outOffset = 0): Float32Array {
  for (let j = 0; j < NUM_JOINTS; j++) {
    const ids = map.sources[j]!
    const o = outOffset + j * 3
    if (ids.length === 1) {
      const s = ids[0]! * 3
      out[o] = src[s]!
      out[o + 1] = src[s + 1]!
      out[o + 2] = src[s + 2]!
      continue
    }
    let x = 0
    let y = 0
    let c = 0
    let present = 0
    let missing = false
    for (const id of ids) {
      const s = id * 3
      c += src[s + 2]!
      if (map.missingMakesInvalid && src[s + 2]! === 0) {
        missing = true
        continue
      }
      x += src[s]!
      y += src[s + 1]!
      present++
    }
    if (!map.missingMakesInvalid) {
      // the plain mean of MotionBERT's maps (all channels)
      out[o] = x / ids.length
      out[o + 1] = y / ids.length
      out[o + 2] = c / ids.length
    } else {
      out[o] = present > 0 ? x / present : 0
      out[o + 1] = present > 0 ? y / present : 0
      out[o + 2] = missing ? 0 : c / ids.length
    }
  }
  return out
}
