/**
 * Mesh metrics as the official evaluate_mesh (lib/utils/utils_mesh.py), in millimetres:
 *  - mpve: mean per-vertex error after subtracting each mesh's own pelvis (kp_3d joint 0);
 *  - mpjpe / pa_mpjpe: root-relative H36M joints, the 14 joints without pelvis, spine and head
 *    (the official h36m_17_to_14), plain and after per-frame similarity (Procrustes) alignment;
 *  - mpjpe_17j / pa_mpjpe_17j: the same on all 17 joints.
 */
import {pMpjpe} from '../../metrics/procrustes.js'
import type {NDArray} from '../../core/ndarray.js'
import {inputError} from '../../core/errors.js'

/** Official h36m_17_to_14: the H36M-17 joints kept for the 14-joint protocol. */
export const H36M_17_TO_14: readonly number[] = [1, 2, 3, 4, 5, 6, 8, 10, 11, 12, 13, 14, 15, 16]

export interface MeshMetrics {
  /** Mean per-vertex error, each mesh relative to its pelvis (mm). */
  mpve: number
  /** Root-relative joint error on the 14-joint protocol (mm). */
  mpjpe: number
  /** The same after Procrustes alignment per frame (mm). */
  pa_mpjpe: number
  mpjpe_17j: number
  pa_mpjpe_17j: number
  frames: number
  units: 'mm'
}

export interface MeshArrays {
  /** [..., V, 3] mm */
  verts: NDArray
  /** [..., 17, 3] mm */
  kp_3d: NDArray
}

export function evaluateMesh(pred: MeshArrays, gt: MeshArrays): MeshMetrics {
  const joints = 17
  const frames = pred.kp_3d.data.length / (joints * 3)
  const numVerts = pred.verts.data.length / (frames * 3)
  if (!Number.isInteger(frames) || gt.kp_3d.data.length !== pred.kp_3d.data.length) {
    throw inputError(`mesh metrics: predicted kp_3d has ${pred.kp_3d.data.length} values, ground truth ${gt.kp_3d.data.length} (expected frames × 17 × 3 each)`)
  }
  if (!Number.isInteger(numVerts) || gt.verts.data.length !== pred.verts.data.length) {
    throw inputError(`mesh metrics: predicted verts has ${pred.verts.data.length} values, ground truth ${gt.verts.data.length} (expected frames × vertices × 3 each)`)
  }
  // MPVE with each mesh relative to its own pelvis.
  let mpve = 0
  for (let f = 0; f < frames; f++) {
    const pk = f * joints * 3
    let sum = 0
    for (let v = 0; v < numVerts; v++) {
      const o = (f * numVerts + v) * 3
      let d2 = 0
      for (let c = 0; c < 3; c++) {
        const d = pred.verts.data[o + c]! - pred.kp_3d.data[pk + c]! - (gt.verts.data[o + c]! - gt.kp_3d.data[pk + c]!)
        d2 += d * d
      }
      sum += Math.sqrt(d2)
    }
    mpve += sum / numVerts
  }
  const p17 = rootRelative(pred.kp_3d.data, frames, joints)
  const g17 = rootRelative(gt.kp_3d.data, frames, joints)
  const p14 = selectJoints(p17, frames, joints, H36M_17_TO_14)
  const g14 = selectJoints(g17, frames, joints, H36M_17_TO_14)
  const as = (data: Float64Array, j: number): NDArray<Float64Array> => ({data, shape: [frames, j, 3]})
  return {
    mpve: mpve / frames,
    mpjpe: meanJointError(p14, g14),
    pa_mpjpe: pMpjpe(as(p14, 14), as(g14, 14)).mean,
    mpjpe_17j: meanJointError(p17, g17),
    pa_mpjpe_17j: pMpjpe(as(p17, joints), as(g17, joints)).mean,
    frames,
    units: 'mm',
  }
}

function rootRelative(x: ArrayLike<number>, frames: number, joints: number): Float64Array {
  const out = new Float64Array(frames * joints * 3)
  for (let f = 0; f < frames; f++) {
    const o = f * joints * 3
    for (let j = 0; j < joints; j++) for (let c = 0; c < 3; c++) out[o + j * 3 + c] = x[o + j * 3 + c]! - x[o + c]!
  }
  return out
}

function selectJoints(x: Float64Array, frames: number, joints: number, keep: readonly number[]): Float64Array {
  const out = new Float64Array(frames * keep.length * 3)
  for (let f = 0; f < frames; f++) {
    keep.forEach((j, k) => out.set(x.subarray((f * joints + j) * 3, (f * joints + j) * 3 + 3), (f * keep.length + k) * 3))
  }
  return out
}

/** Mean over frames of the mean joint distance (every frame has the same joint count, so a flat mean). */
function meanJointError(a: Float64Array, b: Float64Array): number {
  let sum = 0
  const n = a.length / 3
  for (let i = 0; i < n; i++) {
    const dx = a[i * 3]! - b[i * 3]!
    const dy = a[i * 3 + 1]! - b[i * 3 + 1]!
    const dz = a[i * 3 + 2]! - b[i * 3 + 2]!
    sum += Math.sqrt(dx * dx + dy * dy + dz * dz)
  }
  return sum / n
}
