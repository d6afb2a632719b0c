/**
 * The mesh objective and metrics: values on known cases, the theta norm against the official
 * definition, the same numbers from an ONNX graph, gradients that reach the head, and evaluate_mesh.
 */
import assert from 'node:assert/strict'
import path from 'node:path'
import {test} from 'node:test'
import * as tf from '@tensorflow/tfjs'
import {readNpyFloat32} from '../../../src/formats/npy.js'
import {DEFAULT_MESH_LOSS, type MeshLossConfig, meshLoss, meshLossConfig, thetaNorm} from '../../../src/tasks/mesh/losses.js'
import {evaluateMesh} from '../../../src/tasks/mesh/metrics.js'
import {axisAngleToRotmat} from '../../../src/nn/rotation.js'
import {createOnnxRunner, recordGraph} from '../../../src/nn/onnx/index.js'
import {selectBackend} from '../../../src/nn/tfjs/backend.js'
import {TfjsOps} from '../../../src/nn/tfjs/ops.js'
import type {NDArray} from '../../../src/core/ndarray.js'
import {meshTiny, readCase} from '../../helpers/mesh.js'

interface Batch {
  rotmat: NDArray
  betas: NDArray
  kp_3d: NDArray
  verts: NDArray
  theta: NDArray
}

/** The fixture's official outputs as a batch [2, 16, ...]. */
async function fixtureBatch(): Promise<Batch> {
  const c = readCase(meshTiny).cases[0]!
  const theta = await readNpyFloat32(path.join(meshTiny, c.theta))
  const [n, t] = theta.shape as [number, number]
  const frames = n * t
  const pose = new Float32Array(frames * 72)
  const betas = new Float32Array(frames * 10)
  for (let f = 0; f < frames; f++) {
    pose.set(theta.data.subarray(f * 82, f * 82 + 72), f * 72)
    betas.set(theta.data.subarray(f * 82 + 72, f * 82 + 82), f * 10)
  }
  return {
    theta,
    rotmat: {data: axisAngleToRotmat(pose, frames * 24), shape: [n, t, 24, 3, 3]},
    betas: {data: betas, shape: [n, t, 10]},
    kp_3d: await readNpyFloat32(path.join(meshTiny, c.kp_3d)),
    verts: await readNpyFloat32(path.join(meshTiny, c.verts)),
  }
}

const tensors = (b: Batch): Record<'rotmat' | 'betas' | 'kp_3d' | 'verts', tf.Tensor> => ({
  rotmat: tf.tensor(b.rotmat.data, b.rotmat.shape),
  betas: tf.tensor(b.betas.data, b.betas.shape),
  kp_3d: tf.tensor(b.kp_3d.data, b.kp_3d.shape),
  verts: tf.tensor(b.verts.data, b.verts.shape),
})

test('loss_norm is the mean per-frame norm of theta, as torch.norm(theta, dim=-1).mean()', async () => {
  await selectBackend({force: 'cpu'})
  const b = await fixtureBatch()
  let expected = 0
  const frames = b.theta.data.length / 82
  for (let f = 0; f < frames; f++) expected += Math.hypot(...b.theta.data.subarray(f * 82, f * 82 + 82))
  expected /= frames
  const ops = new TfjsOps(new Map())
  const ours = tf.tidy(() => {
    const t = tensors(b)
    return thetaNorm(ops, t.rotmat, t.betas).dataSync()[0]!
  })
  assert.ok(Math.abs(ours - expected) / expected < 1e-5, `ours ${ours}, official definition ${expected}`)
})

