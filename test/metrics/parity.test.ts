import assert from 'node:assert/strict'
import path from 'node:path'
import {test} from 'node:test'

import {mpjpe, mpjve, nMpjpe, pMpjpe} from '../../src/metrics/index.js'
import {fixturesDir, repoRoot} from '../helpers/paths.js'
import {parityError} from '../helpers/compare.js'
import {loadMetricsCase} from '../helpers/metrics-fixture.js'

const cases = [path.join(fixturesDir, 'metrics'), path.join(repoRoot, 'test', 'fixtures', 'official-wide', 'metrics-b')]

for (const dir of cases) {
  for (const which of ['pred', 'pred_rigid'] as const) {
    test(`${path.basename(dir)}/${which}: MPJPE, P-MPJPE, N-MPJPE and MPJVE match the official code`, async () => {
      const c = await loadMetricsCase(dir)
      const pred = c.inputs[which]
      const ref = c.results[which]
      const m1 = mpjpe(pred, c.gt)
      assert.equal(m1.perFrame.length, 120)
      assert.ok(parityError(m1.perFrame, ref.mpjpe_per_frame) <= 1e-4, 'mpjpe per frame')
      assert.ok(parityError([m1.mean], [ref.loss_mpjpe]) <= 1e-4, 'mpjpe mean')
      const m2 = pMpjpe(pred, c.gt)
      const e2 = parityError(m2.perFrame, ref.p_mpjpe_per_frame)
      assert.ok(e2 <= 1e-4, `p_mpjpe per frame: ${e2}`)
      assert.ok(parityError([nMpjpe(pred, c.gt).mean], [ref.n_mpjpe]) <= 1e-4, 'n_mpjpe')
      const v = mpjve(pred, c.gt)
      assert.equal(v.perFrame.length, 4 * 29)
      assert.ok(parityError([v.mean], [ref.mpjve]) <= 1e-4, 'mpjve')
    })
  }
}
