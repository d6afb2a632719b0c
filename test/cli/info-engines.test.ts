/** `motion info` reports every engine and the bundled models' licences; `motion models` lists them too. */
import assert from 'node:assert/strict'
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {test} from 'node:test'
import {listBundledModels} from '../../src/cli/bundled-models.js'
import {installedVersion} from '../../src/cli/package-version.js'
import {runCli} from '../helpers/cli.js'
import {tmpDirForTests} from '../helpers/tmp.js'

const tmp = tmpDirForTests('motion-info-')

test('info --json lists onnxruntime-node and tfjs with versions and whether they load', async () => {
  const r = await runCli(['info', '--json'])
  assert.equal(r.code, 0, r.stderr)
  const out = JSON.parse(r.stdout) as {engines: {name: string; package: string; version?: string; loads: boolean}[]; tfjs: {backends: {name: string; version?: string}[]}; models: {name: string; licence: string}[]}
  const onnx = out.engines.find((e) => e.name === 'onnx')
  assert.ok(onnx, 'onnx engine listed')
  assert.equal(onnx.package, 'onnxruntime-node')
  assert.equal(onnx.version, installedVersion('onnxruntime-node'))
  assert.match(onnx.version ?? '', /^\d+\.\d+\.\d+/)
  assert.equal(onnx.loads, true)
  const tfjs = out.engines.find((e) => e.name === 'tfjs')
  assert.ok(tfjs?.loads)
  assert.deepEqual(out.tfjs.backends.map((b) => b.name), ['node-gpu', 'node', 'wasm', 'cpu'])
  assert.deepEqual(out.models.map((m) => m.name), ['action', 'pose3d'])
  for (const m of out.models) assert.ok(m.licence.length > 0)
})

test('a bundled model declares its licence in config.json (top level or provenance), else the model card is named', async () => {
  const dir = path.join(tmp, 'models')
  const folder = (name: string, config: object): void => {
    mkdirSync(path.join(dir, name), {recursive: true})
    writeFileSync(path.join(dir, name, 'config.json'), JSON.stringify(config))
  }
  folder('a', {task: 'pose3d', provenance: {license: 'CC BY-NC 4.0'}})
  folder('b', {task: 'action', licence: 'Apache-2.0'})
  folder('c', {task: 'pose3d'})
  mkdirSync(path.join(dir, 'not-a-model'))
  writeFileSync(path.join(dir, 'MODEL_CARD.md'), '# card\n')
  const models = await listBundledModels(dir)
  assert.deepEqual(models.map((m) => [m.name, m.task, m.licence]), [
    ['a', 'pose3d', 'CC BY-NC 4.0'],
    ['b', 'action', 'Apache-2.0'],
    ['c', 'pose3d', `see ${path.join(dir, 'MODEL_CARD.md')}`],
  ])
})

test('models lists the bundled models with their licences', async () => {
  const r = await runCli(['models'])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /Bundled models:\n {2}action \(action\) \S+ {2}licence: /)
})
