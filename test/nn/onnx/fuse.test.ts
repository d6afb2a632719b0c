/**
 * Inference fusions (src/nn/onnx/fuse.ts): DSTformer's spatial and temporal attention become
 * com.microsoft MultiHeadAttention with the same outputs; graphs without that pattern, exported
 * bytes stay standard ONNX (session.ts applies the pass to eval graphs only).
 */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {getBackbone} from '../../../src/backbones/registry.js'
import {getHead} from '../../../src/heads/registry.js'
import {buildModel, randomWeights, resolveModelConfig} from '../../../src/model/model.js'
import {fuseForInference} from '../../../src/nn/onnx/fuse.js'
import {toOnnxBytes} from '../../../src/nn/onnx/lower.js'
import {recordModelGraph} from '../../../src/model/onnx-model.js'
import {decodeModel} from '../../../src/nn/onnx/proto.js'
import {recordGraph} from '../../../src/nn/onnx/record.js'
import {createOnnxRunner} from '../../../src/nn/onnx/session.js'
import type {NDArray} from '../../../src/core/ndarray.js'
import {relErr} from '../../helpers/onnx-reference.js'

function tinyDstformer(depth: number) {
  const config = {dim_feat: 32, depth, num_heads: 4, mlp_ratio: 2, dim_rep: 64, maxlen: 81}
  const resolved = resolveModelConfig(new Map(), config)
  const spec = {backbone: getBackbone(resolved.backbone), head: getHead(resolved.head), config: resolved}
  return buildModel(randomWeights(spec, 5, 0.1), config)
}

function input(shape: number[]): NDArray {
  const n = shape.reduce((a, b) => a * b, 1)
  return {data: Float32Array.from({length: n}, (_, i) => Math.sin(i * 0.37)), shape}
}

const count = (nodes: readonly {op: string}[], op: string): number => nodes.filter((n) => n.op === op).length

for (const dynamic of [true, false]) {
  test(`DSTformer attention fuses into MultiHeadAttention with the same outputs (${dynamic ? 'dynamic N, T' : 'static shapes'})`, async () => {
    const model = tinyDstformer(2)
    const shape = [2, 27, 17, 3]
    const graph = recordModelGraph(model, shape, {dynamic})
    const fused = fuseForInference(graph)
    // depth 2 x two streams x (spatial + temporal) = 8 attentions; the 2 ts_attn softmaxes stay.
    assert.equal(count(fused.nodes, 'MultiHeadAttention'), 8)
    assert.equal(count(fused.nodes, 'Softmax'), 2)
    assert.ok(fused.nodes.every((n) => n.op !== 'MultiHeadAttention' || n.domain === 'com.microsoft'))
    const plain = await createOnnxRunner(graph, {fuse: false, threads: 1})
    const fast = await createOnnxRunner(graph, {threads: 1})
    try {
      for (const frames of [27, 5]) {
        const x = input([2, frames, 17, 3])
        if (!dynamic && frames !== 27) continue
        const a = await plain.run({x})
        const b = await fast.run({x})
        for (const name of ['pose3d', 'representation']) {
          assert.deepEqual(b[name]!.shape, a[name]!.shape)
          assert.ok(relErr(b[name]!, a[name]!) <= 1e-5, `${name} at ${frames} frames: ${relErr(b[name]!, a[name]!)}`)
        }
      }
    } finally {
      await plain.dispose()
      await fast.dispose()
    }
  })
}

test('exported bytes stay standard ONNX: no contrib domain unless fused', () => {
  const graph = recordModelGraph(tinyDstformer(1), [1, 9, 17, 3])
  const plain = decodeModel(toOnnxBytes(graph))
  assert.deepEqual(plain.opset_import.map((o) => o.domain), [''])
  const fused = decodeModel(toOnnxBytes(fuseForInference(graph)))
  assert.deepEqual(fused.opset_import.map((o) => o.domain).sort(), ['', 'com.microsoft'])
})

test('a softmax that is not attention is left as recorded', () => {
  const graph = recordGraph((ops, {x}) => ({y: ops.softmax(ops.scale(ops.matmul(x!, ops.transpose(x!, [0, 2, 1])), 0.5), -1)}), {
    inputs: [{name: 'x', shape: [2, 4, 3]}],
    weights: new Map(),
  })
  assert.equal(fuseForInference(graph), graph)
})
