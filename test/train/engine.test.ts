import assert from 'node:assert/strict'
import {test} from 'node:test'

import {selectBackend} from '../../src/nn/tfjs/backend.js'
import {TfjsTrainer} from '../../src/train/engine-tfjs.js'
import {trainableNames} from '../../src/train/freeze.js'
import {AdamW} from '../../src/train/optim.js'
import {adamwConfig, createTrainer} from '../../src/train/trainer.js'
import type {TrainBatch} from '../../src/tasks/train-types.js'
import {maxAbsDiff, randomArray, tinyModel} from '../helpers/train.js'

const LAMBDAS = {lambda_3d_velocity: 20, lambda_scale: 0.5, lambda_lv: 0, lambda_lg: 0, lambda_a: 0, lambda_av: 0}
const SCHEDULE = {head: 1e-3, backbone: 1e-3, decay: 1}

function poseBatch(seed: number): TrainBatch {
  const input = randomArray([2, 9, 17, 3], seed)
  // A learnable, smooth target: the same pose in every frame.
  const target = randomArray([2, 9, 17, 3], seed + 1, 0.3)
  for (let n = 0; n < 2; n++) for (let t = 1; t < 9; t++) target.data.copyWithin((n * 9 + t) * 51, n * 9 * 51, (n * 9 + 1) * 51)
  return {task: 'pose3d', input, target}
}

test('tfjs trainer: steps on a fixed batch lower the loss; with a frozen backbone only head weights move', async () => {
  await selectBackend({force: 'wasm'})
  const model = tinyModel('pose3d')
  const batch = poseBatch(3)
  const fast = {head: 1e-2, backbone: 1e-2, decay: 1}
  const all = new TfjsTrainer({model, trainable: trainableNames([...model.weights.keys()], {kind: 'none'}), optimiser: new AdamW(adamwConfig(fast, 0.01)), lambdas: LAMBDAS, backend: 'wasm'})
  const first = await all.step(batch, 1)
  let last = first
  for (let i = 0; i < 5; i++) last = await all.step(batch, 1)
  assert.ok(last.loss < first.loss * 0.95, `loss ${first.loss} -> ${last.loss}`)
  assert.ok(first.parts.mpjpe! > 0 && first.parts.velocity! >= 0)
  all.dispose()

  const trainable = trainableNames([...model.weights.keys()], {kind: 'backbone'})
  const headOnly = new TfjsTrainer({model, trainable, optimiser: new AdamW(adamwConfig(SCHEDULE, 0.01)), lambdas: LAMBDAS, backend: 'wasm'})
  await headOnly.step(batch, 1)
  await headOnly.step(batch, 1)
  const after = headOnly.weights()
  for (const [name, w] of model.weights) {
    const same = maxAbsDiff(w.data, after.get(name)!.data) === 0
    if (name.startsWith('head.')) assert.ok(!same, `${name} should change`)
    else assert.ok(same, `${name} must stay bit-for-bit`)
  }
  headOnly.dispose()
})

test('tfjs trainer: action steps update BatchNorm running statistics and the optimiser state round-trips', async () => {
  await selectBackend({force: 'wasm'})
  const model = tinyModel('action')
  const trainable = trainableNames([...model.weights.keys()], {kind: 'none'})
  const t = new TfjsTrainer({model, trainable, optimiser: new AdamW(adamwConfig(SCHEDULE, 0.01)), backend: 'cpu'})
  const batch: TrainBatch = {task: 'action', input: randomArray([4, 1, 9, 17, 3], 5), labels: Int32Array.from([0, 1, 2, 1])}
  const r = await t.step(batch, 1)
  assert.ok(Number.isFinite(r.loss) && r.parts.ce === r.loss)
  const w = t.weights()
  assert.ok(maxAbsDiff(w.get('head.bn.running_mean')!.data, model.weights.get('head.bn.running_mean')!.data) > 0)
  assert.ok(maxAbsDiff(w.get('head.bn.running_var')!.data, model.weights.get('head.bn.running_var')!.data) > 0)
  const state = t.optimiserState()
  assert.ok(state.tensors.has('exp_avg.head.fc1.weight'))
  const t2 = new TfjsTrainer({model: {...model, weights: w}, trainable, optimiser: new AdamW(adamwConfig(SCHEDULE, 0.01)), backend: 'cpu'})
  t2.loadOptimiserState(state)
  assert.deepEqual(t2.optimiserState().meta, state.meta)
  t.dispose()
  t2.dispose()
})

test('tfjs and onnx trainers take the same AdamW step on the same batch (one optimiser, same checkpoints)', async () => {
  const model = tinyModel('pose3d', 7)
  const trainable = trainableNames([...model.weights.keys()], {kind: 'last-blocks', blocks: 1})
  const common = {model, task: 'pose3d' as const, trainable, schedule: SCHEDULE, weightDecay: 0.01, lambdas: LAMBDAS, inputShape: [2, 9, 17, 3], seed: 0, threads: 1}
  const tfjs = (await createTrainer({...common, engine: 'tfjs', backend: 'wasm'})).trainer
  const onnx = (await createTrainer({...common, engine: 'onnx', backend: 'auto'})).trainer
  assert.equal(tfjs.engine, 'tfjs')
  assert.equal(onnx.engine, 'onnx')
  const batch = poseBatch(11)
  const a = await tfjs.step(batch, 1)
  const b = await onnx.step(batch, 1)
  assert.ok(Math.abs(a.loss - b.loss) / Math.max(1, Math.abs(a.loss)) <= 1e-4, `${a.loss} vs ${b.loss}`)
  const wa = tfjs.weights()
  const wb = onnx.weights()
  for (const name of trainable) assert.ok(maxAbsDiff(wa.get(name)!.data, wb.get(name)!.data) <= 1e-4, name)
  assert.deepEqual([...tfjs.optimiserState().tensors.keys()].sort(), [...onnx.optimiserState().tensors.keys()].sort())
  tfjs.dispose()
  onnx.dispose()
})
