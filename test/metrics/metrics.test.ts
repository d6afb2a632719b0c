import assert from 'node:assert/strict'
import {test} from 'node:test'

import {isMotionError} from '../../src/core/errors.js'
import {
  accelerationError,
  det3,
  mpjpe,
  pck,
  pMpjpe,
  poseMetrics,
  procrustesAlign,
  rootRelative,
  svd3,
  topKAccuracy,
  classBreakdown,
} from '../../src/metrics/index.js'
import type {NDArray} from '../../src/core/ndarray.js'

const J = 17

/** The deterministic pose pair used for the numpy reference values below. */
function mirrorCase(): {pred: NDArray<Float64Array>; gt: NDArray<Float64Array>} {
  const gt = new Float64Array(2 * J * 3)
  for (let i = 0; i < gt.length; i++) gt[i] = Math.sin(i * 1.7) * 300 + Math.cos(i * 0.3) * 50
  const pred = Float64Array.from(gt)
  for (let i = 0; i < J * 3; i += 3) pred[i] = -pred[i]! // frame 0 mirrored in x
  for (let i = J * 3; i < 2 * J * 3; i++) pred[i] = gt[i]! * 0.8 + Math.cos(i * 2.1) * 20
  return {pred: {data: pred, shape: [2, J, 3]}, gt: {data: gt, shape: [2, J, 3]}}
}

test('P-MPJPE never aligns with a reflection: a mirrored pose keeps its error (numpy reference)', () => {
  const {pred, gt} = mirrorCase()
  // Values from the official numpy p_mpjpe / mpjpe on the same arrays.
  const p = pMpjpe(pred, gt).perFrame
  assert.ok(Math.abs(p[0]! - 87.77870783) < 1e-6, `frame 0: ${p[0]}`)
  assert.ok(Math.abs(p[1]! - 2.17168821) < 1e-6, `frame 1: ${p[1]}`)
  const m = mpjpe(pred, gt).perFrame
  assert.ok(Math.abs(m[0]! - 350.6886796) < 1e-6)
  assert.ok(Math.abs(m[1]! - 78.60507735) < 1e-6)
})

test('procrustesAlign recovers a similarity transform exactly', () => {
  const {gt} = mirrorCase()
  // pred = 2.5 * gt @ Rz(40deg) + t  -> aligning back must reproduce gt
  const a = (40 * Math.PI) / 180
  const r = [Math.cos(a), -Math.sin(a), 0, Math.sin(a), Math.cos(a), 0, 0, 0, 1]
  const pred = new Float64Array(gt.data.length)
  for (let i = 0; i < gt.data.length; i += 3) {
    for (let c = 0; c < 3; c++) {
      pred[i + c] = 2.5 * (gt.data[i]! * r[c]! + gt.data[i + 1]! * r[3 + c]! + gt.data[i + 2]! * r[6 + c]!) + [10, -20, 300][c]!
    }
  }
  const aligned = procrustesAlign({data: pred, shape: gt.shape}, gt)
  for (let i = 0; i < aligned.data.length; i++) assert.ok(Math.abs(aligned.data[i]! - gt.data[i]!) < 1e-8)
  assert.ok(pMpjpe({data: pred, shape: gt.shape}, gt).mean < 1e-8)
})

test('svd3 reconstructs the matrix with orthonormal factors and sorted singular values', () => {
  const mats = [
    [4, 1, -2, 0.5, 3, 1, -1, 2, 5],
    [1, 0, 0, 0, 1, 0, 0, 0, -1], // a reflection
    [1, 2, 3, 2, 4, 6, 1, 1, 1], // rank 2
    [0, 0, 0, 0, 0, 0, 0, 0, 0],
  ]
  for (const m of mats) {
    const a = Float64Array.from(m)
    const {u, s, v} = svd3(a)
    assert.ok(s[0]! >= s[1]! && s[1]! >= s[2]! && s[2]! >= 0)
    assert.ok(Math.abs(Math.abs(det3(u)) - 1) < 1e-9)
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let rec = 0
        for (let k = 0; k < 3; k++) rec += u[i * 3 + k]! * s[k]! * v[j * 3 + k]!
        let av = 0
        for (let k = 0; k < 3; k++) av += a[i * 3 + k]! * v[k * 3 + j]!
        if (s[j]! > 1e-9) assert.ok(Math.abs(av - u[i * 3 + j]! * s[j]!) < 1e-9, `A·V = U·S at ${i},${j}`)
        if (s[2]! > 1e-9) assert.ok(Math.abs(rec - a[i * 3 + j]!) < 1e-9, `reconstruction at ${i},${j}`)
      }
    }
  }
})

test('a shape mismatch is an input error naming both shapes', () => {
  const a = {data: new Float32Array(2 * J * 3), shape: [2, J, 3]}
  const b = {data: new Float32Array(3 * J * 3), shape: [3, J, 3]}
  assert.throws(
    () => mpjpe(a, b),
    (err: unknown) => isMotionError(err) && err.exitCode === 2 && /\[2, 17, 3\]/.test(err.message) && /\[3, 17, 3\]/.test(err.message),
  )
})

