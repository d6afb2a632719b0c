/** Model assembly: validation messages, config inference, input checks, backend errors, no tensor leaks. */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import * as tf from '@tensorflow/tfjs-core'
import {ExitCode, isMotionError} from '../../src/core/errors.js'
import {buildModel, disposeModel, forwardModel, randomWeights, resolveModelConfig} from '../../src/model/model.js'
import {getBackbone} from '../../src/backbones/registry.js'
import {getHead} from '../../src/heads/registry.js'
import {fromOfficialStateDict, toOfficialStateDict} from '../../src/model/official.js'
import type {RawConfig} from '../../src/config/types.js'
import {type NDArray, size} from '../../src/core/ndarray.js'

const TINY: RawConfig = {dim_feat: 16, dim_rep: 24, depth: 2, num_heads: 2, mlp_ratio: 2, maxlen: 9, hidden_dim: 12, action_classes: 4}

function tinyWeights(head: string, config: RawConfig = TINY): Map<string, NDArray> {
  const resolved = resolveModelConfig(new Map(), {...config, head})
  return randomWeights({backbone: getBackbone(resolved.backbone), head: getHead(resolved.head), config: resolved}, 3)
}

function input(shape: number[]): NDArray {
  return {data: Float32Array.from({length: size(shape)}, (_, i) => Math.cos(i * 0.37)), shape}
}

test('config is inferred from weight shapes, num_heads from the config', () => {
  const model = buildModel(tinyWeights('pose3d'), {num_heads: 2})
  assert.equal(model.config.head, 'pose3d')
  assert.deepEqual(
    {...model.config.backboneConfig},
    {...model.config.backboneConfig, dim_in: 3, dim_feat: 16, dim_rep: 24, depth: 2, mlp_ratio: 2, maxlen: 9, num_joints: 17, att_fuse: true, qkv_bias: true},
  )
  const action = buildModel(tinyWeights('action'), {num_heads: 2})
  assert.equal(action.config.head, 'action')
  assert.deepEqual(action.config.headConfig, {model_version: 'class', hidden_dim: 12, action_classes: 4, dropout_ratio: 0, temporal_segments: 1, motion_energy: false, energy_segments: 1})
  const embed = tinyWeights('action', {...TINY, model_version: 'embed'})
  assert.equal(buildModel(embed, {num_heads: 2}).config.headConfig.model_version, 'embed')
})

test('missing, unexpected and mis-shaped weights are listed together as one model error', () => {
  const w = tinyWeights('pose3d')
  w.delete('backbone.norm.bias')
  w.delete('head.bias')
  w.set('backbone.extra.weight', {data: new Float32Array(2), shape: [2]})
  w.set('backbone.blocks_st.0.attn_s.proj.weight', {data: new Float32Array(16 * 8), shape: [16, 8]})
  assert.throws(
    () => buildModel(w, {num_heads: 2, head: 'pose3d'}),
    (err: unknown) => {
      assert.ok(isMotionError(err))
      assert.equal(err.exitCode, ExitCode.model)
      assert.match(err.message, /missing: backbone\.norm\.bias, head\.bias/)
      assert.match(err.message, /unexpected: backbone\.extra\.weight/)
      assert.match(err.message, /shape mismatch: backbone\.blocks_st\.0\.attn_s\.proj\.weight is \[16, 8\], expected \[16, 16\]/)
      return true
    },
  )
})

test('a config that contradicts the weights is named in the hint', () => {
  assert.throws(
    () => buildModel(tinyWeights('pose3d'), {num_heads: 2, dim_feat: 32}),
    (err: unknown) => isMotionError(err) && err.exitCode === ExitCode.model && /dim_feat is 32 in the config, 16 in the weights/.test(err.hint ?? ''),
  )
})

test('num_heads that does not divide dim_feat is a model error with a hint', () => {
  assert.throws(
    () => buildModel(tinyWeights('pose3d'), {num_heads: 3}),
    (err: unknown) => isMotionError(err) && err.exitCode === ExitCode.model && /num_heads 3 does not divide dim_feat 16/.test(err.message),
  )
})

