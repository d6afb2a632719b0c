/**
 * Every registered backbone × head: a tiny random model builds, runs, and gives the declared outputs:
 * forwardModel returns outputNames (after a head's finishOutputs), the recorded ONNX graph
 * graphOutputNames.
 */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import * as tf from '@tensorflow/tfjs-core'
import {backboneRegistry} from '../../src/backbones/registry.js'
import {headRegistry} from '../../src/heads/registry.js'
import {buildModel, disposeModel, forwardModel, graphOutputNames, modelInputLayout, outputNames, randomWeights, resolveModelConfig} from '../../src/model/model.js'
import {recordModelGraph} from '../../src/model/onnx-model.js'
import {ExitCode, isMotionError} from '../../src/core/errors.js'
import type {RawConfig} from '../../src/config/types.js'
import {size} from '../../src/core/ndarray.js'

/** Small values for the keys every entry declares, so random models stay tiny. */
const TINY: RawConfig = {dim_feat: 16, dim_rep: 24, depth: 1, num_heads: 2, mlp_ratio: 2, maxlen: 9, hidden_dim: 12, action_classes: 4,
  // MixSTE and the Strided Transformer take clips of exactly num_frame / frames frames.
  num_frame: 9, embed_dim_ratio: 24, in_chans: 3, frames: 9, stride_num: [3, 3], channel: 16, d_hid: 24, layers: 2}
const FRAMES = 9

for (const backbone of backboneRegistry.values()) {
  for (const head of headRegistry.values()) {
    const config: RawConfig = {...TINY, backbone: backbone.name, head: head.name}
    if (head.needsRepresentation && !backbone.outputs.includes('representation')) {
      // Backbones with their own output layers (the Strided Transformer) take only the `none` head.
      test(`${backbone.name} + ${head.name}: refused, the backbone has no representation`, () => {
        assert.throws(() => buildModel(new Map(), config), (err: unknown) => isMotionError(err) && err.exitCode === ExitCode.model && /does not produce/.test(err.message))
      })
      continue
    }
    test(`${backbone.name} + ${head.name}: random tiny model forwards to the declared output shapes`, async () => {
      const spec = resolveModelConfig(new Map(), config)
      const model = buildModel(randomWeights({backbone, head, config: spec}, 7), config)
      // Input of the model's layout: N=2, M=2 persons where asked, 9 frames, 17 joints, and the
      // channel count (3 or 2) the backbone accepts.
      const layout = modelInputLayout(model)
      const channels = [3, 2].find((c) => model.backbone.checkInput([2, FRAMES, 17, c], model.config.backboneConfig) === null)
      assert.ok(channels, `${backbone.name} takes neither 2 nor 3 channels at this size`)
      const dims: Record<string, number> = {N: 2, M: 2, T: FRAMES, J: 17, C: channels}
      const shape = layout.map((axis) => dims[axis]!)
      const data = Float32Array.from({length: size(shape)}, (_, i) => Math.sin(i))
      const out = await forwardModel(model, {data, shape}, {backend: 'cpu'})
      assert.deepEqual(Object.keys(out).sort(), outputNames(model).sort())
      for (const [name, arr] of Object.entries(out)) {
        assert.equal(arr.data.length, size(arr.shape), name)
        assert.ok(arr.data.every(Number.isFinite), `${name} is finite`)
        assert.equal(arr.shape[0], 2, `${name} keeps the batch`)
      }
      if (out.representation) assert.deepEqual(out.representation.shape, [2, FRAMES, 17, 24])
      if (head.name === 'pose3d') assert.deepEqual(out.pose3d!.shape, [2, FRAMES, 17, 3])
      if (head.name === 'action') assert.deepEqual(out.logits!.shape, [2, 4])
      if (head.name === 'mesh') {
        assert.deepEqual(out.theta!.shape, [2, FRAMES, 82])
        assert.deepEqual(out.kp_3d!.shape, [2, FRAMES, 17, 3])
        assert.deepEqual(out.verts!.shape.slice(0, 2), [2, FRAMES])
      }
      const graph = recordModelGraph(model, shape)
      assert.deepEqual(graph.outputs.map((v) => v.name).sort(), graphOutputNames(model).sort())
      disposeModel(model)
      assert.ok(tf.memory().numTensors >= 0)
    })
  }
}
