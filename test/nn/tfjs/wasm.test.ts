/**
 * Training on tfjs-wasm, which lacks the gradient kernels of tf.conv1d's filter (Conv2DBackpropFilter)
 * and of tf.gather (UnsortedSegmentSum): the tfjs executor builds both from differentiable ops, so
 * their gradients on wasm equal the ONNX gradient graph's, and the Strided Transformer (strided
 * convolutions, every-n-th residual gather) trains there with the ONNX trainer's gradients.
 */
import assert from 'node:assert/strict'
import path from 'node:path'
import {before, test} from 'node:test'
import type {NDArray} from '../../../src/core/ndarray.js'
import type {Ops} from '../../../src/nn/ops.js'
import {loadModel} from '../../../src/model/load.js'
import {type Model, runModel} from '../../../src/model/model.js'
import {selectBackend} from '../../../src/nn/tfjs/backend.js'
import {TfjsTrainer} from '../../../src/train/engine-tfjs.js'
import {DEFAULT_POSE_LOSS_LAMBDAS} from '../../../src/nn/losses.js'
import {backbonePoseLoss} from '../../../src/nn/losses-literature.js'
import {getBackbone} from '../../../src/backbones/registry.js'
import {createOnnxTrainer} from '../../../src/train/onnx-trainer.js'
import {AdamW} from '../../../src/train/optim.js'
import {fixturesDir} from '../../helpers/paths.js'
import {type ScalarFn, onnxGradients, randn, relErr, relErrStrict, tfjsGradients} from '../../helpers/grad.js'

before(async () => {
  const selection = await selectBackend({force: 'wasm'})
  assert.equal(selection.backend, 'wasm')
})

const range = (n: number): number[] => Array.from({length: n}, (_, i) => i)

/** sum(f(x) ⊙ W) for a fixed random W. */
function weightedSum(f: <T>(ops: Ops<T>, x: T) => T): ScalarFn {
  return <T>(ops: Ops<T>, ins: Readonly<Record<string, T>>): T => {
    const y = f(ops, ins.x!)
    const shape = range(ops.rank(y)).map((i) => ops.dim(y, i) as number)
    return ops.sum(ops.mul(y, ops.constant(randn(shape, 99).data, shape)), range(shape.length))
  }
}

const convWeights = new Map<string, NDArray>([['c.weight', randn([4, 3, 3], 2)], ['c.bias', randn([4], 3)]])
const opCases: {name: string; x: NDArray; f: <T>(ops: Ops<T>, x: T) => T}[] = [
  {name: 'conv1d (kernel 3, stride 3, padding 1)', x: randn([2, 3, 10], 1), f: (o, x) => o.conv1d(x, 'c.weight', 'c.bias', {stride: 3, padding: 1})},
  {name: 'conv1d (stride 2, dilation 2, padding 2)', x: randn([2, 3, 11], 4), f: (o, x) => o.conv1d(x, 'c.weight', null, {stride: 2, dilation: 2, padding: 2})},
  // every-3rd run with a tail past the last whole period, a contiguous run, repeats, reversed order
  {name: 'gather (strided run, repeats, reversed)', x: randn([2, 8, 3], 5), f: (o, x) => o.gather(x, [1, 4, 7, 2, 3, 3, 0, 6, 5], 1)},
  {name: 'gather (last axis, negative index)', x: randn([3, 5], 6), f: (o, x) => o.gather(x, [4, -1, 0, 2], -1)},
]

for (const c of opCases) {
  test(`wasm: gradient of ${c.name} equals the ONNX gradient graph`, async () => {
    const fn = weightedSum(c.f)
    const weights = c.name.startsWith('conv1d') ? convWeights : new Map<string, NDArray>()
    const ours = await onnxGradients(fn, weights, {x: c.x})
    try {
      const wrt = [...ours.grads.keys()]
      assert.ok(wrt.includes('x'))
      if (c.name.startsWith('conv1d')) assert.ok(wrt.includes('c.weight'), 'the filter gets a gradient')
      const ref = tfjsGradients(
        <T>(ops: Ops<T>, ins: Readonly<Record<string, T>>) => ({y: fn(ops, ins)}),
        <T>(_ops: Ops<T>, outs: Readonly<Record<string, T>>) => ({total: outs.y!}),
        weights,
        wrt,
        {x: c.x},
      )
      assert.ok(Math.abs(ref.loss - ours.loss) <= 1e-4 * Math.max(1, Math.abs(ours.loss)))
      for (const k of wrt) {
        const err = relErrStrict(ref.grads.get(k)!, ours.grads.get(k)!)
        assert.ok(err <= 1e-4, `${k}: wasm vs ONNX ${err}`)
      }
    } finally {
      await ours.dispose()
    }
  })
}

