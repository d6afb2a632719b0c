import assert from 'node:assert/strict'
import path from 'node:path'
import {test} from 'node:test'

import {
  addGaussianNoise,
  addSyntheticNoise,
  augment2d,
  cropScale3d,
  DEFAULT_CAMERA_RANGES,
  denormaliseByImage,
  flipPoses,
  imageSpacePose,
  lookAtCamera,
  makeTrainingPair,
  maskJointsAndFrames,
  normaliseByImage,
  projectToPixels,
  rootRelative,
  sampleCamera,
  stack,
  withConfidence,
  worldToCamera,
} from '../../../src/data/augment/index.js'
import {H36M_FLIP_PERMUTATION} from '../../../src/core/h36m.js'
import {Motion3dDataset} from '../../../src/data/motion3d/index.js'
import {isMotionError} from '../../../src/core/errors.js'
import type {NDArray} from '../../../src/core/ndarray.js'
import {Rng} from '../../../src/core/rng.js'
import {dataDir} from '../../helpers/paths.js'

const J = 17

function randomPoses(rng: Rng, shape: number[], scale = 1): NDArray {
  const n = shape.reduce((a, b) => a * b, 1)
  return {data: Float32Array.from({length: n}, () => rng.normal(0, scale)), shape}
}

test('flip twice is the identity; one flip negates x and swaps left and right', () => {
  const x = randomPoses(new Rng(1), [2, 4, J, 3])
  const once = flipPoses(x)
  assert.deepEqual(flipPoses(once).data, x.data)
  // l_hip (4) of the flip is r_hip (1) of the input with x negated
  assert.equal(once.data[4 * 3], -x.data[1 * 3]!)
  assert.equal(once.data[4 * 3 + 1], x.data[1 * 3 + 1])
  assert.equal(H36M_FLIP_PERMUTATION[4], 1)
})

test('a point on the optical axis projects to the principal point', () => {
  const cam = lookAtCamera({data: new Float32Array(J * 3), shape: [1, J, 3]}, {
    yawDeg: 30, pitchDeg: 10, rollDeg: 3, distanceMm: 5000, focal: 1100, imageSize: [1000, 800],
  })
  const onAxis = {data: new Float32Array([0, 0, 1234]), shape: [1, 3]}
  const px = projectToPixels(onAxis, cam)
  assert.deepEqual(Array.from(px.data), [500, 400])
  // The window's mean root (the world origin here) lies on the axis at the drawn distance.
  const c = worldToCamera({data: new Float32Array([0, 0, 0]), shape: [1, 3]}, cam)
  assert.ok(Math.abs(c.data[0]!) < 1e-3 && Math.abs(c.data[1]!) < 1e-3 && Math.abs(c.data[2]! - 5000) < 1e-3)
})

test('cameras: world y-up becomes image y-down, positive pitch looks down, joints stay in front', () => {
  // A standing figure: head 1 m above the pelvis.
  const pose = new Float32Array(J * 3)
  pose[10 * 3 + 1] = 1000
  const x = {data: pose, shape: [1, J, 3]}
  const level = lookAtCamera(x, {yawDeg: 0, pitchDeg: 0, rollDeg: 0, distanceMm: 5000, focal: 1000, imageSize: [1000, 1000]})
  const px = projectToPixels(worldToCamera(x, level), level)
  assert.ok(px.data[10 * 2 + 1]! < px.data[1]!, 'head above pelvis in the image')
  const down = lookAtCamera(x, {yawDeg: 0, pitchDeg: 30, rollDeg: 0, distanceMm: 5000, focal: 1000, imageSize: [1000, 1000]})
  const cam = worldToCamera(x, down)
  assert.ok(cam.data[10 * 3 + 2]! < cam.data[2]!, 'looking down, the head is nearer than the pelvis')
  // A random camera keeps every joint at least minDepth in front even for a long walk.
  const walk = {data: new Float32Array(200 * J * 3), shape: [200, J, 3]}
  for (let t = 0; t < 200; t++) for (let j = 0; j < J; j++) walk.data[(t * J + j) * 3 + 2] = t * 60 // 12 m walk
  const rng = new Rng(3)
  for (let k = 0; k < 20; k++) {
    const c = sampleCamera(walk, rng)
    const w = worldToCamera(walk, c)
    for (let i = 2; i < w.data.length; i += 3) assert.ok(w.data[i]! >= DEFAULT_CAMERA_RANGES.minDepthMm! - 1e-3)
  }
})

test('camera ranges are validated with the key named', () => {
  const x = {data: new Float32Array(J * 3), shape: [1, J, 3]}
  assert.throws(
    () => sampleCamera(x, new Rng(1), {...DEFAULT_CAMERA_RANGES, focalPx: [1200, 900]}),
    (e: unknown) => isMotionError(e) && /camera\.focalPx/.test(e.message),
  )
})

