/**
 * Every registered backbone on its own: a tiny random model's config resolves from the config
 * alone and back from its own parameter shapes, its input check accepts the right shape and
 * names the wrong one, and forwardFeatures gives the declared outputs, the same on tfjs and onnx.
 */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {backboneRegistry} from '../../src/backbones/registry.js'
import type {RawConfig} from '../../src/config/types.js'
import {BACKBONE_PREFIX} from '../../src/model/model.js'
import {type NDArray, size} from '../../src/core/ndarray.js'
import {type BackboneModel, runOnnx, runTfjs} from '../helpers/backbones.js'
import {relativeError} from '../helpers/compare.js'

interface TinyCase {
  config: RawConfig
  input: number[]
  /** Expected output shapes. */
  outputs: Record<string, number[]>
  /** Whether the model takes exactly input[1] frames (else fewer frames are fine too). */
  fixedFrames: boolean
}

/** A tiny config, input and output shapes per backbone; a new backbone must add its own here. */
const TINY: Record<string, TinyCase> = {
  dstformer: {
    config: {dim_feat: 16, dim_rep: 24, depth: 1, num_heads: 2, mlp_ratio: 2, maxlen: 9},
    input: [2, 7, 17, 3],
    outputs: {representation: [2, 7, 17, 24]},
    fixedFrames: false,
  },
  mixste: {
    config: {num_frame: 7, embed_dim_ratio: 16, depth: 2, num_heads: 2, mlp_ratio: 2},
    input: [2, 7, 17, 2],
    outputs: {pose3d: [2, 7, 17, 3], representation: [2, 7, 17, 16]},
    fixedFrames: true,
  },
  strided: {
    config: {frames: 9, stride_num: [3, 3], channel: 16, d_hid: 24, layers: 2},
    input: [2, 9, 17, 2],
    outputs: {pose3d: [2, 1, 17, 3], pose3d_full: [2, 9, 17, 3]},
    fixedFrames: true,
  },
}

/** Deterministic weights of the right shapes (running variances positive). */
function tinyWeights(shapes: Map<string, number[]>): Map<string, NDArray> {
  const out = new Map<string, NDArray>()
  let seed = 1
  for (const [name, shape] of shapes) {
    const data = new Float32Array(size(shape))
    for (let i = 0; i < data.length; i++) {
      const r = Math.sin(++seed * 12.9898) * 0.3
      data[i] = name.endsWith('running_var') ? 0.5 + Math.abs(r) : r
    }
    out.set(BACKBONE_PREFIX + name, {data, shape: [...shape]})
  }
  return out
}

function tinyInput(shape: number[]): NDArray {
  return {data: Float32Array.from({length: size(shape)}, (_, i) => Math.sin(i * 0.37) * 0.5), shape}
}

test('the registry holds dstformer, mixste and strided', () => {
  assert.deepEqual([...backboneRegistry.keys()].sort(), ['dstformer', 'mixste', 'strided'])
})

for (const entry of backboneRegistry.values()) {
  test(`${entry.name}: tiny random model runs on tfjs and onnx with the declared outputs`, async () => {
    const tiny = TINY[entry.name]
    assert.ok(tiny, `add a tiny config for backbone ${entry.name} to this test`)
    const config = entry.inferConfig(new Map(), tiny.config)
    const expected = entry.expectedParams(config)
    // What the weights can tell is read back from them unchanged.
    assert.deepEqual(entry.inferConfig(expected, tiny.config), config)
    assert.equal(entry.checkInput(tiny.input, config), null)
    if (tiny.fixedFrames) {
      const wrongFrames = [tiny.input[0]!, tiny.input[1]! - 1, ...tiny.input.slice(2)]
      assert.match(entry.checkInput(wrongFrames, config) ?? '', /frames/)
    }
    assert.match(entry.checkInput([...tiny.input.slice(0, 3), 5], config) ?? '', /channels/)

    const loaded: BackboneModel = {entry, config, weights: tinyWeights(expected)}
    const input = tinyInput(tiny.input)
    const viaTfjs = await runTfjs(loaded, input, 'wasm')
    const viaOnnx = await runOnnx(loaded, input)
    assert.deepEqual(Object.keys(viaTfjs).sort(), [...entry.outputs].sort())
    assert.deepEqual(Object.keys(viaOnnx).sort(), [...entry.outputs].sort())
    assert.deepEqual(Object.keys(tiny.outputs).sort(), [...entry.outputs].sort())
    for (const name of entry.outputs) {
      const a = viaTfjs[name]!
      assert.deepEqual(a.shape, tiny.outputs[name], `${name} shape`)
      assert.ok(a.data.every(Number.isFinite), `${name} is finite`)
      assert.ok(relativeError(viaOnnx[name]!, a) <= 1e-4, `${name}: onnx and tfjs agree`)
    }
  })
}
