/**
 * input_layout: synthetic 2D inputs rebuilt as the keypoint readers build them, so training inputs
 * look like predict inputs (AlphaPose: spine = mid(pelvis, thorax); COCO: pelvis, thorax, spine).
 */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {makeTrainingPair, rebuildAsLayout, synthesisedJoints} from '../../../src/data/augment/index.js'
import {mapToH36m, JOINT_MAPS} from '../../../src/data/joint-maps.js'
import {Rng} from '../../../src/core/rng.js'
import type {Motion3dWindow} from '../../../src/data/motion3d/dataset.js'

test('halpe26 synthesises only the spine, from pelvis and thorax; coco17 also pelvis and thorax', () => {
  assert.deepEqual(synthesisedJoints('halpe26'), [{joint: 7, from: [8, 0]}])
  assert.deepEqual(synthesisedJoints('coco17').map((r) => r.joint), [0, 7, 8])
  assert.deepEqual(synthesisedJoints('h36m17'), [])
})

test('rebuilt inputs equal what the Halpe reader makes from the same joints', () => {
  // Random H36M joints → Halpe-26 keypoints (each H36M joint at its Halpe joint) → mapToH36m.
  const rng = new Rng(3)
  const x = new Float32Array(17 * 3).map(() => rng.uniform(-1, 1))
  const map = JOINT_MAPS.halpe26
  const halpe = new Float32Array(26 * 3)
  map.sources.forEach((src, k) => {
    if (src.length === 1) for (let c = 0; c < 3; c++) halpe[src[0]! * 3 + c] = x[k * 3 + c]!
  })
  const viaReader = mapToH36m(map, halpe)
  const rebuilt = rebuildAsLayout({data: x, shape: [1, 17, 3]}, 'halpe26')
  for (let i = 0; i < 51; i++) assert.ok(Math.abs(rebuilt.data[i]! - viaReader[i]!) < 1e-6, `value ${i}`)
  assert.notEqual(rebuilt.data[7 * 3], x[7 * 3], 'the spine moved')
})

test('training pairs: the input spine is rebuilt, the 3D label keeps the true spine', () => {
  const T = 4
  const positions = new Float32Array(T * 17 * 3)
  const rng = new Rng(1)
  for (let i = 0; i < positions.length; i++) positions[i] = rng.uniform(-300, 300) + (i % 3 === 1 ? 900 : 0)
  const window = {positions: {data: positions, shape: [T, 17, 3]}, clip: {space: 'world', upAxis: 'y'}} as unknown as Motion3dWindow
  const exact = makeTrainingPair(window, new Rng(7))
  const halpe = makeTrainingPair(window, new Rng(7), {inputLayout: 'halpe26'})
  assert.deepEqual(halpe.label.data, exact.label.data)
  for (let t = 0; t < T; t++) {
    const at = (a: Float32Array, j: number, c: number): number => a[(t * 17 + j) * 3 + c]!
    for (const c of [0, 1]) assert.ok(Math.abs(at(halpe.input.data as Float32Array, 7, c) - (at(exact.label.data as Float32Array, 0, c) + at(exact.label.data as Float32Array, 8, c)) / 2) < 1e-5)
    assert.equal(at(halpe.input.data as Float32Array, 3, 0), at(exact.input.data as Float32Array, 3, 0))
  }
})
