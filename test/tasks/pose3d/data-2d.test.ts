import assert from 'node:assert/strict'
import path from 'node:path'
import {test} from 'node:test'

import {readTracks2d, TwoDBatchSource, windowTracks} from '../../../src/tasks/pose3d/data-2d.js'
import {trainableNames} from '../../../src/train/freeze.js'
import {Rng} from '../../../src/core/rng.js'
import {createTrainer, OnnxTrainerAdapter} from '../../../src/train/trainer.js'
import {TfjsTrainer} from '../../../src/train/engine-tfjs.js'
import type {TrainBatch} from '../../../src/tasks/train-types.js'
import {dataDir} from '../../helpers/paths.js'
import {maxAbsDiff, tinyModel} from '../../helpers/train.js'

const ALPHAPOSE = path.join(dataDir, 'alphapose-real', 'alphapose-results.json')
const LAMBDAS = {lambda_3d_velocity: 20, lambda_scale: 0.5, lambda_lv: 0, lambda_lg: 0, lambda_a: 0, lambda_av: 0}
const SCHEDULE = {head: 1e-3, backbone: 1e-3, decay: 1}

async function realBatch(batchSize: number, augment = {noise: true, maskRatio: 0.05, maskTRatio: 0.1}): Promise<{source: TwoDBatchSource; batch: TrainBatch}> {
  const windows = windowTracks(await readTracks2d([ALPHAPOSE]), 9)
  const source = new TwoDBatchSource(windows, {batchSize, clipLen: 9, flip: true, augment})
  return {source, batch: source.batch(Array.from({length: batchSize}, (_, i) => i), new Rng(4))}
}

test('2D-only batches from the real AlphaPose file: clip_len windows, crop_scale-normalised clean targets, confidences apart', async () => {
  const {source, batch} = await realBatch(3)
  assert.ok(source.size >= 3, `windows: ${source.size}`)
  assert.deepEqual(batch.input.shape, [3, 9, 17, 3])
  assert.deepEqual(batch.target!.shape, [3, 9, 17, 3])
  assert.deepEqual(batch.conf!.shape, [3, 9, 17, 1])
  const t = batch.target!.data
  assert.ok(t.every((v) => v >= -1 && v <= 1), 'crop_scale clips to [-1, 1]')
  for (let i = 0; i < batch.conf!.data.length; i++) assert.equal(batch.conf!.data[i], t[i * 3 + 2])
  assert.ok(batch.conf!.data.some((c) => c > 0.3), 'real detections carry confidences')
  // Noise and masking change the input, never the target.
  assert.ok(maxAbsDiff(batch.input.data, t) > 0)
})

test('tfjs and onnx trainers give the same 2D loss and gradients on one 2D-only batch, weighted by lambda_2d', async () => {
  const model = tinyModel('pose3d', 5)
  const trainable = trainableNames([...model.weights.keys()], {kind: 'none'})
  const common = {model, task: 'pose3d' as const, trainable, schedule: SCHEDULE, weightDecay: 0.01, lambdas: LAMBDAS, inputShape: [2, 9, 17, 3], seed: 0, threads: 1, lambda2d: 2}
  const tfjs = (await createTrainer({...common, engine: 'tfjs', backend: 'wasm'})).trainer as TfjsTrainer
  const onnx = (await createTrainer({...common, engine: 'onnx', backend: 'auto'})).trainer as OnnxTrainerAdapter
  const {batch} = await realBatch(2)
  const a = await tfjs.gradients(batch)
  const b = await onnx.gradients2d(batch)
  const part = a.parts['2d_proj']!
  assert.ok(part > 0)
  assert.ok(Math.abs(a.loss - 2 * part) <= 1e-6 * a.loss, 'total = lambda_2d · loss_2d_weighted')
  assert.ok(Math.abs(a.loss - b.loss) / Math.max(1, Math.abs(a.loss)) <= 1e-4, `${a.loss} vs ${b.loss}`)
  assert.ok(Math.abs(part - b.parts['2d_proj']!) <= 1e-4)
  assert.ok(a.grads.size > 0)
  for (const [name, g] of a.grads) {
    const h = b.grads.get(name)
    assert.ok(h, `onnx has no gradient for ${name}`)
    const scale = Math.max(1, ...Array.from(g.data, Math.abs))
    assert.ok(maxAbsDiff(g.data, h.data) / scale <= 1e-4, `${name}: ${maxAbsDiff(g.data, h.data)}`)
  }
  // A 2D step and a 3D step on the onnx trainer share the weights and AdamW state, as on tfjs.
  const pose: TrainBatch = {task: 'pose3d', input: batch.input, target: batch.target}
  await tfjs.step(batch, 1)
  await onnx.step(batch, 1)
  await tfjs.step(pose, 1)
  await onnx.step(pose, 1)
  const wa = tfjs.weights()
  const wb = onnx.weights()
  for (const [name, w] of wa) assert.ok(maxAbsDiff(w.data, wb.get(name)!.data) <= 1e-4, name)
  assert.deepEqual(JSON.parse(String(onnx.optimiserState().meta.steps)), JSON.parse(String(tfjs.optimiserState().meta.steps)), 'both graphs stepped the one AdamW')
  tfjs.dispose()
  onnx.dispose()
})
