/**
 * `motion predict` through the real CLI: infer_wild parity (wild-tiny and wild-wide, scale and
 * pixel modes, both engines), the real 1,234-frame AlphaPose file end to end, every output format
 * read back, --all-people naming, the bundled-model lookup, and each bad input of issue 4 §7 as a
 * one-line error naming the file, with its exit code and no output file.
 */
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, test} from 'node:test'
import {parse} from 'csv-parse/sync'
import {bvhToH36m, readBvh} from '../../src/data/bvh.js'
import {H36M_JOINTS} from '../../src/core/h36m.js'
import {readNpyFloat32} from '../../src/formats/npy.js'
import type {NDArray} from '../../src/core/ndarray.js'
import {runCli} from '../helpers/cli.js'
import {relativeError} from '../helpers/compare.js'
import {dataDir, fixturesDir, repoRoot} from '../helpers/paths.js'
import {tmpDirForTests} from '../helpers/tmp.js'

const tmp = tmpDirForTests('motion-predict-')

const tiny = path.join(fixturesDir, 'wild-tiny')
const wide = path.join(repoRoot, 'test', 'fixtures', 'official-wide', 'wild-wide')
const realFile = path.join(dataDir, 'alphapose-real', 'alphapose-results.json')
// num_heads is the one size the weights cannot tell (tiny: 4; wide: 8, the default).
const tinyConfig = path.join(tmp, 'tiny.yaml')
writeFileSync(tinyConfig, 'num_heads: 4\n')
const tinyModel = ['--checkpoint', path.join(tiny, 'checkpoint.bin'), '--config', tinyConfig]

interface PredictJson {
  frames: number
  reason: string
  units: string
  people: {person: number | string; frames: number; out: string; render: string | null}[]
  others: {id: string; frames: number}[]
  model: {path: string; bundled: boolean}
  engine: {name: string; reason: string}
  options: {clipLen: number; flip: boolean; mode: string}
}

describe('infer_wild parity through motion predict', {concurrency: 2}, () => {
  const cases = [
    {dir: tiny, clip: 27, model: tinyModel, mode: 'scale', engine: 'onnx'},
    {dir: tiny, clip: 27, model: tinyModel, mode: 'scale', engine: 'tfjs'},
    {dir: tiny, clip: 27, model: tinyModel, mode: 'pixel', engine: 'onnx'},
    {dir: tiny, clip: 27, model: tinyModel, mode: 'pixel', engine: 'tfjs'},
    {dir: wide, clip: 81, model: ['--checkpoint', path.join(wide, 'checkpoint.bin')], mode: 'scale', engine: 'onnx'},
    {dir: wide, clip: 81, model: ['--checkpoint', path.join(wide, 'checkpoint.bin')], mode: 'pixel', engine: 'tfjs'},
  ] as const
  for (const c of cases) {
    test(`${path.basename(c.dir)} ${c.mode} mode on ${c.engine}`, async () => {
      const out = path.join(tmp, `${path.basename(c.dir)}-${c.mode}-${c.engine}.npy`)
      const pixel = c.mode === 'pixel' ? ['--pixel', '--video-size', '1920x1080'] : []
      const r = await runCli(['predict', path.join(c.dir, 'alphapose-results.json'), ...c.model, '--clip-len', String(c.clip), '--person', '1', ...pixel, '--engine', c.engine, '--out', out, '--json'])
      assert.equal(r.code, 0, r.stderr)
      const result = JSON.parse(r.stdout) as PredictJson
      assert.equal(result.engine.name, c.engine)
      assert.equal(result.reason, 'requested')
      assert.equal(result.units, c.mode === 'pixel' ? 'pixels' : 'normalized')
      assert.equal(result.options.flip, true)
      const ref = await readNpyFloat32(path.join(c.dir, `x3d_${c.mode}.npy`))
      const err = relativeError(await readNpyFloat32(out), ref)
      assert.ok(err <= 1e-4, `relative error ${err}`)
    })
  }
})

test('the real AlphaPose file runs end to end: one finite 3D frame per video frame', async () => {
  const out = path.join(tmp, 'real.npy')
  const r = await runCli(['predict', realFile, ...tinyModel, '--out', out, '--json'])
  assert.equal(r.code, 0, r.stderr)
  const result = JSON.parse(r.stdout) as PredictJson
  assert.equal(result.frames, 1234)
  assert.equal(result.reason, 'longest')
  assert.equal(result.people[0]!.frames, 1234)
  assert.equal(result.options.clipLen, 27) // the model's maxlen when neither flag nor config says
  const x3d = await readNpyFloat32(out)
  assert.deepEqual(x3d.shape, [1234, 17, 3])
  assert.ok(x3d.data.every(Number.isFinite))
})

