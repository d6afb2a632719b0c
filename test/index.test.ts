/**
 * The library API (src/index.ts) in-process: predict returns arrays instead of files (nothing is
 * written without `out`), its arrays equal what the command writes, and action scores come back;
 * --skeleton rigid and an .html render go through it; predictStream is predict --stream.
 */
import assert from 'node:assert/strict'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, test} from 'node:test'
import {isMotionError, loadModel, predict, predictStream, readKeypoints} from '../src/index.js'
import {fitBoneLengths} from '../src/core/skeleton-fit.js'
import {readNpyFloat32} from '../src/formats/npy.js'
import {repoRoot} from './helpers/paths.js'
import {tmpDirForTests} from './helpers/tmp.js'

const tmp = tmpDirForTests('motion-api-')
const example = path.join(repoRoot, 'examples', 'walking.alphapose.json')
const models = path.join(repoRoot, 'models')

describe('import {predict, loadModel, readKeypoints} from motion', () => {
  test('readKeypoints and loadModel read the bundled example and model', async () => {
    const data = await readKeypoints(example)
    assert.equal(data.format, 'alphapose')
    assert.ok(data.frameCount > 0)
    const loaded = await loadModel(path.join(models, 'pose3d'))
    assert.equal(loaded.task, 'pose3d')
  })

  test('predict without out writes nothing and returns pose3d [T, 17, 3]; with out, the file holds the same numbers', async () => {
    const before = readdirSync(tmp).length
    const arrays = await predict({input: example, checkpoint: path.join(models, 'pose3d')})
    assert.equal(readdirSync(tmp).length, before)
    assert.equal(arrays.people.length, 1)
    const person = arrays.people[0]!
    assert.equal(person.out, null)
    const pose = person.pose3d!
    assert.ok(pose instanceof Float32Array)
    assert.deepEqual([...pose.shape], [person.frames, 17, 3])
    assert.equal(pose.length, person.frames * 17 * 3)
    assert.ok(pose.every(Number.isFinite))
    assert.equal(arrays.units, 'mm') // the bundled model is metric
    assert.equal(arrays.model.backbone, 'dstformer')

    const out = path.join(tmp, 'walk.npy')
    const written = await predict({input: example, checkpoint: path.join(models, 'pose3d'), out})
    assert.equal(written.people[0]!.out, out)
    const file = await readNpyFloat32(out)
    assert.deepEqual(file.shape, [...pose.shape])
    assert.deepEqual(file.data, new Float32Array(pose))
  })

  test('predict --task action returns the label and class scores', async () => {
    const r = await predict({input: example, task: 'action', checkpoint: path.join(models, 'action')})
    const action = r.people[0]!.action!
    const total = Object.values(action.scores).reduce((a, b) => a + b, 0)
    assert.ok(Math.abs(total - 1) < 1e-4, `scores sum to ${total}`)
    assert.equal(action.label, Object.entries(action.scores).sort((a, b) => b[1] - a[1])[0]![0])
  })

  test('predict skeleton rigid returns constant bone lengths, and an .html render is written with the output', async () => {
    const out = path.join(tmp, 'rigid.json')
    const html = path.join(tmp, 'rigid.html')
    const r = await predict({input: example, checkpoint: path.join(models, 'pose3d'), skeleton: 'rigid', out, render: html})
    assert.equal(r.options.skeleton, 'rigid')
    assert.equal(r.people[0]!.render, html)
    assert.match(readFileSync(html, 'utf8'), /^<!doctype html>/i)
    const pose = r.people[0]!.pose3d!
    const lengths = fitBoneLengths({data: pose, shape: [...pose.shape]})
    const T = pose.shape[0]
    for (const t of [0, T - 1]) {
      // bone 1 (right hip -> pelvis) as an example: the same length in every frame
      const len = Math.hypot(...[0, 1, 2].map((k) => pose[(t * 17 + 1) * 3 + k]! - pose[t * 17 * 3 + k]!))
      assert.ok(Math.abs(len - lengths[1]!) < 1e-3 * Math.max(1, lengths[1]!), `frame ${t}: ${len} vs ${lengths[1]}`)
    }
  })

  test('predictStream is predict --stream: one NDJSON line per frame, the window from clipLen', async () => {
    const {alphaposeToFrames} = (await import(path.join(repoRoot, 'scripts', 'alphapose-to-ndjson.mjs'))) as {alphaposeToFrames: (f: string) => unknown[]}
    const frames = alphaposeToFrames(example).slice(0, 12).map((f) => JSON.stringify(f))
    const lines: string[] = []
    let ready = 0
    const summary = await predictStream({clipLen: 9, latency: 2, threads: 1}, frames, (line) => void lines.push(line), {onReady: () => ready++})
    assert.equal(ready, 1)
    assert.deepEqual({frames: summary.frames, errors: summary.errors, window: summary.window, latency: summary.latency}, {frames: 12, errors: 0, window: 9, latency: 2})
    const parsed = lines.map((l) => JSON.parse(l) as {frame: number; people: Array<{pose3d: number[][]}>})
    assert.deepEqual(parsed.map((p) => p.frame), Array.from({length: 12}, (_, i) => i))
    for (const p of parsed) assert.equal(p.people[0]!.pose3d.length, 17)
  })

  test('bad options are MotionErrors with exit code 2, and nothing is written', async () => {
    await assert.rejects(predict({input: path.join(tmp, 'missing.json')}), (err) => isMotionError(err) && err.exitCode === 2)
    await assert.rejects(predict({input: example, render: path.join(tmp, 'x.gif')}), (err) => isMotionError(err) && err.exitCode === 2 && /render needs an output/.test(err.message))
    assert.equal(existsSync(path.join(tmp, 'x.gif')), false)
  })
})
