/**
 * The ONNX trainer's stateful parts on a small MLP with BatchNorm and dropout: dropout masks come
 * from the seeded RNG (same seed, same run; a saved RNG + optimizer state resumes exactly), and
 * BatchNorm running statistics follow PyTorch's momentum rule with the unbiased batch variance.
 */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import type {NDArray} from '../../src/core/ndarray.js'
import type {Ops} from '../../src/nn/ops.js'
import {type OnnxTrainerOptions, createOnnxTrainer} from '../../src/train/onnx-trainer.js'
import {randn} from '../helpers/grad.js'

const weights = new Map<string, NDArray>([
  ['fc1.weight', randn([6, 5], 1)],
  ['fc1.bias', randn([6], 2)],
  ['bn.weight', randn([6], 3, 0.5, 1.5)],
  ['bn.bias', randn([6], 4)],
  ['bn.running_mean', {data: new Float32Array(6), shape: [6]}],
  ['bn.running_var', {data: new Float32Array(6).fill(1), shape: [6]}],
  ['fc2.weight', randn([2, 6], 5)],
])
const x = randn([8, 5], 6)
const y = randn([8, 2], 7)

function options(seed: OnnxTrainerOptions['seed'], w: ReadonlyMap<string, NDArray> = weights): OnnxTrainerOptions {
  return {
    buildModel: <T>(ops: Ops<T>, {x: input}: Readonly<Record<string, T>>) => {
      let h = ops.linear(input!, 'fc1.weight', 'fc1.bias') // [8, 6]
      h = ops.dropout(ops.relu(ops.batchNorm(h, 'bn')), 0.3)
      return {out: ops.linear(h, 'fc2.weight')}
    },
    buildLoss: <T>(ops: Ops<T>, {out}: Readonly<Record<string, T>>, {y: target}: Readonly<Record<string, T>>) => {
      const d = ops.sub(out!, target!)
      const mse = ops.mean(ops.mul(d, d), [0, 1])
      return {total: mse, parts: {mse, l1: ops.mean(ops.abs(d), [0, 1])}}
    },
    weights: w,
    trainable: (n) => !n.includes('running'),
    inputs: [{name: 'x', shape: [8, 5]}, {name: 'y', shape: [8, 2]}],
    optimizer: {lr: 1e-2},
    threads: 1,
    seed,
  }
}

async function losses(seed: number, steps: number): Promise<number[]> {
  const t = await createOnnxTrainer(options(seed))
  try {
    const out: number[] = []
    for (let i = 0; i < steps; i++) out.push((await t.step({x, y})).loss)
    return out
  } finally {
    await t.dispose()
  }
}

test('dropout masks come from the seed: the same seed repeats a run, another seed does not', async () => {
  const a = await losses(3, 3)
  const b = await losses(3, 3)
  const c = await losses(4, 3)
  assert.deepEqual(a, b)
  assert.notDeepEqual(a, c)
})

test('saved weights, optimizer and RNG state resume a run exactly', async () => {
  const a = await createOnnxTrainer(options(9))
  const steps: number[] = []
  for (let i = 0; i < 3; i++) steps.push((await a.step({x, y})).loss)
  // Resume after step 2 from what a checkpoint holds.
  const b0 = await createOnnxTrainer(options(9))
  await b0.step({x, y})
  await b0.step({x, y})
  const saved = {weights: b0.weights(), optimizer: b0.optimizerState(), rng: b0.rngState()}
  await b0.dispose()
  const b = await createOnnxTrainer(options(saved.rng, saved.weights))
  b.loadOptimizerState(saved.optimizer)
  try {
    const resumed = await b.step({x, y})
    assert.equal(resumed.loss, steps[2])
    assert.ok(resumed.parts.l1! > 0 && resumed.parts.mse === resumed.loss, "parts are reported")
    const wa = a.weights()
    for (const [name, w] of b.weights()) assert.deepEqual(Array.from(w.data), Array.from(wa.get(name)!.data), name)
  } finally {
    await a.dispose()
    await b.dispose()
  }
})

test('BatchNorm running statistics: momentum 0.1 with the unbiased batch variance', async () => {
  const t = await createOnnxTrainer(options(1))
  try {
    await t.gradients({x, y})
    // Batch statistics of fc1's output, computed here.
    const w = weights.get('fc1.weight')!.data
    const bias = weights.get('fc1.bias')!.data
    const h = (n: number, c: number): number => {
      let s = bias[c]!
      for (let k = 0; k < 5; k++) s += x.data[n * 5 + k]! * w[c * 5 + k]!
      return s
    }
    const rm = t.weights().get('bn.running_mean')!.data
    const rv = t.weights().get('bn.running_var')!.data
    for (let c = 0; c < 6; c++) {
      let mean = 0
      for (let n = 0; n < 8; n++) mean += h(n, c) / 8
      let ss = 0
      for (let n = 0; n < 8; n++) ss += (h(n, c) - mean) ** 2
      assert.ok(Math.abs(rm[c]! - 0.1 * mean) < 1e-5, `running_mean[${c}] ${rm[c]} vs ${0.1 * mean}`)
      assert.ok(Math.abs(rv[c]! - (0.9 + 0.1 * (ss / 7))) < 1e-5, `running_var[${c}] ${rv[c]} vs ${0.9 + 0.1 * (ss / 7)}`)
    }
    // The caller's buffers are untouched.
    assert.equal(weights.get('bn.running_mean')!.data[0], 0)
  } finally {
    await t.dispose()
  }
})
