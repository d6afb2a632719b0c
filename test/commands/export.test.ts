import assert from 'node:assert/strict'
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {test} from 'node:test'
import {H36M_JOINTS} from '../../src/core/h36m.js'
import {readNpyFloat32} from '../../src/formats/npy.js'
import {createOnnxRunner, readOnnxMetadata} from '../../src/nn/onnx/index.js'
import {runCli} from '../helpers/cli.js'
import {fixturesDir} from '../helpers/paths.js'
import {relErr} from '../helpers/onnx-reference.js'
import {tmpDirForTests} from '../helpers/tmp.js'

const tmp = tmpDirForTests('motion-export-')
const fixture = path.join(fixturesDir, 'dstformer-tiny')

test('motion export --format onnx writes a model onnxruntime loads, with the official numbers and metadata', async () => {
  const configFile = path.join(tmp, 'tiny.yaml')
  writeFileSync(configFile, 'num_heads: 4\n') // the one size the weights cannot tell
  const out = path.join(tmp, 'tiny.onnx')
  const r = await runCli(['export', '--checkpoint', path.join(fixture, 'checkpoint.bin'), '--config', configFile, '--format', 'onnx', '--out', out, '--json'])
  assert.equal(r.code, 0, r.stderr)
  const result = JSON.parse(r.stdout) as {file: string; inputs: {name: string; shape: (number | string)[]}[]}
  assert.equal(result.file, out)
  assert.deepEqual(result.inputs, [{name: 'x', shape: ['N', 'T', 17, 3]}])

  const bytes = new Uint8Array(readFileSync(out))
  const meta = readOnnxMetadata(bytes)
  assert.equal(meta['motion.task'], 'pose3d')
  assert.deepEqual(JSON.parse(meta['motion.joints']!), [...H36M_JOINTS])
  assert.equal((JSON.parse(meta['motion.config']!) as {backboneConfig: {num_heads: number}}).backboneConfig.num_heads, 4)
  assert.match(meta['motion.input_normalisation']!, /\[-1, 1\]/)

  // Both fixture inputs (27 and 16 frames) through the one exported file.
  const runner = await createOnnxRunner(bytes, {threads: 1})
  try {
    for (const i of [0, 1]) {
      const input = await readNpyFloat32(path.join(fixture, `input_${i}.npy`))
      const outs = await runner.run({x: input})
      const expected = await readNpyFloat32(path.join(fixture, `output_${i}.npy`))
      assert.deepEqual(outs.pose3d!.shape, expected.shape)
      assert.ok(relErr(outs.pose3d!, expected) <= 1e-4, `case ${i}: relative error ${relErr(outs.pose3d!, expected)}`)
    }
  } finally {
    await runner.dispose()
  }
})

test('motion export with a missing checkpoint is an input error (exit 2) naming the file', async () => {
  const r = await runCli(['export', '--checkpoint', path.join(tmp, 'nope.bin'), '--out', path.join(tmp, 'x.onnx')])
  assert.equal(r.code, 2)
  assert.match(r.stderr, /nope\.bin/)
})
