/**
 * Whole models on the ONNX executor: the official fixtures (random weights, official outputs)
 * through one dynamic-axes graph per model, and ONNX against the tfjs executor at MotionBERT-Lite
 * width. The full Lite model at 243 frames takes minutes on tfjs-wasm, so it runs only with
 * MOTION_SLOW_TESTS=1 (measured: relative error 1.5e-6).
 */
import assert from 'node:assert/strict'
import path from 'node:path'
import {test} from 'node:test'
import {getBackbone} from '../../src/backbones/registry.js'
import {getHead} from '../../src/heads/registry.js'
import {readNpyFloat32} from '../../src/formats/npy.js'
import {type Model, disposeModel, forwardModel, randomWeights, resolveModelConfig} from '../../src/model/model.js'
import {disposeOnnxModel, forwardModelOnnx, recordModelGraph} from '../../src/model/onnx-model.js'
import {loadOfficialCheckpoint} from '../../src/model/official.js'
import type {NDArray} from '../../src/core/ndarray.js'
import {fixturesDir, repoRoot} from '../helpers/paths.js'
import {rand, relErr} from '../helpers/onnx-reference.js'
import {OFFICIAL_REFERENCES, type OfficialCase, readCaseJson} from '../helpers/fixtures.js'

function assertClose(ours: NDArray, ref: NDArray, what: string): void {
  assert.deepEqual(ours.shape, ref.shape, `${what}: shape`)
  const err = relErr(ours, ref)
  assert.ok(err <= 1e-4, `${what}: relative error ${err}`)
}

async function checkFixture(dir: string): Promise<void> {
  const spec = readCaseJson<OfficialCase>(dir)
  const {model} = await loadOfficialCheckpoint(path.join(dir, spec.checkpoint), {num_heads: spec.config.num_heads})
  try {
    // The cases have different frame counts; the one recorded graph serves them all.
    for (const c of spec.cases) {
      const input = await readNpyFloat32(path.join(dir, c.input as string))
      const out = await forwardModelOnnx(model, input, {threads: 2})
      for (const [name, field] of Object.entries(OFFICIAL_REFERENCES[spec.kind]!)) {
        assertClose(out[name]!, await readNpyFloat32(path.join(dir, c[field] as string)), `${path.basename(dir)} ${c.input} ${name}`)
      }
    }
  } finally {
    await disposeOnnxModel(model)
  }
}

test('dstformer-tiny via ONNX matches the official output and representation', () => checkFixture(path.join(fixturesDir, 'dstformer-tiny')))
test('action-tiny via ONNX matches the official ActionNet logits', () => checkFixture(path.join(fixturesDir, 'action-tiny')))
test('dstformer-wide via ONNX matches the official code', () => checkFixture(path.join(repoRoot, 'test', 'fixtures', 'official-wide', 'dstformer-wide')))

function dstformerModel(sizes: Record<string, number>): Model {
  const config = resolveModelConfig(new Map(), {...sizes, maxlen: 243, backbone: 'dstformer', head: 'pose3d'})
  const spec = {backbone: getBackbone(config.backbone), head: getHead(config.head), config}
  return {...spec, weights: randomWeights(spec, 7)}
}

async function compareWithTfjs(model: Model, frames: number): Promise<void> {
  const input = rand([1, frames, 17, 3], frames)
  try {
    const ours = await forwardModelOnnx(model, input, {threads: 2})
    const ref = await forwardModel(model, input, {backend: 'wasm'})
    assert.deepEqual(Object.keys(ours).sort(), Object.keys(ref).sort())
    for (const name of Object.keys(ref)) assertClose(ours[name]!, ref[name]!, `${name} at ${frames} frames`)
  } finally {
    disposeModel(model)
    await disposeOnnxModel(model)
  }
}

const LITE = {dim_feat: 256, depth: 5, num_heads: 8, mlp_ratio: 4, dim_rep: 512}

test('MotionBERT-Lite sizes (dim 256, depth 5, 8 heads, mlp 4, rep 512): ONNX matches tfjs at 3 frames', () => compareWithTfjs(dstformerModel(LITE), 3))

test('243 frames (maxlen) with 8 heads: ONNX matches tfjs on the long temporal attention', () =>
  compareWithTfjs(dstformerModel({dim_feat: 32, depth: 1, num_heads: 8, mlp_ratio: 2, dim_rep: 64}), 243))

test('MotionBERT-Lite at 243 frames: ONNX matches tfjs (MOTION_SLOW_TESTS=1)', {skip: process.env.MOTION_SLOW_TESTS !== '1'}, () =>
  compareWithTfjs(dstformerModel(LITE), 243))

test('the Lite graph stores linear weights transposed and has dynamic N and T', () => {
  const graph = recordModelGraph(dstformerModel(LITE), [1, 243, 17, 3])
  assert.deepEqual(graph.inputs[0]!.shape, ['N', 'T', 17, 3])
  assert.deepEqual(graph.outputs.find((o) => o.name === 'pose3d')!.shape, ['N', 'T', 17, 3])
  const transposedWeights = [...graph.initializers.values()].filter((i) => i.source?.transform === 'transpose')
  assert.ok(transposedWeights.length >= 4 * 4 * 5, `${transposedWeights.length} linear weights stored as W^T`)
  // No Transpose node ever reads an initializer (that would be a per-run weight transpose).
  assert.ok(!graph.nodes.some((n) => n.op === 'Transpose' && graph.initializers.has(n.inputs[0]!)))
  assert.equal(graph.nodes.filter((n) => n.op === 'LayerNormalization').length, 4 * 2 * 5 + 1)
})