/** The model with dropout switched off (both engines draw their own masks), BatchNorm still in train mode. */
function withoutDropout(model: Model): Model {
  const strip = <T>(ops: Ops<T>): Ops<T> => new Proxy(ops, {get: (target, key, receiver) => (key === 'dropout' ? (x: T) => x : Reflect.get(target, key, receiver))})
  return {
    ...model,
    backbone: {...model.backbone, forwardFeatures: (ops, x, config, prefix) => model.backbone.forwardFeatures(strip(ops), x, config, prefix)},
  }
}

test('wasm: a Strided Transformer training step (official tiny checkpoint) runs, with the ONNX trainer\'s gradients to 1e-4', async () => {
  const {model: loaded} = await loadModel(path.join(fixturesDir, 'strided-tiny', 'checkpoint.pth'))
  const model = withoutDropout(loaded)
  const trainable = new Set([...model.weights.keys()].filter((k) => !/running_|num_batches/.test(k)))
  const [n, frames, joints] = [2, 27, 17]
  const input = randn([n, frames, joints, 2], 11)
  const target = randn([n, frames, joints, 3], 12, -0.5, 0.5)

  const onnx = await createOnnxTrainer({
    buildModel: (ops, inputs) => runModel(ops, model, inputs.x!),
    buildLoss: (ops, outputs, inputs) => backbonePoseLoss(ops, getBackbone('strided'), outputs, inputs.y!, DEFAULT_POSE_LOSS_LAMBDAS)!,
    weights: model.weights,
    trainable: (k) => trainable.has(k),
    inputs: [{name: 'x', shape: [n, frames, joints, 2]}, {name: 'y', shape: [n, frames, joints, 3]}],
    optimizer: {lr: 1e-3},
    threads: 1,
  })
  const tfjs = new TfjsTrainer({model, trainable, optimiser: new AdamW({lr: 1e-3}), lambdas: DEFAULT_POSE_LOSS_LAMBDAS, backend: 'wasm'})
  try {
    const ref = await onnx.gradients({x: input, y: target})
    const ours = await tfjs.gradients({task: 'pose3d', input, target})
    assert.ok(Math.abs(ours.loss - ref.loss) <= 1e-4 * Math.max(1, ref.loss), `loss ${ours.loss} vs ONNX ${ref.loss}`)
    assert.deepEqual(Object.keys(ours.parts).sort(), ['mpjpe_full', 'mpjpe_single'])
    // Every trainable parameter the loss reaches, the convolutions' filters among them.
    assert.deepEqual([...ours.grads.keys()].sort(), [...ref.grads.keys()].sort())
    assert.ok([...ours.grads.keys()].some((k) => k.endsWith('feed_forward.w_2.weight')))
    // The project's parity measure per parameter (attention key biases have exactly-zero gradients,
    // so a measure relative to their own size would compare rounding noise).
    let worst = {name: '', err: 0}
    for (const [k, g] of ref.grads) {
      const err = relErr(ours.grads.get(k)!, g)
      if (err > worst.err) worst = {name: k, err}
    }
    assert.ok(worst.err <= 1e-4, `worst gradient ${worst.name}: ${worst.err}`)
    const largest = Math.max(...[...ref.grads.values()].map((g) => Math.max(...Array.from(g.data, Math.abs))))
    assert.ok(largest > 1e-2, `largest gradient ${largest}`)

    // The step itself: the weights move and the loss on the batch falls.
    const before = tfjs.weights()
    const first = await tfjs.step({task: 'pose3d', input, target}, 1)
    const second = await tfjs.step({task: 'pose3d', input, target}, 1)
    assert.ok(Number.isFinite(first.loss) && second.loss < first.loss, `losses ${first.loss}, ${second.loss}`)
    const after = tfjs.weights()
    const moved = [...trainable].filter((k) => after.get(k)!.data.some((v, i) => v !== before.get(k)!.data[i]))
    assert.ok(moved.some((k) => k.endsWith('feed_forward.w_2.weight')), 'the strided convolutions train')
  } finally {
    tfjs.dispose()
    await onnx.dispose()
  }
})
