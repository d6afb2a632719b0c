/** The exported action ONNX maps its logits to class names; the metadata names the real flags. In-process. */
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {test} from 'node:test'
import {runCli} from '../helpers/cli.js'
import {repoRoot} from '../helpers/paths.js'
import {tmpDirForTests} from '../helpers/tmp.js'
import {readOnnxMetadata} from '../../src/nn/onnx/index.js'

const tmp = tmpDirForTests('motion-export-meta-')

test('export of the bundled action model carries its class names and --video-size in the metadata', async () => {
  const out = path.join(tmp, 'action.onnx')
  const r = await runCli(['export', '--checkpoint', path.join(repoRoot, 'models', 'action'), '--out', out])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /classes \(metadata motion\.classes\): basketball, jumping, raise-up-both-hands, raise-up-left-hand, raise-up-right-hand, running, soccer, walk-turn-left, walk-turn-right, walking, wave-both-hands, wave-left-hand, wave-right-hand/)
  const meta = readOnnxMetadata(new Uint8Array(readFileSync(out)))
  assert.deepEqual(JSON.parse(meta['motion.classes']!), JSON.parse(readFileSync(path.join(repoRoot, 'models', 'action', 'classes.json'), 'utf8')))
  assert.match(meta['motion.input_normalisation']!, /--video-size/)
  assert.doesNotMatch(meta['motion.input_normalisation']!, /--vid-size/)
})
