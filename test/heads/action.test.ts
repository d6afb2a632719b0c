/** The action head's temporal segments: config read off the weights, tfjs = ONNX, clip-length checks. */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {isMotionError} from '../../src/core/errors.js'
import {type NDArray, size} from '../../src/core/ndarray.js'
import {getBackbone} from '../../src/backbones/registry.js'
import {getHead} from '../../src/heads/registry.js'
import * as tf from '@tensorflow/tfjs'
import {HEAD_PREFIX, backboneInfo, buildModel, forwardModel, randomWeights, resolveModelConfig, tfjsOps, toTfParams} from '../../src/model/model.js'
import {disposeOnnxModel, forwardModelOnnx} from '../../src/model/onnx-model.js'

const TINY = {dim_feat: 16, dim_rep: 24, depth: 1, num_heads: 2, mlp_ratio: 2, maxlen: 12, hidden_dim: 12, action_classes: 5}

function tinyAction(segments: number) {
  const resolved = resolveModelConfig(new Map(), {...TINY, head: 'action', temporal_segments: segments})
  const weights = randomWeights({backbone: getBackbone(resolved.backbone), head: getHead(resolved.head), config: resolved}, 5)
  return buildModel(weights, {num_heads: 2})
}

function input(frames: number): NDArray {
  const shape = [2, 1, frames, 17, 3]
  return {data: Float32Array.from({length: size(shape)}, (_, i) => Math.sin(i * 0.29)), shape}
}

test('temporal_segments is read off fc1 (K·J·R inputs); 1 is the official head', () => {
  assert.equal(tinyAction(1).config.headConfig.temporal_segments, 1)
  const k3 = tinyAction(3)
  assert.equal(k3.config.headConfig.temporal_segments, 3)
  assert.deepEqual(k3.weights.get('head.fc1.weight')!.shape, [12, 3 * 17 * 24])
})

test('with temporal segments, tfjs and the ONNX graph (dynamic frames) agree for every clip length', async () => {
  const model = tinyAction(3)
  try {
    for (const frames of [6, 12]) {
      const x = input(frames)
      const tfjs = await forwardModel(model, x, {backend: 'cpu'})
      const onnx = await forwardModelOnnx(model, x, {threads: 1})
      assert.deepEqual(onnx.logits!.shape, [2, 5])
      const worst = Math.max(...Array.from(tfjs.logits!.data, (v, i) => Math.abs(v - onnx.logits!.data[i]!)))
      assert.ok(worst < 1e-4, `${frames} frames: largest difference ${worst}`)
    }
  } finally {
    await disposeOnnxModel(model)
  }
})

test('the head sees the order of the stretches: reordering them changes the logits only when K > 1', () => {
  // The same representation with its two halves swapped: the same mean over all frames (K 1),
  // other stretch means in another order (K 2).
  const [T, J, R] = [4, 17, 24]
  const rep = Float32Array.from({length: T * J * R}, (_, i) => Math.cos(i * 0.11)) // [1, T, J, R]
  const swapped = new Float32Array(rep.length)
  swapped.set(rep.subarray((T / 2) * J * R), 0)
  swapped.set(rep.subarray(0, (T / 2) * J * R), (T / 2) * J * R)
  for (const [segments, changes] of [[1, false], [2, true]] as const) {
    const model = tinyAction(segments)
    const params = toTfParams(model.weights)
    const ops = tfjsOps(params)
    const logits = (r: Float32Array) =>
      tf.tidy(() => {
        const features = {representation: tf.tensor(r, [1, T, J, R])}
        const ctx = {input: tf.zeros([1, 1, T, J, 3]), backbone: backboneInfo(model.backbone, model.config.backboneConfig), prefix: HEAD_PREFIX}
        return model.head.forward(ops, features, model.config.headConfig, ctx).logits!.dataSync()
      })
    const a = logits(rep)
    const b = logits(swapped)
    for (const p of params.values()) p.dispose()
    const differs = Array.from(a).some((v, i) => Math.abs(v - b[i]!) > 1e-5)
    assert.equal(differs, changes, `temporal_segments ${segments}`)
  }
})

test('a clip that is not a multiple of temporal_segments long is a model error naming both', async () => {
  const model = tinyAction(3)
  await assert.rejects(forwardModel(model, input(7), {backend: 'cpu'}), (err: unknown) => isMotionError(err) && /temporal_segments 3/.test(err.message) && /7 frames/.test(err.message))
})
