import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {after, test} from 'node:test'
import sharp from 'sharp'

import {isMotionError} from '../../src/core/errors.js'
import {readNpyFloat32} from '../../src/formats/npy.js'
import type {Prediction} from '../../src/formats/writers/types.js'
import {contactSheetSize, GAP, renderAnimation, renderContactSheet, renderPrediction} from '../../src/render/index.js'
import {dataDir} from '../helpers/paths.js'

const dir = mkdtempSync(path.join(tmpdir(), 'motion-render-'))
after(() => rmSync(dir, {recursive: true, force: true}))

/** Real walking motion in camera coordinates, with its perspective projection as the 2D input. */
async function walking(frames: number, with2d = true): Promise<Prediction> {
  const a = await readNpyFloat32(path.join(dataDir, 'cmu-mocap-h36m17', 'test', 'walking', 'walking_1.npy'))
  const T = Math.min(frames, a.shape[0]!)
  const x3d = new Float32Array(T * 51)
  const in2d = new Float32Array(T * 51)
  for (let i = 0; i < T * 17; i++) {
    x3d[i * 3] = a.data[i * 3]!
    x3d[i * 3 + 1] = -a.data[i * 3 + 1]!
    x3d[i * 3 + 2] = -a.data[i * 3 + 2]! + 5000
    in2d[i * 3] = (1000 * x3d[i * 3]!) / x3d[i * 3 + 2]! + 540
    in2d[i * 3 + 1] = (1000 * x3d[i * 3 + 1]!) / x3d[i * 3 + 2]! + 960
    in2d[i * 3 + 2] = 0.9
  }
  return {
    x3d: {data: x3d, shape: [T, 17, 3]},
    input2d: with2d ? {data: in2d, shape: [T, 17, 3]} : undefined,
    units: 'mm',
    rootRelative: false,
    fps: 120,
    source: 'walking_1.npy',
    model: 'test',
    options: {},
  }
}

test('contact sheet: a PNG of the documented size, 2D beside 3D', async () => {
  const pred = await walking(100)
  const file = path.join(dir, 'sheet.png')
  const r = await renderContactSheet(pred, file, {frames: 6, panelSize: 120, columns: 3})
  const meta = await sharp(file).metadata()
  assert.equal(meta.format, 'png')
  // 3 columns of [2D | 3D] tiles, 2 rows.
  assert.equal(meta.width, 3 * 240 + 4 * GAP)
  assert.equal(meta.height, 2 * 120 + 3 * GAP)
  assert.deepEqual({width: meta.width, height: meta.height}, {width: r.width, height: r.height})
  assert.deepEqual(r.frames, [0, 20, 40, 59, 79, 99])
  // Something is drawn in both panels of the first tile: left (red) and right (blue) pixels.
  const {data, info} = await sharp(file).removeAlpha().raw().toBuffer({resolveWithObject: true})
  const colourful = (x0: number, x1: number, pick: (r: number, g: number, b: number) => boolean): boolean => {
    for (let y = GAP; y < GAP + 120; y++) {
      for (let x = x0; x < x1; x++) {
        const o = (y * info.width + x) * 3
        if (pick(data[o]!, data[o + 1]!, data[o + 2]!)) return true
      }
    }
    return false
  }
  const red = (r: number, g: number, b: number): boolean => r > 150 && g < 110 && b < 110
  const blue = (r: number, g: number, b: number): boolean => b > 150 && r < 110
  for (const [x0, x1] of [[GAP, GAP + 120], [GAP + 120, GAP + 240]] as const) {
    assert.ok(colourful(x0, x1, red) && colourful(x0, x1, blue), `panel at x=${x0} has both sides drawn`)
  }
})

test('contact sheet without a 2D input shows only the 3D panel; default layout', async () => {
  const pred = await walking(30, false)
  const file = path.join(dir, 'sheet3d.png')
  await renderContactSheet(pred, file)
  const meta = await sharp(file).metadata()
  const expected = contactSheetSize(30, false)
  assert.equal(expected.tiles, 8)
  assert.deepEqual([meta.width, meta.height], [expected.width, expected.height])
  assert.equal(expected.width, 4 * 240 + 5 * GAP)
})

test('animated GIF: one page per shown frame, real-time delays, looping', async () => {
  const pred = await walking(60)
  const file = path.join(dir, 'anim.gif')
  // 120 fps would be shown at 24 fps (every 5th frame), but maxFrames 6 makes it every 10th.
  const r = await renderAnimation(pred, file, {panelSize: 80, maxFrames: 6})
  const meta = await sharp(file, {animated: true}).metadata()
  assert.equal(meta.format, 'gif')
  assert.equal(meta.pages, 6)
  assert.equal(r.frames, 6)
  assert.equal(meta.pageHeight, 80)
  assert.equal(meta.width, 160)
  assert.equal(meta.loop, 0)
  assert.deepEqual(meta.delay, Array(6).fill(r.delayMs))
  // 10 source frames at 120 fps = 83 ms, stored by GIF in hundredths of a second.
  assert.equal(r.delayMs, 80)
})

test('animated WebP through renderPrediction; unknown render extensions are input errors', async () => {
  const pred = await walking(40)
  const file = path.join(dir, 'anim.webp')
  await renderPrediction(pred, file, {panelSize: 64, fps: 20})
  const meta = await sharp(file, {animated: true}).metadata()
  assert.equal(meta.format, 'webp')
  assert.equal(meta.pages, 40)
  assert.equal(meta.pageHeight, 64)
  await assert.rejects(renderPrediction(pred, path.join(dir, 'x.jpg')), (e: unknown) => isMotionError(e) && e.exitCode === 2 && /unknown render format/.test(e.message))
  assert.equal(existsSync(path.join(dir, 'x.jpg')), false)
})
