/** Window-normalised inference: window plan, per-window normalisation, flip averaging, seamless cross-fades. */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {NUM_JOINTS} from '../../src/core/h36m.js'
import {normalizeWindow} from '../../src/data/wild.js'
import {liftWindowBatch, planOverlappedWindows, predictWindowedStream} from '../../src/data/windowed.js'
import type {NDArray} from '../../src/core/ndarray.js'

async function run(keypoints: NDArray, model: (b: NDArray) => Promise<NDArray>, clipLen: number, overlap: number, flip = false): Promise<NDArray> {
  const stream = predictWindowedStream(keypoints, {clipLen, overlap, flip}, model)
  for (;;) {
    const step = await stream.next()
    if (step.done) return step.value.x3d
  }
}

/** A person walking across the image and growing (coming closer): [T, 17, 3] pixels + confidence. */
function walking(T: number): NDArray {
  const d = new Float32Array(T * NUM_JOINTS * 3)
  for (let t = 0; t < T; t++) {
    const s = 1 + t / T
    for (let j = 0; j < NUM_JOINTS; j++) {
      const i = (t * NUM_JOINTS + j) * 3
      d[i] = 100 + t * 8 + s * ((j % 5) * 20)
      d[i + 1] = 500 - s * j * 20
      d[i + 2] = 0.9
    }
  }
  return {data: d, shape: [T, NUM_JOINTS, 3]}
}

describe('planOverlappedWindows', () => {
  it('full-length windows, the last ending at the end; one short window for a short track', () => {
    assert.deepEqual(planOverlappedWindows(200, 81, 40), [{start: 0, end: 81}, {start: 41, end: 122}, {start: 82, end: 163}, {start: 119, end: 200}])
    assert.deepEqual(planOverlappedWindows(50, 81, 40), [{start: 0, end: 50}])
    assert.throws(() => planOverlappedWindows(100, 81, 81))
  })
})

describe('predictWindowedStream', () => {
  it('feeds each window its own normalisation', async () => {
    const kp = walking(120)
    const seen: NDArray[] = []
    await run(kp, async (b) => {
      seen.push({data: Float32Array.from(b.data), shape: [...b.shape]})
      return {data: new Float32Array(b.data.length), shape: [b.shape[0]!, b.shape[1]!, 17, 3]}
    }, 81, 40)
    // Both windows go to the model in one call (WINDOWS_PER_CALL), each scaled to its own box.
    assert.equal(seen.length, 1)
    assert.deepEqual(seen[0]!.shape, [2, 81, 17, 3])
    const first = normalizeWindow({data: kp.data.slice(0, 81 * 51), shape: [81, 17, 3]})
    const second = normalizeWindow({data: kp.data.slice(39 * 51, 120 * 51), shape: [81, 17, 3]})
    assert.deepEqual(seen[0]!.data.slice(0, 81 * 51), first.data)
    assert.deepEqual(seen[0]!.data.slice(81 * 51), second.data)
  })

  it('a model whose answer depends on the window blends without jumps at the seams', async () => {
    // Each window answers a constant pose offset by its own number; the cross-fade must ramp.
    const T = 300
    let windowsSeen = 0
    const out = await run(walking(T), async (b) => {
      const [B, t] = b.shape as [number, number]
      const y = new Float32Array(B * t * 51)
      for (let w = 0; w < B; w++) for (let k = w * t * 51; k < (w + 1) * t * 51; k += 3) if (k % 51 !== 0) y[k] = (windowsSeen + w) * 0.1
      windowsSeen += B
      return {data: y, shape: [B, t, 17, 3]}
    }, 81, 40)
    assert.equal(windowsSeen, planOverlappedWindows(T, 81, 40).length)
    let maxStep = 0
    for (let t = 1; t < T; t++) maxStep = Math.max(maxStep, Math.abs(out.data[t * 51 + 3]! - out.data[(t - 1) * 51 + 3]!))
    // A hard switch would step by 0.1 at a seam; 41-frame ramps by 0.1/41 per frame, a little
    // more where the last window (aligned to the end) overlaps its neighbour by more.
    assert.ok(maxStep < 0.1 / 10, `largest step ${maxStep}`)
    for (let t = 0; t < T; t++) assert.equal(out.data[t * 51], 0) // root-relative
  })

  it('averages the flipped prediction flipped back', async () => {
    // A model that returns its input's x as every joint's x: flip TTA must give back the unflipped answer.
    const kp = walking(40)
    const out = await run(kp, async (b) => {
      const y = new Float32Array(b.data.length)
      for (let k = 0; k < b.data.length; k += 3) y[k] = b.data[k]!
      return {data: y, shape: [...b.shape]}
    }, 81, 0, true)
    const norm = normalizeWindow(kp)
    for (let j = 1; j < 17; j++) assert.ok(Math.abs(out.data[j * 3]! - (norm.data[j * 3]! - norm.data[0]!)) < 1e-5)
  })
})

describe('liftWindowBatch', () => {
  /** A model whose answer depends on each item of the batch (not the identity, not symmetric). */
  const model = async (b: NDArray): Promise<NDArray> => {
    const [B, t] = b.shape as [number, number]
    const y = new Float32Array(B * t * 51)
    for (let k = 0; k < y.length; k++) y[k] = Math.sin(b.data[k]! * 3 + (k % (t * 51)) * 0.01) + (k % 3) * 0.2
    return {data: y, shape: [B, t, 17, 3]}
  }

  it('lifts several windows in one call exactly as predictWindowedStream lifts each alone, flip on or off; a window that cannot be normalised fails alone', async () => {
    const a = walking(20)
    const b: NDArray = {data: walking(40).data.slice(20 * 51), shape: [20, 17, 3]}
    const blank: NDArray = {data: new Float32Array(20 * 51), shape: [20, 17, 3]}
    for (const flip of [false, true]) {
      const calls: number[][] = []
      const counted = async (x: NDArray): Promise<NDArray> => (calls.push([...x.shape]), model(x))
      const [ra, rBlank, rb] = await liftWindowBatch([a, blank, b], {flip}, counted)
      assert.deepEqual(calls, [[flip ? 4 : 2, 20, 17, 3]], 'one model call for the two usable windows')
      assert.ok(rBlank && !('data' in rBlank), 'the window without confident keypoints carries its own error')
      for (const [alone, batched] of [[a, ra], [b, rb]] as const) {
        const expected = await run(alone, model, 20, 0, flip)
        assert.ok(batched && 'data' in batched)
        assert.deepEqual([...batched.shape], [20, 17, 3])
        for (let k = 0; k < expected.data.length; k++) assert.ok(Math.abs(batched.data[k]! - expected.data[k]!) < 1e-6, `flip ${flip}, value ${k}`)
      }
    }
  })
})
