/** Video-like training views: cameras, detector noise, frame-rate stretches, layouts, labels, batches. */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {addDetectorNoise, DETECTOR_NOISE_RANGES} from '../../../src/data/augment/detector-noise.js'
import {lookAt, sampleVideoView, VIDEO_VIEW_RANGES} from '../../../src/data/augment/video-view.js'
import {NUM_JOINTS} from '../../../src/core/h36m.js'
import type {MotionClip} from '../../../src/data/motion3d/clip.js'
import type {NDArray} from '../../../src/core/ndarray.js'
import {Rng} from '../../../src/core/rng.js'
import {flippedLabels, imitateLayout, takeStretch, VideoBatchSource, videoSample} from '../../../src/tasks/pose3d/video-data.js'

/** A person 1.7 m tall walking along +x at `speed` mm per frame: [T, 17, 3] world mm, y up. */
function walker(T: number, speed = 45): NDArray {
  const data = new Float32Array(T * NUM_JOINTS * 3)
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < NUM_JOINTS; j++) {
      const i = (t * NUM_JOINTS + j) * 3
      data[i] = t * speed + (j % 3) * 60 - 60 + (j === 13 || j === 16 ? 150 * Math.sin(t / 5) : 0)
      data[i + 1] = 100 * j // pelvis at 0, head at 1.6 m
      data[i + 2] = (j % 2) * 80 - 40
    }
  }
  return {data, shape: [T, NUM_JOINTS, 3]}
}

function clip(T: number, fps: number, action = 'walking'): MotionClip {
  return {name: `${action}.npy`, file: `/tmp/${action}.npy`, action, split: 'train', fps, positions: walker(T), space: 'world', units: 'mm', upAxis: 'y'}
}

describe('sampleVideoView', () => {
  it('keeps the whole body of every frame inside the image, the camera 3-15 m from the path', () => {
    const rng = new Rng(3)
    for (let k = 0; k < 30; k++) {
      const view = sampleVideoView(walker(81), rng)
      const [W, H] = view.imageSize
      for (let i = 0; i < view.pixels.data.length; i += 2) {
        assert.ok(view.pixels.data[i]! >= -1e-3 && view.pixels.data[i]! <= W + 1e-3, `u ${view.pixels.data[i]} outside [0, ${W}]`)
        assert.ok(view.pixels.data[i + 1]! >= -1e-3 && view.pixels.data[i + 1]! <= H + 1e-3)
      }
      // 3-15 m to the window's mean root; the walker covers 3.6 m, so frame 0 is within 1.8 m more
      const rootDepth = view.camera.data[2]!
      assert.ok(rootDepth > 1000 && rootDepth < 15_000 + 1_900, `root depth ${rootDepth}`)
    }
  })

  it('a static camera shows the path; a panning camera follows the person', () => {
    const spread = (kind: 'static' | 'panning'): number => {
      const rng = new Rng(11)
      let sum = 0
      for (let k = 0; k < 20; k++) {
        const v = sampleVideoView(walker(81, 60), rng, {...VIDEO_VIEW_RANGES, panSmoothFrames: [1, 1]}, kind)
        // root's horizontal travel in the image over the person's height there
        const u0 = v.pixels.data[0]!
        const u1 = v.pixels.data[80 * NUM_JOINTS * 2]!
        const h = Math.abs(v.pixels.data[10 * 2 + 1]! - v.pixels.data[1]!)
        sum += Math.abs(u1 - u0) / h
      }
      return sum / 20
    }
    assert.ok(spread('static') > 0.5, `static travel ${spread('static')}`)
    assert.ok(spread('panning') < 0.05, `panning travel ${spread('panning')}`)
  })

  it('lookAt gives a rotation whose forward axis points at the target', () => {
    const r = lookAt([0, 1000, 5000], [0, 1000, 0])
    assert.deepEqual(r.slice(6).map((v) => Math.round(v * 1e6) / 1e6), [0, 0, -1])
    // y down in the camera for a world point above the target
    const up = r[3]! * 0 + r[4]! * 500 + r[5]! * 0
    assert.ok(up < 0)
  })
})

describe('addDetectorNoise', () => {
  it('perturbs in proportion to the person, drops joints with confidence 0, keeps the rest confident', () => {
    const view = sampleVideoView(walker(200), new Rng(5))
    const noisy = addDetectorNoise(view.pixels, new Rng(9), {...DETECTOR_NOISE_RANGES, dropRate: [0.05, 0.05]}, 0)
    assert.deepEqual(noisy.shape, [200, 17, 3])
    let dropped = 0
    let moved = 0
    for (let i = 0; i < 200 * 17; i++) {
      const c = noisy.data[i * 3 + 2]!
      assert.ok(c >= 0 && c <= 1)
      if (c === 0) dropped++
      else if (Math.hypot(noisy.data[i * 3]! - view.pixels.data[i * 2]!, noisy.data[i * 3 + 1]! - view.pixels.data[i * 2 + 1]!) > 0) moved++
    }
    assert.ok(dropped > 100 && dropped < 400, `dropped ${dropped}`)
    assert.ok(moved > 2500)
  })

  it('clean windows come back exact with confidence 1', () => {
    const px: NDArray = {data: Float32Array.from({length: 10 * 17 * 2}, (_, i) => i), shape: [10, 17, 2]}
    const out = addDetectorNoise(px, new Rng(1), DETECTOR_NOISE_RANGES, 1)
    for (let i = 0; i < 170; i++) {
      assert.equal(out.data[i * 3], i * 2)
      assert.equal(out.data[i * 3 + 2], 1)
    }
  })
})

