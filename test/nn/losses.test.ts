import assert from 'node:assert/strict'
import path from 'node:path'
import {before, test} from 'node:test'

import * as tf from '@tensorflow/tfjs'

import {selectBackend} from '../../src/nn/tfjs/backend.js'
import {TfjsOps} from '../../src/nn/tfjs/ops.js'
import {
  acosApprox,
  combinedPoseLoss,
  DEFAULT_POSE_LOSS_LAMBDAS,
  loss2dWeighted,
  lossAngle,
  lossAngleVelocity,
  lossLimbGt,
  lossLimbVar,
  lossMpjpe,
  lossNMpjpe,
  lossVelocity,
} from '../../src/nn/losses.js'
import {fixturesDir, repoRoot} from '../helpers/paths.js'
import {parityError} from '../helpers/compare.js'
import {loadMetricsCase} from '../helpers/metrics-fixture.js'

const ops = new TfjsOps(new Map())
const cases = [path.join(fixturesDir, 'metrics'), path.join(repoRoot, 'test', 'fixtures', 'official-wide', 'metrics-b')]

before(async () => {
  await selectBackend({force: 'cpu'})
})

const value = (t: tf.Tensor): number => t.dataSync()[0]!

for (const dir of cases) {
  for (const which of ['pred', 'pred_rigid'] as const) {
    test(`${path.basename(dir)}/${which}: every loss matches the official loss.py value (tfjs)`, async () => {
      const c = await loadMetricsCase(dir)
      const ref = c.results[which]
      tf.tidy(() => {
        const pred = tf.tensor(Float32Array.from(c.inputs[which].data), c.shape)
        const gt = tf.tensor(Float32Array.from(c.gt.data), c.shape)
        const got: Record<string, number> = {
          loss_mpjpe: value(lossMpjpe(ops, pred, gt)),
          n_mpjpe: value(lossNMpjpe(ops, pred, gt)),
          mpjve: value(lossVelocity(ops, pred, gt)),
          limb_var: value(lossLimbVar(ops, pred)),
          limb_gt: value(lossLimbGt(ops, pred, gt)),
          angle: value(lossAngle(ops, pred, gt)),
          angle_velocity: value(lossAngleVelocity(ops, pred, gt)),
        }
        for (const [k, v] of Object.entries(got)) {
          const r = ref[k as keyof typeof ref] as number
          const err = parityError([v], [r])
          assert.ok(err <= 1e-4, `${k}: ours ${v}, official ${r}, error ${err}`)
        }
      })
    })
  }
}

test('acos approximation agrees with Math.acos to float32 resolution over [-1, 1]', () => {
  const xs = Float32Array.from({length: 2001}, (_, i) => -1 + i / 1000)
  const got = tf.tidy(() => acosApprox(ops, tf.tensor(xs)).dataSync())
  let worst = 0
  xs.forEach((x, i) => (worst = Math.max(worst, Math.abs(got[i]! - Math.acos(x)))))
  assert.ok(worst < 1e-6, `worst ${worst}`)
})

test('combined loss = mpjpe + 0.5 n_mpjpe + 20 velocity by default, with every part reported', () => {
  tf.tidy(() => {
    const pred = tf.randomNormal([2, 5, 17, 3], 0, 1, 'float32', 1)
    const gt = tf.randomNormal([2, 5, 17, 3], 0, 1, 'float32', 2)
    const {total, parts} = combinedPoseLoss(ops, pred, gt, DEFAULT_POSE_LOSS_LAMBDAS)
    assert.deepEqual(Object.keys(parts).sort(), ['angle', 'angle_velocity', 'limb_gt', 'limb_var', 'mpjpe', 'n_mpjpe', 'velocity'])
    const expected = value(parts.mpjpe!) + 0.5 * value(parts.n_mpjpe!) + 20 * value(parts.velocity!)
    assert.ok(Math.abs(value(total) - expected) < 1e-4 * expected)
    const weightedOnly = combinedPoseLoss(ops, pred, gt, DEFAULT_POSE_LOSS_LAMBDAS, {parts: 'weighted'})
    assert.deepEqual(Object.keys(weightedOnly.parts).sort(), ['mpjpe', 'n_mpjpe', 'velocity'])
    const all = {lambda_3d_velocity: 1, lambda_scale: 1, lambda_lv: 1, lambda_lg: 1, lambda_a: 1, lambda_av: 1}
    const sum = combinedPoseLoss(ops, pred, gt, all)
    const partsSum = Object.values(sum.parts).reduce((s, t) => s + value(t), 0)
    assert.ok(Math.abs(value(sum.total) - partsSum) < 1e-4 * partsSum)
  })
})

test('gradients of the full objective are finite, even where pred equals gt', () => {
  const gt = tf.randomNormal([1, 4, 17, 3], 0, 1, 'float32', 3)
  const all = {lambda_3d_velocity: 20, lambda_scale: 0.5, lambda_lv: 1, lambda_lg: 1, lambda_a: 1, lambda_av: 1}
  const grad = tf.grad((p: tf.Tensor) => combinedPoseLoss(ops, p, gt, all).total as tf.Scalar)
  for (const pred of [gt.clone(), tf.add(gt, tf.randomNormal([1, 4, 17, 3], 0, 0.1, 'float32', 4))]) {
    const g = grad(pred).dataSync()
    assert.ok(g.every((x) => Number.isFinite(x)), 'finite gradient')
  }
})

test('single-frame clips: velocity, limb variance and angle velocity are 0 as official', () => {
  tf.tidy(() => {
    const pred = tf.randomNormal([2, 1, 17, 3], 0, 1, 'float32', 5)
    const gt = tf.randomNormal([2, 1, 17, 3], 0, 1, 'float32', 6)
    assert.equal(value(lossVelocity(ops, pred, gt)), 0)
    assert.equal(value(lossLimbVar(ops, pred)), 0)
    assert.equal(value(lossAngleVelocity(ops, pred, gt)), 0)
  })
})

test('2D reprojection loss weights the xy error by confidence and ignores depth', () => {
  tf.tidy(() => {
    const pred = tf.tensor4d([[[[3, 4, 100], [0, 0, -5]]]]) // [1, 1, 2, 3]
    const target = tf.tensor4d([[[[0, 0, 1], [1, 0, 1]]]])
    const conf = tf.tensor4d([[[[0.5], [0]]]])
    // joint 0: |(3,4)|·0.5 = 2.5, joint 1: weight 0 -> mean 1.25
    assert.ok(Math.abs(value(loss2dWeighted(ops, pred, target, conf)) - 1.25) < 1e-6)
  })
})
