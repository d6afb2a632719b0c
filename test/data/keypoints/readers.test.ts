/** Each keypoint reader on a small sample in its real format, format detection, and forced formats. */
import assert from 'node:assert/strict'
import path from 'node:path'
import {describe, it} from 'node:test'
import {JOINT_MAPS} from '../../../src/data/joint-maps.js'
import {parseKeypointFormat, readKeypoints} from '../../../src/data/keypoints/index.js'
import type {KeypointData} from '../../../src/data/keypoints/types.js'
import {isMotionError} from '../../../src/core/errors.js'
import {repoRoot} from '../../helpers/paths.js'
import {tmpDirForTests} from '../../helpers/tmp.js'

const tmp = tmpDirForTests('motion-readers-')

const dir = path.join(repoRoot, 'test', 'fixtures', 'keypoints')
const sample = (name: string): string => path.join(dir, name)

function person(data: KeypointData, id: string): Map<number, {score: number; keypoints: Float32Array}[]> {
  const p = data.people.find((q) => q.id === id)
  assert.ok(p, `person ${id} in ${data.people.map((q) => q.id).join(',')}`)
  return p.frames
}

describe('AlphaPose results JSON', () => {
  it('reads the real slice: Halpe-26, idx lists and nested lists, image_id frame numbers from 1', async () => {
    const data = await readKeypoints(sample('alphapose-slice.json'))
    assert.equal(data.format, 'alphapose')
    assert.equal(data.layout, 'halpe26')
    assert.equal(data.firstFrameNumber, 1)
    assert.equal(data.frameCount, 1157) // out0001157.png is the last frame; frame 1 is index 0
    assert.equal(data.personIds, 'file')
    assert.deepEqual(data.people.map((p) => p.id), ['0']) // [0.0] and [[0.0], [0.0]] are both person 0
    const frames = person(data, '0')
    assert.deepEqual([...frames.keys()], [454, 1155, 1156])
    assert.equal(frames.get(454)!.length, 3) // three detections in out0000455.png
    // H36M pelvis is Halpe's Hip (19); the first detection of out0001156.png has it at:
    const raw = (await import('node:fs')).readFileSync(sample('alphapose-slice.json'), 'utf8')
    const first1156 = (JSON.parse(raw) as {image_id: string; keypoints: number[]}[]).find((d) => d.image_id === 'out0001156.png')!
    const kp = frames.get(1155)![0]!.keypoints
    assert.equal(kp[0], Math.fround(first1156.keypoints[19 * 3]!))
    assert.equal(kp[1], Math.fround(first1156.keypoints[19 * 3 + 1]!))
    assert.equal(frames.get(1155)![0]!.score, (first1156 as unknown as {score: number}).score)
  })

  it('the official wild-tiny input: two people with numeric idx, image_id from 0', async () => {
    const {fixturesDir} = await import('../../helpers/paths.js')
    const data = await readKeypoints(path.join(fixturesDir, 'wild-tiny', 'alphapose-results.json'))
    assert.equal(data.frameCount, 60)
    assert.equal(data.firstFrameNumber, 0)
    assert.deepEqual(data.people.map((p) => [p.id, p.frames.size]), [['1', 60], ['2', 60]])
  })
})

describe('COCO keypoint results', () => {
  it('reads COCO-17 with track ids and integer image ids, synthesising pelvis/thorax as coco2h36m', async () => {
    const data = await readKeypoints(sample('coco-results.json'))
    assert.equal(data.format, 'coco')
    assert.equal(data.layout, 'coco17')
    assert.equal(data.frameCount, 3)
    assert.deepEqual(data.people.map((p) => [p.id, p.frames.size]), [['7', 3], ['9', 2]])
    const raw = JSON.parse((await import('node:fs')).readFileSync(sample('coco-results.json'), 'utf8')) as {keypoints: number[]}[]
    const k = raw[0]!.keypoints
    const pelvis = person(data, '7').get(0)![0]!.keypoints
    assert.ok(Math.abs(pelvis[0]! - (k[11 * 3]! + k[12 * 3]!) / 2) < 1e-3)
    assert.ok(Math.abs(pelvis[8 * 3 + 1]! - (k[5 * 3 + 1]! + k[6 * 3 + 1]!) / 2) < 1e-3) // thorax y
  })
})

describe('OpenPose directory', () => {
  it('BODY_25: per-frame files, a frame with nobody still counts, no person_id means one person', async () => {
    const data = await readKeypoints(sample('openpose-body25'))
    assert.equal(data.format, 'openpose')
    assert.equal(data.layout, 'body25')
    assert.equal(data.frameCount, 4)
    assert.equal(data.personIds, 'single')
    assert.deepEqual([...person(data, '0').keys()], [0, 1, 3])
  })

  it('COCO-18 with person_id, frames numbered from 1', async () => {
    const data = await readKeypoints(sample('openpose-coco18'))
    assert.equal(data.layout, 'coco18')
    assert.equal(data.frameCount, 2)
    assert.equal(data.firstFrameNumber, 1)
    assert.deepEqual(data.people.map((p) => p.id), ['0', '1'])
    // frame 1 of person 0 has an undetected right hip: r_hip and pelvis are invalid, thorax (Neck) is not
    const kp = person(data, '0').get(1)![0]!.keypoints
    assert.equal(kp[1 * 3 + 2], 0)
    assert.equal(kp[0 * 3 + 2], 0)
    assert.ok(kp[8 * 3 + 2]! > 0)
  })
})

