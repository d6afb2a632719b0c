import assert from 'node:assert/strict'
import {readdirSync, renameSync, rmSync} from 'node:fs'
import path from 'node:path'
import {test} from 'node:test'

import {readSafetensors} from '../../src/formats/safetensors.js'
import {loadModel} from '../../src/model/load.js'
import type {NDArray} from '../../src/core/ndarray.js'
import {findCheckpoint, readTrainState, type TrainState} from '../../src/train/checkpoint.js'
import type {BatchSource} from '../../src/tasks/batches.js'
import {type TrainEvent, TrainEvents} from '../../src/train/events.js'
import {batchIndices, runTrainingLoop} from '../../src/train/loop.js'
import {Rng} from '../../src/core/rng.js'
import type {SerializedOptimiserState, StepResult, TrainBatch, Trainer} from '../../src/tasks/train-types.js'
import {tinyModel} from '../helpers/train.js'
import {tmpDirForTests} from '../helpers/tmp.js'

const tmp = tmpDirForTests('motion-loop-')

/** A stand-in engine: the "update" folds each batch into one weight, so weights record the batch sequence. */
class RecordingTrainer implements Trainer {
  readonly engine = 'tfjs' as const
  readonly backend = 'test'
  readonly trainable = new Set(['head.bias'])
  readonly seen: number[][] = []
  private readonly w: Map<string, NDArray>
  private count = 0

  constructor(weights: Map<string, NDArray>, opt?: SerializedOptimiserState | null) {
    this.w = new Map([...weights].map(([k, v]) => [k, {data: Float32Array.from(v.data), shape: [...v.shape]}]))
    if (opt) this.count = Number(opt.meta.count)
  }

  async step(batch: TrainBatch, lrScale: number): Promise<StepResult> {
    const values = [...batch.input.data]
    this.seen.push([...values, lrScale])
    const bias = this.w.get('head.bias')!.data
    bias[0] = bias[0]! * 0.5 + values.reduce((a, b) => a + b, 0) * lrScale
    this.count++
    return {loss: 1 / this.count, parts: {mpjpe: 1 / this.count}}
  }

  weights(): Map<string, NDArray> {
    return new Map([...this.w].map(([k, v]) => [k, {data: Float32Array.from(v.data), shape: [...v.shape]}]))
  }

  optimiserState(): SerializedOptimiserState {
    return {tensors: new Map([['exp_avg.head.bias', {data: new Float32Array([this.count]), shape: [1]}]]), meta: {count: this.count}}
  }

  loadOptimiserState(s: SerializedOptimiserState): void {
    this.count = Number(s.meta.count)
  }

  dispose(): void {}
}

/** 10 samples; a batch is its indices plus one augmentation draw per sample. */
const source: BatchSource = {
  task: 'pose3d',
  size: 10,
  batchSize: 4,
  batch(indices, rng: Rng): TrainBatch {
    return {task: 'pose3d', input: {data: Float32Array.from(indices.map((i) => i + rng.next())), shape: [indices.length]}}
  },
}

function freshState(epochs: number): TrainState {
  const rng = new Rng(42).state()
  return {
    version: 1, epoch: 0, epochStep: 0, step: 0, epochs, stepsPerEpoch: 0, rng, epochRng: rng,
    best: {name: 'loss', higherIsBetter: false, value: null, epoch: null},
    schedule: {head: 1e-3, backbone: 1e-4, decay: 0.5}, epochLosses: [], engine: 'test', trainSeconds: 0,
  }
}

test('batches are always full: the last one of an epoch wraps to the start of the shuffle', () => {
  assert.deepEqual(batchIndices([5, 1, 9, 3, 0], 1, 3), [3, 0, 5])
  assert.deepEqual(batchIndices([5, 1, 9], 0, 3), [5, 1, 9])
})

