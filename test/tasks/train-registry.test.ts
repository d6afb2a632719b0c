/**
 * The training side of the task registry (src/tasks/train-registry.ts): every trainable task
 * supplies its labels / model / data / targets / loss, the targets and graph inputs agree, the
 * losses are the objectives the trainers used before, and an unknown task is refused clearly.
 */
import assert from 'node:assert/strict'
import {before, test} from 'node:test'

import * as tf from '@tensorflow/tfjs-core'

import {MotionError} from '../../src/core/errors.js'
import {crossEntropy} from '../../src/nn/classification.js'
import {combinedPoseLoss, DEFAULT_POSE_LOSS_LAMBDAS, loss2dWeighted} from '../../src/nn/losses.js'
import {selectBackend} from '../../src/nn/tfjs/backend.js'
import {TfjsOps} from '../../src/nn/tfjs/ops.js'
import {meshLossConfig} from '../../src/tasks/mesh/losses.js'
import {TRAIN_TASKS, trainTask} from '../../src/tasks/train-registry.js'
import type {TrainBatch} from '../../src/tasks/train-types.js'
import {runTraining, type TrainRunOptions} from '../../src/train/run.js'

before(async () => {
  await selectBackend({force: 'cpu'})
})

const ops = new TfjsOps(new Map())
const arr = (shape: number[], f = (i: number) => Math.sin(i)): {data: Float32Array; shape: number[]} => {
  const n = shape.reduce((a, d) => a * d, 1)
  return {data: Float32Array.from({length: n}, (_, i) => f(i)), shape}
}
const t = (a: {data: Float32Array; shape: number[]}): tf.Tensor => tf.tensor(a.data, a.shape, 'float32')

test('pose3d, action and mesh each supply the training pieces', () => {
  assert.deepEqual([...TRAIN_TASKS.keys()].sort(), ['action', 'mesh', 'pose3d'])
  for (const [name, entry] of TRAIN_TASKS) {
    assert.equal(entry.name, name)
    assert.ok(entry.description.length > 0, name)
    for (const fn of ['initialModel', 'trainData', 'targets', 'targetInputs', 'loss'] as const) assert.equal(typeof entry[fn], 'function', `${name}.${fn}`)
    assert.equal(typeof entry.takesData2d, 'boolean')
    assert.equal(typeof entry.takesSmplDir, 'boolean')
  }
  // Only classification reads class names from the data; only lifting takes 2D-only samples; only mesh a body model.
  assert.deepEqual([...TRAIN_TASKS.values()].filter((e) => e.labels).map((e) => e.name), ['action'])
  assert.deepEqual([...TRAIN_TASKS.values()].filter((e) => e.takesData2d).map((e) => e.name), ['pose3d'])
  assert.deepEqual([...TRAIN_TASKS.values()].filter((e) => e.takesSmplDir).map((e) => e.name), ['mesh'])
})

test('an unknown task is refused with the trainable tasks named', () => {
  assert.throws(() => trainTask('juggling'), (err: unknown) => err instanceof MotionError && /--task juggling is not available/.test(err.message) && /pose3d, action, mesh/.test(err.hint ?? ''))
})

test('runTraining refuses an unknown task before touching the disk', async () => {
  const opts = {command: 'pretrain', task: 'juggling', config: {}, modelConfig: {}, data: '/nonexistent', out: '/nonexistent/run', seed: 0, engine: 'auto', backend: 'auto', checkpointEvery: 0, evalLimit: 0, persons: 1, featureCache: false, events: {emit: () => undefined}, shouldStop: () => false} as unknown as TrainRunOptions
  await assert.rejects(runTraining(opts), (err: unknown) => err instanceof MotionError && /--task juggling is not available/.test(err.message))
})

test('targets and graph inputs agree in names and shapes', () => {
  const input = [2, 5, 17, 3]
  const pose: TrainBatch = {task: 'pose3d', input: arr(input), target: arr([2, 5, 17, 3])}
  assert.deepEqual(Object.keys(trainTask('pose3d').targets(pose, undefined)), ['y'])
  assert.deepEqual(trainTask('pose3d').targetInputs(input, {}), [{name: 'y', shape: [2, 5, 17, 3]}])
  const twoD: TrainBatch = {...pose, conf: arr([2, 5, 17, 1])}
  assert.deepEqual(Object.keys(trainTask('pose3d').targets(twoD, undefined)), ['y', 'conf'])

  const action: TrainBatch = {task: 'action', input: arr([2, 2, 5, 17, 3]), labels: Int32Array.from([1, 3])}
  const y = trainTask('action').targets(action, 4).y!
  assert.deepEqual(y.shape, [2, 4])
  assert.deepEqual(Array.from(y.data), [0, 1, 0, 0, 0, 0, 0, 1])
  assert.deepEqual(trainTask('action').targetInputs([2, 2, 5, 17, 3], {classes: 4}), [{name: 'y', shape: [2, 4]}])

  const mesh: TrainBatch = {task: 'mesh', input: arr(input), mesh: {rotmat: arr([2, 5, 24, 3, 3]), betas: arr([2, 5, 10]), kp_3d: arr([2, 5, 17, 3])}}
  const meshLoss = meshLossConfig({})
  const names = trainTask('mesh').targetInputs(input, {meshLoss}).map((g) => g.name)
  assert.deepEqual(names, Object.keys(trainTask('mesh').targets(mesh, undefined)))
  assert.throws(() => trainTask('mesh').targetInputs(input, {}), /needs meshLoss/)
})

test('the pose and action losses are the objectives the trainers used before', async () => {
  const pred = arr([2, 5, 17, 3], (i) => Math.sin(i * 0.7))
  const gt = arr([2, 5, 17, 3], (i) => Math.cos(i * 0.3))
  const spec = {backbone: {name: 'dstformer'}, lambdas: {...DEFAULT_POSE_LOSS_LAMBDAS, lambda_3d_velocity: 20}}
  const got = trainTask('pose3d').loss(ops, {pose3d: t(pred)}, {y: t(gt)}, spec)
  const want = combinedPoseLoss(ops, t(pred), t(gt), spec.lambdas, {parts: 'weighted'})
  assert.equal((await got.total.data())[0], (await want.total.data())[0])
  assert.deepEqual(Object.keys(got.parts).sort(), Object.keys(want.parts).sort())

  const conf = arr([2, 5, 17, 1], (i) => (i % 3) / 2)
  const l2d = trainTask('pose3d').loss(ops, {pose3d: t(pred)}, {y: t(gt), conf: t(conf)}, {...spec, lambda2d: 0.5})
  const want2d = loss2dWeighted(ops, t(pred), t(gt), t(conf))
  assert.equal((await l2d.total.data())[0], (await want2d.data())[0]! * 0.5)

  const logits = arr([2, 4])
  const y = trainTask('action').targets({task: 'action', input: arr([2, 1, 5, 17, 3]), labels: Int32Array.from([0, 2])}, 4).y!
  const ce = trainTask('action').loss(ops, {logits: t(logits)}, {y: t(y)}, spec)
  assert.equal((await ce.total.data())[0], (await crossEntropy(ops, t(logits), t(y)).data())[0])
  assert.deepEqual(Object.keys(ce.parts), ['ce'])
})
