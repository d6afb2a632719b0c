/**
 * Output units of pose models: official MixSTE / Strided checkpoints predict metres, official
 * MotionBERT and every model our training loop wrote normalised units. The units travel with the
 * model (native config.json `outputUnits`, the safetensors metadata), and predict and eval convert
 * from them: metres are written as mm (x 1000), normalised units as normalised.
 */
import assert from 'node:assert/strict'
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {test} from 'node:test'
import {makeTrainingPair, stack} from '../../src/data/augment/index.js'
import {Motion3dDataset} from '../../src/data/motion3d/index.js'
import {ExitCode, isMotionError} from '../../src/core/errors.js'
import {importModel, loadModel} from '../../src/model/load.js'
import {NATIVE_CONFIG_FILE, NATIVE_WEIGHTS_FILE} from '../../src/model/native.js'
import {liftingStrategy, predictSequenceStream} from '../../src/model/lifting.js'
import type {NDArray} from '../../src/core/ndarray.js'
import {writeCheckpoint} from '../../src/train/checkpoint.js'
import {evaluatePose} from '../../src/tasks/evaluate.js'
import {Rng} from '../../src/core/rng.js'
import {dataDir, fixturesDir} from '../helpers/paths.js'
import {tmpDirForTests} from '../helpers/tmp.js'

const tmp = tmpDirForTests('motion-units-')

const MIXSTE = path.join(fixturesDir, 'mixste-tiny', 'checkpoint.bin')
const STRIDED = path.join(fixturesDir, 'strided-tiny', 'checkpoint.pth')
const DSTFORMER = path.join(fixturesDir, 'dstformer-tiny', 'checkpoint.bin')

test('official checkpoints: MixSTE and Strided predict metres, MotionBERT normalised units, non-pose models none', async () => {
  assert.equal((await loadModel(MIXSTE, {config: {num_heads: 4}})).outputUnits, 'metres')
  assert.equal((await loadModel(STRIDED)).outputUnits, 'metres')
  assert.equal((await loadModel(DSTFORMER, {config: {num_heads: 4}})).outputUnits, 'normalized')
  const action = await loadModel(path.join(fixturesDir, 'action-tiny', 'checkpoint.bin'), {config: {num_heads: 4}})
  assert.equal(action.task, 'action')
  assert.equal(action.outputUnits, undefined)
})

test('motion import records the units in config.json; a training checkpoint records normalised ones, also in the weights alone', async () => {
  const imported = path.join(tmp, 'strided-imported')
  const result = await importModel(STRIDED, imported)
  assert.equal(result.config.outputUnits, 'metres')
  const json = JSON.parse(readFileSync(path.join(imported, NATIVE_CONFIG_FILE), 'utf8')) as {outputUnits?: string}
  assert.equal(json.outputUnits, 'metres')
  assert.equal((await loadModel(imported)).outputUnits, 'metres')
  // Re-importing a native folder keeps them.
  const again = path.join(tmp, 'strided-again')
  assert.equal((await importModel(imported, again)).config.outputUnits, 'metres')

  // A run checkpoint of the same official model (a finetune started from it) predicts normalised units.
  const {model} = await loadModel(STRIDED)
  const run = path.join(tmp, 'run')
  const rng = new Rng(0).state()
  const dir = await writeCheckpoint(run, 'latest', {
    model,
    weights: model.weights,
    optimiser: {tensors: new Map(), meta: {kind: 'adamw'}},
    state: {
      version: 1, epoch: 1, epochStep: 0, step: 2, epochs: 1, stepsPerEpoch: 2, rng, epochRng: rng,
      best: {name: 'loss', higherIsBetter: false, value: null, epoch: null}, schedule: {head: 1e-3, backbone: 1e-3, decay: 1},
      epochLosses: [1], engine: 'onnx', trainSeconds: 1,
    },
  })
  assert.equal((JSON.parse(readFileSync(path.join(dir, NATIVE_CONFIG_FILE), 'utf8')) as {outputUnits?: string}).outputUnits, 'normalized')
  assert.equal((await loadModel(dir)).outputUnits, 'normalized')
  // The weights file on its own (its safetensors metadata), and imported from the run.
  const alone = path.join(tmp, 'alone.safetensors')
  writeFileSync(alone, readFileSync(path.join(dir, NATIVE_WEIGHTS_FILE)))
  assert.equal((await loadModel(alone)).outputUnits, 'normalized')
  assert.equal((await importModel(dir, path.join(tmp, 'from-run'))).config.outputUnits, 'normalized')
})

