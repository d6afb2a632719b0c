/** infer_wild as functions: normalisation parity, clips, flip TTA, root depth, pixel mode, overlap blending, streaming, errors. */
import assert from 'node:assert/strict'
import path from 'node:path'
import {describe, it} from 'node:test'
import {readKeypoints} from '../../src/data/keypoints/index.js'
import {selectPeople} from '../../src/data/people.js'
import {type RunModel, type WildOptions, normalizeWild, planWindows, predictWild, predictWildStream} from '../../src/data/wild.js'
import {isMotionError} from '../../src/core/errors.js'
import {readNpyFloat32} from '../../src/formats/npy.js'
import type {NDArray} from '../../src/core/ndarray.js'
import {fixturesDir, repoRoot} from '../helpers/paths.js'
import {parityError} from '../helpers/compare.js'
import {readCaseJson} from '../helpers/fixtures.js'

/** The official cases: the shared tiny one and the wider one kept in the repository. */
const caseDirs = [path.join(fixturesDir, 'wild-tiny'), path.join(repoRoot, 'test', 'fixtures', 'official-wide', 'wild-wide')]

interface WildCase {
  config: Record<string, number>
  detections: string
  focus: number
  clip_len: number
  vid_size: [number, number]
  flip: boolean
  rootrel: boolean
  modes: {mode: 'scale' | 'pixel'; normalized: string; x3d: string}[]
}
const readCase = (dir: string): WildCase => readCaseJson<WildCase>(dir)

async function focusTrack(dir: string, wildCase: WildCase): Promise<NDArray> {
  const data = await readKeypoints(path.join(dir, wildCase.detections))
  return selectPeople(data, {person: String(wildCase.focus)}).tracks[0]!.keypoints
}

/** A model that returns its input (x, y, and the confidence as z): makes every pipeline step visible. */
const identity: RunModel = async (batch) => {
  assert.equal(batch.shape.at(-1), 3)
  return {data: batch.data.slice(), shape: [...batch.shape]}
}

/** A pixel track: person-like values, confidences 0.5..1. */
function syntheticTrack(T: number): NDArray {
  const data = new Float32Array(T * 51)
  for (let t = 0; t < T; t++) for (let j = 0; j < 17; j++) data.set([400 + 30 * Math.sin(t / 5 + j) + 10 * j, 300 + 12 * j + 5 * Math.cos(t / 3), 0.5 + ((t + j) % 6) / 10], (t * 17 + j) * 3)
  return {data, shape: [T, 17, 3]}
}

const at = (a: NDArray, t: number, j: number, c: number): number => a.data[(t * 17 + j) * 3 + c]!

describe('infer_wild normalisation', () => {
  for (const dir of caseDirs) {
    const wildCase = readCase(dir)
    for (const m of wildCase.modes) {
      it(`${path.basename(dir)}: ${m.mode} mode reproduces the official ${m.normalized} (focus ${wildCase.focus})`, async () => {
        const ref = await readNpyFloat32(path.join(dir, m.normalized))
        const ours = normalizeWild(await focusTrack(dir, wildCase), {mode: m.mode, videoSize: wildCase.vid_size})
        assert.deepEqual(ours.shape, ref.shape)
        assert.ok(parityError(ours.data, ref.data) <= 1e-5, `error ${parityError(ours.data, ref.data)}`)
      })
    }
  }

  it('scale mode ignores zero-confidence points for the box and fits the rest into [-1, 1]', () => {
    const track = syntheticTrack(4)
    track.data.set([5000, -5000, 0], 0) // far away, but not detected
    const n = normalizeWild(track, {mode: 'scale'})
    let lo = Infinity
    let hi = -Infinity
    for (let i = 3; i < n.data.length; i += 3) {
      lo = Math.min(lo, n.data[i]!, n.data[i + 1]!)
      hi = Math.max(hi, n.data[i]!, n.data[i + 1]!)
    }
    assert.ok(lo >= -1 && hi <= 1 && (lo === -1 || hi === 1), `${lo} ${hi}`)
    assert.deepEqual([n.data[0], n.data[1], n.data[2]], [1, -1, 0]) // clipped, confidence kept
  })
})

describe('windows', () => {
  it('consecutive clips, the last one shorter; overlap advances by clip_len - K', () => {
    assert.deepEqual(planWindows(60, 27), [{start: 0, end: 27}, {start: 27, end: 54}, {start: 54, end: 60}])
    assert.deepEqual(planWindows(27, 27), [{start: 0, end: 27}])
    assert.deepEqual(planWindows(5, 27), [{start: 0, end: 5}])
    assert.deepEqual(planWindows(100, 40, 10), [{start: 0, end: 40}, {start: 30, end: 70}, {start: 60, end: 100}])
  })
})