test('the 2.5D label: root-relative depth times mm-per-pixel gives millimetres back exactly', () => {
  const rng = new Rng(11)
  const world = randomPoses(rng, [3, J, 3], 300)
  const cam = sampleCamera(world, rng)
  const camPos = worldToCamera(world, cam)
  const {positions, mmPerPixel} = imageSpacePose(camPos, cam)
  for (let t = 0; t < 3; t++) {
    for (let j = 0; j < J; j++) {
      const i = (t * J + j) * 3
      const dz = (positions.data[i + 2]! - positions.data[t * J * 3 + 2]!) * mmPerPixel[t]!
      assert.ok(Math.abs(dz - (camPos.data[i + 2]! - camPos.data[t * J * 3 + 2]!)) < 0.05)
    }
  }
})

test('crop_scale_3d matches the official function (numpy reference values)', () => {
  const m = new Float32Array(2 * J * 3)
  for (let i = 0; i < m.length; i++) m[i] = Math.fround(Math.sin(i * 0.7) * 300 + Math.cos(i * 1.3) * 40 + 500)
  const r = cropScale3d({data: m, shape: [2, J, 3]}).positions.data
  const ref: [number, number][] = [
    [0, 0.17795217037200928], [1, 0.7965487241744995], [2, -1.0], [3, 0.8138152360916138], [4, 0.5128822326660156],
    [5, -2.09656023979187], [50, -2.3804051876068115], [100, 0.841780424118042], [101, -0.7638717293739319],
  ]
  for (const [i, v] of ref) assert.ok(Math.abs(r[i]! - v) < 1e-5, `index ${i}: ${r[i]} vs ${v}`)
})

test('normalised 2D lies within [-1, 1]: crop always, image normalisation for points inside the image', () => {
  const rng = new Rng(21)
  for (let k = 0; k < 10; k++) {
    const x = randomPoses(rng, [8, J, 3], 500)
    const r = cropScale3d(x, [0.8, 1], rng).positions.data
    for (let i = 0; i < r.length; i += 3) assert.ok(Math.abs(r[i]!) <= 1 + 1e-6 && Math.abs(r[i + 1]!) <= 1 + 1e-6)
  }
  const px = {data: Float32Array.from({length: 200}, () => rng.uniform(0, 1000)), shape: [100, 2]}
  const n = normaliseByImage(px, 1000, 1000)
  assert.ok(n.data.every((v) => v >= -1 && v <= 1))
  const back = denormaliseByImage(n, 1000, 1000)
  for (let i = 0; i < back.data.length; i++) assert.ok(Math.abs(back.data[i]! - px.data[i]!) < 1e-3)
})

test('joint and frame masking rates are near mask_ratio and mask_T_ratio over many draws', () => {
  const rng = new Rng(7)
  const T = 243
  const ones = {data: new Float32Array(8 * T * J * 3).fill(1), shape: [8, T, J, 3]}
  let maskedJoints = 0
  let maskedFrames = 0
  let total = 0
  const rounds = 20
  for (let r = 0; r < rounds; r++) {
    const m = maskJointsAndFrames(ones, rng, {maskRatio: 0.05, maskTRatio: 0.1})
    for (let t = 0; t < T; t++) {
      // a masked frame is zero for every sample and joint (the frame mask is shared by the batch)
      let frameZero = true
      for (let n = 0; n < 8 && frameZero; n++) for (let j = 0; j < J; j++) if (m.data[((n * T + t) * J + j) * 3 + 2] !== 0) frameZero = false
      if (frameZero) maskedFrames++
      else for (let n = 0; n < 8; n++) for (let j = 0; j < J; j++) if (m.data[((n * T + t) * J + j) * 3] === 0) maskedJoints++
      if (!frameZero) total += 8 * J
    }
  }
  const frameRate = maskedFrames / (rounds * T)
  const jointRate = maskedJoints / total
  assert.ok(Math.abs(frameRate - 0.1) < 0.02, `frame rate ${frameRate}`)
  assert.ok(Math.abs(jointRate - 0.05) < 0.006, `joint rate ${jointRate}`)
  // augment2d masks only when both ratios are positive, as train.py
  const same = augment2d(ones, rng, {maskRatio: 0.5, maskTRatio: 0})
  assert.ok(same.data.every((v) => v === 1))
})

