/**
 * Models trained on video-like views (video_views): their checkpoints record metres and
 * window-normalised inference; predict runs them with cross-faded windows (and --skeleton rigid);
 * eval --camera static lifts whole clips as predict does. Official checkpoints keep infer_wild.
 */
import assert from 'node:assert/strict'
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {test} from 'node:test'
import {fitBoneLengths} from '../../src/core/skeleton-fit.js'
import {H36M_PARENTS} from '../../src/core/h36m.js'
import {ExitCode, isMotionError} from '../../src/core/errors.js'
import {importModel, loadModel} from '../../src/model/load.js'
import {NATIVE_CONFIG_FILE} from '../../src/model/native.js'
import type {MotionConfig} from '../../src/config/schema.js'
import {checkpointDescription} from '../../src/train/run.js'
import {dataDir, fixturesDir, repoRoot} from '../helpers/paths.js'
import {runCli} from '../helpers/cli.js'
import {tmpDirForTests} from '../helpers/tmp.js'

const tmp = tmpDirForTests('motion-window-models-')
const DSTFORMER = path.join(fixturesDir, 'dstformer-tiny', 'checkpoint.bin')
const EXAMPLE = path.join(repoRoot, 'examples', 'walking.alphapose.json')

/** The tiny official DSTformer as a native folder that declares window-normalised inference in metres. */
async function windowModel(name: string, inference: Record<string, unknown> = {inputNorm: 'window', clipLen: 27}): Promise<string> {
  const dir = path.join(tmp, name)
  await importModel(DSTFORMER, dir, {config: {num_heads: 4}})
  const file = path.join(dir, NATIVE_CONFIG_FILE)
  const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
  writeFileSync(file, JSON.stringify({...json, outputUnits: 'metres', inference}))
  return dir
}

test('video_views runs record metres and window inference; other runs normalised units and none', () => {
  assert.deepEqual(checkpointDescription({video_views: true, clip_len: 81} as unknown as MotionConfig), {outputUnits: 'metres', inference: {inputNorm: 'window', clipLen: 81}})
  assert.deepEqual(checkpointDescription({video_views: false, clip_len: 81} as unknown as MotionConfig), {outputUnits: 'normalized'})
})