test('the human report names the person and why, the other tracks, units, frames, engine and output', async () => {
  const out = path.join(tmp, 'report.npy')
  const r = await runCli(['predict', path.join(tiny, 'alphapose-results.json'), ...tinyModel, '--out', out])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /person 1: the longest track \(default\)/)
  assert.match(r.stdout, /other tracks: 2 \(60 frames\)/)
  assert.match(r.stdout, /engine: onnx .*auto: onnxruntime-node loads/)
  assert.match(r.stdout, new RegExp(`wrote ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: person 1, 60 frames x 17 joints, units normalised`))
})

describe('every output format is written and reads back', {concurrency: 2}, () => {
  const input = path.join(tiny, 'alphapose-results.json')
  let reference: NDArray | undefined
  const npy = async (): Promise<NDArray> => {
    if (reference) return reference
    const out = path.join(tmp, 'fmt.npy')
    const r = await runCli(['predict', input, ...tinyModel, '--person', '1', '--out', out])
    assert.equal(r.code, 0, r.stderr)
    reference = await readNpyFloat32(out)
    return reference
  }

  test('.npy is [T, 17, 3] float32', async () => {
    const x = await npy()
    assert.deepEqual(x.shape, [60, 17, 3])
  })

  test('.json: frames with joint names, units, coordinates, person and options; plus a PNG contact sheet', async () => {
    const out = path.join(tmp, 'fmt.json')
    const png = path.join(tmp, 'fmt.png')
    const r = await runCli(['predict', input, ...tinyModel, '--person', '1', '--out', out, '--render', png])
    assert.equal(r.code, 0, r.stderr)
    const json = JSON.parse(readFileSync(out, 'utf8')) as {units: string; joints: string[]; person: number; coordinates: string; options: {clipLen: number}; frames: {frame: number; joints: number[][]}[]}
    assert.equal(json.units, 'normalized')
    assert.deepEqual(json.joints, [...H36M_JOINTS])
    assert.equal(json.person, 1)
    assert.match(json.coordinates, /x right, y down/)
    assert.equal(json.options.clipLen, 27)
    assert.equal(json.frames.length, 60)
    const x = await npy()
    assert.ok(Math.abs(json.frames[59]!.joints[16]![2]! - x.data[59 * 51 + 16 * 3 + 2]!) < 1e-5)
    assert.deepEqual([...readFileSync(png).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47])
  })

  test('.csv: long form, one row per frame and joint, with units', async () => {
    const out = path.join(tmp, 'fmt.csv')
    const r = await runCli(['predict', input, ...tinyModel, '--person', '1', '--out', out])
    assert.equal(r.code, 0, r.stderr)
    const rows = parse(readFileSync(out, 'utf8'), {columns: true, comment: '#'}) as Record<string, string>[]
    assert.equal(rows.length, 60 * 17)
    assert.equal(rows[0]!.units, 'normalized')
    const x = await npy()
    assert.ok(Math.abs(Number(rows[17 + 1]!.x) - x.data[51 + 3]!) < 1e-4)
  })

  test('.bvh: Blender-readable skeleton with one motion frame per input frame', async () => {
    const out = path.join(tmp, 'fmt.bvh')
    const r = await runCli(['predict', input, ...tinyModel, '--person', '1', '--out', out, '--fps', '25'])
    assert.equal(r.code, 0, r.stderr)
    const h = bvhToH36m(await readBvh(out), {mmPerUnit: 1})
    assert.equal(h.x3d.shape[0], 60)
    assert.equal(h.fps, 25)
    assert.ok(h.x3d.data.every(Number.isFinite))
  })

  test('--smooth savgol changes the motion but keeps its shape', async () => {
    const out = path.join(tmp, 'smooth.npy')
    const r = await runCli(['predict', input, ...tinyModel, '--person', '1', '--out', out, '--smooth', 'savgol'])
    assert.equal(r.code, 0, r.stderr)
    const s = await readNpyFloat32(out)
    const x = await npy()
    assert.deepEqual(s.shape, x.shape)
    assert.ok(relativeError(s, x) > 0 && relativeError(s, x) < 0.5)
  })
})

test('--all-people writes NAME.person-ID.EXT for each person', async () => {
  const out = path.join(tmp, 'all', 'walk.npy')
  mkdirSync(path.dirname(out))
  const r = await runCli(['predict', path.join(tiny, 'alphapose-results.json'), ...tinyModel, '--all-people', '--out', out, '--json'])
  assert.equal(r.code, 0, r.stderr)
  const result = JSON.parse(r.stdout) as PredictJson
  assert.deepEqual(result.people.map((p) => p.person).sort(), [1, 2])
  assert.deepEqual(readdirSync(path.dirname(out)).sort(), ['walk.person-1.npy', 'walk.person-2.npy'])
  // person 1's file is the infer_wild result for --person 1
  const err = relativeError(await readNpyFloat32(path.join(path.dirname(out), 'walk.person-1.npy')), await readNpyFloat32(path.join(tiny, 'x3d_scale.npy')))
  assert.ok(err <= 1e-4, `relative error ${err}`)
})

