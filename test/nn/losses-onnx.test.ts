import assert from 'node:assert/strict'
import path from 'node:path'
import {after, test} from 'node:test'

import {createOnnxRunner, type OnnxRunner, recordGraph} from '../../src/nn/onnx/index.js'
import {combinedPoseLoss, lossAngleVelocity, lossLimbVar} from '../../src/nn/losses.js'
import {fixturesDir} from '../helpers/paths.js'
import {parityError} from '../helpers/compare.js'
import {loadMetricsCase} from '../helpers/metrics-fixture.js'

const runners: OnnxRunner[] = []
after(async () => {
  for (const r of runners) await r.dispose()
})

const all = {lambda_3d_velocity: 1, lambda_scale: 1, lambda_lv: 1, lambda_lg: 1, lambda_a: 1, lambda_av: 1}

for (const dynamic of [false, true]) {
  test(`the losses record as an ONNX graph (${dynamic ? 'dynamic N and T' : 'static shapes'}) and match the official values`, async () => {
    const c = await loadMetricsCase(path.join(fixturesDir, 'metrics'))
    const shape = dynamic ? ['N', 'T', 17, 3] : c.shape
    const graph = recordGraph(
      (ops, inputs) => {
        const {parts} = combinedPoseLoss(ops, inputs.pred!, inputs.gt!, all)
        return {
          loss_mpjpe: parts.mpjpe!,
          n_mpjpe: parts.n_mpjpe!,
          mpjve: parts.velocity!,
          limb_var: lossLimbVar(ops, inputs.pred!),
          limb_gt: parts.limb_gt!,
          angle: parts.angle!,
          angle_velocity: lossAngleVelocity(ops, inputs.pred!, inputs.gt!),
        }
      },
      {inputs: [{name: 'pred', shape}, {name: 'gt', shape}], weights: new Map()},
    )
    const runner = await createOnnxRunner(graph, {threads: 1})
    runners.push(runner)
    const out = await runner.run({
      pred: {data: Float32Array.from(c.inputs.pred.data), shape: c.shape},
      gt: {data: Float32Array.from(c.gt.data), shape: c.shape},
    })
    const ref = c.results.pred
    for (const [k, v] of Object.entries(out)) {
      const r = ref[k as keyof typeof ref] as number
      const err = parityError([v.data[0]!], [r])
      assert.ok(err <= 1e-4, `${k}: ours ${v.data[0]}, official ${r}, error ${err}`)
    }
  })
}
