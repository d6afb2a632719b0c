/**
 * The mesh task through the built CLI: `motion forward` on official mesh checkpoints reproduces
 * theta, verts and kp_3d (both engines), and `motion predict --task mesh` writes meshes and
 * parameters that read back, a render, and refuses outputs it cannot write.
 */
import assert from 'node:assert/strict'
import {readFileSync, readdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {test} from 'node:test'
import sharp from 'sharp'
import {readNpyFloat32, readNpz, toFloat32} from '../../src/formats/npy.js'
import {bodyModelFromWeights} from '../../src/tasks/mesh/body-model.js'
import {smplFromTheta} from '../../src/tasks/mesh/run.js'
import {loadOfficialCheckpoint} from '../../src/model/official.js'
import {runCli} from '../helpers/cli.js'
import {fixturesDir, repoRoot} from '../helpers/paths.js'
import {meshTiny, meshWide, parseGlb, readCase} from '../helpers/mesh.js'
import {relativeError} from '../helpers/compare.js'
import {tmpDirForTests} from '../helpers/tmp.js'

const tmp = tmpDirForTests('mesh-cli-')
const alphapose = path.join(repoRoot, 'test', 'fixtures', 'official-wide', 'wild-wide', 'alphapose-results.json')

function headsConfig(n: number): string {
  const file = path.join(tmp, `heads${n}.yaml`)
  writeFileSync(file, `num_heads: ${n}\n`) // the one size the weights cannot tell
  return file
}

for (const [name, dir, engines] of [['mesh-tiny', meshTiny, ['onnx', 'tfjs']], ['mesh-wide', meshWide, ['onnx']]] as const) {
  test(`motion forward on the ${name} checkpoint writes theta, verts and kp_3d matching the official code (${engines.join(', ')})`, async () => {
    const spec = readCase(dir)
    const c = spec.cases[0]!
    for (const engine of engines) {
      const out = path.join(tmp, `${name}-${engine}.npz`)
      const r = await runCli(['forward', '--checkpoint', path.join(dir, spec.checkpoint), '--config', headsConfig(spec.config.num_heads), '--input', path.join(dir, c.input), '--out', out, '--engine', engine, '--json'])
      assert.equal(r.code, 0, r.stderr)
      const result = JSON.parse(r.stdout) as {outputs: Record<string, number[]>; model: {task: string; head: string}}
      assert.equal(result.model.task, 'mesh')
      assert.deepEqual(Object.keys(result.outputs).sort(), ['kp_3d', 'theta', 'verts'])
      const npz = await readNpz(out)
      for (const k of ['theta', 'verts', 'kp_3d'] as const) {
        const ref = await readNpyFloat32(path.join(dir, c[k]))
        const err = relativeError(toFloat32(npz.get(k)!), ref)
        assert.ok(err <= 1e-4, `${name} ${k} via ${engine}: ${err}`)
      }
    }
  })
}

test('motion predict --task mesh writes an animated .glb and a PNG render of the mesh', async () => {
  const out = path.join(tmp, 'walk.glb')
  const png = path.join(tmp, 'walk.png')
  const r = await runCli(['predict', alphapose, '--task', 'mesh', '--checkpoint', path.join(meshTiny, 'checkpoint.bin'), '--config', headsConfig(4), '--clip-len', '27', '--out', out, '--render', png, '--json'])
  assert.equal(r.code, 0, r.stderr)
  const result = JSON.parse(r.stdout) as {task: string; units: string; people: Array<{frames: number; out: string; render: string}>}
  assert.equal(result.task, 'mesh')
  assert.equal(result.units, 'mm')
  const frames = result.people[0]!.frames
  const {json, read} = parseGlb(new Uint8Array(readFileSync(out)))
  const prim = json.meshes[0]!.primitives[0]!
  assert.equal(prim.targets.length, frames)
  assert.equal(read(prim.attributes.POSITION).length, 400 * 3)
  const meta = await sharp(png).metadata()
  assert.equal(meta.format, 'png')
  assert.ok(meta.width! > 100)
})

test('predict --task mesh --no-flip: the written SMPL parameters pose into the written vertices (npz), and obj folders hold every frame', async () => {
  const npzOut = path.join(tmp, 'walk.npz')
  const r = await runCli(['predict', alphapose, '--task', 'mesh', '--checkpoint', path.join(meshTiny, 'checkpoint.bin'), '--config', headsConfig(4), '--clip-len', '16', '--no-flip', '--out', npzOut])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout + r.stderr, /SMPL mesh/)
  const npz = await readNpz(npzOut)
  const theta = toFloat32(npz.get('theta')!)
  const verts = toFloat32(npz.get('verts')!)
  assert.deepEqual(theta.shape.slice(1), [82])
  assert.deepEqual(verts.shape.slice(1), [400, 3])
  const {model} = await loadOfficialCheckpoint(path.join(meshTiny, 'checkpoint.bin'), {num_heads: 4})
  const posed = await smplFromTheta(bodyModelFromWeights(model.weights), theta)
  assert.ok(relativeError(posed.verts, verts) < 1e-4)

  const objDir = path.join(tmp, 'walk-obj')
  const r2 = await runCli(['predict', alphapose, '--task', 'mesh', '--checkpoint', path.join(meshTiny, 'checkpoint.bin'), '--config', headsConfig(4), '--clip-len', '27', '--out', objDir])
  assert.equal(r2.code, 0, r2.stderr)
  assert.equal(readdirSync(objDir).filter((f) => f.endsWith('.obj')).length, theta.shape[0])
})

test('predict --task mesh refuses outputs it cannot write before running, and a pose model', async () => {
  const bad = await runCli(['predict', alphapose, '--task', 'mesh', '--checkpoint', path.join(meshTiny, 'checkpoint.bin'), '--out', path.join(tmp, 'walk.bvh')])
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /cannot write a mesh as '\.bvh'/)
  const pose = path.join(fixturesDir, 'dstformer-tiny', 'checkpoint.bin')
  const wrong = await runCli(['predict', alphapose, '--task', 'mesh', '--checkpoint', pose, '--config', headsConfig(4), '--out', path.join(tmp, 'x.npz')])
  assert.equal(wrong.code, 3)
  assert.match(wrong.stderr, /pose3d model/)
})
