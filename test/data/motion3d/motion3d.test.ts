import assert from 'node:assert/strict'
import {mkdtempSync, mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {test} from 'node:test'

import {isMotionError} from '../../../src/core/errors.js'
import {writeNpz} from '../../../src/formats/npy.js'
import {
  clipWindows,
  Motion3dDataset,
  readClipFolder,
  resampledLength,
  resampleFps,
  resampleIndices,
  windowCount,
} from '../../../src/data/motion3d/index.js'
import {Rng} from '../../../src/core/rng.js'
import {dataDir} from '../../helpers/paths.js'
import {tmpDirForTests} from '../../helpers/tmp.js'

const tmp = tmpDirForTests('motion-motion3d-')

const cmu = path.join(dataDir, 'cmu-mocap-h36m17')

test('the CMU clip folder: 96 clips, 67,774 frames, labels and splits from index.json', async () => {
  const set = await readClipFolder(cmu)
  assert.equal(set.clips.length, 96)
  assert.equal(set.frames, 67774)
  // The README counts 8 classes; index.json labels 58 extra walking clips 'walking_extra', read as they are.
  assert.deepEqual(set.actions, [
    'basketball', 'basketball_signal', 'directing_traffic', 'jumping', 'running', 'soccer', 'walking', 'walking_extra', 'washwindow',
  ])
  const train = set.clips.filter((c) => c.split === 'train').length
  const test_ = set.clips.filter((c) => c.split === 'test').length
  assert.equal(train + test_, 96)
  assert.ok(train > 0 && test_ > 0)
  const c = set.clips[0]!
  assert.equal(c.fps, 120)
  assert.equal(c.space, 'world')
  assert.equal(c.units, 'mm')
  assert.deepEqual(c.positions.shape.slice(1), [17, 3])
  const onlyTest = await readClipFolder(cmu, {split: 'test'})
  assert.equal(onlyTest.clips.length, test_)
})

test('windows follow the formula floor((T - L) / stride) + 1 (one resampled window for short clips)', () => {
  for (const [T, L, s] of [[10, 4, 3], [11, 4, 3], [243, 243, 81], [500, 243, 81], [3, 27, 9], [27, 27, 1]] as const) {
    const expected = T >= L ? Math.floor((T - L) / s) + 1 : 1
    assert.equal(windowCount(T, L, s), expected, `T=${T} L=${L} s=${s}`)
    const w = clipWindows(T, L, s)
    assert.equal(w.length, expected)
    for (const idx of w) {
      assert.equal(idx.length, L)
      assert.ok(idx.every((i) => i >= 0 && i < T))
    }
  }
  assert.deepEqual(Array.from(clipWindows(10, 4, 3)[2]!), [6, 7, 8, 9])
  assert.throws(() => windowCount(10, 0, 3), (e: unknown) => isMotionError(e) && /clip_len/.test(e.message))
})

test('resampling: 120 -> 30 fps keeps every 4th frame; indices match numpy linspace; random variant stays in range', () => {
  assert.equal(resampledLength(576, 120, 30), 144)
  const x = {data: Float32Array.from({length: 576 * 51}, (_, i) => Math.floor(i / 51)), shape: [576, 17, 3]}
  const y = resampleFps(x, 120, 30)
  assert.deepEqual(y.shape, [144, 17, 3])
  assert.equal(y.data[51 * 10], 40)
  // numpy: np.linspace(0, 10, num=4, endpoint=False, dtype=int) -> [0, 2, 5, 7]
  assert.deepEqual(Array.from(resampleIndices(10, 4)), [0, 2, 5, 7])
  // upsampling: np.linspace(0, 3, num=7, endpoint=False, dtype=int) -> [0, 0, 0, 1, 1, 2, 2]
  assert.deepEqual(Array.from(resampleIndices(3, 7)), [0, 0, 0, 1, 1, 2, 2])
  const rng = new Rng(5)
  for (const [o, t] of [[10, 4], [3, 27], [100, 100]] as const) {
    const idx = resampleIndices(o, t, {rng})
    assert.equal(idx.length, t)
    assert.ok(idx.every((i) => i >= 0 && i < o))
    for (let i = 1; i < idx.length; i++) assert.ok(idx[i]! >= idx[i - 1]!, 'non-decreasing')
  }
  assert.deepEqual(Array.from(resampleIndices(3, 5, {replay: true})), [0, 1, 2, 0, 1])
})

test('a dataset at 30 fps windows every clip: window count is the sum over clips', async () => {
  const ds = await Motion3dDataset.fromFolder(cmu, {split: 'train', clipLen: 81, stride: 27, targetFps: 30})
  const expected = ds.clips.reduce((s, c) => s + windowCount(c.positions.shape[0]!, 81, 27), 0)
  assert.equal(ds.length, expected)
  assert.ok(ds.clips.every((c) => c.fps === 30))
  const w = ds.window(ds.length - 1)
  assert.deepEqual(w.positions.shape, [81, 17, 3])
  assert.equal(ds.actions[w.actionIndex!], w.clip.action)
})

test('a folder without index.json: NPZ clips labelled from train/<action>/ folders', async () => {
  const dir = mkdtempSync(path.join(tmp, 'clips-'))
  mkdirSync(path.join(dir, 'train', 'wave'), {recursive: true})
  mkdirSync(path.join(dir, 'test', 'kick'), {recursive: true})
  const clip = {data: Float32Array.from({length: 5 * 51}, (_, i) => i), shape: [5, 17, 3]}
  await writeNpz(path.join(dir, 'train', 'wave', 'a.npz'), {positions: clip, fps: {data: new Float32Array([60]), shape: []}})
  await writeNpz(path.join(dir, 'test', 'kick', 'b.npz'), {other: clip})
  const set = await readClipFolder(dir)
  assert.deepEqual(set.clips.map((c) => [c.name, c.split, c.action, c.fps]), [
    ['test/kick/b.npz', 'test', 'kick', null],
    ['train/wave/a.npz', 'train', 'wave', 60],
  ])
  assert.deepEqual(set.actions, ['kick', 'wave'])
  await assert.rejects(readClipFolder(dir, {split: 'val'}), (e: unknown) => isMotionError(e) && /splits present/.test(e.hint ?? ''))
})

test('BVH files are read as H36M-17 clips in millimetres at their own frame rate', async () => {
  const set = await readClipFolder(path.join(dataDir, 'bvh-cmu'))
  assert.equal(set.clips.length, 3)
  for (const c of set.clips) {
    assert.deepEqual(c.positions.shape.slice(1), [17, 3])
    assert.ok(Math.abs(c.fps! - 120) < 1)
    // pelvis to head is roughly half a metre or more in millimetres
    const d = c.positions.data
    const headY = d[10 * 3 + 1]! - d[1]!
    assert.ok(Math.abs(headY) > 300 && Math.abs(headY) < 1200, `pelvis-head ${headY}`)
  }
})

// MotionBERT clip pickles made with numpy: {'data_input': None | [3,17,3], 'data_label': [3,17,3] float32}
const PICKLE_NO_INPUT = 'gASVEwMAAAAAAAB9lCiMCmRhdGFfaW5wdXSUTowKZGF0YV9sYWJlbJSMFm51bXB5Ll9jb3JlLm11bHRpYXJyYXmUjAxfcmVjb25zdHJ1Y3SUk5SMBW51bXB5lIwHbmRhcnJheZSTlEsAhZRDAWKUh5RSlChLAUsDSxFLA4eUaAaMBWR0eXBllJOUjAJmNJSJiIeUUpQoSwOMATyUTk5OSv////9K/////0sAdJRiiUJkAgAAAAAAv0jh+r6PwvW+16Pwvh+F675mZua+rkfhvvYo3L4+Cte+hevRvs3MzL4Urse+XI/CvqRwvb7sUbi+MzOzvnsUrr7C9ai+CtejvlK4nr6amZm+4nqUvilcj75wPYq+uB6FvgAAgL6QwnW+HoVrvq5HYb4+Cle+zMxMvlyPQr7sUTi+ehQuvgrXI76amRm+KFwPvrgeBb6QwvW9sEfhvczMzL3sUbi9DNejvShcj72QwnW90MxMvQjXI72QwvW8ENejvADXI7wAAAAAANcjPADXozyAwvU8ENcjPdDMTD2QwnU9KFyPPQjXoz3oUbg90MzMPbBH4T2QwvU9uB4FPihcDz6YmRk+DNcjPnwULj7sUTg+XI9CPszMTD48Clc+sEdhPiCFaz6QwnU+AACAPrgehT5wPYo+KFyPPuJ6lD6amZk+UriePgrXoz7C9ag+ehSuPjQzsz7sUbg+pHC9PlyPwj4Ursc+zMzMPobr0T4+Ctc+9ijcPq5H4T5mZuY+HoXrPtij8D6QwvU+SOH6PgAAAD9cjwI/uB4FPxSuBz9wPQo/zMwMPyhcDz+G6xE/4noUPz4KFz+amRk/9igcP1K4Hj+uRyE/CtcjP2ZmJj/C9Sg/HoUrP3oULj/YozA/NDMzP5DCNT/sUTg/SOE6P6RwPT8AAEA/XI9CP7geRT8Urkc/cD1KP8zMTD8oXE8/hutRP+J6VD8+Clc/mplZP/YoXD9SuF4/rkdhPwrXYz9mZmY/wvVoPx6Faz96FG4/2KNwPzQzcz+QwnU/7FF4P0jhej+kcH0/AACAP65HgT9cj4I/lHSUYnUu'
const PICKLE_WITH_INPUT = 'gASVmwUAAAAAAAB9lCiMCmRhdGFfaW5wdXSUjBZudW1weS5fY29yZS5tdWx0aWFycmF5lIwMX3JlY29uc3RydWN0lJOUjAVudW1weZSMB25kYXJyYXmUk5RLAIWUQwFilIeUUpQoSwFLA0sRSwOHlGgFjAVkdHlwZZSTlIwCZjSUiYiHlFKUKEsDjAE8lE5OTkr/////Sv////9LAHSUYolCZAIAAEjh+r6QwvW+ZmZmPx+F675nZua+ZmZmP/Yo3L4+Cte+ZmZmP83MzL4Vrse+ZmZmP6Rwvb7sUbi+ZmZmP3sUrr7D9ai+ZmZmP1K4nr6amZm+ZmZmPypcj75xPYq+ZmZmP///f76PwnW+ZmZmP61HYb49Cle+ZmZmP1uPQr7rUTi+ZmZmPwnXI76ZmRm+ZmZmP7ceBb6PwvW9ZmZmP8/MzL3rUbi9ZmZmPytcj72OwnW9ZmZmPw7XI72LwvW8ZmZmPxbXI7wAACAyZmZmPwXXozyFwvU8ZmZmP9LMTD2SwnU9ZmZmPwnXoz3pUbg9ZmZmP7FH4T2RwvU9ZmZmPylcDz6ZmRk+ZmZmP30ULj7tUTg+ZmZmP83MTD49Clc+ZmZmPyGFaz6RwnU+ZmZmP7gehT5wPYo+ZmZmP+B6lD6amZk+ZmZmPwrXoz7C9ag+ZmZmPzIzsz7sUbg+ZmZmP1yPwj4Ursc+ZmZmP4Tr0T4+Ctc+ZmZmP65H4T5mZuY+ZmZmP9aj8D6QwvU+ZmZmPwAAAD9cjwI/ZmZmPxSuBz9wPQo/ZmZmPyhcDz+E6xE/ZmZmPz4KFz+amRk/ZmZmP1K4Hj+uRyE/ZmZmP2ZmJj/C9Sg/ZmZmP3oULj/WozA/ZmZmP5DCNT/sUTg/ZmZmP6RwPT8AAEA/ZmZmP7geRT8Urkc/ZmZmP8zMTD8oXE8/ZmZmP+J6VD8+Clc/ZmZmP/YoXD9SuF4/ZmZmPwrXYz9mZmY/ZmZmPx6Faz96FG4/ZmZmPzQzcz+QwnU/ZmZmP0jhej+kcH0/ZmZmP65HgT9cj4I/ZmZmP5R0lGKMCmRhdGFfbGFiZWyUaARoB0sAhZRoCYeUUpQoSwFLA0sRSwOHlGgRiUJkAgAAAAAAv0jh+r6PwvW+16Pwvh+F675mZua+rkfhvvYo3L4+Cte+hevRvs3MzL4Urse+XI/CvqRwvb7sUbi+MzOzvnsUrr7C9ai+CtejvlK4nr6amZm+4nqUvilcj75wPYq+uB6FvgAAgL6QwnW+HoVrvq5HYb4+Cle+zMxMvlyPQr7sUTi+ehQuvgrXI76amRm+KFwPvrgeBb6QwvW9sEfhvczMzL3sUbi9DNejvShcj72QwnW90MxMvQjXI72QwvW8ENejvADXI7wAAAAAANcjPADXozyAwvU8ENcjPdDMTD2QwnU9KFyPPQjXoz3oUbg90MzMPbBH4T2QwvU9uB4FPihcDz6YmRk+DNcjPnwULj7sUTg+XI9CPszMTD48Clc+sEdhPiCFaz6QwnU+AACAPrgehT5wPYo+KFyPPuJ6lD6amZk+UriePgrXoz7C9ag+ehSuPjQzsz7sUbg+pHC9PlyPwj4Ursc+zMzMPobr0T4+Ctc+9ijcPq5H4T5mZuY+HoXrPtij8D6QwvU+SOH6PgAAAD9cjwI/uB4FPxSuBz9wPQo/zMwMPyhcDz+G6xE/4noUPz4KFz+amRk/9igcP1K4Hj+uRyE/CtcjP2ZmJj/C9Sg/HoUrP3oULj/YozA/NDMzP5DCNT/sUTg/SOE6P6RwPT8AAEA/XI9CP7geRT8Urkc/cD1KP8zMTD8oXE8/hutRP+J6VD8+Clc/mplZP/YoXD9SuF4/rkdhPwrXYz9mZmY/wvVoPx6Faz96FG4/2KNwPzQzcz+QwnU/7FF4P0jhej+kcH0/AACAP65HgT9cj4I/lHSUYnUu'

test('MotionBERT clip pickles (data_input / data_label) read through the restricted unpickler', async () => {
  const dir = mkdtempSync(path.join(tmp, 'pkl-'))
  mkdirSync(path.join(dir, 'AMASS', 'train'), {recursive: true})
  mkdirSync(path.join(dir, 'H36M-SH', 'train'), {recursive: true})
  writeFileSync(path.join(dir, 'AMASS', 'train', '00000000.pkl'), Buffer.from(PICKLE_NO_INPUT, 'base64'))
  writeFileSync(path.join(dir, 'H36M-SH', 'train', '00000000.pkl'), Buffer.from(PICKLE_WITH_INPUT, 'base64'))
  const set = await readClipFolder(dir)
  assert.equal(set.clips.length, 2)
  const [amass, h36m] = set.clips
  assert.equal(amass!.action, 'AMASS')
  assert.equal(amass!.split, 'train')
  assert.equal(amass!.space, 'image-normalised')
  assert.equal(amass!.input2d, undefined)
  assert.ok(Math.abs(amass!.positions.data[4]! - (4 / 100 - 0.5)) < 1e-6)
  assert.deepEqual(h36m!.input2d!.shape, [3, 17, 3])
  assert.ok(Math.abs(h36m!.input2d!.data[2]! - 0.9) < 1e-6)
})

test('a clip whose frame count disagrees with index.json is an input error naming the file', async () => {
  const dir = mkdtempSync(path.join(tmp, 'index-'))
  await writeNpz(path.join(dir, 'a.npz'), {positions: {data: new Float32Array(4 * 51), shape: [4, 17, 3]}})
  writeFileSync(path.join(dir, 'index.json'), JSON.stringify({clips: [{file: 'a.npz', action: 'x', split: 'train', frames: 5}]}))
  await assert.rejects(readClipFolder(dir), (e: unknown) => isMotionError(e) && e.exitCode === 2 && /a\.npz/.test(e.message) && /5/.test(e.message))
})
