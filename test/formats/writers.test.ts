import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {after, test} from 'node:test'
import {parse} from 'csv-parse/sync'

import {bvhPositions, bvhToH36m, readBvh} from '../../src/data/bvh.js'
import {H36M_JOINTS, H36M_PARENTS} from '../../src/core/h36m.js'
import {isMotionError} from '../../src/core/errors.js'
import {readNpyFloat32} from '../../src/formats/npy.js'
import {BVH_SKELETON, CSV_HEADER, writePrediction, type Prediction} from '../../src/formats/writers/index.js'
import {dataDir} from '../helpers/paths.js'

const dir = mkdtempSync(path.join(tmpdir(), 'motion-writers-'))
after(() => rmSync(dir, {recursive: true, force: true}))

/** Real CMU motion (y-up mm) seen by a camera 4 m away, turned 30°: camera coordinates, y down. */
async function realMotion(clip: string, frames: number): Promise<Float32Array> {
  const a = await readNpyFloat32(path.join(dataDir, 'cmu-mocap-h36m17', clip))
  const T = Math.min(frames, a.shape[0]!)
  const out = new Float32Array(T * 17 * 3)
  const [c, s] = [Math.cos(0.5), Math.sin(0.5)]
  for (let i = 0; i < T * 17; i++) {
    const [x, y, z] = [a.data[i * 3]!, a.data[i * 3 + 1]!, a.data[i * 3 + 2]!]
    out[i * 3] = c * x + s * z - 2500
    out[i * 3 + 1] = -y + 900
    out[i * 3 + 2] = -(-s * x + c * z) + 4000
  }
  return out
}

/** The same motion with every bone at its median length (directions kept): what a BVH can hold exactly. */
function constantBones(x: Float32Array): Float32Array {
  const T = x.length / 51
  const out = new Float32Array(x)
  const median = H36M_PARENTS.map((p, j) => {
    if (p < 0) return 0
    const l = Array.from({length: T}, (_, t) => Math.hypot(...[0, 1, 2].map((c) => x[(t * 17 + j) * 3 + c]! - x[(t * 17 + p) * 3 + c]!))).sort((a, b) => a - b)
    const m = T >> 1
    return T % 2 ? l[m]! : (l[m - 1]! + l[m]!) / 2 // the writer's median
  })
  for (let t = 0; t < T; t++) {
    for (let j = 1; j < 17; j++) {
      const p = H36M_PARENTS[j]!
      const d = [0, 1, 2].map((c) => x[(t * 17 + j) * 3 + c]! - x[(t * 17 + p) * 3 + c]!)
      const n = Math.hypot(...d)
      for (let c = 0; c < 3; c++) out[(t * 17 + j) * 3 + c] = out[(t * 17 + p) * 3 + c]! + (d[c]! / n) * median[j]!
    }
  }
  return out
}

function pred(x3d: Float32Array, extra: Partial<Prediction> = {}): Prediction {
  return {x3d: {data: x3d, shape: [x3d.length / 51, 17, 3]}, units: 'mm', rootRelative: false, fps: 120, source: 'walk.json', person: 2, model: 'test-model', options: {clipLen: 243, flip: true}, ...extra}
}

/** Reads a BVH we wrote back to camera coordinates in the prediction's units. */
async function rereadBvh(file: string, scale = 1): Promise<Float32Array> {
  const h = bvhToH36m(await readBvh(file), {mmPerUnit: 1})
  const d = h.x3d.data
  return d.map((v, i) => ((i % 3 === 0 ? v : -v) / scale))
}

function maxJointError(a: Float32Array, b: Float32Array): number {
  let m = 0
  for (let i = 0; i < a.length / 3; i++) m = Math.max(m, Math.hypot(a[i * 3]! - b[i * 3]!, a[i * 3 + 1]! - b[i * 3 + 1]!, a[i * 3 + 2]! - b[i * 3 + 2]!))
  return m
}

