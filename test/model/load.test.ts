/**
 * loadModel: every kind of model file (official checkpoint, native folder, self-describing
 * .safetensors, .safetensors with a config.json beside it or with official key names plus a
 * config) gives the same validated model; wrong files fail with the right exit code.
 * Also: explicitModelConfig, the engine flag parsers and the backend list the flags repeat.
 */
import assert from 'node:assert/strict'
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {test} from 'node:test'
import {writeSafetensors} from '../../src/formats/safetensors.js'
import {BACKEND_FLAG_OPTIONS} from '../../src/cli/model-flags.js'
import {loadMotionConfig} from '../../src/model/config-keys.js'
import {ExitCode, isMotionError} from '../../src/core/errors.js'
import {parseBackendChoice, parseEngineChoice} from '../../src/model/engine.js'
import {explicitModelConfig, importModel, loadModel} from '../../src/model/load.js'
import {NATIVE_CONFIG_FILE, NATIVE_WEIGHTS_FILE, writeNativeModel} from '../../src/model/native.js'
import {toOfficialStateDict} from '../../src/model/official.js'
import {BACKEND_NAMES} from '../../src/nn/tfjs/backend.js'
import {fixturesDir} from '../helpers/paths.js'
import {tmpDirForTests} from '../helpers/tmp.js'

const tmp = tmpDirForTests('motion-load-')
const poseCkpt = path.join(fixturesDir, 'dstformer-tiny', 'checkpoint.bin')
const actionCkpt = path.join(fixturesDir, 'action-tiny', 'checkpoint.bin')

function sameWeights(a: ReadonlyMap<string, {data: Float32Array; shape: number[]}>, b: ReadonlyMap<string, {data: Float32Array; shape: number[]}>): void {
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort())
  for (const [k, v] of a) {
    assert.deepEqual(b.get(k)!.shape, v.shape, k)
    assert.deepEqual(b.get(k)!.data, v.data, k)
  }
}

const rejectsWith = async (p: Promise<unknown>, code: number, re: RegExp): Promise<void> => {
  await assert.rejects(p, (err: unknown) => isMotionError(err) && err.exitCode === code && re.test(err.message) && !err.message.includes('\n'))
}

test('official checkpoints: pose under model_pos, action under model, with the task and where they came from', async () => {
  const pose = await loadModel(poseCkpt, {config: {num_heads: 4}})
  assert.equal(pose.task, 'pose3d')
  assert.equal(pose.model.config.backbone, 'dstformer')
  assert.equal(pose.model.config.head, 'pose3d')
  assert.equal(pose.model.config.backboneConfig.num_heads, 4)
  assert.equal(pose.source.kind, 'official')
  assert.equal(pose.source.foundUnder, 'model_pos')
  assert.equal(pose.source.layout, 'bare')
  assert.equal(pose.source.fileFormat, 'torch-zip')

  const action = await loadModel(actionCkpt, {config: {num_heads: 4}})
  assert.equal(action.task, 'action')
  assert.equal(action.source.foundUnder, 'model')
  assert.equal(action.source.layout, 'wrapped')
  assert.deepEqual(action.source.ignoredKeys, ['backbone.head.weight', 'backbone.head.bias'])
})

test('native folder and self-describing .safetensors load back the same model', async () => {
  const official = await loadModel(actionCkpt, {config: {num_heads: 4}})
  const dir = path.join(tmp, 'action-native')
  const imported = await importModel(actionCkpt, dir, {config: {num_heads: 4}, createdBy: 'test'})
  assert.equal(imported.config.provenance.foundUnder, 'model')
  assert.equal(imported.config.provenance.createdBy, 'test')

  const native = await loadModel(dir)
  assert.equal(native.source.kind, 'native')
  assert.equal(native.task, 'action')
  assert.deepEqual(native.model.config, official.model.config)
  sameWeights(official.model.weights, native.model.weights)

  // The weights file alone still says what it is (metadata), even away from its config.json.
  const alone = path.join(tmp, 'alone')
  mkdirSync(alone)
  const copy = path.join(alone, 'weights.safetensors')
  writeFileSync(copy, await import('node:fs/promises').then((fs) => fs.readFile(path.join(dir, NATIVE_WEIGHTS_FILE))))
  const bare = await loadModel(copy)
  assert.equal(bare.source.kind, 'safetensors')
  assert.match(bare.source.description!, /metadata/)
  assert.deepEqual(bare.model.config, official.model.config)
})