describe('takeStretch', () => {
  it('interpolates the clip at the video frame rate', () => {
    // 120 fps clip, 60 fps video: every second source frame
    const c = clip(400, 120)
    const out = takeStretch(c, new Rng(2), {clipLen: 81, fpsRange: [60, 60]})
    const step = (out.data[NUM_JOINTS * 3]! - out.data[0]!) / 45
    assert.ok(Math.abs(step - 2) < 1e-3, `step ${step}`)
  })

  it('slows a clip that is too short down to fit the window', () => {
    const c = clip(40, 30)
    const out = takeStretch(c, new Rng(2), {clipLen: 81, fpsRange: [24, 24]})
    assert.equal(out.shape[0], 81)
    assert.ok(Math.abs(out.data[0]! - c.positions.data[0]!) < 1e-3)
    const lastX = out.data[80 * NUM_JOINTS * 3]!
    assert.ok(Math.abs(lastX - c.positions.data[39 * NUM_JOINTS * 3]!) < 1e-2)
  })
})

describe('videoSample', () => {
  it('gives a window-normalised input in [-1, 1] and a root-relative target in metres', () => {
    const s = videoSample(clip(300, 30), new Rng(4), {clipLen: 81, fpsRange: [24, 60], layouts: ['halpe26', 'coco17', 'h36m17'], flip: true})
    assert.deepEqual(s.input.shape, [81, 17, 3])
    for (let i = 0; i < s.input.data.length; i += 3) assert.ok(Math.abs(s.input.data[i]!) <= 1 && Math.abs(s.input.data[i + 1]!) <= 1)
    for (let t = 0; t < 81; t++) assert.equal(s.target.data[t * 51], 0)
    // head (joint 10) is 1.0 m above the pelvis in the walker: about 1 m in the target
    const h = Math.hypot(s.target.data[30]!, s.target.data[31]!, s.target.data[32]!)
    assert.ok(h > 0.9 && h < 1.1, `head distance ${h} m`)
  })
})

describe('imitateLayout', () => {
  it('coco17 puts the head between the nose and head joints, as the COCO reader (mid-eyes) does', () => {
    const x = new Float32Array(17 * 3)
    x[9 * 3 + 1] = 10
    x[10 * 3 + 1] = 20
    const out = imitateLayout({data: x, shape: [1, 17, 3]}, 'coco17')
    assert.equal(out.data[10 * 3 + 1], 15)
    assert.equal(imitateLayout({data: x, shape: [1, 17, 3]}, 'h36m17').data[10 * 3 + 1], 20)
  })
})

describe('flippedLabels', () => {
  it('swaps left and right classes and keeps the others', () => {
    const classes = ['raise-up-left-hand', 'raise-up-right-hand', 'walk-turn-left', 'walk-turn-right', 'walking', 'wave-both-hands']
    assert.deepEqual([...flippedLabels(classes)], [1, 0, 3, 2, 4, 5])
  })
})

describe('VideoBatchSource', () => {
  it('visits clips by duration and flips action labels with the input', () => {
    const clips = [clip(300, 30, 'wave-left-hand'), clip(90, 30, 'wave-right-hand')]
    const src = new VideoBatchSource(clips, {task: 'action', batchSize: 8, clipLen: 60, strideSeconds: 1, fpsRange: [30, 30], layouts: ['h36m17'], flip: true, augment: {noise: false, maskRatio: 0, maskTRatio: 0}, classes: ['wave-left-hand', 'wave-right-hand']})
    assert.equal(src.size, 10 + 3)
    const b = src.batch([0, 1, 2, 3, 4, 5, 6, 7], new Rng(7))
    assert.deepEqual(b.input.shape, [8, 1, 60, 17, 3])
    assert.equal(b.labels!.length, 8)
    // all eight come from the first clip (slots 0-9); flipped ones carry the other label
    const flips = [...b.labels!].filter((l) => l === 1).length
    assert.ok(flips > 0 && flips < 8, `flipped labels ${flips}`)
  })

  it('refuses clips whose action is not a class', () => {
    assert.throws(() => new VideoBatchSource([clip(90, 30, 'jumping')], {task: 'action', batchSize: 1, clipLen: 60, strideSeconds: 1, fpsRange: [30, 30], layouts: ['h36m17'], flip: false, augment: {noise: false, maskRatio: 0, maskTRatio: 0}, classes: ['walking', 'running']}), /jumping/)
  })

  it('pose batches: [N, T, 17, 3] inputs and targets, the same for the same seed', () => {
    const src = new VideoBatchSource([clip(300, 120)], {task: 'pose3d', batchSize: 2, clipLen: 27, strideSeconds: 1, fpsRange: [24, 60], layouts: ['halpe26'], flip: true, augment: {noise: false, maskRatio: 0.05, maskTRatio: 0.1}})
    const a = src.batch([0, 1], new Rng(1))
    const b = src.batch([0, 1], new Rng(1))
    assert.deepEqual(a.input.shape, [2, 27, 17, 3])
    assert.deepEqual(a.target!.shape, [2, 27, 17, 3])
    assert.deepEqual(a.input.data, b.input.data)
    assert.ok(!a.input.data.some(Number.isNaN) && !a.target!.data.some(Number.isNaN))
  })
})
