/**
 * SMPL on plain arrays: theta (72 axis-angle + 10 betas per frame) → vertices and H36M joints in mm,
 * through the same smplForward the model uses (on tfjs). For ground truth of synthetic data, the
 * official flip averaging at evaluation, and tools.
 */
import * as tf from '@tensorflow/tfjs'
import {type NDArray} from '../../core/ndarray.js'
import {inputError} from '../../core/errors.js'
import {selectBackend} from '../../nn/tfjs/backend.js'
import {TfjsOps} from '../../nn/tfjs/ops.js'
import {toTfParams} from '../../nn/tfjs/weights.js'
import {type BodyModel, bodyModelWeights, numVertices} from './body-model.js'
import {axisAngleToRotmat} from '../../nn/rotation.js'
import {SMPL_BETAS, SMPL_JOINTS, regress, smplForward} from '../../nn/smpl.js'

export interface SmplArrays {
  /** [F, V, 3] mm */
  verts: NDArray
  /** [F, 17, 3] mm (J_regressor_h36m · verts) */
  kp_3d: NDArray
  /** [F, 24, 3, 3] */
  rotmat: NDArray
}

/** Run SMPL for `theta` [..., 82] (leading axes flattened into frames). */
export async function smplFromTheta(body: BodyModel, theta: NDArray): Promise<SmplArrays> {
  const frames = theta.data.length / 82
  if (theta.shape[theta.shape.length - 1] !== 82 || !Number.isInteger(frames)) {
    throw inputError(`theta must be [..., 82] (72 axis-angle + 10 betas per frame), got [${theta.shape.join(', ')}]`)
  }
  const pose = new Float32Array(frames * 72)
  const betas = new Float32Array(frames * SMPL_BETAS)
  for (let f = 0; f < frames; f++) {
    pose.set(theta.data.subarray(f * 82, f * 82 + 72), f * 72)
    betas.set(theta.data.subarray(f * 82 + 72, f * 82 + 82), f * SMPL_BETAS)
  }
  const rotmat = axisAngleToRotmat(pose, frames * SMPL_JOINTS)
  await selectBackend()
  const params = toTfParams(bodyModelWeights(body, ''))
  try {
    const [verts, kp] = tf.tidy(() => {
      const ops = new TfjsOps(params)
      const out = smplForward(ops, tf.tensor(betas, [frames, SMPL_BETAS]), tf.tensor(rotmat, [frames, SMPL_JOINTS, 3, 3]), 'smpl.')
      const v = ops.scale(out.vertices, 1000)
      return [v, regress(ops, ops.param('smpl.J_regressor_h36m'), v, 17)]
    })
    const V = numVertices(body)
    const result: SmplArrays = {
      verts: {data: Float32Array.from(await verts.data()), shape: [frames, V, 3]},
      kp_3d: {data: Float32Array.from(await kp.data()), shape: [frames, 17, 3]},
      rotmat: {data: rotmat, shape: [frames, SMPL_JOINTS, 3, 3]},
    }
    verts.dispose()
    kp.dispose()
    return result
  } finally {
    for (const t of params.values()) t.dispose()
  }
}
