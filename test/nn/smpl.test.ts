/**
 * Rotations and SMPL on their own: the 6D → matrix map, the official matrix → axis-angle conversion
 * against Rodrigues, rotation angles from matrices, SMPL invariants, and theta → mesh reproducing the
 * official fixture's vertices.
 */
import assert from 'node:assert/strict'
import path from 'node:path'
import {test} from 'node:test'
import * as tf from '@tensorflow/tfjs'
import {readNpyFloat32} from '../../src/formats/npy.js'
import {bodyModelWeights, loadBodyModel} from '../../src/tasks/mesh/body-model.js'
import {acosApprox} from '../../src/nn/losses.js'
import {axisAngleToRotmat, flipAxisAnglePoses, rot6dToRotmat, rotationAngles, rotmatToAxisAngle} from '../../src/nn/rotation.js'
import {smplFromTheta} from '../../src/tasks/mesh/run.js'
import {SMPL_PARENTS, smplForward, treeLevels} from '../../src/nn/smpl.js'
import {toTfParams} from '../../src/nn/tfjs/weights.js'
import {selectBackend} from '../../src/nn/tfjs/backend.js'
import {TfjsOps} from '../../src/nn/tfjs/ops.js'
import {meshTiny, readCase} from '../helpers/mesh.js'
import {relativeError} from '../helpers/compare.js'

/** Deterministic pseudo-random numbers in [-1, 1). */
function noise(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1
  return Float32Array.from({length: n}, () => {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    return ((s >>> 0) / 4294967296) * 2 - 1
  })
}

test('rot6dToRotmat gives proper rotations, the identity for the 6D identity, columns from the 6D pairs', async () => {
  await selectBackend({force: 'cpu'})
  const x = noise(6 * 50, 3)
  x.set([1, 0, 0, 1, 0, 0], 0)
  const r = tf.tidy(() => rot6dToRotmat(new TfjsOps(new Map()), tf.tensor(x, [50, 6])).dataSync() as Float32Array)
  assert.deepEqual(Array.from(r.subarray(0, 9)), [1, 0, 0, 0, 1, 0, 0, 0, 1])
  for (let m = 0; m < 50; m++) {
    const R = r.subarray(m * 9, m * 9 + 9)
    // RᵀR = I
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
      let dot = 0
      for (let k = 0; k < 3; k++) dot += R[k * 3 + i]! * R[k * 3 + j]!
      assert.ok(Math.abs(dot - (i === j ? 1 : 0)) < 1e-5)
    }
    // the first column is the normalised (x0, x2, x4)
    const a = [x[m * 6]!, x[m * 6 + 2]!, x[m * 6 + 4]!]
    const n = Math.hypot(...a)
    for (let i = 0; i < 3; i++) assert.ok(Math.abs(R[i * 3]! - a[i]! / n) < 1e-5)
  }
})

test('rotmatToAxisAngle inverts Rodrigues, from the identity to near a half turn', () => {
  const count = 200
  const aa = noise(count * 3, 7)
  for (let i = 0; i < count; i++) {
    // angles spread over [0, π): scale each vector to a chosen angle
    const angle = i === 0 ? 0 : i < 5 ? 1e-4 * i : i < 10 ? Math.PI - 1e-3 * (i - 4) : (i / count) * Math.PI * 0.999
    const v = aa.subarray(i * 3, i * 3 + 3)
    const n = Math.hypot(v[0]!, v[1]!, v[2]!)
    for (let c = 0; c < 3; c++) v[c] = (v[c]! / n) * angle
  }
  const back = rotmatToAxisAngle(axisAngleToRotmat(aa, count), count)
  for (let i = 0; i < count * 3; i++) assert.ok(Math.abs(back[i]! - aa[i]!) < 2e-4, `component ${i}: ${back[i]} vs ${aa[i]}`)
})

