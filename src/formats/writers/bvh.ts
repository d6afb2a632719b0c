/**
 * BVH output: the H36M-17 skeleton as a BVH hierarchy with constant bone lengths and per-frame
 * joint rotations solved from the predicted positions, so animation tools (Blender: File > Import >
 * Motion Capture (.bvh)) can retarget it. Choices, documented in docs/outputs.md:
 *
 *  - Axes: BVH is y-up. Camera coordinates (x right, y down, z away) become (x, -y, -z): a rotation
 *    of 180° about x, so the figure stands upright and faces +z when it faced the camera.
 *  - Units: millimetres and pixels as they are; normalized units ×1000 (BVH_SCALE).
 *  - Hierarchy: the 17 H36M joints plus four zero-offset branch joints (r_hipbone, l_hipbone,
 *    l_clavicle, r_clavicle). A joint's rotation orients only the bone to its single child, so each
 *    of the pelvis's and thorax's three bones gets its own rotation and every bone direction is
 *    reproduced exactly; only bone lengths are replaced by the rigid fit of src/core/skeleton-fit.ts (per-bone median
 *    over the frames).
 *  - Rest pose: T-pose, facing +z, left = +x; legs down, spine up, arms out.
 *  - Rotations: pelvis from the spine direction and the hip axis, thorax from the neck direction and
 *    the shoulder axis, every other joint by the shortest rotation from its parent's frame (no
 *    twist), so frames are consistent over time; leaf joints (ankles, wrists, head) keep identity.
 *  - Euler orders put the bone's own axis in the middle (the angle that rarely reaches ±90°):
 *    root Yrotation Zrotation Xrotation (heading first), bones along y (legs, spine, neck, head)
 *    Zrotation Yrotation Xrotation, bones along x (clavicles, arms) Zrotation Xrotation Yrotation.
 *    Angles are unwrapped to the solution nearest the previous frame, so there are no flips.
 */
import {writeFileAtomic} from '../atomic.js'
import {
  apply,
  cross,
  frameFrom,
  IDENTITY,
  matMul,
  matrixToEuler,
  normalize,
  shortestArc,
  transpose,
  type Axis,
  type EulerOrder,
  type Mat3,
  type Vec3,
} from '../bvh-rotation.js'
import {H36M_PARENTS, NUM_JOINTS} from '../../core/h36m.js'
import {fitBoneLengths, median} from '../../core/skeleton-fit.js'
import type {PoseUnits, Prediction} from './types.js'
import {checkPrediction, fixed} from './validate.js'

/** File units per prediction unit. */
export const BVH_SCALE: Readonly<Record<PoseUnits, number>> = {mm: 1, pixels: 1, normalized: 1000}

/** Frame rate written when the prediction does not know its source's. */
export const BVH_DEFAULT_FPS = 30

const X: Axis = 0
const Y: Axis = 1
const Z: Axis = 2
const ROOT_ORDER: EulerOrder = [Y, Z, X]
const ALONG_Y: EulerOrder = [Z, Y, X]
const ALONG_X: EulerOrder = [Z, X, Y]

interface OutJoint {
  name: string
  /** Index of the parent in BVH_SKELETON (-1 for the root). */
  parent: number
  /** The H36M joint at this joint's position (a branch joint sits at its parent's). */
  at: number
  /** Unit rest direction from the parent's position to this joint (unused for branch joints). */
  rest: Vec3
  order: EulerOrder
  /** The H36M joint this joint's rotation points its bone at (none for leaves). */
  aim?: number
  /** For the pelvis and thorax: the axis [from, to] (H36M joints) that fixes the twist. */
  twist?: readonly [number, number]
  /** Leaf joints: End Site direction and length as a fraction of this joint's own bone. */
  end?: {dir: Vec3; fraction: number}
}

const UP: Vec3 = [0, 1, 0]
const DOWN: Vec3 = [0, -1, 0]
const LEFT: Vec3 = [1, 0, 0]
const RIGHT: Vec3 = [-1, 0, 0]
const FORWARD: Vec3 = [0, 0, 1]
const ZERO: Vec3 = [0, 0, 0]

