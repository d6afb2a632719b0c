/**
 * MixSTE's and the Strided Transformer's training objectives (src/nn/losses-literature.ts)
 * against a float64 transcription of the official formulas (MixSTE run.py + common/loss.py;
 * Strided main.py), on tfjs and recorded as ONNX; the weight keys; and both trainers lowering each
 * objective on a fixed batch with the official tiny checkpoints.
 */
import assert from 'node:assert/strict'
import path from 'node:path'
import {after, before, test} from 'node:test'

import * as tf from '@tensorflow/tfjs-core'

import {loadModel} from '../../src/model/load.js'
import {createOnnxRunner, type OnnxRunner, recordGraph} from '../../src/nn/onnx/index.js'
import {selectBackend} from '../../src/nn/tfjs/backend.js'
import {TfjsOps} from '../../src/nn/tfjs/ops.js'
import type {NDArray} from '../../src/core/ndarray.js'
import {
  LITERATURE_LOSS_DEFAULTS,
  literatureLossWeights,
  MIXSTE_JOINT_WEIGHTS,
  mixsteLoss,
  stridedLoss,
} from '../../src/nn/losses-literature.js'
import {createTrainer} from '../../src/train/trainer.js'
import {fixturesDir} from '../helpers/paths.js'
import {randomArray} from '../helpers/train.js'

const ops = new TfjsOps(new Map())
const runners: OnnxRunner[] = []
before(async () => {
  await selectBackend({force: 'cpu'})
})
after(async () => {
  for (const r of runners) await r.dispose()
})

const N = 2
const T = 9
const J = 17

// ---- float64 reference of the official formulas ----------------------------------------------

const at = (x: NDArray, n: number, t: number, j: number, c: number): number => x.data[((n * x.shape[1]! + t) * J + j) * 3 + c]!
/** gt with inputs_3d[:, :, 0] = 0 */
const rootZero = (x: NDArray, n: number, t: number, j: number, c: number): number => (j === 0 ? 0 : at(x, n, t, j, c))

function refMixste(pred: NDArray, gt: NDArray, w: readonly number[], lambdaTcl: number, lambdaVel: number): {total: number; w_mpjpe: number; tcl: number; mpjve: number} {
  let wm = 0
  for (let n = 0; n < N; n++) for (let t = 0; t < T; t++) for (let j = 0; j < J; j++) {
    let s = 0
    for (let c = 0; c < 3; c++) s += (at(pred, n, t, j, c) - rootZero(gt, n, t, j, c)) ** 2
    wm += w[j]! * Math.sqrt(s)
  }
  wm /= N * T * J
  let tcl = 0
  let vel = 0
  for (let n = 0; n < N; n++) for (let t = 0; t < T - 1; t++) for (let j = 0; j < J; j++) {
    let s = 0
    for (let c = 0; c < 3; c++) {
      const dp = at(pred, n, t + 1, j, c) - at(pred, n, t, j, c)
      const dg = rootZero(gt, n, t + 1, j, c) - rootZero(gt, n, t, j, c)
      tcl += w[j]! * dp * dp
      s += (dp - dg) ** 2
    }
    vel += Math.sqrt(s)
  }
  tcl /= N * (T - 1) * J * 3
  vel /= N * (T - 1) * J
  return {total: wm + lambdaTcl * tcl + lambdaVel * vel, w_mpjpe: wm, tcl, mpjve: vel}
}

function refStrided(centre: NDArray, full: NDArray, gt: NDArray, wFull: number, wSingle: number): {total: number; full: number; single: number} {
  const pad = (T - 1) / 2
  let f = 0
  let s1 = 0
  for (let n = 0; n < N; n++) for (let j = 0; j < J; j++) {
    for (let t = 0; t < T; t++) {
      let s = 0
      for (let c = 0; c < 3; c++) s += (at(full, n, t, j, c) - rootZero(gt, n, t, j, c)) ** 2
      f += Math.sqrt(s)
    }
    let s = 0
    for (let c = 0; c < 3; c++) s += (at(centre, n, 0, j, c) - rootZero(gt, n, pad, j, c)) ** 2
    s1 += Math.sqrt(s)
  }
  f /= N * T * J
  s1 /= N * J
  return {total: wFull * f + wSingle * s1, full: f, single: s1}
}

const close = (ours: number, ref: number, what: string): void => {
  assert.ok(Math.abs(ours - ref) / Math.max(1, Math.abs(ref)) <= 1e-5, `${what}: ours ${ours}, reference ${ref}`)
}

const pred = randomArray([N, T, J, 3], 1)
const gt = randomArray([N, T, J, 3], 2)
const centre = randomArray([N, 1, J, 3], 3)
const tensor = (x: NDArray): tf.Tensor => tf.tensor(x.data, x.shape)

test('MixSTE loss: weighted MPJPE + 0.5 temporal consistency + 2 MPJVE with the official joint weights (tfjs)', () => {
  const ref = refMixste(pred, gt, MIXSTE_JOINT_WEIGHTS, 0.5, 2)
  tf.tidy(() => {
    const l = mixsteLoss(ops, tensor(pred), tensor(gt))
    close(l.total.dataSync()[0]!, ref.total, 'total')
    close(l.parts.w_mpjpe!.dataSync()[0]!, ref.w_mpjpe, 'w_mpjpe')
    close(l.parts.tcl!.dataSync()[0]!, ref.tcl, 'tcl')
    close(l.parts.mpjve!.dataSync()[0]!, ref.mpjve, 'mpjve')
  })
  // The target's root is ignored (set to 0), as inputs_3d[:, :, 0] = 0 does.
  const moved = {data: Float32Array.from(gt.data), shape: gt.shape}
  for (let i = 0; i < N * T; i++) moved.data[i * J * 3] = 100
  tf.tidy(() => close(mixsteLoss(ops, tensor(pred), tensor(moved)).total.dataSync()[0]!, ref.total, 'root ignored'))
})

