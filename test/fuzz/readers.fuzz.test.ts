/**
 * Mutation fuzzing of the keypoint, checkpoint (torch zip/pickle, safetensors) and config
 * (YAML/JSON, model config.json) readers: every mutation is read or refused with a MotionError.
 * Quick here; `npm run fuzz` runs 10,000 mutations per reader.
 */
import assert from 'node:assert/strict'
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {test} from 'node:test'
import {parseSafetensors, encodeSafetensors} from '../../src/formats/safetensors.js'
import {parseTorchCheckpoint} from '../../src/formats/torch.js'
import {parseJsonText, parseYamlText} from '../../src/config/files.js'
import {readKeypoints} from '../../src/data/keypoints/index.js'
import {parseNativeConfigText} from '../../src/model/native.js'
import {fuzzMutations, fuzzReader} from '../helpers/fuzz.js'
import {repoRoot} from '../helpers/paths.js'
import {tmpDirForTests} from '../helpers/tmp.js'

const tmp = tmpDirForTests('motion-fuzz-')
const fixtures = path.join(repoRoot, 'test', 'fixtures')
const seedsOf = (dir: string, names: string[]) => names.map((name) => ({name, bytes: new Uint8Array(readFileSync(path.join(dir, name)))}))
const decode = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8')
const long = {timeout: 30 * 60_000}

test('keypoint readers: every mutation is read or refused with a MotionError', long, async () => {
  const seeds = seedsOf(path.join(fixtures, 'keypoints'), ['alphapose-slice.json', 'coco-results.json', 'h36m-4frames.npy', 'h36m-4frames.npz', 'long.csv', 'mediapipe-blazepose.json'])
  const tally = await fuzzReader(seeds, fuzzMutations(300), async (bytes, name) => {
    // The extension stays, so detection sees what a user's file would show.
    const file = path.join(tmp, `k${path.extname(name)}`)
    writeFileSync(file, bytes)
    return readKeypoints(file)
  })
  assert.ok(tally.refused > 0 && tally.read > 0, JSON.stringify(tally))
})

test('checkpoint readers (torch zip, torch legacy, pickle, safetensors): every mutation is read or refused', long, async () => {
  const safetensors = Buffer.concat(encodeSafetensors({'a.weight': {data: Float32Array.from({length: 12}, (_, i) => i / 7), shape: [3, 4]}, 'a.bias': {data: new Float32Array([1, 2, 3]), shape: [3]}}, {note: 'fuzz'}))
  const torch = seedsOf(path.join(fixtures, 'checkpoint'), ['views.pt', 'views_legacy.pt', 'numpy_p2.pkl', 'numpy_p5.pkl'])
  const t = await fuzzReader(torch, fuzzMutations(300), (bytes, name) => parseTorchCheckpoint(bytes, name))
  const s = await fuzzReader([{name: 'w.safetensors', bytes: new Uint8Array(safetensors)}], fuzzMutations(300), (bytes, name) => parseSafetensors(bytes, name))
  assert.ok(t.refused > 0 && s.refused > 0 && s.read > 0, JSON.stringify({t, s}))
})

test('config readers (YAML, JSON, model config.json): every mutation is read or refused', long, async () => {
  const yamlFile = path.join(repoRoot, 'configs', 'pose3d', 'MB_ft_h36m.yaml')
  const yamlSeed = [{name: 'MB_ft_h36m.yaml', bytes: new Uint8Array(readFileSync(yamlFile))}]
  const y = await fuzzReader(yamlSeed, fuzzMutations(100), (bytes, name) => parseYamlText(decode(bytes), name, yamlFile))
  const native = [{name: 'config.json', bytes: new Uint8Array(readFileSync(path.join(repoRoot, 'models', 'pose3d', 'config.json')))}]
  const j = await fuzzReader(native, fuzzMutations(100), (bytes, name) => parseJsonText(decode(bytes), name))
  const n = await fuzzReader(native, fuzzMutations(100), (bytes, name) => parseNativeConfigText(decode(bytes), name))
  assert.ok(y.read > 0 && y.refused > 0 && n.refused > 0, JSON.stringify({y, j, n}))
})
