/**
 * Finetuning for meshes on synthetic data posed by the fixture's body model (SMPL itself cannot
 * ship): a fresh SMPLRegressor on a pretrained pose backbone starts at the mean pose and shape, and
 * AdamW steps on the official objective lower it; the gradients reach backbone and head but never
 * the body-model buffers.
 */
import assert from 'node:assert/strict'
import path from 'node:path'
import {test} from 'node:test'
import * as tf from '@tensorflow/tfjs'
import {getHead} from '../../../src/heads/registry.js'
import {bodyModelWeights, loadBodyModel} from '../../../src/tasks/mesh/body-model.js'
import {DEFAULT_MESH_LOSS} from '../../../src/tasks/mesh/losses.js'
import {evaluateMesh} from '../../../src/tasks/mesh/metrics.js'
import {meshModel, meshStepLoss, rotmatsOfTheta, synthMeshData} from '../../../src/tasks/mesh/train.js'
import {BACKBONE_PREFIX, HEAD_PREFIX, backboneInfo, forwardModel} from '../../../src/model/model.js'
import {toTfParams} from '../../../src/nn/tfjs/weights.js'
import {loadOfficialCheckpoint} from '../../../src/model/official.js'
import {selectBackend} from '../../../src/nn/tfjs/backend.js'
import {TfjsOps} from '../../../src/nn/tfjs/ops.js'
import {fixturesDir} from '../../helpers/paths.js'
import {meshTiny} from '../../helpers/mesh.js'

test('a fresh mesh head on a pose backbone starts at the mean pose and shape, and AdamW on the official loss lowers it', async () => {
  await selectBackend({force: 'wasm'}) // the backend tfjs training uses by default in Node
  const body = await loadBodyModel({dir: path.join(meshTiny, 'body_model'), needMeanParams: true})
  const pose = await loadOfficialCheckpoint(path.join(fixturesDir, 'dstformer-tiny', 'checkpoint.bin'), {num_heads: 4})
  const model = meshModel(pose.model.weights, body, {num_heads: 4, hidden_dim: 32}, 7)
  assert.equal(model.config.head, 'mesh')
  // Body-model buffers come from the files, unchanged.
  for (const [k, v] of bodyModelWeights(body)) assert.deepEqual(model.weights.get(k), v, k)

  const data = await synthMeshData(body, {clips: 3, frames: 6, seed: 3})
  assert.deepEqual(rotmatsOfTheta(data.theta).data, data.rotmat.data)
  // At initialisation (eval mode) the shape is the mean shape up to head_shape's bias (U(±1/√hidden), as nn.Linear).
  const before = await forwardModel(model, data.input, {backend: 'wasm'})
  const betas0 = before.theta!.data.subarray(72, 82)
  for (let k = 0; k < 10; k++) assert.ok(Math.abs(betas0[k]! - body.meanShape!.data[k]!) < 1 / Math.sqrt(32) + 0.05)

  // Frozen backbone, as finetune's feature cache: the representation once, then head steps on it.
  const head = getHead('mesh')
  const isBuffer = (name: string): boolean => name.startsWith(HEAD_PREFIX) && head.isBuffer!(name.slice(HEAD_PREFIX.length))
  const params = toTfParams(model.weights, {trainable: (n) => n.startsWith(HEAD_PREFIX) && !isBuffer(n)})
  const trainable = [...params.values()].filter((t): t is tf.Variable => t instanceof tf.Variable)
  assert.equal(trainable.length, 12) // fc1, fc2, bn1, bn2 (weight, bias), head_pose, head_shape
  assert.ok(!(params.get('head.smpl.v_template') instanceof tf.Variable))
  const info = backboneInfo(model.backbone, model.config.backboneConfig)
  const x = tf.tensor(data.input.data, data.input.shape)
  const features = tf.tidy(() => model.backbone.forwardFeatures(new TfjsOps(params), x, model.config.backboneConfig, BACKBONE_PREFIX).representation!)
  const optimizer = tf.train.adam(5e-3)
  const losses: number[] = []
  const config = {...DEFAULT_MESH_LOSS}
  try {
    for (let step = 0; step < 12; step++) {
      const value = optimizer.minimize(() => {
        const ops = new TfjsOps(params, {mode: 'train'})
        const outputs = head.forward(ops, {representation: features}, model.config.headConfig, {input: x, backbone: info, prefix: HEAD_PREFIX})
        return meshStepLoss(ops, outputs, data, config).total as tf.Scalar
      }, true, trainable)!
      losses.push(value.dataSync()[0]!)
      value.dispose()
    }
  } finally {
    tf.dispose([x, features])
    optimizer.dispose()
  }
  const first = losses.slice(0, 3).reduce((a, b) => a + b) / 3
  const last = losses.slice(-3).reduce((a, b) => a + b) / 3
  assert.ok(losses.every(Number.isFinite))
  assert.ok(last < 0.8 * first, `loss ${first.toFixed(2)} → ${last.toFixed(2)}`)
  // The buffers were not touched.
  assert.deepEqual(params.get('head.smpl.v_template')!.dataSync(), body.vTemplate.data)
  for (const t of params.values()) t.dispose()

  // Metrics on the untrained model are finite and in mm.
  const m = evaluateMesh({verts: before.verts!, kp_3d: before.kp_3d!}, {verts: data.verts, kp_3d: data.kp_3d})
  assert.ok(m.mpve > 0 && Number.isFinite(m.pa_mpjpe))
})
