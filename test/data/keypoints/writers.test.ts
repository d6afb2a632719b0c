/**
 * Keypoint writers: every format read back through our own reader gives the H36M-17 keypoints
 * that were written (exactly where the format holds the joint; as the reader's joint map rebuilds
 * it where it does not), with people, frame indices, leading gaps and duplicate detections kept.
 */
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {before, describe, it} from 'node:test'
import {NUM_JOINTS} from '../../../src/core/h36m.js'
import {readKeypoints} from '../../../src/data/keypoints/index.js'
import type {Detection, KeypointData} from '../../../src/data/keypoints/types.js'
import {
  encodeKeypoints,
  h36mToCoco17,
  h36mToHalpe26,
  keypointDataFromTracks,
  keypointFormatForFile,
  shortestFloat32,
  type WritableKeypointFormat,
  writeKeypoints,
} from '../../../src/data/keypoints/writers.js'
import {buildTrack} from '../../../src/data/people.js'
import {projectMotion} from '../../../src/data/project-motion.js'
import {isMotionError} from '../../../src/core/errors.js'
import {readNpyFloat32} from '../../../src/formats/npy.js'
import {dataDir} from '../../helpers/paths.js'
import {tmpDirForTests} from '../../helpers/tmp.js'

const tmp = tmpDirForTests('motion-kp-writers-')

/**
 * Two people from real motion (a CMU walking clip seen by a virtual camera, with noise and
 * detector-like confidences): person "0" in frames 1..59 (frame 0 empty: a leading gap) with a
 * second, lower-scored detection in frame 10; person "b" in frames 20..40 except 30..34.
 */
let data: KeypointData
before(async () => {
  const world = await readNpyFloat32(path.join(dataDir, 'cmu-mocap-h36m17', 'test', 'walking', 'walking_1.npy'))
  const {keypoints} = projectMotion(world, {sourceFps: 120, fps: 30, frames: 60, imageSize: [1920, 1080], seed: 5, noisePx: 2})
  const base = keypointDataFromTracks([{id: '0', keypoints}], {imageSize: [1920, 1080]})
  const p0 = base.people[0]!
  p0.frames.delete(0)
  const d10 = p0.frames.get(10)![0]!
  const shifted = d10.keypoints.map((v, i) => (i % 3 === 2 ? v * 0.5 : v + 7))
  p0.frames.get(10)!.push({score: d10.score - 0.2, keypoints: shifted})
  const b = new Map<number, Detection[]>()
  for (let t = 20; t <= 40; t++) {
    if (t >= 30 && t <= 34) continue
    const kp = p0.frames.get(t)![0]!.keypoints.map((v, i) => (i % 3 === 0 ? v + 300 : v))
    b.set(t, [{score: 0.8, keypoints: kp}])
  }
  data = {...base, people: [p0, {id: 'b', frames: b}]}
})

type Rebuild = (kp: Float32Array) => Float64Array

const identity: Rebuild = (kp) => Float64Array.from(kp)

/** What halpe2h36m gives back: spine = mean(Neck = thorax, Hip = pelvis), all three channels. */
const halpeRebuild: Rebuild = (kp) => {
  const out = Float64Array.from(kp)
  for (let c = 0; c < 3; c++) out[7 * 3 + c] = (kp[8 * 3 + c]! + kp[0 * 3 + c]!) / 2
  return out
}