describe('predictWild', () => {
  it('flip: clip and flipped clip go to the model as one batch of 2; the averaged identity is the input; first-frame root z = 0 per clip', async () => {
    const track = syntheticTrack(30)
    const batches: number[][] = []
    const run: RunModel = async (batch) => {
      batches.push(batch.shape)
      const t = batch.shape[1]!
      // the second item is flip_data of the first: x negated, left/right swapped (l_hip 4 <-> r_hip 1)
      const first = (f: number, j: number, c: number): number => batch.data[(f * 17 + j) * 3 + c]!
      const second = (f: number, j: number, c: number): number => batch.data[((t + f) * 17 + j) * 3 + c]!
      assert.equal(second(0, 4, 0), -first(0, 1, 0))
      assert.equal(second(0, 4, 1), first(0, 1, 1))
      assert.equal(second(0, 0, 0), -first(0, 0, 0))
      return identity(batch)
    }
    const {x3d, normalized} = await predictWild(track, {mode: 'scale', clipLen: 12, flip: true, rootrel: false}, run)
    assert.deepEqual(batches, [[2, 12, 17, 3], [2, 12, 17, 3], [2, 6, 17, 3]])
    for (let t = 0; t < 30; t++) {
      for (let j = 0; j < 17; j++) {
        for (let c = 0; c < 3; c++) {
          const expected = j === 0 && c === 2 && t % 12 === 0 ? 0 : at(normalized, t, j, c)
          assert.ok(Math.abs(at(x3d, t, j, c) - expected) < 1e-6, `t ${t} j ${j} c ${c}`)
        }
      }
    }
  })

  it('no flip: batches of 1; rootrel zeroes the root joint in every frame', async () => {
    const shapes: number[][] = []
    const run: RunModel = async (b) => {
      shapes.push(b.shape)
      return identity(b)
    }
    const {x3d} = await predictWild(syntheticTrack(10), {mode: 'scale', clipLen: 4, flip: false, rootrel: true}, run)
    assert.deepEqual(shapes.map((s) => s[0]), [1, 1, 1])
    for (let t = 0; t < 10; t++) assert.deepEqual([at(x3d, t, 0, 0), at(x3d, t, 0, 1), at(x3d, t, 0, 2)], [0, 0, 0])
    assert.notEqual(at(x3d, 3, 5, 0), 0)
  })

  it('pixel mode: scaled back to pixels (the identity model gives back the input x, y)', async () => {
    const track = syntheticTrack(9)
    const videoSize: [number, number] = [1280, 720]
    const {x3d, units} = await predictWild(track, {mode: 'pixel', videoSize, clipLen: 9, flip: true, rootrel: false}, identity)
    assert.equal(units, 'pixels')
    for (let t = 0; t < 9; t++) {
      for (let j = 1; j < 17; j++) {
        assert.ok(Math.abs(at(x3d, t, j, 0) - at(track, t, j, 0)) < 1e-3)
        assert.ok(Math.abs(at(x3d, t, j, 1) - at(track, t, j, 1)) < 1e-3)
        assert.ok(Math.abs(at(x3d, t, j, 2) - at(track, t, j, 2) * 360) < 1e-3) // z scaled by min(w, h) / 2 too
      }
    }
  })

  it('noConf feeds x, y only; gt2d keeps the input x, y', async () => {
    let channels = 0
    const run: RunModel = async (b) => {
      channels = b.shape[3]!
      const [B, t] = b.shape as [number, number]
      return {data: new Float32Array(B * t * 51).fill(0.25), shape: [B, t, 17, 3]}
    }
    const {x3d, normalized} = await predictWild(syntheticTrack(5), {mode: 'scale', clipLen: 5, flip: true, rootrel: false, noConf: true, gt2d: true}, run)
    assert.equal(channels, 2)
    assert.equal(at(x3d, 2, 3, 0), at(normalized, 2, 3, 0))
    assert.equal(at(x3d, 2, 3, 2), 0.25)
  })

  it('overlap: seams are a linear cross-fade; consistent predictions pass through unchanged', async () => {
    let calls = 0
    const constant: RunModel = async (b) => {
      const value = calls++
      return {data: new Float32Array(b.data.length / b.shape[3]! * 3).fill(value), shape: [b.shape[0]!, b.shape[1]!, 17, 3]}
    }
    const opts: WildOptions = {mode: 'scale', clipLen: 20, flip: false, rootrel: false, overlap: 5}
    const {x3d} = await predictWild(syntheticTrack(50), opts, constant)
    assert.equal(calls, 3) // windows [0, 20), [15, 35), [30, 50)
    for (let f = 0; f < 5; f++) assert.ok(Math.abs(at(x3d, 15 + f, 3, 0) - (f + 1) / 6) < 1e-6, `frame ${15 + f}`)
    assert.equal(at(x3d, 10, 3, 0), 0)
    assert.equal(at(x3d, 25, 3, 0), 1)
    assert.ok(Math.abs(at(x3d, 32, 3, 1) - (1 + 3 / 6)) < 1e-6)
    assert.equal(at(x3d, 45, 3, 1), 2)

    const track = syntheticTrack(50)
    const {x3d: same, normalized} = await predictWild(track, {...opts, overlap: 7, rootrel: true}, identity)
    for (let i = 3; i < 51 * 50; i++) if (i % 51 >= 3) assert.ok(Math.abs(same.data[i]! - normalized.data[i]!) < 1e-6, `value ${i}`)
  })

  it('streams window by window: progress per window, frames finalised in order, bounded model batches', async () => {
    const T = 100_000
    const track = syntheticTrack(T)
    let maxFrames = 0
    const run: RunModel = async (b) => {
      maxFrames = Math.max(maxFrames, b.shape[1]!)
      return {data: new Float32Array(b.shape[0]! * b.shape[1]! * 51), shape: [b.shape[0]!, b.shape[1]!, 17, 3]}
    }
    const stream = predictWildStream(track, {mode: 'scale', clipLen: 243, flip: true, rootrel: false, overlap: 16}, run)
    let windows = 0
    let finalized = 0
    for (;;) {
      const step = await stream.next()
      if (step.done) {
        assert.deepEqual(step.value.x3d.shape, [T, 17, 3])
        break
      }
      windows++
      assert.ok(step.value.finalized >= finalized && step.value.finalized <= step.value.end)
      finalized = step.value.finalized
      assert.equal(step.value.windows, planWindows(T, 243, 16).length)
    }
    assert.equal(windows, planWindows(T, 243, 16).length)
    assert.equal(finalized, T)
    assert.equal(maxFrames, 243)
  })
})