test('a run stopped mid-epoch and resumed from latest replays exactly the batches and rates of an uninterrupted run', async () => {
  const model = tinyModel('pose3d')
  const fullDir = path.join(tmp, 'full')
  const fullTrainer = new RecordingTrainer(model.weights)
  const events: TrainEvent[] = []
  const stream = new TrainEvents()
  stream.subscribe((e) => events.push(e))
  const full = await runTrainingLoop({trainer: fullTrainer, source, model, runDir: fullDir, state: freshState(3), checkpointEvery: 0, events: stream})
  assert.equal(full.interrupted, false)
  assert.equal(full.state.step, 9) // 3 epochs × ceil(10 / 4)
  assert.deepEqual(events.filter((e) => e.type === 'step').map((e) => e.step), [1, 2, 3, 4, 5, 6, 7, 8, 9])
  assert.deepEqual(events.filter((e) => e.type === 'step').map((e) => e.epoch), [1, 1, 1, 2, 2, 2, 3, 3, 3])
  assert.deepEqual(fullTrainer.seen.map((s) => s[s.length - 1]), [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25]) // lr_decay per epoch
  assert.equal(events.filter((e) => e.type === 'checkpoint' && e.checkpoint === 'latest').length, 3)
  assert.equal(full.state.best.epoch, 3) // loss keeps falling

  // Stop after step 5 (mid-epoch 2), as Ctrl-C does; latest holds the state after that step.
  const runDir = path.join(tmp, 'stopped')
  const first = new RecordingTrainer(model.weights)
  let steps = 0
  const counting = new TrainEvents()
  counting.subscribe((e) => {
    if (e.type === 'step') steps = e.step
  })
  const stopped = await runTrainingLoop({
    trainer: first, source, model, runDir, state: freshState(3), checkpointEvery: 2, events: counting,
    shouldStop: () => steps >= 5,
  })
  assert.equal(stopped.interrupted, true)
  const latest = await findCheckpoint(runDir, 'latest')
  assert.ok(latest)
  const saved = await readTrainState(latest)
  assert.equal(saved.state.step, 5)
  assert.equal(saved.state.epoch, 1)
  assert.equal(saved.state.epochStep, 2)
  assert.deepEqual(readdirSync(runDir).filter((n) => n.startsWith('.')), [], 'no temporary folders left')

  // Resume in a "new process": weights from the checkpoint folder, state and optimiser from it.
  const reloaded = await loadModel(latest)
  const second = new RecordingTrainer(reloaded.model.weights, saved.optimiser)
  const resumedEvents: TrainEvent[] = []
  const s2 = new TrainEvents()
  s2.subscribe((e) => resumedEvents.push(e))
  const resumed = await runTrainingLoop({trainer: second, source, model: reloaded.model, runDir, state: saved.state, checkpointEvery: 2, events: s2})
  assert.equal(resumed.interrupted, false)
  assert.deepEqual(resumedEvents.filter((e) => e.type === 'step').map((e) => e.step), [6, 7, 8, 9])
  assert.deepEqual([...first.seen, ...second.seen], fullTrainer.seen)
  const finalFull = (await readSafetensors(path.join(fullDir, 'latest', 'model.safetensors'))).tensors.get('head.bias')!
  const finalResumed = (await readSafetensors(path.join(runDir, 'latest', 'model.safetensors'))).tensors.get('head.bias')!
  assert.deepEqual([...finalResumed.data], [...finalFull.data])
})

test('readers fall back to the previous checkpoint when a kill lands between the two renames of a swap', async () => {
  const model = tinyModel('pose3d')
  const runDir = path.join(tmp, 'swap')
  await runTrainingLoop({trainer: new RecordingTrainer(model.weights), source, model, runDir, state: freshState(1), checkpointEvery: 0, events: new TrainEvents()})
  renameSync(path.join(runDir, 'latest'), path.join(runDir, '.latest.old-123-abcd'))
  const found = await findCheckpoint(runDir, 'latest')
  assert.equal(found, path.join(runDir, '.latest.old-123-abcd'))
  assert.equal((await readTrainState(found!)).state.step, 3)
  rmSync(path.join(runDir, '.latest.old-123-abcd'), {recursive: true})
  assert.equal(await findCheckpoint(runDir, 'latest'), null)
})