test('synthetic noise: small offsets, confidence in [0, 1] that falls with the offset', () => {
  const rng = new Rng(13)
  const x = {data: new Float32Array(4 * 81 * J * 3), shape: [4, 81, J, 3]}
  const y = addSyntheticNoise(x, rng)
  assert.deepEqual(y.shape, [4, 81, J, 3])
  let sumAbs = 0
  let lowConfFar = 0
  let far = 0
  for (let i = 0; i < y.data.length; i += 3) {
    const d = Math.hypot(y.data[i]!, y.data[i + 1]!)
    sumAbs += d
    assert.ok(y.data[i + 2]! >= 0 && y.data[i + 2]! <= 1)
    if (d > 0.025) {
      far++
      if (y.data[i + 2]! < 0.9) lowConfFar++
    }
  }
  const meanOffset = sumAbs / (y.data.length / 3)
  assert.ok(meanOffset > 0.003 && meanOffset < 0.03, `mean offset ${meanOffset}`)
  assert.ok(far === 0 || lowConfFar / far > 0.5)
  const g = addGaussianNoise(withConfidence({data: new Float32Array(1000 * 2), shape: [1000, 2]}), 0.01, rng)
  assert.ok(g.data.every((v, i) => (i % 3 === 2 ? v === 1 : Math.abs(v) < 0.07)))
})

test('training pairs from real mocap: input x, y equal the label, confidence 1, seeded and reproducible', async () => {
  const ds = await Motion3dDataset.fromFolder(path.join(dataDir, 'cmu-mocap-h36m17'), {split: 'test', clipLen: 27, stride: 27, targetFps: 30})
  const make = (seed: number) => {
    const rng = new Rng(seed)
    return [0, 5, 9].map((i) => makeTrainingPair(ds.window(i), rng, {flip: true}))
  }
  const a = make(42)
  const b = make(42)
  assert.deepEqual(a.map((p) => Array.from(p.label.data.subarray(0, 6))), b.map((p) => Array.from(p.label.data.subarray(0, 6))))
  for (const p of a) {
    assert.deepEqual(p.input.shape, [27, J, 3])
    for (let i = 0; i < p.input.data.length; i += 3) {
      assert.equal(p.input.data[i], p.label.data[i])
      assert.equal(p.input.data[i + 1], p.label.data[i + 1])
      assert.equal(p.input.data[i + 2], 1)
    }
    assert.equal(p.mmPerUnit!.length, 27)
    // Bone lengths in mm come back from the normalised, root-relative label: thigh (1-2) about 300-600 mm.
    const rr = rootRelative(p.label)
    const d = rr.data
    const thigh = Math.hypot(d[3]! - d[6]!, d[4]! - d[7]!, d[5]! - d[8]!) * p.mmPerUnit![0]!
    assert.ok(thigh > 250 && thigh < 650, `thigh ${thigh} mm`)
  }
  const batch = stack(a.map((p) => p.input))
  assert.deepEqual(batch.shape, [3, 27, J, 3])
})

test('crop_scale_prob mixes the two normalisations: 0 is the image, 1 the window box, between both; bones stay in mm', async () => {
  const ds = await Motion3dDataset.fromFolder(path.join(dataDir, 'cmu-mocap-h36m17'), {split: 'test', clipLen: 27, stride: 27, targetFps: 30})
  // Extent of x, y over the window: crop_scale maps the larger side to exactly [-1, 1] (extent 2).
  const extent = (label: NDArray): number => {
    let lo = [Infinity, Infinity]
    let hi = [-Infinity, -Infinity]
    for (let i = 0; i < label.data.length; i += 3) {
      lo = [Math.min(lo[0]!, label.data[i]!), Math.min(lo[1]!, label.data[i + 1]!)]
      hi = [Math.max(hi[0]!, label.data[i]!), Math.max(hi[1]!, label.data[i + 1]!)]
    }
    return Math.max(hi[0]! - lo[0]!, hi[1]! - lo[1]!)
  }
  const pairs = (p: number, seed: number) => {
    const rng = new Rng(seed)
    return Array.from({length: 40}, (_, k) => makeTrainingPair(ds.window(k % ds.length), rng, {cropProbability: p}))
  }
  const isCrop = (pair: ReturnType<typeof makeTrainingPair>): boolean => Math.abs(extent(pair.label) - 2) < 1e-5
  assert.equal(pairs(0, 1).filter(isCrop).length, 0, 'image normalisation: people are a fraction of the image')
  assert.equal(pairs(1, 1).filter(isCrop).length, 40)
  const mixed = pairs(0.5, 1).filter(isCrop).length
  assert.ok(mixed > 8 && mixed < 32, `${mixed} of 40 crop-scaled at p = 0.5`)
  // Either way the label converts back to the same millimetres (thigh length of one window).
  const thigh = (pair: ReturnType<typeof makeTrainingPair>): number => {
    const d = rootRelative(pair.label).data
    return Math.hypot(d[3]! - d[6]!, d[4]! - d[7]!, d[5]! - d[8]!) * pair.mmPerUnit![0]!
  }
  const w = ds.window(3)
  const a = thigh(makeTrainingPair(w, new Rng(5), {cropProbability: 0}))
  const b = thigh(makeTrainingPair(w, new Rng(5), {cropProbability: 1}))
  assert.ok(Math.abs(a - b) < 0.05 * a, `thigh ${a} mm (image) vs ${b} mm (crop)`)
})