test('rotationAngles (against Ops) is the axis-angle norm', async () => {
  await selectBackend({force: 'cpu'})
  const count = 64
  const aa = noise(count * 3, 11).map((v, i) => v * (i < 3 ? 1e-3 : 1.8))
  const rot = axisAngleToRotmat(aa, count)
  const ops = new TfjsOps(new Map())
  const angles = tf.tidy(() => rotationAngles(ops, tf.tensor(rot, [count, 3, 3]), (x) => acosApprox(ops, x)).dataSync())
  for (let i = 0; i < count; i++) {
    const expected = Math.hypot(aa[i * 3]!, aa[i * 3 + 1]!, aa[i * 3 + 2]!)
    assert.ok(Math.abs(angles[i]! - expected) < 1e-5, `rotation ${i}: ${angles[i]} vs ${expected}`)
  }
})

test('flipAxisAnglePoses swaps left and right joints and negates y and z; twice is the identity', () => {
  const pose = noise(72 * 2, 5)
  const flipped = flipAxisAnglePoses(pose, 2)
  assert.equal(flipped[1 * 3], pose[2 * 3])
  assert.equal(flipped[1 * 3 + 1], -pose[2 * 3 + 1]!)
  assert.equal(flipped[0 * 3 + 2], -pose[0 * 3 + 2]!)
  assert.deepEqual(Array.from(flipAxisAnglePoses(flipped, 2)), Array.from(pose))
})

test('treeLevels orders SMPL joints so every parent comes first', () => {
  const levels = treeLevels(SMPL_PARENTS)
  assert.deepEqual(levels[0], [0])
  const seen = new Set<number>()
  for (const level of levels) {
    for (const j of level) assert.ok(j === 0 || seen.has(SMPL_PARENTS[j]!), `parent of ${j} before it`)
    for (const j of level) seen.add(j)
  }
  assert.equal(seen.size, 24)
})

test('SMPL at zero pose and shape is the template; a root rotation turns the mesh about the pelvis', async () => {
  await selectBackend({force: 'cpu'})
  const body = await loadBodyModel({dir: path.join(meshTiny, 'body_model')})
  const params = toTfParams(bodyModelWeights(body, ''))
  try {
    const ops = new TfjsOps(params)
    const V = body.vTemplate.shape[0]!
    const eye = Array.from({length: 24}, () => [1, 0, 0, 0, 1, 0, 0, 0, 1]).flat()
    const rest = tf.tidy(() => smplForward(ops, tf.zeros([1, 10]), tf.tensor(eye, [1, 24, 3, 3]), 'smpl.').vertices.dataSync())
    for (let i = 0; i < V * 3; i++) assert.ok(Math.abs(rest[i]! - body.vTemplate.data[i]!) < 1e-6)
    // 90° about z at the root: every vertex rotates about the root joint.
    const rz = [0, -1, 0, 1, 0, 0, 0, 0, 1]
    const turned = tf.tidy(() => {
      const r = tf.tensor([...rz, ...eye.slice(9)], [1, 24, 3, 3])
      const out = smplForward(ops, tf.zeros([1, 10]), r, 'smpl.')
      return [out.vertices.dataSync(), out.joints.dataSync()] as const
    })
    const [verts, joints] = turned
    const j0 = [joints[0]!, joints[1]!, joints[2]!]
    for (let v = 0; v < V; v++) {
      const p = [0, 1, 2].map((c) => body.vTemplate.data[v * 3 + c]! - j0[c]!)
      const expected = [-p[1]! + j0[0]!, p[0]! + j0[1]!, p[2]! + j0[2]!]
      for (let c = 0; c < 3; c++) assert.ok(Math.abs(verts[v * 3 + c]! - expected[c]!) < 1e-5)
    }
  } finally {
    for (const t of params.values()) t.dispose()
  }
})

test('theta → SMPL (Rodrigues, then the same skinning) reproduces the official vertices and joints', async () => {
  const spec = readCase(meshTiny)
  const body = await loadBodyModel({dir: path.join(meshTiny, 'body_model')})
  const theta = await readNpyFloat32(path.join(meshTiny, spec.cases[0]!.theta))
  const out = await smplFromTheta(body, theta)
  const refVerts = await readNpyFloat32(path.join(meshTiny, spec.cases[0]!.verts))
  const refKp = await readNpyFloat32(path.join(meshTiny, spec.cases[0]!.kp_3d))
  assert.ok(relativeError({data: out.verts.data, shape: refVerts.shape}, refVerts) < 1e-4)
  assert.ok(relativeError({data: out.kp_3d.data, shape: refKp.shape}, refKp) < 1e-4)
})