test('BVH: real motion with constant bones comes back within 1 mm through our reader', async () => {
  for (const clip of ['test/walking/walking_1.npy', 'test/jumping/jumping_1.npy']) {
    const x = constantBones(await realMotion(clip, 600))
    const file = path.join(dir, `${path.basename(clip, '.npy')}.bvh`)
    await writePrediction(pred(x), file)
    const back = await rereadBvh(file)
    const err = maxJointError(back, x)
    assert.ok(err < 1, `${clip}: max joint error ${err} mm`)
  }
})

test('BVH: raw real motion is reproduced up to its own bone-length variation', async () => {
  const x = await realMotion('test/basketball/basketball_1.npy', 300)
  const file = path.join(dir, 'basketball.bvh')
  await writePrediction(pred(x), file)
  const back = await rereadBvh(file)
  const T = x.length / 51
  const fixedBones = constantBones(x)
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < 17; j++) {
      // The only change is each bone's length -> its median, so the error is at most the summed
      // length changes along the chain from the pelvis.
      let bound = 1e-3
      for (let k = j; H36M_PARENTS[k]! >= 0; k = H36M_PARENTS[k]!) {
        const p = H36M_PARENTS[k]!
        const len = (a: Float32Array): number => Math.hypot(...[0, 1, 2].map((c) => a[(t * 17 + k) * 3 + c]! - a[(t * 17 + p) * 3 + c]!))
        bound += Math.abs(len(x) - len(fixedBones))
      }
      const o = (t * 17 + j) * 3
      const e = Math.hypot(back[o]! - x[o]!, back[o + 1]! - x[o + 1]!, back[o + 2]! - x[o + 2]!)
      assert.ok(e <= bound, `frame ${t} ${H36M_JOINTS[j]}: error ${e} > bound ${bound}`)
    }
  }
})

