/** MediaPipe landmarks normalised to [0, 1] without an image size: refused by predict, naming --video-size, which fixes it. */
import assert from 'node:assert/strict'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {test} from 'node:test'
import {JOINT_MAPS} from '../../src/data/joint-maps.js'
import {readPredictInput} from '../../src/data/keypoints/normalised-landmarks.js'
import {runCli} from '../helpers/cli.js'
import {tmpDirForTests} from '../helpers/tmp.js'

const tmp = tmpDirForTests('motion-mp-norm-')

function normalisedFile(withSize: boolean): string {
  const names = JOINT_MAPS.blazepose33.sourceJoints
  // A standing figure: x around the centre, y spread down the frame.
  const pose = {keypoints: names.map((name, i) => ({x: 0.45 + (i % 5) / 50, y: 0.2 + i / 50, visibility: 0.9, name}))}
  const frames = Array.from({length: 30}, () => [pose])
  const file = path.join(tmp, withSize ? 'sized.json' : 'unsized.json')
  writeFileSync(file, JSON.stringify(withSize ? {width: 1280, height: 720, frames} : {frames}))
  return file
}

test('predict refuses normalised MediaPipe landmarks without an image size, naming --video-size; nothing written', async () => {
  const file = normalisedFile(false)
  const out = path.join(tmp, 'refused.json')
  const r = await runCli(['predict', file, '--out', out])
  assert.equal(r.code, 2, r.stderr)
  assert.match(r.stderr, /Error: .*unsized\.json: x and y are normalised to \[0, 1\]/)
  assert.match(r.stderr, /Hint: pass --video-size WxH/)
  assert.ok(!existsSync(out))
})

test('--video-size scales them to pixels, the same as a file that gives its size', async () => {
  const unsized = normalisedFile(false)
  const sized = normalisedFile(true)
  const a = await readPredictInput(unsized, {videoSize: [1280, 720]})
  const b = await readPredictInput(sized, {})
  assert.equal(a.videoSizeUsed, true)
  assert.equal(a.data.units, 'pixels')
  assert.deepEqual(a.data.imageSize, [1280, 720])
  assert.deepEqual([...a.data.people[0]!.frames.get(3)![0]!.keypoints], [...b.data.people[0]!.frames.get(3)![0]!.keypoints])
  const out = path.join(tmp, 'scaled.json')
  const r = await runCli(['predict', unsized, '--video-size', '1280x720', '--out', out])
  assert.equal(r.code, 0, r.stderr)
  assert.equal((JSON.parse(readFileSync(out, 'utf8')) as {frames: unknown[]}).frames.length, 30)
})