/** The written hierarchy, in file (depth-first) order. */
export const BVH_SKELETON: readonly OutJoint[] = [
  {name: 'pelvis', parent: -1, at: 0, rest: ZERO, order: ROOT_ORDER, aim: 7, twist: [1, 4]},
  {name: 'r_hipbone', parent: 0, at: 0, rest: ZERO, order: ALONG_X, aim: 1},
  {name: 'r_hip', parent: 1, at: 1, rest: RIGHT, order: ALONG_Y, aim: 2},
  {name: 'r_knee', parent: 2, at: 2, rest: DOWN, order: ALONG_Y, aim: 3},
  {name: 'r_ankle', parent: 3, at: 3, rest: DOWN, order: ALONG_Y, end: {dir: FORWARD, fraction: 0.3}},
  {name: 'l_hipbone', parent: 0, at: 0, rest: ZERO, order: ALONG_X, aim: 4},
  {name: 'l_hip', parent: 5, at: 4, rest: LEFT, order: ALONG_Y, aim: 5},
  {name: 'l_knee', parent: 6, at: 5, rest: DOWN, order: ALONG_Y, aim: 6},
  {name: 'l_ankle', parent: 7, at: 6, rest: DOWN, order: ALONG_Y, end: {dir: FORWARD, fraction: 0.3}},
  {name: 'spine', parent: 0, at: 7, rest: UP, order: ALONG_Y, aim: 8},
  {name: 'thorax', parent: 9, at: 8, rest: UP, order: ALONG_Y, aim: 9, twist: [14, 11]},
  {name: 'neck', parent: 10, at: 9, rest: UP, order: ALONG_Y, aim: 10},
  {name: 'head', parent: 11, at: 10, rest: UP, order: ALONG_Y, end: {dir: UP, fraction: 0.5}},
  {name: 'l_clavicle', parent: 10, at: 8, rest: ZERO, order: ALONG_X, aim: 11},
  {name: 'l_shoulder', parent: 13, at: 11, rest: LEFT, order: ALONG_X, aim: 12},
  {name: 'l_elbow', parent: 14, at: 12, rest: LEFT, order: ALONG_X, aim: 13},
  {name: 'l_wrist', parent: 15, at: 13, rest: LEFT, order: ALONG_X, end: {dir: LEFT, fraction: 0.4}},
  {name: 'r_clavicle', parent: 10, at: 8, rest: ZERO, order: ALONG_X, aim: 14},
  {name: 'r_shoulder', parent: 17, at: 14, rest: RIGHT, order: ALONG_X, aim: 15},
  {name: 'r_elbow', parent: 18, at: 15, rest: RIGHT, order: ALONG_X, aim: 16},
  {name: 'r_wrist', parent: 19, at: 16, rest: RIGHT, order: ALONG_X, end: {dir: RIGHT, fraction: 0.4}},
]

/** Default rest direction of the bone ending at each H36M joint (the T-pose). */
const DEFAULT_REST_DIR: readonly Vec3[] = (() => {
  const dirs: Vec3[] = new Array<Vec3>(NUM_JOINTS).fill(ZERO)
  for (const j of BVH_SKELETON) if (j.rest !== ZERO) dirs[j.at] = j.rest
  return dirs
})()
/** Rest direction of the twist axis (left minus right) of the pelvis and the thorax. */
const TWIST_REST: Vec3 = [1, 0, 0]

const AXIS_NAMES = ['X', 'Y', 'Z'] as const

export interface BvhEncodeOptions {
  /** Frames per second (default: the prediction's, else BVH_DEFAULT_FPS). */
  fps?: number
}

