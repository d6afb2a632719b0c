/** `motion predict VIDEO` through the real CLI, once: a few frames of the real clip, every video output, --json stage times. */
import assert from 'node:assert/strict'
import {existsSync} from 'node:fs'
import path from 'node:path'
import {test} from 'node:test'
import {probeVideo, resolveFfmpeg} from '../../src/tasks/video/ffmpeg.js'
import {runCli} from '../helpers/cli.js'
import {tmpDirForTests} from '../helpers/tmp.js'
import {HANDSHAKE} from '../helpers/video.js'

const tmp = tmpDirForTests('motion-predict-video-cli-')

test('predict handshake.mp4 --max-frames 8 --all-people: two people, .npy per person, 2D JSON, an .mp4 render, stage times', async () => {
  const out = path.join(tmp, 'shake.npy')
  const r = await runCli(['predict', HANDSHAKE, '--max-frames', '8', '--all-people', '--out', out, '--save-2d', path.join(tmp, 'shake.2d.json'), '--render', path.join(tmp, 'shake.mp4'), '--json'])
  assert.equal(r.code, 0, r.stderr)
  const result = JSON.parse(r.stdout) as {frames: number; people: {person: number | string; out: string}[]; video: {people: number; detector: {name: string; workers: number}}; times: Record<string, number>}
  assert.equal(result.frames, 8)
  assert.deepEqual(result.people.map((p) => p.person), [1, 2])
  assert.equal(result.video.detector.name, 'multipose')
  assert.ok(result.video.detector.workers >= 1, 'multipose detects in worker threads')
  assert.deepEqual(Object.keys(result.times).sort(), ['decode_ms', 'detect_ms', 'lift_ms', 'model_load_ms', 'setup_ms', 'total_ms', 'track_ms', 'write_ms'])
  for (const p of result.people) assert.ok(existsSync(p.out), p.out)
  assert.ok(existsSync(path.join(tmp, 'shake.2d.json')))
  const rendered = await probeVideo((await resolveFfmpeg()).path, path.join(tmp, 'shake.mp4'))
  assert.equal(rendered.width, 640 + 2 * 360)
  assert.equal(rendered.height, 360)
})
