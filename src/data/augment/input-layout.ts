/**
 * Synthetic 2D inputs that look like what a keypoint reader gives. A detector layout cannot carry
 * every H36M joint: halpe2h36m builds the spine as mid(Neck, Hip) (= mid(thorax, pelvis)), and
 * coco2h36m also builds pelvis, thorax and spine from hips and shoulders. Training on exact
 * projected joints would show the model a spine the readers never deliver (in CMU mocap the true
 * spine is up to 44 mm off that midpoint), so the input is rebuilt the reader's way.
 */
import {H36M_JOINTS, NUM_JOINTS} from '../../core/h36m.js'
import {JOINT_MAPS, type SourceLayout} from '../joint-maps.js'
import type {NDArray} from '../../core/ndarray.js'

export type InputLayout = SourceLayout

/**
 * For each H36M joint the layout synthesises from other joints: the H36M joints it is the mean of.
 * Joints read 1:1, and synthesised joints whose sources have no H36M joint (COCO's head =
 * mid-eyes), are left as they are.
 */
export function synthesisedJoints(layout: InputLayout): Array<{joint: number; from: number[]}> {
  const map = JOINT_MAPS[layout]
  // Source joint -> the H36M joint it feeds 1:1.
  const direct = new Map<number, number>()
  map.sources.forEach((src, k) => {
    if (src.length === 1) direct.set(src[0]!, k)
  })
  const out: Array<{joint: number; from: number[]}> = []
  map.sources.forEach((src, k) => {
    if (src.length < 2) return
    const from = src.map((s) => direct.get(s))
    if (from.every((f): f is number => f !== undefined)) out.push({joint: k, from})
  })
  return out
}

/** `[..., 17, C]` with each synthesised joint's x, y (and confidence) replaced by its sources' mean. */
export function rebuildAsLayout(x: NDArray, layout: InputLayout): NDArray {
  if (layout === 'h36m17') return x
  const C = x.shape[x.shape.length - 1]!
  const J = x.shape[x.shape.length - 2]!
  if (J !== NUM_JOINTS) throw new Error(`rebuildAsLayout: expected ${NUM_JOINTS} joints (${H36M_JOINTS.length}), got ${J}`)
  const rules = synthesisedJoints(layout)
  const out = new Float32Array(x.data)
  const frames = x.data.length / (J * C)
  for (let f = 0; f < frames; f++) {
    const base = f * J * C
    for (const {joint, from} of rules) {
      for (let c = 0; c < C; c++) {
        let s = 0
        for (const j of from) s += out[base + j * C + c]!
        out[base + joint * C + c] = s / from.length
      }
    }
  }
  return {data: out, shape: x.shape}
}
