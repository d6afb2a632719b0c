/**
 * Mesh outputs read back: .obj per frame (parsed), the animated .glb (parsed by a small GLB reader
 * here: header, JSON and BIN chunks, accessors, morph targets, the STEP animation), SMPL parameters
 * as .npz and .json, and the flat-shaded renders (PNG sheet, GIF pages).
 */
import assert from 'node:assert/strict'
import {readFileSync, readdirSync} from 'node:fs'
import path from 'node:path'
import {test} from 'node:test'
import sharp from 'sharp'
import {readNpz, readNpyFloat32, toFloat32} from '../../../src/formats/npy.js'
import {type MeshSequence, encodeGlb, writeMeshOutput} from '../../../src/tasks/mesh/writers.js'
import {loadBodyModel} from '../../../src/tasks/mesh/body-model.js'
import {renderMesh} from '../../../src/render/mesh.js'
import {meshTiny, parseGlb, readCase} from '../../helpers/mesh.js'
import {tmpDirForTests} from '../../helpers/tmp.js'

const tmp = tmpDirForTests('mesh-writers-')

/** Clip 0 of the official fixture output (16 frames, 400 vertices). */
async function sequence(): Promise<MeshSequence> {
  const c = readCase(meshTiny).cases[0]!
  const slice = (a: {data: Float32Array; shape: number[]}): {data: Float32Array; shape: number[]} => {
    const per = a.data.length / (a.shape[0]! * a.shape[1]!)
    return {data: a.data.slice(0, a.shape[1]! * per), shape: a.shape.slice(1)}
  }
  const body = await loadBodyModel({dir: path.join(meshTiny, 'body_model')})
  return {
    theta: slice(await readNpyFloat32(path.join(meshTiny, c.theta))),
    verts: slice(await readNpyFloat32(path.join(meshTiny, c.verts))),
    kp_3d: slice(await readNpyFloat32(path.join(meshTiny, c.kp_3d))),
    faces: body.faces,
    fps: 25,
  }
}

/** Camera mm → the writers' glTF axes (metres, y up). */
const expectedPosition = (seq: MeshSequence, f: number, v: number): number[] => {
  const o = (f * 400 + v) * 3
  return [seq.verts.data[o]! / 1000, -seq.verts.data[o + 1]! / 1000, -seq.verts.data[o + 2]! / 1000]
}

test('the animated .glb re-loads: base mesh, one morph target per frame, one-hot STEP weights at the clip rate', async () => {
  const seq = await sequence()
  const file = path.join(tmp, 'body.glb')
  assert.equal((await writeMeshOutput(seq, file)).kind, 'glb')
  const {json, read} = parseGlb(new Uint8Array(readFileSync(file)))
  const prim = json.meshes[0]!.primitives[0]!
  assert.deepEqual(Array.from(read(prim.indices)), Array.from(seq.faces))
  const base = read(prim.attributes.POSITION) as Float32Array
  assert.equal(prim.targets.length, 16)
  const pos = json.accessors[prim.attributes.POSITION]!
  assert.equal(pos.min!.length, 3)
  for (const f of [0, 7, 15]) {
    const delta = read(prim.targets[f]!.POSITION) as Float32Array
    for (const v of [0, 123, 399]) {
      const e = expectedPosition(seq, f, v)
      for (let c = 0; c < 3; c++) assert.ok(Math.abs(base[v * 3 + c]! + delta[v * 3 + c]! - e[c]!) < 1e-6)
    }
  }
  const anim = json.animations[0]!
  assert.equal(anim.channels[0]!.target.path, 'weights')
  assert.equal(anim.samplers[0]!.interpolation, 'STEP')
  const times = read(anim.samplers[0]!.input) as Float32Array
  assert.ok(Math.abs(times[5]! - 5 / 25) < 1e-7)
  const weights = read(anim.samplers[0]!.output) as Float32Array
  assert.equal(weights.length, 16 * 16)
  assert.equal(weights[3 * 16 + 3], 1)
  assert.equal(weights.slice(3 * 16, 4 * 16).reduce((a, b) => a + b, 0), 1)
  // The bytes do not depend on anything but the sequence.
  assert.deepEqual(encodeGlb(seq), new Uint8Array(readFileSync(file)))
})

