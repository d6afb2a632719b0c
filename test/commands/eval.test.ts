import assert from 'node:assert/strict'
import path from 'node:path'
import {before, test} from 'node:test'

import {runCli} from '../helpers/cli.js'
import {fixturesDir} from '../helpers/paths.js'
import {makeSmallData, writeTinyConfig} from '../helpers/train-cli.js'
import {readCaseJson} from '../helpers/fixtures.js'
import {tmpDirForTests} from '../helpers/tmp.js'

const tmp = tmpDirForTests('motion-eval-')
const metricsDir = path.join(fixturesDir, 'metrics')
let data: string
let run: string

before(async () => {
  data = makeSmallData(path.join(tmp, 'data'))
  const config = writeTinyConfig(path.join(tmp, 'tiny.yaml'))
  run = path.join(tmp, 'run')
  const r = await runCli(['pretrain', '--config', config, '--data', data, '--out', run, '--epochs', '1', '--fps', '30', '--threads', '1', '--eval-limit', '0', '--json'])
  assert.equal(r.code, 0, r.stderr)
})

interface MetricsCase {
  results: Record<string, {mpjpe_per_frame: number[]; p_mpjpe_per_frame: number[]; n_mpjpe: number; mpjve: number}>
}

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(1, Math.abs(b))
const mean = (xs: number[]): number => xs.reduce((s, v) => s + v, 0) / xs.length

test('motion eval --pred --gt --json matches the official metrics fixture (to 1e-4) in the input units', async () => {
  const ref = readCaseJson<MetricsCase>(metricsDir)
  for (const name of ['pred', 'pred_rigid']) {
    const r = await runCli(['eval', '--pred', path.join(metricsDir, `${name}.npy`), '--gt', path.join(metricsDir, 'gt.npy'), '--json'])
    assert.equal(r.code, 0, r.stderr)
    const out = JSON.parse(r.stdout) as {mpjpe: number; p_mpjpe: number; n_mpjpe: number; mpjve: number; frames: number}
    const want = ref.results[name]!
    assert.ok(rel(out.mpjpe, mean(want.mpjpe_per_frame)) <= 1e-4, `${name} mpjpe ${out.mpjpe}`)
    assert.ok(rel(out.p_mpjpe, mean(want.p_mpjpe_per_frame)) <= 1e-4, `${name} p_mpjpe ${out.p_mpjpe}`)
    assert.ok(rel(out.n_mpjpe, want.n_mpjpe) <= 1e-4, `${name} n_mpjpe ${out.n_mpjpe}`)
    assert.ok(rel(out.mpjve, want.mpjve) <= 1e-4, `${name} mpjve ${out.mpjve}`)
    assert.equal(out.frames, 120)
  }
})

test('motion eval thresholds: crossing one exits 5 with the metric named; within them exits 0; bad specs exit 2', async () => {
  const args = ['eval', '--pred', path.join(metricsDir, 'pred.npy'), '--gt', path.join(metricsDir, 'gt.npy')]
  const fail = await runCli([...args, '--fail-above', 'mpjpe=60'])
  assert.equal(fail.code, 5)
  assert.match(fail.stderr, /threshold crossed: mpjpe 64\.\d+ > 60 \(exit code 5\)/)
  const failJson = await runCli([...args, '--fail-above', 'p_mpjpe=10,mpjve=1000', '--json'])
  assert.equal(failJson.code, 5)
  const out = JSON.parse(failJson.stdout) as {thresholds: {passed: boolean; failures: {metric: string}[]}; error: {exitCode: number}}
  assert.equal(out.thresholds.passed, false)
  assert.deepEqual(out.thresholds.failures.map((f) => f.metric), ['p_mpjpe'])
  assert.equal(out.error.exitCode, 5)
  const pass = await runCli([...args, '--fail-above', 'mpjpe=70', '--fail-above', 'n_mpjpe=70'])
  assert.equal(pass.code, 0, pass.stderr)
  const bad = await runCli([...args, '--fail-above', 'mpjpe60'])
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /metric=value/)
  const unknown = await runCli([...args, '--fail-below', 'top1=85'])
  assert.equal(unknown.code, 2)
  assert.match(unknown.stderr, /unknown metric 'top1'/)
})

test('motion eval --run on a clip folder: per-action table in mm, fixed cameras give repeatable numbers, CI gate on mpjpe', async () => {
  const base = ['eval', '--task', 'pose3d', '--run', run, '--data', data, '--fps', '30', '--threads', '1']
  const text = await runCli(base)
  assert.equal(text.code, 0, text.stderr)
  assert.match(text.stdout, /errors in mm, root-relative/)
  assert.match(text.stdout, /^running\s+\d+\s+[\d.]+\s+[\d.]+\s+[\d.]+$/m)
  assert.match(text.stdout, /^walking\s+\d+/m)
  assert.match(text.stdout, /^mean of actions/m)

  const a = JSON.parse((await runCli([...base, '--json'])).stdout) as {metrics: {mpjpe: number}; pose: {perAction: {action: string; mpjpe: number}[]; units: string}}
  const b = JSON.parse((await runCli([...base, '--json'])).stdout) as typeof a
  assert.equal(a.pose.units, 'mm')
  assert.deepEqual(a.pose.perAction.map((r) => r.action), ['running', 'walking'])
  assert.equal(a.metrics.mpjpe, b.metrics.mpjpe)
  const m = a.metrics.mpjpe
  assert.ok(m > 0 && Number.isFinite(m))
  assert.ok(Math.abs(m - (a.pose.perAction[0]!.mpjpe + a.pose.perAction[1]!.mpjpe) / 2) < 1e-9, 'overall is the mean over actions')

  const noisy = JSON.parse((await runCli([...base, '--noise', '--json'])).stdout) as typeof a
  assert.notEqual(noisy.metrics.mpjpe, m)
  // Inputs normalised as predict normalises a track: other numbers, still in mm, reported as such.
  const crop = JSON.parse((await runCli([...base, '--normalisation', 'crop', '--json'])).stdout) as typeof a & {normalisation: string}
  assert.equal(crop.normalisation, 'crop')
  assert.equal((a as typeof a & {normalisation: string}).normalisation, 'image')
  assert.notEqual(crop.metrics.mpjpe, m)
  assert.ok(crop.metrics.mpjpe > 0 && crop.metrics.mpjpe < 2000, `crop MPJPE ${crop.metrics.mpjpe} mm`)
  const gate = await runCli([...base, '--fail-above', `mpjpe=${(m / 2).toFixed(1)}`])
  assert.equal(gate.code, 5)
  assert.match(gate.stderr, /threshold crossed: mpjpe/)
  const missing = await runCli(['eval', '--run', run, '--data', data, '--split', 'validation'])
  assert.equal(missing.code, 2)
  assert.match(missing.stderr, /no clips in split 'validation'/)
})