test('NaN in a prediction is an input error, not a NaN metric', () => {
  const a = {data: new Float32Array(J * 3), shape: [1, J, 3]}
  const b = {data: new Float32Array(J * 3), shape: [1, J, 3]}
  a.data[5] = NaN
  assert.throws(() => mpjpe(a, b), (err: unknown) => isMotionError(err) && /NaN/.test(err.message))
})

test('acceleration error is zero for a constant-velocity offset and measures second differences', () => {
  const T = 5
  const gt = new Float64Array(T * J * 3)
  const pred = new Float64Array(T * J * 3)
  for (let t = 0; t < T; t++) for (let i = 0; i < J * 3; i++) pred[t * J * 3 + i] = 7 * t // linear drift
  assert.equal(accelerationError({data: pred, shape: [T, J, 3]}, {data: gt, shape: [T, J, 3]}).mean, 0)
  // One frame bumped by (3, 4, 0) on every joint: accel error |(-2)*5| at t=2, 5 at t=1 and t=3 (inner frames 1..3)
  const bumped = new Float64Array(T * J * 3)
  for (let j = 0; j < J; j++) {
    bumped[2 * J * 3 + j * 3] = 3
    bumped[2 * J * 3 + j * 3 + 1] = 4
  }
  const r = accelerationError({data: bumped, shape: [T, J, 3]}, {data: gt, shape: [T, J, 3]})
  assert.deepEqual(Array.from(r.perFrame), [5, 10, 5])
})

test('PCK counts joints strictly within the threshold', () => {
  const gt = new Float64Array(2 * J * 3)
  const pred = new Float64Array(2 * J * 3)
  for (let j = 0; j < J; j++) pred[j * 3] = j < 10 ? 100 : 200 // frame 0: 10 of 17 within 150
  const r = pck({data: pred, shape: [2, J, 3]}, {data: gt, shape: [2, J, 3]})
  assert.ok(Math.abs(r.perFrame[0]! - (100 * 10) / 17) < 1e-9)
  assert.equal(r.perFrame[1], 100)
  assert.ok(Math.abs(r.pck - (100 * 27) / 34) < 1e-9)
})

test('top-1/top-5 accuracy in percent as the official accuracy()', () => {
  const logits = {data: new Float32Array([0.1, 0.9, 0.3, 0.2, 0.0, 0.5, 0.4, 0.3, 0.2, 0.1, 0.6]), shape: [1, 11]}
  assert.deepEqual(topKAccuracy(logits, [1]), [100, 100])
  assert.deepEqual(topKAccuracy(logits, [0]), [0, 0]) // class 0 ranks 10th of 11
  assert.deepEqual(topKAccuracy(logits, [6], [1, 5]), [0, 100])
  assert.throws(() => topKAccuracy(logits, [11]), /not a class index/)
})

test('per-class top-1 and the confusion matrix: rows are true classes, columns the arg-max', () => {
  // 5 samples, 3 classes: true labels 0, 0, 1, 2, 2; predicted 0, 1, 1, 2, 0.
  const logits = {data: new Float32Array([
    0.9, 0.1, 0.0,
    0.2, 0.7, 0.1,
    0.1, 0.8, 0.1,
    0.0, 0.3, 0.7,
    0.6, 0.2, 0.2,
  ]), shape: [5, 3]}
  const r = classBreakdown(logits, [0, 0, 1, 2, 2], ['a', 'b', 'c'])
  assert.deepEqual(r.confusion, [[1, 1, 0], [0, 1, 0], [1, 0, 1]])
  assert.deepEqual(r.perClass.map((c) => [c.class, c.correct, c.samples, c.top1]), [['a', 1, 2, 50], ['b', 1, 1, 100], ['c', 1, 2, 50]])
  // Ties go to the lower class index, as topKAccuracy ranks them.
  const tie = classBreakdown({data: new Float32Array([0.5, 0.5]), shape: [1, 2]}, [1], ['x', 'y'])
  assert.deepEqual(tie.confusion, [[0, 0], [1, 0]])
  assert.equal(tie.perClass[1]!.top1, topKAccuracy({data: new Float32Array([0.5, 0.5]), shape: [1, 2]}, [1], [1])[0])
  assert.throws(() => classBreakdown(logits, [0, 0, 1, 2, 2], ['a', 'b']), /2 class names for 3 scores/)
})

test('poseMetrics reports all metrics; rootRelative zeroes the root', () => {
  const {pred, gt} = mirrorCase()
  const rr = rootRelative(gt)
  assert.deepEqual(Array.from(rr.data.subarray(0, 3)), [0, 0, 0])
  const m = poseMetrics(pred, gt)
  assert.ok(Math.abs(m.mpjpe - (350.6886796 + 78.60507735) / 2) < 1e-6)
  assert.equal(m.frames, 2)
  assert.equal(typeof m.mpjve, 'number')
  assert.equal(m.acceleration_error, null)
})
