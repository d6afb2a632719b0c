/**
 * Gradient graphs beyond the DSTformer: the other official fixture models (ActionNet with its
 * train-mode BatchNorm head, MixSTE, the Strided Transformer with strided convolutions and
 * BatchNorm) give the same loss and parameter gradients on ONNX as tfjs autograd (1e-4).
 */
import assert from 'node:assert/strict'
import path from 'node:path'
import {before, test} from 'node:test'
import {readNpyFloat32} from '../../../src/formats/npy.js'
import {BACKBONE_PREFIX, runModel} from '../../../src/model/model.js'
import {loadOfficialCheckpoint} from '../../../src/model/official.js'
import type {Ops} from '../../../src/nn/ops.js'
import {selectBackend} from '../../../src/nn/tfjs/backend.js'
import type {NDArray} from '../../../src/core/ndarray.js'
import {type ForwardFn, type LossFn, createOnnxTrainer} from '../../../src/train/onnx-trainer.js'
import {fixturesDir} from '../../helpers/paths.js'
import {loadFixture} from '../../helpers/backbones.js'
import {relErr, tfjsGradients} from '../../helpers/grad.js'

before(async () => {
  // tfjs autograd, the reference, on the wasm backend (XNNPACK): the same gradients to 1e-4 as the
  // plain-JS cpu backend, in half the time
  await selectBackend({force: 'wasm'})
})

/** Sum over outputs of mean(out²): touches every output element. */
const meanSquares: LossFn = <T>(ops: Ops<T>, outs: Readonly<Record<string, T>>) => {
  let total: T | undefined
  for (const y of Object.values(outs)) {
    const axes = Array.from({length: ops.rank(y)}, (_, i) => i)
    const term = ops.mean(ops.mul(y, y), axes)
    total = total === undefined ? term : ops.add(total, term)
  }
  return {total: total!}
}

/**
 * The model with dropout switched off on any executor: tfjs draws its own masks, so engines can
 * only be compared without dropout (the trainer's masks are tested in trainer.test.ts).
 */
function withoutDropout<T>(ops: Ops<T>): Ops<T> {
  return new Proxy(ops, {
    get(target, prop, receiver) {
      if (prop === 'dropout') return (x: T) => x
      const v = Reflect.get(target, prop, receiver) as unknown
      return typeof v === 'function' ? (v as (...args: unknown[]) => unknown).bind(target) : v
    },
  })
}

async function compare(label: string, buildModel: ForwardFn, weights: Map<string, NDArray>, x: NDArray): Promise<void> {
  const trainable = (n: string): boolean => !n.includes('running_') && !n.endsWith('num_batches_tracked')
  const trainer = await createOnnxTrainer({buildModel, buildLoss: meanSquares, weights, trainable, inputs: [{name: 'x', shape: x.shape}], optimizer: {lr: 1e-3}, threads: 2})
  try {
    const ours = await trainer.gradients({x})
    assert.ok(ours.grads.size > 0)
    const ref = tfjsGradients(buildModel, meanSquares, weights, [...ours.grads.keys()], {x})
    assert.ok(Math.abs(ours.loss - ref.loss) <= 1e-4 * Math.max(1, Math.abs(ref.loss)), `${label} loss ${ours.loss} vs ${ref.loss}`)
    for (const [name, g] of ours.grads) {
      const err = relErr(g, ref.grads.get(name)!)
      assert.ok(err <= 1e-4, `${label} ${name}: relative error ${err}`)
    }
  } finally {
    await trainer.dispose()
  }
}

test('action-tiny (train-mode BatchNorm head): ONNX gradients equal tfjs autograd', async () => {
  const dir = path.join(fixturesDir, 'action-tiny')
  const {model} = await loadOfficialCheckpoint(path.join(dir, 'checkpoint.bin'), {num_heads: 4})
  const full = await readNpyFloat32(path.join(dir, 'input_0.npy')) // [3, 2, 27, 17, 3]
  // Two samples (BatchNorm needs a batch) of 9 frames keep tfjs's cpu autograd quick.
  const [, m, t, j, c] = full.shape as [number, number, number, number, number]
  const frames = 9
  const data = new Float32Array(2 * m * frames * j * c)
  for (let n = 0; n < 2 * m; n++) data.set(full.data.subarray(n * t * j * c, (n * t + frames) * j * c), n * frames * j * c)
  const x = {data, shape: [2, m, frames, j, c]}
  await compare('action-tiny', <T>(ops: Ops<T>, i: Readonly<Record<string, T>>) => runModel(withoutDropout(ops), model, i.x!), model.weights, x)
})

for (const [kind, extra] of [
  ['mixste', (c: Record<string, unknown>) => ({num_heads: c.num_heads})],
  ['strided', (c: Record<string, unknown>) => ({stride_num: c.stride_num})],
] as const) {
  test(`${kind}-tiny: ONNX gradients equal tfjs autograd`, async () => {
    const dir = path.join(fixturesDir, `${kind}-tiny`)
    const loaded = await loadFixture(dir, extra as never)
    const x = await readNpyFloat32(path.join(dir, 'input_0.npy'))
    const build: ForwardFn = <T>(ops: Ops<T>, i: Readonly<Record<string, T>>) =>
      loaded.entry.forwardFeatures(withoutDropout(ops), i.x!, loaded.config, BACKBONE_PREFIX) as Record<string, T>
    await compare(`${kind}-tiny`, build, loaded.weights, x)
  })
}