test('BVH: hierarchy, channels, frame time, constant offsets and no flips between frames', async () => {
  const x = await realMotion('test/walking/walking_1.npy', 240)
  const file = path.join(dir, 'walk.bvh')
  await writePrediction(pred(x, {fps: 30}), file)
  const text = readFileSync(file, 'utf8')
  assert.match(text, /^HIERARCHY\nROOT pelvis\n\{\n\tOFFSET 0 0 0\n\tCHANNELS 6 Xposition Yposition Zposition Yrotation Zrotation Xrotation\n/)
  assert.match(text, /\nMOTION\nFrames: 240\nFrame Time: 0.03333333\n/)
  const bvh = await readBvh(file)
  assert.deepEqual(bvh.joints.map((j) => j.name), BVH_SKELETON.map((j) => j.name))
  for (const name of H36M_JOINTS) assert.ok(bvh.joints.some((j) => j.name === name), name)
  assert.equal(bvh.channelCount, 6 + 3 * (BVH_SKELETON.length - 1))
  // Every frame is one line (Blender's importer needs that).
  assert.equal(text.trim().split('\n').length, text.trim().split('\n').indexOf('MOTION') + 3 + 240)
  // y up: the head is above the ankles in the file's frame.
  const pts = bvhPositions(bvh)
  const P = pts.names.length
  const y = (t: number, n: string): number => pts.positions.data[(t * P + pts.names.indexOf(n)) * 3 + 1]!
  assert.ok(y(0, 'head') > y(0, 'l_ankle') + 1000)
  // Consecutive frames of walking differ by a few degrees: no flips.
  let maxStep = 0
  for (let t = 1; t < bvh.frameCount; t++) {
    for (let c = 3; c < bvh.channelCount; c++) maxStep = Math.max(maxStep, Math.abs(bvh.motion[t * bvh.channelCount + c]! - bvh.motion[(t - 1) * bvh.channelCount + c]!))
  }
  assert.ok(maxStep < 30, `largest angle step ${maxStep}°`)
})

test('BVH: normalized units are written x1000, pixels as they are', async () => {
  const x = constantBones(await realMotion('test/running/running_1.npy', 60)).map((v) => v / 1000)
  const file = path.join(dir, 'norm.bvh')
  await writePrediction(pred(x, {units: 'normalized', rootRelative: true}), file)
  const back = await rereadBvh(file, 1000)
  assert.ok(maxJointError(back, x) < 1e-3)
  const bvh = await readBvh(file)
  assert.ok(Math.abs(bvh.joints[2]!.offset[0]) > 50, 'offsets in thousandths of the normalized unit')
})

test('JSON: self-describing, parses back to the same joints', async () => {
  const x = await realMotion('test/walking/walking_1.npy', 20)
  const file = path.join(dir, 'out.json')
  await writePrediction(pred(x), file)
  const j = JSON.parse(readFileSync(file, 'utf8'))
  assert.equal(j.format, 'motion.pose3d')
  assert.equal(j.version, 1)
  assert.equal(j.units, 'mm')
  assert.match(j.coordinates, /y down/)
  assert.deepEqual(j.joints, [...H36M_JOINTS])
  assert.equal(j.fps, 120)
  assert.equal(j.source, 'walk.json')
  assert.equal(j.person, 2)
  assert.equal(j.model, 'test-model')
  assert.deepEqual(j.options, {clipLen: 243, flip: true})
  assert.equal(j.rootRelative, false)
  assert.equal(j.frames.length, 20)
  assert.equal(j.frames[7].frame, 7)
  const flat = new Float32Array(j.frames.flatMap((f: {joints: number[][]}) => f.joints.flat()))
  assert.ok(maxJointError(flat, x) < 1e-3)
})

test('CSV: long form with a units column, parsed back by csv-parse', async () => {
  const x = (await realMotion('test/walking/walking_1.npy', 10)).map((v) => v / 1000)
  const file = path.join(dir, 'out.csv')
  await writePrediction(pred(x, {units: 'normalized'}), file)
  const rows = parse(readFileSync(file, 'utf8'), {columns: true}) as Record<string, string>[]
  assert.deepEqual(Object.keys(rows[0]!), [...CSV_HEADER])
  assert.equal(rows.length, 10 * 17)
  assert.ok(rows.every((r) => r.units === 'normalized'))
  assert.equal(rows[17 * 3 + 11]!.frame, '3')
  assert.equal(rows[17 * 3 + 11]!.joint, 'l_shoulder')
  const flat = new Float32Array(rows.flatMap((r) => [Number(r.x), Number(r.y), Number(r.z)]))
  assert.ok(maxJointError(flat, x) < 1e-6)
})

test('NPY: [T, 17, 3] float32 as X3D.npy', async () => {
  const x = await realMotion('test/walking/walking_1.npy', 12)
  const file = path.join(dir, 'X3D.npy')
  await writePrediction(pred(x), file)
  const back = await readNpyFloat32(file)
  assert.deepEqual(back.shape, [12, 17, 3])
  assert.deepEqual(Array.from(back.data), Array.from(x))
})

test('bad outputs: unknown extension, missing folder, non-finite values; nothing written', async () => {
  const x = await realMotion('test/walking/walking_1.npy', 5)
  const isInput = (re: RegExp) => (err: unknown) => isMotionError(err) && err.exitCode === 2 && re.test(err.message)
  await assert.rejects(writePrediction(pred(x), path.join(dir, 'out.txt')), isInput(/unknown output format '\.txt'/))
  await assert.rejects(writePrediction(pred(x), path.join(dir, 'no-such-folder', 'out.json')), isInput(/output folder .* does not exist/))
  const bad = new Float32Array(x)
  bad[40] = Number.NaN
  for (const ext of ['.json', '.csv', '.bvh', '.npy']) {
    const file = path.join(dir, `nan${ext}`)
    await assert.rejects(writePrediction(pred(bad), file), isInput(/non-finite value at frame 0/))
    assert.equal(existsSync(file), false)
  }
  assert.equal(readdirSync(dir).filter((f) => f.includes('.tmp-')).length, 0, 'no temporary files left')
})
