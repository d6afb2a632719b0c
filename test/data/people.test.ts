/** People: choosing a track, best-of-duplicates, gap filling, one row per video frame. */
import assert from 'node:assert/strict'
import path from 'node:path'
import {describe, it} from 'node:test'
import {readKeypoints} from '../../src/data/keypoints/index.js'
import type {KeypointData, PersonDetections} from '../../src/data/keypoints/types.js'
import {listPeople, selectPeople} from '../../src/data/people.js'
import {isMotionError} from '../../src/core/errors.js'
import {dataDir} from '../helpers/paths.js'
import {tmpDirForTests} from '../helpers/tmp.js'

const tmp = tmpDirForTests('motion-people-')

/** A detection whose every joint sits at (x, y) with confidence c. */
function det(x: number, y: number, c = 0.8, score = 1): {score: number; keypoints: Float32Array} {
  const keypoints = new Float32Array(51)
  for (let j = 0; j < 17; j++) keypoints.set([x + j, y, c], j * 3)
  return {score, keypoints}
}

function dataOf(frameCount: number, people: PersonDetections[]): KeypointData {
  return {file: 'mem.json', format: 'alphapose', layout: 'halpe26', frameCount, units: 'pixels', personIds: 'file', people}
}

const row = (kp: Float32Array, t: number, j: number): number[] => [...kp.subarray((t * 17 + j) * 3, (t * 17 + j) * 3 + 3)]

describe('people', () => {
  it('the real AlphaPose file gives one person with 1,234 frames; duplicates keep the best score', async () => {
    const data = await readKeypoints(path.join(dataDir, 'alphapose-real', 'alphapose-results.json'))
    const sel = selectPeople(data)
    assert.equal(sel.reason, 'longest')
    assert.equal(sel.tracks.length, 1)
    const track = sel.tracks[0]!
    assert.equal(track.id, '0')
    assert.deepEqual(track.keypoints.shape, [1234, 17, 3])
    assert.equal(track.detectedFrames, 1234)
    assert.equal(track.filledFrames, 0)
    assert.equal(track.duplicateFrames, 54 + 22)
    assert.ok(track.keypoints.data.every(Number.isFinite))
    // out0000455.png (index 454) has three detections: the row is the best-scored one
    const list = data.people[0]!.frames.get(454)!
    assert.equal(list.length, 3)
    const best = list.reduce((a, b) => (b.score > a.score ? b : a))
    assert.deepEqual([...track.keypoints.data.subarray(454 * 51, 455 * 51)], [...best.keypoints])
    assert.ok(list.some((d) => d !== best && d.keypoints[0] !== best.keypoints[0]))
  })

  it('frames without a detection: interpolated x, y with confidence 0 inside, held outside', () => {
    const person: PersonDetections = {id: '3', frames: new Map([[2, [det(10, 20)]], [5, [det(40, 50)]]])}
    const sel = selectPeople(dataOf(8, [person]))
    const kp = sel.tracks[0]!.keypoints.data
    assert.deepEqual(sel.tracks[0]!.keypoints.shape, [8, 17, 3])
    assert.deepEqual(row(kp, 0, 0), [10, 20, 0]) // before the first: held
    assert.deepEqual(row(kp, 1, 2), [12, 20, 0])
    assert.deepEqual(row(kp, 2, 0), [10, 20, Math.fround(0.8)])
    assert.deepEqual(row(kp, 3, 0), [20, 30, 0]) // one third of the way
    assert.deepEqual(row(kp, 4, 1), [31, 40, 0])
    assert.deepEqual(row(kp, 5, 0), [40, 50, Math.fround(0.8)])
    assert.deepEqual(row(kp, 7, 0), [40, 50, 0]) // after the last: held
    assert.equal(sel.tracks[0]!.filledFrames, 6)
  })

  it('longest track by default, with the other tracks and their lengths; --person by id ("1" or "1.0")', () => {
    const a: PersonDetections = {id: '1', frames: new Map([[0, [det(1, 1)]], [1, [det(1, 1)]]])}
    const b: PersonDetections = {id: '2', frames: new Map([[0, [det(5, 5)]], [1, [det(5, 5)]], [2, [det(5, 5)]]])}
    const data = dataOf(3, [a, b])
    const sel = selectPeople(data)
    assert.equal(sel.tracks[0]!.id, '2')
    assert.deepEqual(sel.others.map((o) => [o.id, o.frames]), [['1', 2]])
    assert.deepEqual(listPeople(data).map((p) => [p.id, p.frames, p.firstFrame, p.lastFrame]), [['2', 3, 0, 2], ['1', 2, 0, 1]])
    const one = selectPeople(data, {person: '1.0'})
    assert.equal(one.reason, 'requested')
    assert.equal(one.tracks[0]!.id, '1')
    assert.deepEqual(one.tracks[0]!.keypoints.shape, [3, 17, 3])
  })

  it('several detections of one person in a frame keep the best score, whatever the order', () => {
    const p: PersonDetections = {id: '0', frames: new Map([[0, [det(1, 1, 0.5, 2), det(9, 9, 0.5, 3), det(4, 4, 0.5, 1)]]])}
    const kp = selectPeople(dataOf(1, [p])).tracks[0]!.keypoints.data
    assert.deepEqual(row(kp, 0, 0), [9, 9, 0.5])
  })

  it('all people: one track each, people without any confident keypoint skipped', () => {
    const a: PersonDetections = {id: 'a', frames: new Map([[0, [det(1, 1)]]])}
    const z: PersonDetections = {id: 'z', frames: new Map([[1, [det(1, 1, 0)]]])}
    const sel = selectPeople(dataOf(2, [a, z]), {all: true})
    assert.deepEqual(sel.tracks.map((t) => t.id), ['a'])
    assert.deepEqual(sel.skipped, ['z'])
    assert.throws(
      () => selectPeople(dataOf(2, [z]), {all: true}),
      (e: unknown) => isMotionError(e) && e.exitCode === 4,
    )
  })

  it('detections without track ids: one person when there is one per frame, linked by position when several', async () => {
    const {writeFileSync} = await import('node:fs')
    const pose = (x: number): number[] => Array.from({length: 51}, (_, i) => (i % 3 === 2 ? 0.9 : i % 3 === 0 ? x + i : 300 + i))
    // two people crossing nothing: left one near x=100, right one near x=800, listed in swapped order in frame 1
    const items = [
      {image_id: 0, keypoints: pose(100), score: 1},
      {image_id: 0, keypoints: pose(800), score: 1},
      {image_id: 1, keypoints: pose(805), score: 1},
      {image_id: 1, keypoints: pose(104), score: 1},
      {image_id: 2, keypoints: pose(110), score: 1},
    ]
    const file = path.join(tmp, 'coco.json')
    writeFileSync(file, JSON.stringify(items))
    const data = await readKeypoints(file)
    assert.equal(data.personIds, 'tracked')
    const sel = selectPeople(data)
    assert.equal(sel.tracks[0]!.id, '0')
    const kp = sel.tracks[0]!.keypoints.data
    // H36M r_hip is COCO joint 12, whose x is base + 36: the left person in every frame
    assert.deepEqual([kp[0 * 51 + 3], kp[1 * 51 + 3], kp[2 * 51 + 3]], [136, 140, 146])
    assert.deepEqual(sel.others.map((o) => [o.id, o.frames]), [['1', 2]])
  })
})