test('config.json without outputUnits (older folders): normalised when a training run wrote it, else the official units; a bad value is a model error', async () => {
  const folder = path.join(tmp, 'mixste-old')
  await importModel(MIXSTE, folder, {config: {num_heads: 4}})
  const file = path.join(folder, NATIVE_CONFIG_FILE)
  const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown> & {provenance: Record<string, unknown>}
  delete json.outputUnits
  writeFileSync(file, JSON.stringify(json))
  assert.equal((await loadModel(folder)).outputUnits, 'metres')
  writeFileSync(file, JSON.stringify({...json, provenance: {...json.provenance, sourceFormat: 'training'}}))
  assert.equal((await loadModel(folder)).outputUnits, 'normalized')
  writeFileSync(file, JSON.stringify({...json, outputUnits: 'inches'}))
  await assert.rejects(loadModel(folder), (e: unknown) => isMotionError(e) && e.exitCode === ExitCode.model && /"outputUnits" must be one of normalized, metres, millimetres/.test(e.message))
})

test('predict writes metre models as mm (x 1000) and normalised models as normalised, and says so', async () => {
  const {model} = await loadModel(STRIDED)
  const T = 5
  const keypoints: NDArray = {data: Float32Array.from({length: T * 17 * 3}, (_, i) => (i % 3 === 2 ? 1 : 400 + ((i * 37) % 200))), shape: [T, 17, 3]}
  // A stand-in model: every joint at (0.1, 0.2, 0.3) apart from the root.
  const run = async (batch: NDArray): Promise<NDArray> => {
    const n = batch.shape[0]!
    return {data: Float32Array.from({length: n * 17 * 3}, (_, i) => [0.1, 0.2, 0.3][i % 3]!), shape: [n, 1, 17, 3]}
  }
  const lift = async (units: 'metres' | 'normalized'): Promise<{x3d: NDArray; units: string; text: string}> => {
    const strategy = liftingStrategy(model, units)!
    const it = predictSequenceStream(strategy, keypoints, {videoSize: [1000, 800], flip: false}, run)
    for (;;) {
      const step = await it.next()
      if (step.done) return {x3d: step.value.x3d, units: step.value.units, text: strategy.outputUnits}
    }
  }
  const metres = await lift('metres')
  assert.equal(metres.units, 'mm')
  assert.match(metres.text, /metres/)
  assert.ok(Math.abs(metres.x3d.data[3 + 2]! - 300) < 1e-3) // joint 1, z
  const normalised = await lift('normalized')
  assert.equal(normalised.units, 'normalized')
  assert.match(normalised.text, /normalised/)
  assert.ok(Math.abs(normalised.x3d.data[3 + 2]! - 0.3) < 1e-6)
  assert.equal(normalised.x3d.data[2], 0) // root
  // Without units: the official ones.
  assert.equal(liftingStrategy(model)!.units, 'mm')
})

test('eval scales metre predictions by 1000 and normalised ones by the ground truth\'s mm per unit', async () => {
  const dataset = await Motion3dDataset.fromFolder(path.join(dataDir, 'cmu-mocap-h36m17'), {split: 'test', clipLen: 27, stride: 27, targetFps: 30})
  const limit = 2
  const seed = 5
  // The evaluation's own pairs: the same cameras from the same seed, in the same order.
  const pairRng = new Rng(seed)
  const indices = [0, Math.floor(dataset.length / 2)]
  const pairs = indices.map((i) => makeTrainingPair(dataset.window(i), pairRng, {flip: false}))
  const labels = stack(pairs.map((p) => p.label)) // [2, 27, 17, 3] normalised
  const inMetres: NDArray = {data: labels.data.map((v, k) => (v * pairs[Math.floor(k / (27 * 51))]!.mmPerUnit![Math.floor(k / 51) % 27]!) / 1000), shape: labels.shape}
  const evaluate = (pred: NDArray, units?: 'metres' | 'normalized'): Promise<{mpjpe: number}> =>
    evaluatePose(async () => pred, dataset, {cameraSeed: seed, batchSize: limit, limit, ...(units ? {outputUnits: units} : {})})

  assert.ok((await evaluate(labels)).mpjpe < 1e-3, 'normalised predictions equal to the label score 0 (default units)')
  assert.ok((await evaluate(inMetres, 'metres')).mpjpe < 1e-2, 'the same poses in metres score 0')
  assert.ok((await evaluate(inMetres, 'normalized')).mpjpe > 50, 'metres read as normalised units are far off')
})