describe('predictWild errors', () => {
  const isCode = (code: number, re: RegExp) => (e: unknown): boolean => isMotionError(e) && e.exitCode === code && re.test(e.message) && !e.message.includes('\n')

  it('pixel mode without a video size', async () => {
    await assert.rejects(predictWild(syntheticTrack(3), {mode: 'pixel', clipLen: 3, flip: false, rootrel: false}, identity), isCode(2, /pixel mode needs the video size/))
  })

  it('bad clip length or overlap', async () => {
    await assert.rejects(predictWild(syntheticTrack(3), {mode: 'scale', clipLen: 0, flip: false, rootrel: false}, identity), isCode(2, /clip length 0/))
    await assert.rejects(predictWild(syntheticTrack(3), {mode: 'scale', clipLen: 8, flip: false, rootrel: false, overlap: 8}, identity), isCode(2, /overlap 8 must be/))
  })

  it('fewer than 4 confident keypoints: exit 4', () => {
    const track = syntheticTrack(2)
    for (let i = 2; i < track.data.length; i += 3) track.data[i] = i < 9 ? 1 : 0
    assert.throws(() => normalizeWild(track, {mode: 'scale'}), isCode(4, /only 3 keypoints with nonzero confidence/))
  })

  it('a model returning the wrong shape: exit 3', async () => {
    const bad: RunModel = async (b) => ({data: new Float32Array(b.shape[1]! * 51), shape: [1, b.shape[1]!, 17, 3]})
    await assert.rejects(predictWild(syntheticTrack(4), {mode: 'scale', clipLen: 4, flip: true, rootrel: false}, bad), isCode(3, /expected \[2, 4, 17, 3\]/))
  })
})

describe('end-to-end parity with the official infer_wild (DSTformer)', () => {
  for (const dir of caseDirs) {
    it(`${path.basename(dir)}: x3d matches the official x3d_scale.npy and x3d_pixel.npy to 1e-4`, async () => {
      const wildCase = readCase(dir)
      const {loadOfficialCheckpoint} = await import('../../src/model/official.js')
      const {createEngine} = await import('../../src/model/engine.js')
      const {model} = await loadOfficialCheckpoint(path.join(dir, 'checkpoint.bin'), wildCase.config)
      // onnx: the pipeline is engine-agnostic, and the tfjs engine's forward parity is
      // model/parity.test's (the wide model on tfjs-wasm cost 8 s here).
      const engine = await createEngine(model, {engine: 'onnx', threads: 1})
      const run: RunModel = async (batch) => (await engine.run(batch, {outputs: ['pose3d']})).pose3d!
      const track = await focusTrack(dir, wildCase)
      try {
        for (const m of wildCase.modes) {
          const opts: WildOptions = {mode: m.mode, videoSize: wildCase.vid_size, clipLen: wildCase.clip_len, flip: wildCase.flip, rootrel: wildCase.rootrel}
          const {x3d} = await predictWild(track, opts, run)
          const ref = await readNpyFloat32(path.join(dir, m.x3d))
          assert.deepEqual(x3d.shape, ref.shape)
          const err = parityError(x3d.data, ref.data)
          assert.ok(err <= 1e-4, `${m.mode}: ${err}`)
        }
      } finally {
        await engine.dispose()
      }
    })
  }
})
