/**
 * `motion import` through the real CLI: official checkpoints (pose under model_pos, action under
 * model) become native folders whose config.json says what they are and where they came from, and
 * which `motion forward` runs with the official numbers and no --config. Bad targets and bad
 * checkpoints fail with their exit code and leave nothing behind.
 */
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {test} from 'node:test'
import {readNpyFloat32, readNpzFloat32} from '../../src/formats/npy.js'
import {runCli} from '../helpers/cli.js'
import {relativeError} from '../helpers/compare.js'
import {fixturesDir} from '../helpers/paths.js'
import {tmpDirForTests} from '../helpers/tmp.js'

const tmp = tmpDirForTests('motion-import-')
const heads4 = path.join(tmp, 'heads4.yaml')
writeFileSync(heads4, 'num_heads: 4\n')

interface ImportJson {
  out: string
  task: string
  backbone: string
  head: string
  backboneConfig: Record<string, unknown>
  headConfig: Record<string, unknown>
  givenKeys: string[]
  source: {kind: string; foundUnder: string | null; layout: string | null; ignoredKeys: string[]}
}

test('a pose checkpoint (model_pos) becomes a native folder that forward runs with the official numbers', async () => {
  const dir = path.join(fixturesDir, 'dstformer-tiny')
  const out = path.join(tmp, 'pose')
  const r = await runCli(['import', path.join(dir, 'checkpoint.bin'), '--config', heads4, '--out', out, '--json'])
  assert.equal(r.code, 0, r.stderr)
  const result = JSON.parse(r.stdout) as ImportJson
  assert.equal(result.task, 'pose3d')
  assert.equal(result.backbone, 'dstformer')
  assert.equal(result.head, 'pose3d')
  assert.equal(result.source.foundUnder, 'model_pos')
  assert.equal(result.source.layout, 'bare')
  assert.deepEqual(result.givenKeys, ['num_heads'])
  assert.equal(result.backboneConfig.dim_feat, 32) // read from the weights
  assert.equal(result.backboneConfig.maxlen, 27)
  assert.deepEqual(readdirSync(out).sort(), ['config.json', 'model.safetensors'])

  const config = JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8')) as Record<string, unknown> & {provenance: Record<string, unknown>; backboneConfig: Record<string, unknown>}
  assert.equal(config.format, 'motion.model')
  assert.equal(config.task, 'pose3d')
  assert.equal(config.backboneConfig.num_heads, 4)
  assert.equal((config.joints as string[])[0], 'pelvis')
  assert.equal(config.provenance.source, path.join(dir, 'checkpoint.bin'))
  assert.equal(config.provenance.foundUnder, 'model_pos')
  assert.equal(config.provenance.sourceFormat, 'torch-zip')

  // The folder alone (no --config) reproduces the official outputs.
  const y = path.join(tmp, 'pose-out.npz')
  const f = await runCli(['forward', '--checkpoint', out, '--input', path.join(dir, 'input_1.npy'), '--out', y])
  assert.equal(f.code, 0, f.stderr)
  const arrays = await readNpzFloat32(y)
  assert.ok(relativeError(arrays.get('pose3d')!, await readNpyFloat32(path.join(dir, 'output_1.npy'))) <= 1e-4)
  assert.ok(relativeError(arrays.get('representation')!, await readNpyFloat32(path.join(dir, 'representation_1.npy'))) <= 1e-4)
})

test('an action checkpoint (model) imports with its unused keys reported, and prints what it found', async () => {
  const dir = path.join(fixturesDir, 'action-tiny')
  const out = path.join(tmp, 'action')
  const r = await runCli(['import', path.join(dir, 'checkpoint.bin'), '--config', heads4, '--out', out])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /state dict under 'model', wrapped layout/)
  assert.match(r.stdout, /task action: backbone dstformer \+ head action/)
  assert.match(r.stdout, /num_heads=4\*/)
  assert.match(r.stdout, /action_classes=5/)
  assert.match(r.stdout, /ignored 2 unused keys: backbone\.head\.weight, backbone\.head\.bias/)
  const y = path.join(tmp, 'logits.npy')
  const f = await runCli(['forward', '--checkpoint', out, '--input', path.join(dir, 'input_0.npy'), '--out', y, '--engine', 'tfjs'])
  assert.equal(f.code, 0, f.stderr)
  assert.ok(relativeError(await readNpyFloat32(y), await readNpyFloat32(path.join(dir, 'logits_0.npy'))) <= 1e-4)

  // Importing again over the earlier native folder replaces it.
  const again = await runCli(['import', path.join(dir, 'checkpoint.bin'), '--config', heads4, '--out', out])
  assert.equal(again.code, 0, again.stderr)
})

test('a config that contradicts a native model is refused (exit 2)', async () => {
  const model = path.join(tmp, 'pose-for-conflict')
  const r = await runCli(['import', path.join(fixturesDir, 'dstformer-tiny', 'checkpoint.bin'), '--config', heads4, '--out', model])
  assert.equal(r.code, 0, r.stderr)
  const heads8 = path.join(tmp, 'heads8.yaml')
  writeFileSync(heads8, 'num_heads: 8\n')
  const y = path.join(tmp, 'conflict.npz')
  const f = await runCli(['forward', '--checkpoint', model, '--config', heads8, '--input', path.join(fixturesDir, 'dstformer-tiny', 'input_0.npy'), '--out', y])
  assert.equal(f.code, 2, f.stderr)
  assert.match(f.stderr, /num_heads is 8 in the config, 4 in the model/)
  assert.equal(existsSync(y), false)
})

test('an --out folder holding other files is never replaced (exit 2)', async () => {
  const out = path.join(tmp, 'precious')
  mkdirSync(out)
  writeFileSync(path.join(out, 'notes.txt'), 'keep me')
  const r = await runCli(['import', path.join(fixturesDir, 'dstformer-tiny', 'checkpoint.bin'), '--out', out])
  assert.equal(r.code, 2)
  assert.match(r.stderr, /precious: exists and is not a motion model folder/)
  assert.deepEqual(readdirSync(out), ['notes.txt'])
})

test('a truncated checkpoint is a model error (exit 3) and writes no folder', async () => {
  const bytes = readFileSync(path.join(fixturesDir, 'dstformer-tiny', 'checkpoint.bin'))
  const truncated = path.join(tmp, 'truncated.bin')
  writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)))
  const out = path.join(tmp, 'never')
  const r = await runCli(['import', truncated, '--out', out])
  assert.equal(r.code, 3, r.stderr)
  assert.match(r.stderr, /truncated\.bin/)
  assert.equal(existsSync(out), false)
  assert.deepEqual(readdirSync(tmp).filter((n) => n.startsWith('.never')), [], 'no temporary folder left')
})