test('.safetensors without metadata: a config.json beside it, or official key names plus the config', async () => {
  const official = await loadModel(poseCkpt, {config: {num_heads: 4}})
  // native names, described by the folder's config.json
  const dir = path.join(tmp, 'sibling')
  await writeNativeModel(dir, official.model)
  const plain = path.join(dir, 'plain.safetensors')
  await writeSafetensors(plain, official.model.weights)
  const viaSibling = await loadModel(plain)
  assert.equal(viaSibling.source.description, path.join(dir, NATIVE_CONFIG_FILE))
  assert.deepEqual(viaSibling.model.config, official.model.config)

  // official names (as a converted .bin would have), sizes from the shapes, num_heads from the config
  const lone = path.join(tmp, 'lone')
  mkdirSync(lone)
  const officialNames = path.join(lone, 'converted.safetensors')
  await writeSafetensors(officialNames, toOfficialStateDict(official.model.weights, 'dstformer', 'bare'))
  const converted = await loadModel(officialNames, {config: {num_heads: 4}})
  assert.equal(converted.source.layout, 'bare')
  assert.deepEqual(converted.model.config, official.model.config)
  sameWeights(official.model.weights, converted.model.weights)
})

test('failures: missing path (exit 2), folder without config.json (exit 3), contradicting config (exit 2), not a checkpoint (exit 3)', async () => {
  await rejectsWith(loadModel(path.join(tmp, 'nothing-here.bin')), ExitCode.input, /nothing-here\.bin: no such checkpoint file or model folder/)
  const emptyDir = path.join(tmp, 'empty-dir')
  mkdirSync(emptyDir)
  await rejectsWith(loadModel(emptyDir), ExitCode.model, /config\.json is missing/)
  const dir = path.join(tmp, 'pose-native')
  await importModel(poseCkpt, dir, {config: {num_heads: 4}})
  await rejectsWith(loadModel(dir, {config: {num_heads: 2}}), ExitCode.input, /num_heads is 2 in the config, 4 in the model/)
  await rejectsWith(loadModel(dir, {config: {backbone: 'mixste'}}), ExitCode.input, /backbone is "mixste" in the config, "dstformer" in the model/)
  const junk = path.join(tmp, 'junk.pth')
  writeFileSync(junk, 'definitely not torch')
  await rejectsWith(loadModel(junk), ExitCode.model, /junk\.pth/)
  const badJson = path.join(tmp, 'bad-native')
  mkdirSync(badJson)
  writeFileSync(path.join(badJson, NATIVE_CONFIG_FILE), '{"format": "something-else"}')
  await rejectsWith(loadModel(badJson), ExitCode.model, /not a motion model config/)
})

test('explicitModelConfig keeps what a file or flag set, never defaults', async () => {
  const file = path.join(tmp, 'cfg.yaml')
  writeFileSync(file, 'num_heads: 4\nmaxlen: 27\n')
  const loaded = await loadMotionConfig({configFile: file, search: false, overrides: {rootrel: true}})
  const given = explicitModelConfig(loaded)
  assert.equal(given.num_heads, 4)
  assert.equal(given.maxlen, 27)
  assert.equal(given.rootrel, true)
  assert.equal('backbone' in given, false) // a default, so checkpoint keys decide
  assert.equal('clip_len' in given, false) // derived from maxlen, not given
})

test('engine flags: parsers accept the documented values, and the flag list matches the tfjs backends', () => {
  assert.equal(parseEngineChoice(undefined), 'auto')
  assert.equal(parseEngineChoice('ONNX'), 'onnx')
  assert.throws(() => parseEngineChoice('cuda'), (e: unknown) => isMotionError(e) && e.exitCode === ExitCode.input)
  assert.equal(parseBackendChoice('wasm'), 'wasm')
  assert.throws(() => parseBackendChoice('webgl'), (e: unknown) => isMotionError(e) && e.exitCode === ExitCode.input)
  assert.deepEqual([...BACKEND_FLAG_OPTIONS], ['auto', ...BACKEND_NAMES])
})