test('config.json inference settings are read and checked', async () => {
  const dir = await windowModel('declared')
  const loaded = await loadModel(dir)
  assert.deepEqual(loaded.inference, {inputNorm: 'window', clipLen: 27})
  assert.equal(loaded.outputUnits, 'metres')
  for (const [bad, message] of [
    [{inputNorm: 'pixels'}, /inference.inputNorm" must be "window" or "track"/],
    [{inputNorm: 'window', clipLen: 0}, /inference.clipLen" must be a whole number/],
    [{inputNorm: 'window', clipLen: 27, overlap: 27}, /inference.overlap" must be less than/],
    [{inputNorm: 'window', stride: 3}, /inference.stride" is not a known setting/],
  ] as const) {
    const broken = await windowModel(`bad-${JSON.stringify(bad).length}-${Object.keys(bad).length}`, bad as unknown as Record<string, unknown>)
    await assert.rejects(loadModel(broken), (e: unknown) => isMotionError(e) && e.exitCode === ExitCode.model && message.test(e.message))
  }
})

test('predict runs a window model in mm with cross-faded windows; --skeleton rigid keeps bone lengths constant', async () => {
  const model = await windowModel('predict')
  const out = path.join(tmp, 'walk.json')
  const r = await runCli(['predict', EXAMPLE, '--checkpoint', model, '--out', out, '--skeleton', 'rigid', '--json'])
  assert.equal(r.code, 0, r.stderr)
  const json = JSON.parse(readFileSync(out, 'utf8')) as {units: string; options: Record<string, unknown>; frames: {joints: number[][]}[] | unknown}
  assert.equal(json.units, 'mm')
  assert.equal(json.options.mode, 'window')
  assert.equal(json.options.clipLen, 27)
  assert.equal(json.options.overlap, 13)
  assert.equal(json.options.skeleton, 'rigid')
  const npy = path.join(tmp, 'walk.npy')
  assert.equal((await runCli(['predict', EXAMPLE, '--checkpoint', model, '--out', npy, '--skeleton', 'rigid'])).code, 0)
  const {readNpyFloat32} = await import('../../src/formats/npy.js')
  const x3d = await readNpyFloat32(npy)
  const lengths = fitBoneLengths(x3d)
  const T = x3d.shape[0]!
  for (const t of [0, Math.floor(T / 2), T - 1]) {
    for (let j = 1; j < 17; j++) {
      const p = H36M_PARENTS[j]!
      const a = (t * 17 + j) * 3
      const b = (t * 17 + p) * 3
      const len = Math.hypot(x3d.data[a]! - x3d.data[b]!, x3d.data[a + 1]! - x3d.data[b + 1]!, x3d.data[a + 2]! - x3d.data[b + 2]!)
      assert.ok(Math.abs(len - lengths[j]!) < 1e-2 * Math.max(1, lengths[j]!), `frame ${t} bone ${j}: ${len} vs ${lengths[j]}`)
    }
  }
  // --pixel is MotionBERT's mode and has no meaning here
  const refused = await runCli(['predict', EXAMPLE, '--checkpoint', model, '--out', path.join(tmp, 'px.json'), '--pixel', '--video-size', '1080x1920'])
  assert.equal(refused.code, 2)
  assert.match(refused.stderr, /--pixel/)
})

test('eval --camera static: per-action N-MPJPE, bone CV and seam jumps for window and official models', async () => {
  const model = await windowModel('eval')
  const data = path.join(dataDir, 'cmu-mocap-h36m17')
  const r = await runCli(['eval', '--task', 'pose3d', '--checkpoint', model, '--data', data, '--split', 'test', '--fps', '30', '--camera', 'static', '--limit', '3', '--json'])
  assert.equal(r.code, 0, r.stderr)
  type Means = {mpjpe: number | null; p_mpjpe: number; n_mpjpe: number}
  const json = JSON.parse(r.stdout) as {video: {clips: number; n_mpjpe: number; n_mpjpe_rigid: number; mpjpe: number | null; bone_cv: number; jump_ratio: number; perAction: {action: string; frames: number; n_mpjpe: number; n_mpjpe_rigid: number}[]; byClip: Means; byFrame: Means}; normalisation: string}
  assert.equal(json.video.clips, 3)
  assert.equal(json.normalisation, 'window')
  assert.ok(json.video.n_mpjpe > 0 && Number.isFinite(json.video.n_mpjpe))
  assert.ok(json.video.mpjpe !== null) // metres: MPJPE in mm is defined
  assert.ok(json.video.bone_cv > 0 && json.video.jump_ratio > 0)
  // --skeleton rigid's fit is scored too: finite, and not the same number as the raw output's
  assert.ok(Number.isFinite(json.video.n_mpjpe_rigid) && json.video.n_mpjpe_rigid > 0)
  assert.notEqual(json.video.n_mpjpe_rigid, json.video.n_mpjpe)
  assert.ok(json.video.perAction.every((a) => Number.isFinite(a.n_mpjpe_rigid)))
  // the same errors averaged over frames: the frame-weighted mean of the actions' figures
  const frames = json.video.perAction.reduce((s, a) => s + a.frames, 0)
  const weighted = json.video.perAction.reduce((s, a) => s + a.n_mpjpe * a.frames, 0) / frames
  assert.ok(Math.abs(json.video.byFrame.n_mpjpe - weighted) < 1e-6, `${json.video.byFrame.n_mpjpe} vs ${weighted}`)
  // and over clips: a mean of clip means, within the range of the actions' figures
  const perAction = json.video.perAction.map((a) => a.n_mpjpe)
  assert.ok(json.video.byClip.n_mpjpe >= Math.min(...perAction) - 1e-9 && json.video.byClip.n_mpjpe <= Math.max(...perAction) + 1e-9)
  assert.ok(json.video.byClip.mpjpe !== null && json.video.byClip.p_mpjpe > 0)
  // The official checkpoint: infer_wild's pipeline, normalised units (no MPJPE in mm).
  const official = await runCli(['eval', '--task', 'pose3d', '--checkpoint', DSTFORMER, '--config', path.join(repoRoot, 'configs', 'test', 'tiny.yaml'), '--data', data, '--split', 'test', '--fps', '30', '--camera', 'static', '--limit', '2', '--json'])
  assert.equal(official.code, 0, official.stderr)
  const o = JSON.parse(official.stdout) as {video: {mpjpe: number | null; clips: number}; normalisation: string}
  assert.equal(o.video.mpjpe, null)
  assert.equal(o.normalisation, 'crop')
  assert.equal(o.video.clips, 2)
})