test('the objective is zero-error on the truth (but for loss_norm), and each lambda weighs its part', async () => {
  await selectBackend({force: 'cpu'})
  const b = await fixtureBatch()
  const ops = new TfjsOps(new Map())
  const config: MeshLossConfig = {...DEFAULT_MESH_LOSS, lambda_verts: 2, lambda_scale: 1, lambda_lg: 1}
  const {same, shifted} = tf.tidy(() => {
    const t = tensors(b)
    const same = meshLoss(ops, t, t, config)
    const moved = {...t, kp_3d: tf.add(t.kp_3d, tf.tensor([0, 0, 0, 0, 0, 10], [1, 1, 2, 3]).pad([[0, 0], [0, 0], [0, 15], [0, 0]]))}
    const shifted = meshLoss(ops, moved, t, config)
    const read = (r: typeof same): Record<string, number> => Object.fromEntries([...Object.entries(r.parts), ['total', r.total]].map(([k, v]) => [k, (v as tf.Tensor).dataSync()[0]!]))
    return {same: read(same), shifted: read(shifted)}
  })
  for (const k of ['loss_3d_pos', 'loss_3d_scale', 'loss_3d_velocity', 'loss_lg', 'loss_pose', 'loss_shape', 'loss_verts']) assert.ok(Math.abs(same[k]!) < 1e-3, `${k} = ${same[k]}`)
  assert.ok(Math.abs(same.total! - 20 * same.loss_norm!) < 1e-3)
  // Moving joint 1 by 10 mm along z in every frame: MPJPE = 10/17 mm; the weighted total follows.
  assert.ok(Math.abs(shifted.loss_3d_pos! - 10 / 17) < 1e-3, `loss_3d_pos ${shifted.loss_3d_pos}`)
  const expectedTotal = 0.5 * shifted.loss_3d_pos! + shifted.loss_3d_scale! + 10 * shifted.loss_3d_velocity! + shifted.loss_lg! + 20 * shifted.loss_norm! + 2 * shifted.loss_verts! + 1000 * shifted.loss_pose! + shifted.loss_shape!
  assert.ok(Math.abs(shifted.total! - expectedTotal) < 1e-3)
  assert.deepEqual(meshLossConfig({lambda_pose: 5, loss_type: 'MSE', lambda_3d: 'x'}), {...DEFAULT_MESH_LOSS, lambda_pose: 5, loss_type: 'MSE'})
})

test('the mesh objective records as an ONNX graph (dynamic N, T) with the tfjs values', async () => {
  await selectBackend({force: 'cpu'})
  const b = await fixtureBatch()
  // a prediction that differs from the truth: the truth with its frames reversed
  const reverse = (a: NDArray): NDArray => {
    const [n, t] = a.shape as [number, number]
    const per = a.data.length / (n * t)
    const out = new Float32Array(a.data.length)
    for (let i = 0; i < n; i++) for (let j = 0; j < t; j++) out.set(a.data.subarray((i * t + j) * per, (i * t + j + 1) * per), (i * t + (t - 1 - j)) * per)
    return {data: out, shape: a.shape}
  }
  const pred = {rotmat: reverse(b.rotmat), betas: reverse(b.betas), kp_3d: reverse(b.kp_3d), verts: reverse(b.verts)}
  const config = {...DEFAULT_MESH_LOSS, loss_type: 'MSE' as const, lambda_verts: 1}
  const names = ['rotmat', 'betas', 'kp_3d', 'verts'] as const
  const V = b.verts.shape[2]!
  const dims: Record<(typeof names)[number], Array<number | string>> = {rotmat: ['N', 'T', 24, 3, 3], betas: ['N', 'T', 10], kp_3d: ['N', 'T', 17, 3], verts: ['N', 'T', V, 3]}
  const graph = recordGraph(
    (ops, inp) => {
      const r = meshLoss(ops, {rotmat: inp.p_rotmat!, betas: inp.p_betas!, kp_3d: inp.p_kp_3d!, verts: inp.p_verts!}, {rotmat: inp.g_rotmat!, betas: inp.g_betas!, kp_3d: inp.g_kp_3d!, verts: inp.g_verts!}, config)
      return {total: r.total, norm: r.parts.loss_norm!, pose: r.parts.loss_pose!}
    },
    {inputs: names.flatMap((n) => [{name: `p_${n}`, shape: dims[n]}, {name: `g_${n}`, shape: dims[n]}]), weights: new Map()},
  )
  const runner = await createOnnxRunner(graph, {threads: 1})
  try {
    const feeds: Record<string, NDArray> = {}
    for (const n of names) {
      feeds[`p_${n}`] = pred[n]
      feeds[`g_${n}`] = b[n]
    }
    const onnx = await runner.run(feeds)
    const ops = new TfjsOps(new Map())
    const ref = tf.tidy(() => {
      const p = tensors({...b, ...pred})
      const r = meshLoss(ops, p, tensors(b), config)
      return {total: r.total.dataSync()[0]!, norm: r.parts.loss_norm!.dataSync()[0]!, pose: r.parts.loss_pose!.dataSync()[0]!}
    })
    for (const k of ['total', 'norm', 'pose'] as const) {
      const got = onnx[k]!.data[0]!
      assert.ok(Math.abs(got - ref[k]) / Math.max(1, Math.abs(ref[k])) < 1e-4, `${k}: onnx ${got}, tfjs ${ref[k]}`)
    }
    assert.ok(ref.total > 1)
  } finally {
    await runner.dispose()
  }
})

