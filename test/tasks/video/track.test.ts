/** Tracking on synthetic boxes: crossings, short occlusions, newcomers and long absences. */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {PoseTracker, type TrackBox} from '../../../src/tasks/video/track.js'
import {dropShortTracks} from '../../../src/tasks/video/detect-video.js'

/** A 100x300 person box whose centre is at x. */
const person = (x: number, y = 500): TrackBox => ({box: [x - 50, y - 150, x + 50, y + 150]})

test('two people crossing keep their ids (including the frames where one hides the other)', () => {
  const tracker = new PoseTracker()
  const idsOf: Record<string, number>[] = []
  for (let f = 0; f < 60; f++) {
    const a = 200 + f * 20 // walks right
    const b = 1400 - f * 20 // walks left; they meet at frame 30
    const dets = Math.abs(a - b) < 60 ? [person(a)] : [person(a), person(b)] // fully overlapped: one detection
    const ids = tracker.update(f, dets)
    const rec: Record<string, number> = {a: ids[0]!}
    if (dets.length === 2) rec.b = ids[1]!
    idsOf.push(rec)
  }
  assert.deepEqual(idsOf[0], {a: 1, b: 2})
  for (const [f, rec] of idsOf.entries()) {
    assert.equal(rec.a, 1, `frame ${f}: the one walking right is person 1`)
    if (rec.b !== undefined) assert.equal(rec.b, 2, `frame ${f}: the one walking left is person 2`)
  }
})

test('a short occlusion keeps the id; a long absence or a far newcomer gets a new one', () => {
  const tracker = new PoseTracker({maxGap: 30})
  for (let f = 0; f < 10; f++) assert.deepEqual(tracker.update(f, [person(100 + f * 10)]), [1])
  // hidden for 12 frames while walking on, then seen where the walk leads
  for (let f = 10; f < 22; f++) assert.deepEqual(tracker.update(f, []), [])
  assert.deepEqual(tracker.update(22, [person(100 + 22 * 10)]), [1])
  // someone far away appears: a new person
  assert.deepEqual(tracker.update(23, [person(330), person(1500)]), [1, 2])
  // gone for longer than maxGap: a new id
  assert.deepEqual(tracker.update(23 + 40, [person(330 + 40 * 10)]), [3])
})

test('tracks seen in fewer than 3 frames are dropped as noise, ids renumbered', () => {
  const det = (frame: number, id: number) => ({frame, id, keypoints: new Float32Array(51), score: 1, box: [0, 0, 1, 1] as const})
  const found = [det(0, 1), det(0, 2), det(1, 1), det(1, 3), det(2, 1), det(2, 3), det(3, 3)]
  const {kept, dropped} = dropShortTracks(found, 4)
  assert.equal(dropped, 1)
  assert.deepEqual([...new Set(kept.map((d) => d.id))], [1, 2])
  assert.equal(kept.filter((d) => d.id === 2).length, 3, 'old id 3 is now 2')
})