test('MixSTE loss weights come from the config keys (other joint weights and lambdas)', () => {
  const w = Array.from({length: J}, (_, j) => 1 + (j % 3))
  const weights = literatureLossWeights({mixste_joint_weights: w, lambda_tcl: 3, lambda_mpjve: 0})
  const ref = refMixste(pred, gt, w, 3, 0)
  tf.tidy(() => close(mixsteLoss(ops, tensor(pred), tensor(gt), weights).total.dataSync()[0]!, ref.total, 'custom weights'))
  assert.deepEqual(literatureLossWeights({}), {...LITERATURE_LOSS_DEFAULTS})
  assert.throws(() => literatureLossWeights({lambda_tcl: -1}), /lambda_tcl must be a number >= 0/)
  assert.throws(() => literatureLossWeights({mixste_joint_weights: 'heavy'}), /mixste_joint_weights must be a list/)
  assert.throws(() => tf.tidy(() => mixsteLoss(ops, tensor(pred), tensor(gt), literatureLossWeights({mixste_joint_weights: [1, 2]})).total), /has 2 entries, the model has 17 joints/)
})

test('Strided Transformer loss: MPJPE on the full output plus MPJPE on the centre frame (tfjs)', () => {
  const ref = refStrided(centre, pred, gt, 1, 1)
  tf.tidy(() => {
    const l = stridedLoss(ops, tensor(centre), tensor(pred), tensor(gt))
    close(l.total.dataSync()[0]!, ref.total, 'total')
    close(l.parts.mpjpe_full!.dataSync()[0]!, ref.full, 'full')
    close(l.parts.mpjpe_single!.dataSync()[0]!, ref.single, 'single')
  })
  const weighted = refStrided(centre, pred, gt, 0.25, 2)
  tf.tidy(() => close(stridedLoss(ops, tensor(centre), tensor(pred), tensor(gt), literatureLossWeights({lambda_full: 0.25, lambda_single: 2})).total.dataSync()[0]!, weighted.total, 'weighted'))
})

test('both objectives record as ONNX graphs with the same values', async () => {
  const graph = recordGraph(
    (o, inputs) => ({
      mixste: mixsteLoss(o, inputs.pred!, inputs.gt!).total,
      strided: stridedLoss(o, inputs.centre!, inputs.pred!, inputs.gt!).total,
    }),
    {inputs: [{name: 'pred', shape: [N, T, J, 3]}, {name: 'gt', shape: [N, T, J, 3]}, {name: 'centre', shape: [N, 1, J, 3]}], weights: new Map()},
  )
  const runner = await createOnnxRunner(graph, {threads: 1})
  runners.push(runner)
  const out = await runner.run({pred, gt, centre})
  close(out.mixste!.data[0]!, refMixste(pred, gt, MIXSTE_JOINT_WEIGHTS, 0.5, 2).total, 'onnx mixste')
  close(out.strided!.data[0]!, refStrided(centre, pred, gt, 1, 1).total, 'onnx strided')
})

// ---- trainers ------------------------------------------------------------------------------------

const CASES = [
  {name: 'mixste', file: path.join(fixturesDir, 'mixste-tiny', 'checkpoint.bin'), config: {num_heads: 4}},
  {name: 'strided', file: path.join(fixturesDir, 'strided-tiny', 'checkpoint.pth'), config: {}},
] as const

for (const c of CASES) {
  for (const engine of ['onnx', 'tfjs'] as const) {
    test(`${c.name} (official tiny checkpoint) trains on ${engine}: its own objective falls over steps on a fixed batch`, async () => {
      const {model} = await loadModel(c.file, {config: {...c.config}})
      const frames = 27
      const trainable = new Set(model.weights.keys())
      for (const k of trainable) if (/running_|num_batches/.test(k)) trainable.delete(k)
      const {trainer} = await createTrainer({
        engine,
        backend: engine === 'onnx' ? 'auto' : 'wasm',
        model,
        task: 'pose3d',
        trainable,
        schedule: {head: 3e-3, backbone: 3e-3, decay: 1},
        weightDecay: 0,
        lambdas: {lambda_3d_velocity: 0, lambda_scale: 0, lambda_lv: 0, lambda_lg: 0, lambda_a: 0, lambda_av: 0},
        inputShape: [2, frames, J, 2],
        seed: 0,
        threads: 1,
      })
      try {
        // A target reachable in a few steps: the 2D input itself at depth 0.
        const input = randomArray([2, frames, J, 2], 5)
        const target: NDArray = {data: new Float32Array(2 * frames * J * 3).map((_, i) => (i % 3 === 2 ? 0 : input.data[Math.floor(i / 3) * 2 + (i % 3)]!)), shape: [2, frames, J, 3]}
        const batch = {task: 'pose3d' as const, input, target}
        const losses: number[] = []
        // tfjs draws unseeded dropout masks, so the curve is noisy: enough steps for a clear fall.
        for (let i = 0; i < 12; i++) {
          const r = await trainer.step(batch, 1)
          losses.push(r.loss)
          assert.deepEqual(Object.keys(r.parts).sort(), c.name === 'mixste' ? ['mpjve', 'tcl', 'w_mpjpe'] : ['mpjpe_full', 'mpjpe_single'])
        }
        assert.ok(losses.every(Number.isFinite), `losses ${losses}`)
        assert.ok(Math.min(...losses.slice(-3)) < losses[0]! * 0.9, `loss did not fall: ${losses.map((l) => l.toFixed(4)).join(', ')}`)
      } finally {
        trainer.dispose()
      }
    })
  }
}