test('gradients of the objective reach the 6D pose and the betas', async () => {
  await selectBackend({force: 'cpu'})
  const b = await fixtureBatch()
  const ops = new TfjsOps(new Map())
  const {rot6dToRotmat} = await import('../../../src/nn/rotation.js')
  const x6 = tf.variable(tf.randomNormal([2, 16, 144], 0, 1, 'float32', 3))
  const betas = tf.variable(tf.zeros([2, 16, 10]))
  const grads = tf.tidy(() => {
    const t = tensors(b)
    const {grads} = tf.variableGrads(() => {
      const rotmat = tf.reshape(rot6dToRotmat(ops, x6), [2, 16, 24, 3, 3])
      return meshLoss(ops, {rotmat, betas, kp_3d: t.kp_3d}, t, DEFAULT_MESH_LOSS).total as tf.Scalar
    }, [x6, betas])
    return Object.values(grads).map((g) => g.abs().max().dataSync()[0]!)
  })
  for (const g of grads) assert.ok(Number.isFinite(g) && g > 0, `gradient magnitude ${g}`)
  x6.dispose()
  betas.dispose()
})

test('evaluateMesh: zero for the truth, translation-free, Procrustes removes a rotation and scale', async () => {
  const b = await fixtureBatch()
  const gt = {verts: b.verts, kp_3d: b.kp_3d}
  const zero = evaluateMesh(gt, gt)
  for (const k of ['mpve', 'mpjpe', 'pa_mpjpe', 'mpjpe_17j', 'pa_mpjpe_17j'] as const) assert.ok(zero[k] < 1e-6, k)
  assert.equal(zero.frames, 32)
  const map = (a: NDArray, f: (x: number, y: number, z: number) => [number, number, number]): NDArray => {
    const out = new Float32Array(a.data.length)
    for (let i = 0; i < a.data.length; i += 3) out.set(f(a.data[i]!, a.data[i + 1]!, a.data[i + 2]!), i)
    return {data: out, shape: a.shape}
  }
  const moved = {verts: map(b.verts, (x, y, z) => [x + 100, y - 50, z + 7]), kp_3d: map(b.kp_3d, (x, y, z) => [x + 100, y - 50, z + 7])}
  const m = evaluateMesh(moved, gt)
  assert.ok(m.mpve < 1e-3 && m.mpjpe < 1e-3, JSON.stringify(m))
  const turned = {verts: gt.verts, kp_3d: map(b.kp_3d, (x, y, z) => [-1.2 * y, 1.2 * x, 1.2 * z])}
  const t = evaluateMesh(turned, gt)
  assert.ok(t.mpjpe > 10, `mpjpe ${t.mpjpe}`)
  assert.ok(t.pa_mpjpe < 1e-2 && t.pa_mpjpe_17j < 1e-2, `pa ${t.pa_mpjpe}`)
})
