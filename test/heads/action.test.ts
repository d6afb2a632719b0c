/** The action head's pooling (temporal segments, motion energy): config, tfjs = ONNX = the cache's arrays, clip-length checks. */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {isMotionError} from '../../src/core/errors.js'
import {type NDArray, size} from '../../src/core/ndarray.js'
import {getBackbone} from '../../src/backbones/registry.js'
import {type ActionConfig, poolFramesArray, poolFramesOps} from '../../src/heads/action.js'
import {getHead} from '../../src/heads/registry.js'
import * as tf from '@tensorflow/tfjs'
import {HEAD_PREFIX, backboneInfo, buildModel, forwardModel, randomWeights, resolveModelConfig} from '../../src/model/model.js'
import {tfjsOps, toTfParams} from '../../src/nn/tfjs/weights.js'
import {disposeOnnxModel, forwardModelOnnx} from '../../src/model/onnx-model.js'

const TINY = {dim_feat: 16, dim_rep: 24, depth: 1, num_heads: 2, mlp_ratio: 2, maxlen: 12, hidden_dim: 12, action_classes: 5}

function tinyAction(segments: number, motionEnergy = false, energySegments = 1) {
  const resolved = resolveModelConfig(new Map(), {...TINY, head: 'action', temporal_segments: segments, motion_energy: motionEnergy, energy_segments: energySegments})
  const weights = randomWeights({backbone: getBackbone(resolved.backbone), head: getHead(resolved.head), config: resolved}, 5)
  return buildModel(weights, {num_heads: 2, motion_energy: motionEnergy, energy_segments: energySegments})
}

/** The head alone (tfjs, eval mode) on a representation [1, T, J, R], or on its pooled slots. */
function headLogits(model: ReturnType<typeof tinyAction>, rep: NDArray, pooled: boolean): Float32Array {
  const params = toTfParams(model.weights)
  try {
    return tf.tidy(() => {
      const [, T, J] = rep.shape as [number, number, number, number]
      const x = pooled ? model.head.poolFrames!(rep, model.config.headConfig) : rep
      const features = {[pooled ? 'pooledRepresentation' : 'representation']: tf.tensor(x.data, x.shape)}
      const ctx = {input: tf.zeros([1, 1, T, J, 3]), backbone: backboneInfo(model.backbone, model.config.backboneConfig), prefix: HEAD_PREFIX}
      return model.head.forward(tfjsOps(params), features, model.config.headConfig, ctx).logits!.dataSync() as Float32Array
    })
  } finally {
    for (const p of params.values()) p.dispose()
  }
}

function largestDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!)))
}

function input(frames: number): NDArray {
  const shape = [2, 1, frames, 17, 3]
  return {data: Float32Array.from({length: size(shape)}, (_, i) => Math.sin(i * 0.29)), shape}
}

test('temporal_segments is read off fc1 (P·J·R inputs, P = K + 1 with motion_energy); 1 is the official head', () => {
  assert.equal(tinyAction(1).config.headConfig.temporal_segments, 1)
  const k3 = tinyAction(3)
  assert.equal(k3.config.headConfig.temporal_segments, 3)
  assert.deepEqual(k3.weights.get('head.fc1.weight')!.shape, [12, 3 * 17 * 24])
  const k3e = tinyAction(3, true)
  assert.equal(k3e.config.headConfig.temporal_segments, 3)
  assert.deepEqual(k3e.weights.get('head.fc1.weight')!.shape, [12, 4 * 17 * 24])
  const k3e2 = tinyAction(3, true, 2)
  assert.equal(k3e2.config.headConfig.temporal_segments, 3, 'K is read off fc1 once the E energy slots are taken away')
  assert.deepEqual(k3e2.weights.get('head.fc1.weight')!.shape, [12, 5 * 17 * 24])
})

test('poolFramesArray: stretch means in order, then the mean absolute frame-to-frame change over each energy stretch', () => {
  // B 1, T 4, J 1, R 1: frames 1, 3, 10, 30; changes 0 (the first frame), 2, 7, 20
  const x = {data: Float32Array.from([1, 3, 10, 30]), shape: [1, 4, 1, 1]}
  assert.deepEqual(Array.from(poolFramesArray(x, 2, 0).data), [2, 20])
  const withEnergy = poolFramesArray(x, 2, 1)
  assert.deepEqual(withEnergy.shape, [1, 3, 1, 1])
  assert.deepEqual(Array.from(withEnergy.data), [2, 20, (2 + 7 + 20) / 4])
  const perStretch = poolFramesArray(x, 2, 2)
  assert.deepEqual(perStretch.shape, [1, 4, 1, 1])
  assert.deepEqual(Array.from(perStretch.data), [2, 20, (0 + 2) / 2, (7 + 20) / 2])
  assert.throws(() => poolFramesArray({data: new Float32Array(3), shape: [1, 3, 1, 1]}, 2, 0), /3 frames over 2/)
  assert.throws(() => poolFramesArray({data: new Float32Array(6), shape: [1, 6, 1, 1]}, 2, 4), /energy_segments 4/)
})