describe('the bundled default model', () => {
  test('missing: a model error (exit 3) saying so and how to pass --checkpoint', async () => {
    const empty = path.join(tmp, 'no-models')
    mkdirSync(empty)
    const out = path.join(tmp, 'bundled-missing.npy')
    const r = await runCli(['predict', path.join(tiny, 'alphapose-results.json'), '--out', out], {env: {MOTION_MODELS: empty}})
    assert.equal(r.code, 3, r.stderr)
    assert.match(r.stderr, /^Error: the bundled pose3d model is missing/)
    assert.match(r.stderr, /--checkpoint/)
    assert.equal(existsSync(out), false)
  })

  test('present (models/pose3d, a native folder): used without --checkpoint', async () => {
    const models = path.join(tmp, 'models')
    mkdirSync(models)
    const imp = await runCli(['import', path.join(tiny, 'checkpoint.bin'), '--config', tinyConfig, '--out', path.join(models, 'pose3d')])
    assert.equal(imp.code, 0, imp.stderr)
    const out = path.join(tmp, 'bundled.npy')
    const r = await runCli(['predict', path.join(tiny, 'alphapose-results.json'), '--person', '1', '--out', out, '--json'], {env: {MOTION_MODELS: models}})
    assert.equal(r.code, 0, r.stderr)
    assert.equal((JSON.parse(r.stdout) as PredictJson).model.bundled, true)
    const err = relativeError(await readNpyFloat32(out), await readNpyFloat32(path.join(tiny, 'x3d_scale.npy')))
    assert.ok(err <= 1e-4, `relative error ${err}`)
  })
})

describe('bad input: one line naming the file, the exit code, no output', {concurrency: 2}, () => {
  const good = path.join(tiny, 'alphapose-results.json')
  const detections = JSON.parse(readFileSync(good, 'utf8')) as {keypoints: (number | null)[]}[]
  const write = (name: string, content: string): string => {
    const file = path.join(tmp, name)
    writeFileSync(file, content)
    return file
  }
  const withKeypoints = (name: string, edit: (kp: (number | null)[]) => (number | null)[]): string =>
    write(name, JSON.stringify(detections.map((d) => ({...d, keypoints: edit([...d.keypoints])}))))

  const cases: Array<{what: string; input: () => string; args?: string[]; out?: string; code: number; names?: () => string; re: RegExp}> = [
    {what: 'invalid JSON', input: () => write('invalid.json', '[{"image_id": "a.png", "keypoints": [1, 2,, 3]}]'), code: 2, re: /invalid\.json: .*JSON/},
    {what: 'truncated JSON', input: () => write('truncated.json', readFileSync(good, 'utf8').slice(0, 5000)), code: 2, re: /truncated\.json: truncated JSON/},
    {what: 'empty file', input: () => write('empty.json', ''), code: 2, re: /empty\.json: the file is empty/},
    {what: 'unknown format', input: () => write('mystery.txt', 'hello world\nthis is not keypoints\n'), code: 2, re: /mystery\.txt: cannot tell the keypoint format/},
    {what: 'wrong keypoint count', input: () => withKeypoints('count.json', (kp) => kp.slice(0, 60)), code: 2, re: /count\.json: .*20 keypoints|count\.json: .*60/},
    {what: 'NaN coordinates', input: () => withKeypoints('nan.json', (kp) => ((kp[3] = null), kp)), code: 2, re: /nan\.json: non-finite/},
    {what: 'all-zero confidences', input: () => withKeypoints('zero.json', (kp) => kp.map((v, i) => (i % 3 === 2 ? 0 : v))), code: 4, re: /zero\.json: .*confidence/},
    {what: 'unknown person id', input: () => good, args: ['--person', '7'], code: 2, re: /alphapose-results\.json: no person with id 7; the ids there are: 1 \(60 frames\), 2 \(60 frames\)/},
    {what: '--pixel without --video-size', input: () => good, args: ['--pixel'], code: 2, re: /alphapose-results\.json: --pixel needs the video size/},
    {what: 'output folder missing', input: () => good, out: path.join(tmp, 'missing-dir', 'x.npy'), code: 2, re: /missing-dir[/\\]x\.npy: output folder .* does not exist/},
    {what: 'unknown output extension', input: () => good, out: path.join(tmp, 'x.obj'), code: 2, re: /x\.obj: unknown output format '\.obj'/},
  ]
  for (const c of cases) {
    test(c.what, async () => {
      const input = c.input()
      const out = c.out ?? path.join(tmp, `bad-${c.what.replace(/\W+/g, '-')}.npy`)
      const r = await runCli(['predict', input, ...tinyModel, ...(c.args ?? []), '--out', out])
      assert.equal(r.code, c.code, r.stderr)
      const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('Hint:'))
      assert.equal(lines.length, 1, r.stderr)
      assert.match(lines[0]!, /^Error: /)
      assert.match(lines[0]!, c.re)
      assert.equal(existsSync(out), false, 'no output file')
      assert.equal(r.stdout.includes('wrote'), false)
    })
  }
})