test('one .obj per frame in a folder, each parsing back to the frame\'s vertices and the faces', async () => {
  const seq = await sequence()
  const dir = path.join(tmp, 'objs')
  const written = await writeMeshOutput(seq, dir)
  assert.equal(written.kind, 'obj')
  const names = readdirSync(dir).sort()
  assert.equal(names.length, 16)
  assert.equal(names[0], 'frame_000000.obj')
  for (const f of [0, 15]) {
    const lines = readFileSync(path.join(dir, names[f]!), 'utf8').split('\n')
    const v = lines.filter((l) => l.startsWith('v ')).map((l) => l.split(' ').slice(1).map(Number))
    const faces = lines.filter((l) => l.startsWith('f ')).flatMap((l) => l.split(' ').slice(1).map((s) => Number(s) - 1))
    assert.equal(v.length, 400)
    assert.deepEqual(faces, Array.from(seq.faces))
    for (const i of [0, 250]) {
      const e = expectedPosition(seq, f, i)
      for (let c = 0; c < 3; c++) assert.ok(Math.abs(v[i]![c]! - e[c]!) < 1e-6)
    }
  }
})

test('SMPL parameters as .npz (theta, pose, betas, kp_3d, verts, faces) and .json per frame', async () => {
  const seq = await sequence()
  const npzFile = path.join(tmp, 'params.npz')
  await writeMeshOutput(seq, npzFile)
  const npz = await readNpz(npzFile)
  assert.deepEqual([...npz.keys()].sort(), ['betas', 'faces', 'kp_3d', 'pose', 'theta', 'verts'])
  const pose = toFloat32(npz.get('pose')!)
  assert.deepEqual(pose.shape, [16, 72])
  assert.equal(pose.data[72 + 5], seq.theta.data[82 + 5])
  assert.deepEqual(Array.from(toFloat32(npz.get('betas')!).data.subarray(10, 20)), Array.from(seq.theta.data.subarray(82 + 72, 82 + 82)))
  assert.deepEqual(npz.get('verts')!.shape, [16, 400, 3])
  const jsonFile = path.join(tmp, 'params.json')
  await writeMeshOutput(seq, jsonFile)
  const json = JSON.parse(readFileSync(jsonFile, 'utf8')) as {joints: string[]; fps: number; frames: Array<{pose: number[]; betas: number[]; kp_3d: number[][]}>}
  assert.equal(json.frames.length, 16)
  assert.equal(json.joints[0], 'pelvis')
  assert.equal(json.fps, 25)
  assert.ok(Math.abs(json.frames[2]!.pose[5]! - seq.theta.data[2 * 82 + 5]!) < 1e-5)
  assert.ok(Math.abs(json.frames[2]!.kp_3d[16]![2]! - seq.kp_3d.data[(2 * 17 + 16) * 3 + 2]!) < 1e-3)
  await assert.rejects(writeMeshOutput(seq, path.join(tmp, 'x.ply')), /cannot write a mesh as \.ply/)
})

test('renders: a PNG contact sheet with the body drawn, and a GIF with one page per shown frame', async () => {
  const seq = await sequence()
  const png = path.join(tmp, 'mesh.png')
  await renderMesh(seq, png, {panelSize: 96, frames: 4, columns: 2})
  const {data, info} = await sharp(png).raw().toBuffer({resolveWithObject: true})
  assert.equal(info.width, 8 + 2 * (96 + 8))
  assert.equal(info.height, 8 + 2 * (96 + 8))
  // Some pixels carry the body colour (shaded blue: b > r), not only background/white.
  let body = 0
  for (let i = 0; i < data.length; i += info.channels) if (data[i + 2]! > data[i]! + 20) body++
  assert.ok(body > 200, `body pixels ${body}`)
  const gif = path.join(tmp, 'mesh.gif')
  await renderMesh(seq, gif, {panelSize: 64})
  const meta = await sharp(gif, {pages: -1}).metadata()
  assert.equal(meta.format, 'gif')
  assert.equal(meta.pages, 16)
  assert.equal(meta.pageHeight, 64)
  assert.equal(meta.delay![0], 40)
  await assert.rejects(renderMesh(seq, path.join(tmp, 'x.bmp')), /unknown render format/)
})