test('inputs of the wrong shape or with NaN are input errors naming the problem', async () => {
  const model = buildModel(tinyWeights('pose3d'), {num_heads: 2})
  const cases: Array<[NDArray, RegExp]> = [
    [input([2, 5, 17]), /rank 4/],
    [input([2, 5, 16, 3]), /16 joints, the model takes 17/],
    [input([2, 5, 17, 2]), /2 channels per joint, the model takes 3/],
    [input([1, 10, 17, 3]), /10 frames, more than the model's maxlen 9/],
  ]
  const nan = input([1, 2, 17, 3])
  nan.data[5] = Number.NaN
  cases.push([nan, /non-finite value/])
  for (const [x, pattern] of cases) {
    await assert.rejects(forwardModel(model, x, {backend: 'cpu'}), (err: unknown) => isMotionError(err) && err.exitCode === ExitCode.input && pattern.test(err.message))
  }
  const action = buildModel(tinyWeights('action'), {num_heads: 2})
  await assert.rejects(forwardModel(action, input([2, 5, 17, 3]), {backend: 'cpu'}), /\[N, M, T, J, C\]/)
})

test('a forced backend that cannot load is an input error saying why', async () => {
  const model = buildModel(tinyWeights('pose3d'), {num_heads: 2})
  await assert.rejects(
    forwardModel(model, input([1, 3, 17, 3]), {backend: 'node-gpu'}),
    (err: unknown) => isMotionError(err) && err.exitCode === ExitCode.input && /--backend node-gpu cannot be used: .+/.test(err.message),
  )
})

for (const backend of ['cpu', 'wasm'] as const) {
  test(`forward passes leave tf.memory().numTensors unchanged (${backend})`, async () => {
    for (const head of ['pose3d', 'action']) {
      const model = buildModel(tinyWeights(head), {num_heads: 2})
      const x = input(head === 'action' ? [2, 2, 4, 17, 3] : [2, 4, 17, 3])
      await forwardModel(model, x, {backend}) // uploads the weights once
      const before = tf.memory().numTensors
      const first = await forwardModel(model, x, {backend})
      const second = await forwardModel(model, x, {backend})
      assert.equal(tf.memory().numTensors, before, `${head}: tensors after two more forward passes`)
      assert.deepEqual(first, second)
      disposeModel(model)
      assert.equal(tf.memory().numTensors, before - model.weights.size, `${head}: disposeModel releases the weights`)
    }
  })
}

test('official bare and wrapped layouts map to native names and back', () => {
  const pose = tinyWeights('pose3d')
  const bare = toOfficialStateDict(pose, 'dstformer', 'bare')
  assert.ok(bare.has('joints_embed.weight') && bare.has('head.weight'))
  const moduled = new Map([...bare].map(([k, v]) => [`module.${k}`, v]))
  const imported = fromOfficialStateDict(moduled, {num_heads: 2})
  assert.equal(imported.layout, 'bare')
  assert.equal(imported.config.head, 'pose3d')
  assert.deepEqual([...imported.weights.keys()].sort(), [...pose.keys()].sort())

  const act = tinyWeights('action')
  const wrapped = toOfficialStateDict(act, 'dstformer', 'wrapped')
  // ActionNet keeps the DSTformer's own unused head Linear inside the backbone.
  wrapped.set('backbone.head.weight', {data: new Float32Array(3 * 24), shape: [3, 24]})
  wrapped.set('head.bn.num_batches_tracked', {data: new Float32Array(1), shape: []})
  const importedAction = fromOfficialStateDict(wrapped, {num_heads: 2})
  assert.equal(importedAction.config.head, 'action')
  assert.deepEqual(importedAction.ignored, ['backbone.head.weight'])
  assert.ok(buildModel(importedAction.weights, importedAction.rawConfig))
})

test('a state dict of no known model is refused with the keys it has', () => {
  const sd = new Map([['encoder.layer.weight', {data: new Float32Array(1), shape: [1]}]])
  assert.throws(() => fromOfficialStateDict(sd), (err: unknown) => isMotionError(err) && err.exitCode === ExitCode.model && /encoder\.layer\.weight/.test(err.message))
})