/** What coco2h36m gives back: pelvis = mid-hips, thorax = mid-shoulders, spine = mean of the four. */
const cocoRebuild: Rebuild = (kp) => {
  const out = Float64Array.from(kp)
  for (let c = 0; c < 3; c++) {
    const hips = (kp[1 * 3 + c]! + kp[4 * 3 + c]!) / 2
    const shoulders = (kp[11 * 3 + c]! + kp[14 * 3 + c]!) / 2
    out[0 * 3 + c] = hips
    out[8 * 3 + c] = shoulders
    out[7 * 3 + c] = (hips + shoulders) / 2
  }
  return out
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`)
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!)
    assert.ok(d <= tol, `${what}: joint ${Math.floor(i / 3)} channel ${i % 3}: ${actual[i]} vs ${expected[i]} (|d| ${d})`)
  }
}

/** Compares people, frame indices and detections (all of them, or the best-scored one). */
function assertSameDetections(read: KeypointData, rebuild: Rebuild, opts: {bestOnly: boolean; tol: number; ids?: string[]}): void {
  assert.deepEqual(
    read.people.map((p) => p.id),
    opts.ids ?? data.people.map((p) => p.id),
  )
  data.people.forEach((p, m) => {
    const q = read.people[m]!
    assert.deepEqual([...q.frames.keys()].sort((a, b) => a - b), [...p.frames.keys()].sort((a, b) => a - b), `person ${p.id}: frame indices`)
    for (const [t, list] of p.frames) {
      const expected = opts.bestOnly ? [list.reduce((a, b) => (b.score > a.score ? b : a))] : list
      const got = q.frames.get(t)!
      assert.equal(got.length, expected.length, `person ${p.id} frame ${t}: detections`)
      expected.forEach((e, k) => assertClose(got[k]!.keypoints, rebuild(e.keypoints), opts.tol, `person ${p.id} frame ${t} detection ${k}`))
    }
  })
}

async function roundTrip(format: WritableKeypointFormat, name: string, decimals?: number): Promise<KeypointData> {
  const file = path.join(tmp, name)
  const written = await writeKeypoints(file, data, {format, ...(decimals === undefined ? {} : {decimals})})
  assert.equal(written.format, format)
  const read = await readKeypoints(file)
  assert.equal(read.format, format, 'the reader detects the format written')
  return read
}

describe('keypoint writers round-trip through the readers', () => {
  it('alphapose: Halpe-26, every H36M joint back exactly except the spine, which comes back as mid(pelvis, thorax)', async () => {
    const read = await roundTrip('alphapose', 'rt.alphapose.json')
    assert.equal(read.layout, 'halpe26')
    assert.equal(read.frameCount, data.frameCount)
    assert.equal(read.firstFrameNumber, 1, 'frame 0 is empty, so frames are numbered from 1 and the leading gap survives')
    assertSameDetections(read, halpeRebuild, {bestOnly: false, tol: 1e-3})
    const raw = JSON.parse(readFileSync(path.join(tmp, 'rt.alphapose.json'), 'utf8')) as {keypoints: number[]; idx: unknown; image_id: string; box: number[]}[]
    assert.equal(raw[0]!.keypoints.length, 78)
    assert.equal(raw[0]!.image_id, '2.jpg') // frame index 1, numbered from 1
    assert.equal(raw[0]!.idx, 0)
    assert.equal(raw.find((r) => r.idx === 'b')!.image_id, '21.jpg') // index 20
    assert.equal(raw[0]!.box.length, 4)
  })

  it('alphapose is lossless on keypoints it produced itself (write -> read -> write gives the same file)', async () => {
    const once = await roundTrip('alphapose', 'once.json')
    const again = encodeKeypoints({...once, firstFrameNumber: 0}, 'alphapose')
    const first = encodeKeypoints(data, 'alphapose')
    assert.equal(again.contents, first.contents)
  })

  it('coco: COCO-17 with track_id; head and limbs back exactly, pelvis/spine/thorax rebuilt from hips and shoulders', async () => {
    const read = await roundTrip('coco', 'rt.coco.json')
    assert.equal(read.layout, 'coco17')
    assert.equal(read.personIds, 'file')
    assertSameDetections(read, cocoRebuild, {bestOnly: false, tol: 1e-3})
  })

  it('csv: long form, every joint exactly, the best-scored detection per person and frame', async () => {
    const read = await roundTrip('csv', 'rt.csv')
    assert.equal(read.frameCount, data.frameCount)
    assertSameDetections(read, identity, {bestOnly: true, tol: 1e-3})
    const text = readFileSync(path.join(tmp, 'rt.csv'), 'utf8')
    assert.match(text, /^# H36M-17 2D keypoints, x and y in pixels, image 1920x1080\nframe,person,joint,x,y,score\n2,0,pelvis,/)
  })

  it('csv with 2 decimals: coordinates within 0.005 px', async () => {
    const read = await roundTrip('csv', 'rt2.csv', 2)
    assertSameDetections(read, identity, {bestOnly: true, tol: 0.0051})
  })

  it('npy: [M, T, 17, 3] dense tracks, gaps filled as predict fills them; ids become 0..M-1', async () => {
    const read = await roundTrip('npy', 'rt.npy')
    assert.equal(read.frameCount, data.frameCount)
    assert.deepEqual(read.people.map((p) => p.id), ['0', '1'])
    data.people.forEach((p, m) => {
      const expected = buildTrack(data, p).keypoints.data
      const got = buildTrack(read, read.people[m]!).keypoints.data
      assertClose(got, expected, 0, `person ${p.id}`)
    })
  })

  it('npz: the same under "keypoints"; one person gives [T, 17, 3]', async () => {
    const one: KeypointData = {...data, people: [data.people[0]!]}
    const file = path.join(tmp, 'one.npz')
    await writeKeypoints(file, one)
    const read = await readKeypoints(file)
    assert.equal(read.people.length, 1)
    assertClose(buildTrack(read, read.people[0]!).keypoints.data, buildTrack(one, one.people[0]!).keypoints.data, 0, 'npz')
  })
})

describe('layout conversion and helpers', () => {
  it('Halpe-26 and COCO-17 detections have finite synthesised joints; COCO eyes are symmetric about the head', () => {
    const kp = data.people[0]!.frames.get(5)![0]!.keypoints
    const halpe = h36mToHalpe26(kp)
    const coco = h36mToCoco17(kp)
    assert.equal(halpe.length, 78)
    assert.ok(halpe.every(Number.isFinite))
    for (let c = 0; c < 2; c++) assert.ok(Math.abs((coco[1 * 3 + c]! + coco[2 * 3 + c]!) / 2 - kp[10 * 3 + c]!) < 1e-9)
    // eyes are near the head: within the head-to-neck distance
    const headSize = Math.hypot(kp[30]! - kp[27]!, kp[31]! - kp[28]!)
    const shoulders = Math.hypot(kp[33]! - kp[42]!, kp[34]! - kp[43]!)
    assert.ok(Math.hypot(halpe[3]! - kp[27]!, halpe[4]! - kp[28]!) <= headSize + 0.2 * shoulders)
  })

  it('shortestFloat32 gives the shortest decimal of the same float32', () => {
    for (const v of [0.1, 1234.5678, -3.25e-5, 1e10, Math.PI, 0]) {
      const s = shortestFloat32(v)
      assert.equal(Math.fround(s), Math.fround(v))
    }
    assert.equal(shortestFloat32(Math.fround(0.1)), 0.1)
  })

  it('formats from file names, and an unknown extension is an input error naming the file', async () => {
    assert.equal(keypointFormatForFile('a/walk.alphapose.json'), 'alphapose')
    assert.equal(keypointFormatForFile('walk.coco.json'), 'coco')
    assert.equal(keypointFormatForFile('walk.CSV'), 'csv')
    assert.equal(keypointFormatForFile('walk.npz'), 'npy')
    assert.equal(keypointFormatForFile('walk.txt'), undefined)
    await assert.rejects(writeKeypoints(path.join(tmp, 'x.txt'), data), (e: unknown) => isMotionError(e) && e.exitCode === 2 && /x\.txt/.test(e.message))
  })

  it('keypointDataFromTracks makes one detection per frame with the mean confidence as score', () => {
    const kp = new Float32Array(2 * NUM_JOINTS * 3).map((_, i) => (i % 3 === 2 ? 0.5 : i))
    const d = keypointDataFromTracks([{id: '3', keypoints: {data: kp, shape: [2, NUM_JOINTS, 3]}}])
    assert.equal(d.frameCount, 2)
    assert.equal(d.people[0]!.frames.get(1)![0]!.score, 0.5)
    assert.equal(d.people[0]!.frames.get(1)![0]!.keypoints[0], NUM_JOINTS * 3)
  })
})
