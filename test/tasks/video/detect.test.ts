/**
 * The bundled MoveNet detectors on the first frames of the real clip: keypoints where the people
 * are (golden values measured once, with tolerances for other ffmpeg builds' scalers), and no
 * tensor left behind.
 */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import * as tf from '@tensorflow/tfjs-core'
import {selectBackend} from '../../../src/nn/tfjs/backend.js'
import {createDetector, cropResize, type PoseDetection} from '../../../src/tasks/video/detect.js'
import {openSource} from '../../../src/tasks/video/source.js'
import {HANDSHAKE} from '../../helpers/video.js'

/** Golden COCO joints (x, y in 1080p pixels) of frame 0: nose, left hip, right hip, left ankle, right ankle. */
const JOINTS = [0, 11, 12, 15, 16]
const MULTIPOSE_FRAME0 = [
  [[767, 347], [783, 581], [716, 586], [817, 821], [700, 844]], // the person on the left
  [[1013, 311], [1055, 564], [996, 561], [1045, 823], [972, 819]], // the person on the right
]
const TOLERANCE_PX = 25

function assertNear(p: PoseDetection, golden: number[][], what: string): void {
  JOINTS.forEach((j, k) => {
    const [x, y] = golden[k]!
    const dx = p.keypoints[j * 3]! - x!
    const dy = p.keypoints[j * 3 + 1]! - y!
    assert.ok(Math.hypot(dx, dy) < TOLERANCE_PX, `${what} joint ${j}: (${p.keypoints[j * 3]}, ${p.keypoints[j * 3 + 1]}) vs golden (${x}, ${y})`)
    assert.ok(p.keypoints[j * 3 + 2]! > 0.3, `${what} joint ${j} seen`)
  })
}

test('multipose finds both people in frame 0 at the golden keypoints, and leaks no tensor', async () => {
  await selectBackend()
  const det = await createDetector('multipose')
  const source = await openSource(HANDSHAKE)
  const frames = source.frames({longSide: det.spec.decodeSize, multiple: 32, maxFrames: 2})
  const first = (await frames.next()).value!
  const before = tf.memory().numTensors
  const people = (await det.detect(first)).sort((a, b) => a.box[0] - b.box[0])
  assert.equal(tf.memory().numTensors, before, 'tensors after detect')
  await frames.return(undefined)
  assert.equal(people.length, 2)
  people.forEach((p, i) => {
    assert.ok(p.score > 0.4, `person ${i} score ${p.score}`)
    assertNear(p, MULTIPOSE_FRAME0[i]!, `person ${i}`)
    assert.ok(p.box[0] < p.keypoints[0]! && p.keypoints[0]! < p.box[2], 'the nose is inside the box')
  })
})

test('lightning follows one person: a whole body in frame 0 and, from the crop, in frame 1; no tensor leaks', async () => {
  await selectBackend()
  const det = await createDetector('lightning')
  det.reset()
  const source = await openSource(HANDSHAKE)
  const before = tf.memory().numTensors
  const found: PoseDetection[] = []
  for await (const f of source.frames({longSide: det.spec.decodeSize, maxFrames: 2})) found.push(...(await det.detect(f)))
  assert.equal(tf.memory().numTensors, before, 'tensors after two frames')
  assert.equal(found.length, 2)
  for (const p of found) {
    // one of the two people: nose above hips above ankles, within the pair's region
    const y = (j: number): number => p.keypoints[j * 3 + 1]!
    assert.ok(y(0) < y(11) && y(11) < y(15), 'nose above hip above ankle')
    assert.ok(p.box[0] > 600 && p.box[2] < 1200, `box ${p.box}`)
    assert.ok(p.box[3] - p.box[1] > 400, 'a whole body is several hundred pixels tall at 1080p')
  }
})

test('cropResize: the whole frame at its own size is the frame; outside the frame is black; halves sample the right pixels', () => {
  // 4x2 frame, pixel (x, y) = [10x + y, 100 + y, 7]
  const w = 4
  const h = 2
  const rgb = new Uint8Array(w * h * 3)
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) rgb.set([10 * x + y, 100 + y, 7], (y * w + x) * 3)
  const frame = {rgb, width: w, height: h, scale: 1, scaleY: 1}
  // a 4x4 square starting one row above the frame: rows 0 and 3 fall outside
  const out = cropResize(frame, [-1, 0, 3, 4], 4)
  assert.deepEqual(Array.from(out.subarray(0, 12)), new Array(12).fill(0), 'row above the frame')
  assert.deepEqual(Array.from(out.subarray(12, 24)), Array.from(rgb.subarray(0, 12)), 'frame row 0')
  assert.deepEqual(Array.from(out.subarray(24, 36)), Array.from(rgb.subarray(12, 24)), 'frame row 1')
  assert.deepEqual(Array.from(out.subarray(36, 48)), new Array(12).fill(0), 'row below the frame')
  // the right half, 2x2 → 1x1: the mean of x = 2, 3 and y = 0, 1
  assert.deepEqual(Array.from(cropResize(frame, [0, 2, 2, 4], 1)), [Math.round(25.5), Math.round(100.5), 7])
})