/** The BVH text for a prediction (see the module comment for every choice). */
export function encodeBvh(pred: Prediction, file = 'output.bvh', opts: BvhEncodeOptions = {}): string {
  const T = checkPrediction(pred, file)
  const scale = BVH_SCALE[pred.units]
  // [T, 17, 3] in BVH axes (x, -y, -z) and file units, float64 for the solve.
  const pos = new Float64Array(T * NUM_JOINTS * 3)
  const src = pred.x3d.data
  for (let i = 0; i < T * NUM_JOINTS; i++) {
    pos[i * 3] = src[i * 3]! * scale
    pos[i * 3 + 1] = -src[i * 3 + 1]! * scale
    pos[i * 3 + 2] = -src[i * 3 + 2]! * scale
  }
  const at = (t: number, j: number): Vec3 => [pos[(t * NUM_JOINTS + j) * 3]!, pos[(t * NUM_JOINTS + j) * 3 + 1]!, pos[(t * NUM_JOINTS + j) * 3 + 2]!]
  const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]]

  // H36M bones take the track's rigid fit (as --skeleton rigid), so BVH and JSON agree.
  const fitted = fitBoneLengths(pred.x3d)
  const lengths = BVH_SKELETON.map((j) => {
    if (j.parent < 0 || j.rest === ZERO) return 0
    const from = BVH_SKELETON[j.parent]!.at
    if (H36M_PARENTS[j.at] === from) return fitted[j.at]! * scale
    return median(Array.from({length: T}, (_, t) => Math.hypot(...sub(at(t, j.at), at(t, from)))))
  })

  // Rotation of the pelvis / thorax from its aim bone and its left-right axis; undefined if degenerate.
  const twistFrame = (joint: OutJoint, t: number): Mat3 | undefined => {
    const d = normalize(sub(at(t, joint.aim!), at(t, joint.at)))
    const cur = d && frameFrom(d, sub(at(t, joint.twist![1]), at(t, joint.twist![0])))
    const rest = frameFrom(DEFAULT_REST_DIR[joint.aim!]!, TWIST_REST)
    return cur && rest ? matMul(cur, transpose(rest)) : undefined
  }
  // Branch bones (pelvis -> hips, thorax -> shoulders) rest along their mean direction in the
  // pelvis / thorax frame, so the branch joints' rotations stay near identity and the legs and arms
  // below them swing from the body's frame (large constant offsets there cause gimbal trouble).
  const restDir = [...DEFAULT_REST_DIR]
  for (const joint of BVH_SKELETON) {
    const parent = BVH_SKELETON[joint.parent]
    if (joint.rest !== ZERO || !parent?.twist || joint.aim === undefined) continue
    const sum: Vec3 = [0, 0, 0]
    for (let t = 0; t < T; t++) {
      const frame = twistFrame(parent, t)
      const d = normalize(sub(at(t, joint.aim), at(t, joint.at)))
      if (!frame || !d) continue
      const local = apply(transpose(frame), d)
      for (let c = 0; c < 3; c++) sum[c]! += local[c]!
    }
    restDir[joint.aim] = normalize(sum) ?? DEFAULT_REST_DIR[joint.aim]!
  }

  const fps = opts.fps ?? pred.fps ?? BVH_DEFAULT_FPS
  const lines: string[] = ['HIERARCHY']
  writeHierarchy(lines, restDir, lengths)
  lines.push('MOTION', `Frames: ${T}`, `Frame Time: ${fixed(1 / fps, 8)}`)

  const J = BVH_SKELETON.length
  const prevGlobal: (Mat3 | undefined)[] = new Array<Mat3 | undefined>(J)
  const prevLocal: Mat3[] = Array.from({length: J}, () => [...IDENTITY])
  const prevAngles: (Vec3 | undefined)[] = new Array<Vec3 | undefined>(J)
  const global: Mat3[] = new Array<Mat3>(J)
  for (let t = 0; t < T; t++) {
    const values: string[] = []
    const root = at(t, 0)
    values.push(fixed(root[0], 6), fixed(root[1], 6), fixed(root[2], 6))
    for (let j = 0; j < J; j++) {
      const joint = BVH_SKELETON[j]!
      const parentGlobal = joint.parent < 0 ? IDENTITY : global[joint.parent]!
      let g: Mat3 | undefined
      if (joint.aim !== undefined) {
        if (joint.twist) g = twistFrame(joint, t)
        const d = normalize(sub(at(t, joint.aim), at(t, joint.at)))
        if (d && !g) {
          // No usable twist reference: swing from the parent's frame (the root: its previous frame).
          const u = restDir[joint.aim]!
          const base = joint.parent < 0 ? (prevGlobal[j] ?? IDENTITY) : parentGlobal
          const fallback: Vec3 = Math.abs(u[0]) < 0.9 ? apply(base, [1, 0, 0]) : apply(base, [0, 0, 1])
          g = matMul(shortestArc(apply(base, u), d, normalize(cross(apply(base, u), fallback)) ?? fallback), base)
        }
      }
      // Leaves, and bones of zero length in this frame, keep their previous local rotation.
      const local = g ? matMul(transpose(parentGlobal), g) : prevLocal[j]!
      global[j] = g ?? matMul(parentGlobal, local)
      prevGlobal[j] = global[j]
      prevLocal[j] = local
      const angles = matrixToEuler(local, joint.order, prevAngles[j])
      prevAngles[j] = angles
      for (const a of angles) values.push(fixed(a, 6))
    }
    lines.push(values.join(' '))
  }
  lines.push('')
  return lines.join('\n')
}

/** Writes the BVH atomically. */
export async function writeBvh(pred: Prediction, file: string, opts: BvhEncodeOptions = {}): Promise<void> {
  await writeFileAtomic(file, encodeBvh(pred, file, opts))
}

function writeHierarchy(lines: string[], restDir: readonly Vec3[], lengths: number[]): void {
  const children = BVH_SKELETON.map((_, i) => BVH_SKELETON.flatMap((c, k) => (c.parent === i ? [k] : [])))
  const v = (x: Vec3): string => x.map((c) => fixed(c, 6)).join(' ')
  const emit = (j: number, depth: number): void => {
    const joint = BVH_SKELETON[j]!
    const pad = '\t'.repeat(depth)
    const dir = joint.rest === ZERO ? ZERO : restDir[joint.at]!
    const offset: Vec3 = [dir[0] * lengths[j]!, dir[1] * lengths[j]!, dir[2] * lengths[j]!]
    const rot = joint.order.map((a) => `${AXIS_NAMES[a]}rotation`).join(' ')
    lines.push(`${pad}${joint.parent < 0 ? 'ROOT' : 'JOINT'} ${joint.name}`, `${pad}{`)
    lines.push(`${pad}\tOFFSET ${v(offset)}`)
    lines.push(`${pad}\tCHANNELS ${joint.parent < 0 ? `6 Xposition Yposition Zposition ${rot}` : `3 ${rot}`}`)
    for (const c of children[j]!) emit(c, depth + 1)
    if (joint.end) {
      // A visible, non-zero end bone (Blender drops zero-length bones); at least 1 file unit.
      const len = Math.max(1, lengths[j]! * joint.end.fraction)
      lines.push(`${pad}\tEnd Site`, `${pad}\t{`, `${pad}\t\tOFFSET ${v([joint.end.dir[0] * len, joint.end.dir[1] * len, joint.end.dir[2] * len])}`, `${pad}\t}`)
    }
    lines.push(`${pad}}`)
  }
  emit(0, 0)
}

