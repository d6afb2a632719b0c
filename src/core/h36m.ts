/**
 * The Human3.6M 17-joint skeleton every model and file in `motion` uses (MotionBERT's order;
 * names as in ../shared/data/cmu-mocap-h36m17/index.json).
 */
export const H36M_JOINTS = [
  'pelvis', // 0 root
  'r_hip', // 1
  'r_knee', // 2
  'r_ankle', // 3
  'l_hip', // 4
  'l_knee', // 5
  'l_ankle', // 6
  'spine', // 7
  'thorax', // 8
  'neck', // 9 (nose in some H36M conventions)
  'head', // 10
  'l_shoulder', // 11
  'l_elbow', // 12
  'l_wrist', // 13
  'r_shoulder', // 14
  'r_elbow', // 15
  'r_wrist', // 16
] as const

export type H36mJoint = (typeof H36M_JOINTS)[number]

export const NUM_JOINTS = 17
export const ROOT = 0

/** Parent of each joint in the kinematic tree (-1 for the root). */
export const H36M_PARENTS: readonly number[] = [-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15]

/** Bones as [parent, child] pairs, in joint order. */
export const H36M_BONES: readonly (readonly [number, number])[] = H36M_PARENTS.flatMap((p, j) => (p < 0 ? [] : [[p, j] as const]))

/** Left and right joints swapped by a horizontal flip (MotionBERT's flip_data). */
export const H36M_LEFT = [4, 5, 6, 11, 12, 13] as const
export const H36M_RIGHT = [1, 2, 3, 14, 15, 16] as const

/** The joint permutation a horizontal flip applies (left <-> right). */
export const H36M_FLIP_PERMUTATION: readonly number[] = (() => {
  const perm = Array.from({length: NUM_JOINTS}, (_, i) => i)
  H36M_LEFT.forEach((l, i) => {
    const r = H36M_RIGHT[i]!
    perm[l] = r
    perm[r] = l
  })
  return perm
})()
