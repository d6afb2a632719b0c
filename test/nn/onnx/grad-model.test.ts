/**
 * Whole-model gradients: the tiny DSTformer fixture (official checkpoint, random weights) with
 * MotionBERT's MPJPE + velocity objective. The ONNX gradient graph must give the same loss and
 * parameter gradients as tfjs autograd (issue 6: to 1e-4), partial freezing must leave frozen
 * parameters without gradients, and a few AdamW steps must lower the loss.
 */
import assert from 'node:assert/strict'
import path from 'node:path'
import {before, test} from 'node:test'
import {readNpyFloat32} from '../../../src/formats/npy.js'
import {runModel} from '../../../src/model/model.js'
import {loadOfficialCheckpoint} from '../../../src/model/official.js'
import type {Ops} from '../../../src/nn/ops.js'
import {selectBackend} from '../../../src/nn/tfjs/backend.js'
import {combinedPoseLoss} from '../../../src/nn/losses.js'
import {type ForwardFn, type LossFn, createOnnxTrainer} from '../../../src/train/onnx-trainer.js'
import {fixturesDir} from '../../helpers/paths.js'
import {randn, relErr, tfjsGradients} from '../../helpers/grad.js'

const dir = path.join(fixturesDir, 'dstformer-tiny')
const lambdas = {lambda_3d_velocity: 20, lambda_scale: 0, lambda_lv: 0, lambda_lg: 0, lambda_a: 0, lambda_av: 0}

before(async () => {
  // tfjs autograd, the reference, on the wasm backend (XNNPACK): the same gradients to 1e-4 as the
  // plain-JS cpu backend, in less time
  await selectBackend({force: 'wasm'})
})

async function fixture() {
  const {model} = await loadOfficialCheckpoint(path.join(dir, 'checkpoint.bin'), {num_heads: 4})
  const x = await readNpyFloat32(path.join(dir, 'input_0.npy')) // [2, 27, 17, 3]
  const y = randn([...x.shape], 11)
  const buildModel: ForwardFn = <T>(ops: Ops<T>, inputs: Readonly<Record<string, T>>) => runModel(ops, model, inputs.x!)
  const buildLoss: LossFn = <T>(ops: Ops<T>, outs: Readonly<Record<string, T>>, inputs: Readonly<Record<string, T>>) =>
    combinedPoseLoss(ops, outs.pose3d!, inputs.y!, lambdas, {parts: 'weighted'})
  return {model, x, y, buildModel, buildLoss}
}

test('tiny DSTformer: ONNX gradients equal tfjs autograd (MPJPE + velocity) to 1e-4', async () => {
  const {model, x, y, buildModel, buildLoss} = await fixture()
  const trainer = await createOnnxTrainer({
    buildModel, buildLoss, weights: model.weights, trainable: () => true,
    inputs: [{name: 'x', shape: x.shape}, {name: 'y', shape: y.shape}], optimizer: {lr: 1e-3}, threads: 2,
  })
  try {
    const ours = await trainer.gradients({x, y})
    const ref = tfjsGradients(buildModel, buildLoss, model.weights, [...ours.grads.keys()], {x, y})
    assert.ok(Math.abs(ours.loss - ref.loss) <= 1e-4 * Math.max(1, Math.abs(ref.loss)), `loss ${ours.loss} vs ${ref.loss}`)
    assert.deepEqual(trainer.unusedParams, [])
    assert.equal(ours.grads.size, [...model.weights.keys()].length)
    let worst = 0
    for (const [name, g] of ours.grads) {
      const r = ref.grads.get(name)!
      assert.deepEqual(g.shape, r.shape, name)
      const err = relErr(g, r)
      worst = Math.max(worst, err)
      assert.ok(err <= 1e-4, `${name}: relative error ${err}`)
    }
    // The gradients are not trivially zero.
    const norm = Math.max(...[...ours.grads.values()].map((g) => Math.max(...Array.from(g.data, Math.abs))))
    assert.ok(norm > 1e-3, `largest gradient ${norm}`)
    console.error(`worst ${worst}, largest ${norm}`)
  } finally {
    await trainer.dispose()
  }
})

test('partial freezing: frozen parameters get no gradient nodes, keep their values, and the rest keep their gradients', async () => {
  const {model, x, y, buildModel, buildLoss} = await fixture()
  // `--freeze 1` style: only the last block pair, the fusion of the last depth and the head train.
  const trainable = (n: string): boolean => n.startsWith('head.') || /^backbone\.(blocks_st|blocks_ts|ts_attn)\.1\./.test(n) || n.startsWith('backbone.norm.') || n.startsWith('backbone.pre_logits.')
  const inputs = [{name: 'x', shape: x.shape}, {name: 'y', shape: y.shape}]
  const full = await createOnnxTrainer({buildModel, buildLoss, weights: model.weights, trainable: () => true, inputs, optimizer: {lr: 1e-3}, threads: 2})
  const part = await createOnnxTrainer({buildModel, buildLoss, weights: model.weights, trainable, inputs, optimizer: {lr: 1e-3}, threads: 2})
  try {
    const expected = [...model.weights.keys()].filter(trainable).sort()
    assert.deepEqual([...part.trainableParams].sort(), expected)
    const gradOutputs = part.graph.outputs.filter((o) => o.name.startsWith('grad:')).map((o) => o.name.slice(5))
    assert.deepEqual(gradOutputs.sort(), expected)
    // Backward through the first block pair is pruned: a visibly smaller graph.
    assert.ok(part.graph.nodes.length < full.graph.nodes.length * 0.8, `${part.graph.nodes.length} vs ${full.graph.nodes.length} nodes`)
    const gFull = await full.gradients({x, y})
    const gPart = await part.gradients({x, y})
    assert.equal(gPart.loss, gFull.loss)
    for (const name of expected) assert.ok(relErr(gPart.grads.get(name)!, gFull.grads.get(name)!) <= 1e-6, name)
    await part.step({x, y})
    const after = part.weights()
    for (const [name, w] of model.weights) {
      const same = after.get(name)!.data.every((v, i) => v === w.data[i])
      assert.equal(same, !trainable(name), `${name} ${trainable(name) ? 'should have changed' : 'is frozen'}`)
    }
  } finally {
    await full.dispose()
    await part.dispose()
  }
})

test('AdamW steps on the ONNX engine lower the loss of the tiny model', async () => {
  const {model, x, y, buildModel, buildLoss} = await fixture()
  const trainer = await createOnnxTrainer({
    buildModel, buildLoss, weights: model.weights, trainable: () => true,
    inputs: [{name: 'x', shape: x.shape}, {name: 'y', shape: y.shape}], optimizer: {lr: 3e-3, weightDecay: 0.01}, threads: 2,
  })
  try {
    const losses: number[] = []
    for (let i = 0; i < 8; i++) losses.push((await trainer.step({x, y})).loss)
    assert.ok(losses.at(-1)! < losses[0]! * 0.97, `losses ${losses.map((l) => l.toFixed(4)).join(' ')}`)
    assert.ok(model.weights.get('backbone.joints_embed.weight')!.data !== trainer.weights().get('backbone.joints_embed.weight')!.data, 'the caller’s weights are not modified')
    await assert.rejects(trainer.step({x: {data: new Float32Array(17 * 3), shape: [1, 1, 17, 3]}, y}), /built for \[2, 27, 17, 3\]/)
  } finally {
    await trainer.dispose()
  }
})