describe('MediaPipe / BlazePose JSON', () => {
  it('reads 33 named landmarks per pose, one array per frame (an empty frame counts)', async () => {
    const data = await readKeypoints(sample('mediapipe-blazepose.json'))
    assert.equal(data.format, 'mediapipe')
    assert.equal(data.layout, 'blazepose33')
    assert.equal(data.frameCount, 3)
    assert.equal(data.units, 'pixels')
    const frames = person(data, '0')
    assert.deepEqual([...frames.keys()], [0, 2])
    assert.equal(frames.get(0)![0]!.score, 0.93)
    const raw = JSON.parse((await import('node:fs')).readFileSync(sample('mediapipe-blazepose.json'), 'utf8')) as {keypoints: {x: number; name: string}[]}[][]
    const lw = raw[0]![0]!.keypoints.find((k) => k.name === 'left_wrist')!
    assert.equal(frames.get(0)![0]!.keypoints[13 * 3], Math.fround(lw.x))
  })

  it('accepts {frames, width, height} with normalised landmarks (scaled to pixels) and visibility', async () => {
    const {writeFileSync} = await import('node:fs')
    const names = JOINT_MAPS.blazepose33.sourceJoints
    const pose = {keypoints: names.map((name, i) => ({x: (i + 1) / 40, y: 0.5, visibility: 0.9, name}))}
    const file = path.join(tmp, 'poses.json')
    writeFileSync(file, JSON.stringify({width: 640, height: 480, frames: [[pose], [pose]]}))
    const data = await readKeypoints(file)
    assert.deepEqual(data.imageSize, [640, 480])
    assert.equal(data.units, 'pixels')
    const kp = person(data, '0').get(1)![0]!.keypoints
    assert.ok(Math.abs(kp[13 * 3]! - (16 / 40) * 640) < 1e-3) // left_wrist is landmark 15
    assert.ok(Math.abs(kp[13 * 3 + 2]! - 0.9) < 1e-6)
  })
})

describe('CSV', () => {
  it('long form: names or indices for joints, a joint without a row is missing', async () => {
    const data = await readKeypoints(sample('long.csv'))
    assert.equal(data.format, 'csv')
    assert.equal(data.layout, 'h36m17')
    assert.equal(data.frameCount, 3)
    const f1 = person(data, 'a').get(1)![0]!.keypoints
    assert.deepEqual([f1[9], f1[10], f1[11]], [0, 0, 0]) // r_ankle (3) of frame 1 has no row
    assert.ok(f1[4 * 3 + 2]! > 0)
  })

  it('wide form with a person column; frames are numbered by the frame column', async () => {
    const data = await readKeypoints(sample('wide.csv'))
    assert.equal(data.frameCount, 4)
    assert.deepEqual(data.people.map((p) => [p.id, [...p.frames.keys()]]), [['0', [0, 1, 3]], ['1', [0, 1]]])
    const long = await readKeypoints(sample('long.csv'))
    // both forms come from the same poses: person 0 frame 0 equals the long form's frame 0
    assert.deepEqual([...person(data, '0').get(0)![0]!.keypoints], [...person(long, 'a').get(0)![0]!.keypoints])
  })
})

describe('NPY / NPZ', () => {
  it('reads [T, 17, 3] from .npy and the "keypoints" array of .npz alike', async () => {
    const a = await readKeypoints(sample('h36m-4frames.npy'))
    const b = await readKeypoints(sample('h36m-4frames.npz'))
    assert.equal(a.format, 'npy')
    assert.equal(a.layout, 'h36m17')
    assert.equal(a.frameCount, 4)
    assert.equal(b.frameCount, 4)
    for (let t = 0; t < 4; t++) assert.deepEqual([...person(a, '0').get(t)![0]!.keypoints], [...person(b, '0').get(t)![0]!.keypoints])
    // the npy holds halpe2h36m of the real poses, so it equals the CSV written from them (2 decimals)
    const csv = await readKeypoints(sample('long.csv'))
    const x = person(a, '0').get(2)![0]!.keypoints
    const y = person(csv, 'a').get(2)![0]!.keypoints
    for (let i = 0; i < 51; i++) assert.ok(Math.abs(x[i]! - y[i]!) < 6e-3, `value ${i}`)
  })
})

describe('format names', () => {
  it('forcing a format reads the file as that format', async () => {
    const data = await readKeypoints(sample('alphapose-slice.json'), {format: 'coco'})
    assert.equal(data.format, 'coco')
    assert.equal(parseKeypointFormat('NPZ'), 'npy')
    assert.throws(() => parseKeypointFormat('vicon'), (e: unknown) => isMotionError(e) && e.exitCode === 2 && /alphapose.*coco.*openpose.*mediapipe.*csv.*npy/.test(e.message))
  })

  it('a frame count longer than the detections keeps trailing frames', async () => {
    const data = await readKeypoints(sample('openpose-body25'), {frameCount: 10})
    assert.equal(data.frameCount, 10)
  })
})
