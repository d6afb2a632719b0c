/** The viewer's page data: quantised frames that decode to within half a step, scenes checked, and the page's size. */
import assert from 'node:assert/strict'
import path from 'node:path'
import {test} from 'node:test'

import {readKeypoints} from '../../../src/data/keypoints/index.js'
import {selectPeople} from '../../../src/data/people.js'
import {dequantise, MISSING, quantise} from '../../../src/render/viewer/encode.js'
import {scriptLiteral, viewerHtml} from '../../../src/render/viewer/html.js'
import {encodeScene, type ViewerScene} from '../../../src/render/viewer/scene.js'
import {sceneFromPredictions} from '../../../src/render/viewer/from-prediction.js'
import {dataDir} from '../../helpers/paths.js'

function ramp(n: number, scale: number): Float32Array {
  return Float32Array.from({length: n}, (_, i) => Math.sin(i * 0.37) * scale + i * 0.01)
}

test('quantise → dequantise is within half a step, keeps the extremes, and maps NaN / Infinity to missing', () => {
  const data = ramp(17 * 3 * 40, 950)
  data[5] = NaN
  data[7] = Infinity
  const q = quantise(data, [40, 17, 3])
  assert.deepEqual(q.shape, [40, 17, 3])
  assert.equal(Buffer.from(q.b64, 'base64').length, data.length * 2)
  assert.equal(Buffer.from(q.b64, 'base64').readInt16LE(5 * 2), MISSING)
  const back = dequantise(q)
  let worst = 0
  for (let i = 0; i < data.length; i++) {
    if (i === 5 || i === 7) assert.ok(Number.isNaN(back[i]), `index ${i} should decode as missing`)
    else worst = Math.max(worst, Math.abs(back[i]! - data[i]!))
  }
  assert.ok(worst <= q.step / 2 + 1e-4 * 950, `worst error ${worst} > half step ${q.step / 2}`)
  assert.ok(q.step < 2000 / 60000, 'a 2000-wide range gets ~65k levels')
})

test('quantise handles constant and all-missing arrays, and refuses a wrong shape', () => {
  const flat = dequantise(quantise(new Float32Array(6).fill(2.5), [2, 3]))
  assert.deepEqual(Array.from(flat), [2.5, 2.5, 2.5, 2.5, 2.5, 2.5])
  const none = dequantise(quantise([NaN, NaN], [2]))
  assert.ok(none.every(Number.isNaN))
  assert.throws(() => quantise(new Float32Array(5), [2, 3]), /holds 6 values, the array has 5/)
})

function person(id: string, T: number, withMesh = false): ViewerScene['people'][number] {
  return {
    id,
    x3d: {data: ramp(T * 17 * 3, 1), shape: [T, 17, 3]},
    input2d: {data: Float32Array.from({length: T * 17 * 3}, (_, i) => (i % 3 === 2 ? 0.5 : 100 + i)), shape: [T, 17, 3]},
    ...(withMesh ? {mesh: {verts: {data: ramp(T * 400 * 3, 800), shape: [T, 400, 3]}, faces: Uint32Array.from({length: 30}, (_, i) => i)}} : {}),
  }
}

test('encodeScene: every person on one timeline, 2D split into x, y and confidence bytes, H36M bones and sides', () => {
  const data = encodeScene({title: 't', unitLabel: 'mm', fps: 25, people: [person('1', 10), person('7', 10)]})
  assert.equal(data.frames, 10)
  assert.deepEqual(data.people.map((p) => p.id), ['1', '7'])
  assert.deepEqual(data.people[0]!.x2d!.shape, [10, 17, 2])
  const conf = Buffer.from(data.people[0]!.conf!, 'base64')
  assert.equal(conf.length, 170)
  assert.equal(conf[0], 128) // 0.5 × 255
  assert.equal(data.bones.length, 16)
  assert.deepEqual(data.left, [4, 5, 6, 11, 12, 13])
  assert.throws(() => encodeScene({title: 't', unitLabel: 'mm', fps: 25, people: [person('1', 10), person('2', 9)]}), /person 2 has 9 frames, person 1 10/)
  assert.throws(() => encodeScene({title: 't', unitLabel: 'mm', fps: 25, people: []}), /at least one person/)
})

test('encodeScene keeps every n-th mesh frame to stay within the mesh budget', () => {
  const T = 50
  const full = encodeScene({title: 'm', unitLabel: 'mm', fps: 30, people: [person('1', T, true)]})
  assert.equal(full.people[0]!.mesh!.frameStep, 1)
  assert.deepEqual(full.people[0]!.mesh!.verts.shape, [T, 400, 3])
  // 400 vertices × 3 × 2 bytes × 4/3 = 3,200 bytes a frame; a 16 kB budget holds 5 of the 50 frames
  const cut = encodeScene({title: 'm', unitLabel: 'mm', fps: 30, people: [person('1', T, true)]}, {meshBudgetBytes: 16_000})
  const mesh = cut.people[0]!.mesh!
  assert.equal(mesh.frameStep, 10)
  assert.deepEqual(mesh.verts.shape, [5, 400, 3])
  assert.ok(mesh.verts.b64.length <= 16_000)
  assert.equal(Buffer.from(mesh.faces, 'base64').length, 30 * 4)
})

test('scriptLiteral cannot close the page script', () => {
  const text = scriptLiteral({s: '</script><script>alert(1)</script><!--'})
  assert.ok(!text.includes('</'))
  assert.ok(!text.includes('<!--'))
  assert.deepEqual(JSON.parse(text), {s: '</script><script>alert(1)</script><!--'})
})

test('the page of the 1,234-frame real AlphaPose file stays under 8 MB and carries three.js inline, nothing from the network', async () => {
  const data = await readKeypoints(path.join(dataDir, 'alphapose-real', 'alphapose-results.json'))
  const {tracks} = selectPeople(data, {all: true})
  // The page's size depends on the shapes only (fixed-width codes), so the 2D stands in for the 3D here.
  const preds = tracks.map((t) => ({x3d: t.keypoints, input2d: t.keypoints, units: 'normalized' as const, rootRelative: false, source: data.file, person: t.id, model: 'test', options: {}}))
  const {html, data: page} = await viewerHtml(sceneFromPredictions(preds))
  assert.equal(page.frames, 1234)
  const bytes = Buffer.byteLength(html)
  assert.ok(bytes < 8_000_000, `page is ${bytes} bytes`)
  assert.match(html, /class WebGLRenderer/)
  assert.match(html, /class OrbitControls/)
  assert.doesNotMatch(html, /(src|href)=["']?https?:/)
  assert.doesNotMatch(html, /from ['"]three['"]/)
})
