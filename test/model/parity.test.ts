/**
 * The official fixtures (MotionBERT code, random weights) reproduced through the library API on
 * the cpu and wasm backends: DSTformer output and representation for both inputs, ActionNet logits.
 */
import assert from 'node:assert/strict'
import path from 'node:path'
import {test} from 'node:test'
import {readNpyFloat32} from '../../src/formats/npy.js'
import {disposeModel, forwardModel} from '../../src/model/model.js'
import {loadOfficialCheckpoint} from '../../src/model/official.js'
import {fixturesDir, repoRoot} from '../helpers/paths.js'
import {relativeError} from '../helpers/compare.js'
import {OFFICIAL_REFERENCES, type OfficialCase, readCaseJson} from '../helpers/fixtures.js'

async function checkCase(dir: string, backend: 'cpu' | 'wasm'): Promise<void> {
  const spec = readCaseJson<OfficialCase>(dir)
  // num_heads is the one size the weights cannot tell; everything else is inferred.
  const {model} = await loadOfficialCheckpoint(path.join(dir, spec.checkpoint), {num_heads: spec.config.num_heads})
  try {
    for (const c of spec.cases) {
      const input = await readNpyFloat32(path.join(dir, c.input as string))
      const out = await forwardModel(model, input, {backend})
      for (const [name, field] of Object.entries(OFFICIAL_REFERENCES[spec.kind]!)) {
        const ref = await readNpyFloat32(path.join(dir, c[field] as string))
        const err = relativeError(out[name]!, ref)
        assert.ok(err <= 1e-4, `${path.basename(dir)} ${c.input} ${name} on ${backend}: relative error ${err}`)
      }
    }
  } finally {
    disposeModel(model)
  }
}

for (const backend of ['wasm', 'cpu'] as const) {
  test(`dstformer-tiny: output and representation match the official code (${backend})`, () => checkCase(path.join(fixturesDir, 'dstformer-tiny'), backend))
  test(`action-tiny: logits match the official ActionNet (${backend})`, () => checkCase(path.join(fixturesDir, 'action-tiny'), backend))
}

// Wider sizes (more heads, blocks and frames, other head sizes); wasm only, the cpu backend is slow here.
const wide = path.join(repoRoot, 'test', 'fixtures', 'official-wide')
test('dstformer-wide: output and representation match the official code (wasm)', () => checkCase(path.join(wide, 'dstformer-wide'), 'wasm'))
test('action-wide: logits match the official ActionNet (wasm)', () => checkCase(path.join(wide, 'action-wide'), 'wasm'))