test('the head gives the same logits on every frame as on the pooled slots a feature cache keeps', () => {
  const rep = {data: Float32Array.from({length: 6 * 17 * 24}, (_, i) => Math.cos(i * 0.07)), shape: [1, 6, 17, 24]}
  for (const [segments, energy, energySegments] of [[1, false, 1], [3, false, 1], [2, true, 1], [2, true, 3]] as const) {
    const model = tinyAction(segments, energy, energySegments)
    const worst = largestDifference(headLogits(model, rep, false), headLogits(model, rep, true))
    assert.ok(worst < 1e-4, `temporal_segments ${segments}, motion_energy ${energy}, energy_segments ${energySegments}: largest difference ${worst}`)
  }
})

test('with temporal segments and motion energy, tfjs and the ONNX graph (dynamic frames) agree for every clip length', async () => {
  for (const [energy, energySegments] of [[false, 1], [true, 1], [true, 3]] as const) {
    const model = tinyAction(3, energy, energySegments)
    try {
      for (const frames of [6, 12]) {
        const x = input(frames)
        const tfjs = await forwardModel(model, x, {backend: 'cpu'})
        const onnx = await forwardModelOnnx(model, x, {threads: 1})
        assert.deepEqual(onnx.logits!.shape, [2, 5])
        const worst = largestDifference(tfjs.logits!.data, onnx.logits!.data)
        assert.ok(worst < 1e-4, `motion_energy ${energy}, energy_segments ${energySegments}, ${frames} frames: largest difference ${worst}`)
      }
    } finally {
      await disposeOnnxModel(model)
    }
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
    const a = headLogits(model, {data: rep, shape: [1, T, J, R]}, false)
    const b = headLogits(model, {data: swapped, shape: [1, T, J, R]}, false)
    assert.equal(largestDifference(a, b) > 1e-5, changes, `temporal_segments ${segments}`)
  }
})

test('a clip that is not a multiple of temporal_segments (or energy_segments) long is a model error naming both', async () => {
  const model = tinyAction(3)
  await assert.rejects(forwardModel(model, input(7), {backend: 'cpu'}), (err: unknown) => isMotionError(err) && /temporal_segments 3/.test(err.message) && /7 frames/.test(err.message))
  const energy = tinyAction(2, true, 4)
  await assert.rejects(forwardModel(energy, input(6), {backend: 'cpu'}), (err: unknown) => isMotionError(err) && /energy_segments 4/.test(err.message) && /6 frames/.test(err.message))
})

test('energy per stretch tells steady motion from a burst followed by rest, which one energy over the clip cannot', () => {
  // J 1, R 1: a feature that moves by 1 every frame (waving), and one that moves by 2 in the first
  // half and rests in the second (raise and hold): the same mean change, 8/9, over the clip.
  const steady = {data: Float32Array.from([0, 1, 0, 1, 0, 1, 0, 1, 0]), shape: [1, 9, 1, 1]}
  const burst = {data: Float32Array.from([0, 2, 4, 6, 8, 8, 8, 8, 8]), shape: [1, 9, 1, 1]}
  const one = (x: NDArray) => Array.from(poolFramesArray(x, 1, 1).data).slice(1)
  const three = (x: NDArray) => Array.from(poolFramesArray(x, 1, 3).data).slice(1)
  assert.deepEqual(one(steady), one(burst))
  assert.notDeepEqual(three(steady), three(burst))
  assert.deepEqual(three(burst).map((v) => Math.fround(v)), [4 / 3, 4 / 3, 0].map((v) => Math.fround(v)))
})

test('in training, dropout does not leak into the motion energy: features that never change have zero energy', () => {
  // [N 2, M 1, T 6, J 3, R 8], the same features in every frame; dropout 0.5 in train mode.
  const [N, M, T, J, R] = [2, 1, 6, 3, 8]
  const frame = Float32Array.from({length: N * J * R}, (_, i) => 1 + Math.cos(i))
  const data = new Float32Array(N * M * T * J * R)
  for (let n = 0; n < N; n++) for (let t = 0; t < T; t++) data.set(frame.subarray(n * J * R, (n + 1) * J * R), (n * T + t) * J * R)
  const config: ActionConfig = {...getHead('action').defaults as ActionConfig, temporal_segments: 2, motion_energy: true, energy_segments: 3, dropout_ratio: 0.5}
  const pooled = tf.tidy(() => poolFramesOps(tfjsOps(new Map(), 'train'), tf.tensor(data, [N, M, T, J, R]), config).arraySync() as number[][][][][])
  const slots = pooled.flatMap((person) => person[0]!) // [N * P] slots of [J][R]
  const means = slots.filter((_, i) => i % 5 < 2).flat(2)
  const energies = slots.filter((_, i) => i % 5 >= 2).flat(2)
  assert.equal(energies.length, N * 3 * J * R)
  assert.ok(energies.every((v) => v === 0), `largest energy ${Math.max(...energies)}`)
  // dropout is on: the stretch means are not the clean features
  const clean = Array.from({length: N}, (_, n) => Array.from({length: 2}, () => Array.from(frame.subarray(n * J * R, (n + 1) * J * R)))).flat(2)
  assert.ok(means.some((v, i) => Math.abs(v - clean[i]!) > 1e-3), 'dropout changed the stretch means')
})
