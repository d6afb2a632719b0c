/**
 * Official MeshRegressor fixtures (MotionBERT + smplx, random weights, synthetic SMPL-layout body
 * models) reproduced through the library API: theta, verts and kp_3d on tfjs (wasm, cpu) and onnx,
 * from the checkpoint's own head.smpl.* buffers and from the body model files.
 */
import assert from 'node:assert/strict'
import path from 'node:path'
import {test} from 'node:test'
import {readNpyFloat32} from '../../../src/formats/npy.js'
import {bodyModelWeights, loadBodyModel} from '../../../src/tasks/mesh/body-model.js'
import {type Model, buildModel, disposeModel, forwardModel} from '../../../src/model/model.js'
import {disposeOnnxModel, forwardModelOnnx} from '../../../src/model/onnx-model.js'
import {loadOfficialCheckpoint} from '../../../src/model/official.js'
import {meshTiny, meshWide, readCase} from '../../helpers/mesh.js'
import {relativeError} from '../../helpers/compare.js'

type Engine = 'wasm' | 'cpu' | 'onnx'

async function checkFixture(dir: string, engines: readonly Engine[], opts: {bodyFromFiles?: boolean} = {}): Promise<void> {
  const spec = readCase(dir)
  const loaded = await loadOfficialCheckpoint(path.join(dir, spec.checkpoint), {num_heads: spec.config.num_heads})
  let model: Model = loaded.model
  assert.equal(model.config.head, 'mesh')
  if (opts.bodyFromFiles) {
    // Replace every body-model buffer with what the files give: the same numbers must come out.
    const body = await loadBodyModel({dir: path.join(dir, 'body_model'), needMeanParams: true})
    const weights = new Map(model.weights)
    for (const [k, v] of bodyModelWeights(body)) weights.set(k, v)
    model = buildModel(weights, loaded.imported.rawConfig)
  }
  try {
    for (const c of spec.cases) {
      const input = await readNpyFloat32(path.join(dir, c.input))
      for (const engine of engines) {
        const out = engine === 'onnx' ? await forwardModelOnnx(model, input) : await forwardModel(model, input, {backend: engine})
        assert.deepEqual(Object.keys(out).sort(), ['kp_3d', 'theta', 'verts'])
        for (const name of ['theta', 'verts', 'kp_3d'] as const) {
          const ref = await readNpyFloat32(path.join(dir, c[name]))
          const err = relativeError(out[name]!, ref)
          assert.ok(err <= 1e-4, `${path.basename(dir)} ${name} on ${engine}: relative error ${err}`)
        }
      }
    }
  } finally {
    disposeModel(model)
    await disposeOnnxModel(model)
  }
}

test('mesh-tiny: theta, verts and kp_3d match the official MeshRegressor (wasm, cpu, onnx)', () => checkFixture(meshTiny, ['wasm', 'cpu', 'onnx']))
test('mesh-wide (700 vertices, wider head, 30 frames): matches on wasm and onnx', () => checkFixture(meshWide, ['wasm', 'onnx']))
test('mesh-tiny with the body model read from body_model/ (npz, npy) instead of the checkpoint buffers', () =>
  checkFixture(meshTiny, ['wasm'], {bodyFromFiles: true}))

test('the mesh checkpoint resolves to the mesh head with sizes read off the weights', async () => {
  const {model, imported} = await loadOfficialCheckpoint(path.join(meshWide, 'checkpoint.bin'), {num_heads: 8})
  assert.equal(model.config.head, 'mesh')
  assert.equal(model.config.headConfig.hidden_dim, 96)
  assert.equal(model.config.headConfig.num_verts, 700)
  assert.equal(model.config.headConfig.num_faces, 1400)
  assert.equal(imported.layout, 'wrapped')
})
