/**
 * The HTML viewer in a real browser: predict (in-process, bundled model) writes one page for two
 * people, and the mesh task a page with its surface; chromium opens them from file://, the 3D
 * canvas shows the left (blue) and right (red) skeleton colours, the 2D panel too, moving the
 * frame slider changes the picture, and play and pause move and stop the frames. Skipped only when no chromium binary exists.
 */
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import path from 'node:path'
import {after, before, describe, test} from 'node:test'
import type {Browser, Page} from 'playwright-core'
import sharp from 'sharp'

import {runPredict} from '../../../src/predict/index.js'
import {chromiumPath, launchChromium, NO_CHROMIUM} from '../../helpers/browser.js'
import {repoRoot} from '../../helpers/paths.js'
import {tmpDirForTests} from '../../helpers/tmp.js'
import {meshTiny} from '../../helpers/mesh.js'

const tmp = tmpDirForTests('viewer-browser-')
const twoPeople = path.join(repoRoot, 'test', 'fixtures', 'official-wide', 'wild-wide', 'alphapose-results.json')
const chromium = chromiumPath()
const skip = chromium ? false : NO_CHROMIUM
let browser: Browser | undefined

before(async () => {
  if (chromium) browser = await launchChromium(chromium)
})
after(async () => {
  await browser?.close()
})

interface Colours {
  left: number
  right: number
  /** The mesh's light blue (0x96b0d6, shaded). */
  mesh: number
  pixels: number
  rgb: Buffer
}

/** Counts pixels by colour family in a PNG screenshot. */
async function colours(png: Buffer): Promise<Colours> {
  const {data, info} = await sharp(png).removeAlpha().raw().toBuffer({resolveWithObject: true})
  const c: Colours = {left: 0, right: 0, mesh: 0, pixels: info.width * info.height, rgb: data}
  for (let i = 0; i < data.length; i += 3) {
    const [r, g, b] = [data[i]!, data[i + 1]!, data[i + 2]!]
    if (b > r + 60 && b > g + 25 && r < 120) c.left++
    else if (r > g + 80 && r > b + 80) c.right++
    else if (b > r + 15 && b > 150 && g > 130 && r > 100 && r < 215) c.mesh++
  }
  return c
}

function differingPixels(a: Buffer, b: Buffer): number {
  let n = 0
  for (let i = 0; i < a.length; i += 3) if (Math.abs(a[i]! - b[i]!) + Math.abs(a[i + 1]! - b[i + 1]!) + Math.abs(a[i + 2]! - b[i + 2]!) > 30) n++
  return n
}

async function open(file: string): Promise<{page: Page; errors: string[]}> {
  const page = await browser!.newPage({viewport: {width: 1000, height: 560}})
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto(`file://${file}`)
  await page.waitForFunction('document.body.dataset.ready', null, {timeout: 60_000})
  assert.equal(await page.evaluate('document.body.dataset.ready'), '1', `the viewer did not start: ${errors.join('; ')}`)
  return {page, errors}
}

// The two pages load at the same time: while chromium works on one (mostly waiting on its GPU
// process), the other's predict runs.
describe('the viewer in chromium', {concurrency: 2}, () => {
  test('predict --all-people --render out.html: both people drawn in 3D and 2D, left and right coloured, the slider moves them', {skip}, async () => {
    const html = path.join(tmp, 'two.html')
    const result = await runPredict({input: twoPeople, out: path.join(tmp, 'two.json'), allPeople: true, render: html})
    assert.equal(result.people.length, 2)
    assert.deepEqual(result.people.map((p) => p.render), [html, html], 'one page for everybody')
    const {page, errors} = await open(html)
    const frames = Number(await page.evaluate('window.motionViewer.frames'))
    assert.equal(frames, result.frames)
    const shot0 = await page.locator('#view3d').screenshot()
    writeFileSync(path.join(tmp, 'frame0.png'), shot0)
    const c0 = await colours(shot0)
    assert.ok(c0.left > 300 && c0.right > 300, `3D skeleton colours: left ${c0.left}, right ${c0.right} pixels`)
    const flat2d = await colours(await page.locator('#view2d').screenshot())
    assert.ok(flat2d.left > 100 && flat2d.right > 100, `2D input colours: left ${flat2d.left}, right ${flat2d.right} pixels`)

    await page.locator('#frame').fill(String(Math.floor(frames * 0.75)))
    assert.equal(await page.locator('#frame-label').textContent().then((t) => t?.startsWith(`frame ${Math.floor(frames * 0.75)} `)), true)
    const shot1 = await page.locator('#view3d').screenshot()
    const c1 = await colours(shot1)
    assert.ok(c1.left > 300 && c1.right > 300, 'still drawn after moving the slider')
    const changed = differingPixels(c0.rgb, c1.rgb)
    assert.ok(changed > 500, `moving the slider changed only ${changed} pixels`)

    // Play advances the frames; pause stops them (no frame loop runs while paused).
    const before = Number(await page.evaluate('window.motionViewer.frame'))
    await page.evaluate('window.motionViewer.play()')
    await page.waitForFunction(`window.motionViewer.frame !== ${before}`, null, {timeout: 10_000})
    await page.evaluate('window.motionViewer.pause()')
    const paused = Number(await page.evaluate('window.motionViewer.frame'))
    await page.waitForTimeout(200)
    assert.equal(Number(await page.evaluate('window.motionViewer.frame')), paused, 'paused: the frame stays')
    assert.equal(await page.locator('#play').textContent(), 'Play')
    assert.deepEqual(errors, [])
    await page.close()
  })

  test('predict --task mesh --render out.html draws the mesh surface', {skip}, async () => {
    const heads = path.join(tmp, 'heads4.yaml')
    writeFileSync(heads, 'num_heads: 4\n')
    const {loadMotionConfig} = await import('../../../src/model/config-keys.js')
    const {explicitModelConfig} = await import('../../../src/model/load.js')
    const html = path.join(tmp, 'mesh.html')
    const loaded = await loadMotionConfig({configFile: heads})
    await runPredict({input: twoPeople, task: 'mesh', checkpoint: path.join(meshTiny, 'checkpoint.bin'), modelConfig: explicitModelConfig(loaded), clipLen: 27, out: path.join(tmp, 'mesh.npz'), render: html})
    const {page, errors} = await open(html)
    const c = await colours(await page.locator('#view3d').screenshot())
    assert.ok(c.mesh > 1000 && c.mesh < 0.6 * c.pixels, `mesh surface: ${c.mesh} of ${c.pixels} pixels (the view is fitted to it)`)
    assert.deepEqual(errors, [])
    await page.close()
  })
})
