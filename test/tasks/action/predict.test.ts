/** predict --task action helpers: window starts, MotionBERT crop_scale on 2D, class names. */
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {test} from 'node:test'
import {actionClassNames, actionWindowStarts, cropScale2d} from '../../../src/tasks/action/predict.js'

test('windows: every clipLen frames, the last one ending at the track end; short tracks are one window', () => {
  assert.deepEqual(actionWindowStarts(124, 60), [0, 60, 64])
  assert.deepEqual(actionWindowStarts(120, 60), [0, 60])
  assert.deepEqual(actionWindowStarts(30, 60), [0])
})

test('crop_scale: the box of confident joints to [-1, 1], square, confidence kept; unconfident joints ignored for the box', () => {
  // Joints at x 100..300, y 50..150 (conf 1) and one far joint with confidence 0.
  const pts = [[100, 50, 1], [300, 150, 1], [200, 100, 0.5], [250, 60, 1], [5000, 5000, 0]]
  const x = {data: Float32Array.from(pts.flat()), shape: [1, pts.length, 3]}
  const y = cropScale2d(x).data
  // scale = 200 (x range); xs = 100, ys = (50 + 150 - 200) / 2 = 0.
  assert.deepEqual(Array.from(y.slice(0, 3)), [-1, -0.5, 1])
  assert.deepEqual(Array.from(y.slice(3, 6)), [1, 0.5, 1])
  assert.deepEqual(Array.from(y.slice(6, 9)), [0, 0, 0.5])
  assert.deepEqual(Array.from(y.slice(12, 15)), [1, 1, 0])
  assert.ok(cropScale2d({data: new Float32Array(9).fill(1), shape: [1, 3, 3]}).data.every((v) => v === 0), 'fewer than 4 joints: zeros')
})

test('class names: classes.json beside the model, else class N; a wrong count is a model error', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'motion-classes-'))
  try {
    assert.deepEqual(await actionClassNames(dir, 2), ['class 0', 'class 1'])
    writeFileSync(path.join(dir, 'classes.json'), '["a", "b"]')
    assert.deepEqual(await actionClassNames(dir, 2), ['a', 'b'])
    await assert.rejects(actionClassNames(dir, 3), /class names/)
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
})
