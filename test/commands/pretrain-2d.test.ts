import assert from 'node:assert/strict'
import path from 'node:path'
import {before, test} from 'node:test'

import {runCli} from '../helpers/cli.js'
import {dataDir} from '../helpers/paths.js'
import {tmpDirForTests} from '../helpers/tmp.js'
import {makeSmallData, parseEvents, writeTinyConfig} from '../helpers/train-cli.js'

const tmp = tmpDirForTests('motion-pretrain-2d-')
const ALPHAPOSE = path.join(dataDir, 'alphapose-real', 'alphapose-results.json')
let data: string
let config: string

before(() => {
  data = makeSmallData(path.join(tmp, 'data'))
  config = writeTinyConfig(path.join(tmp, 'tiny.yaml'))
})

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length
}

test('motion pretrain --data-2d: real AlphaPose detections train alongside 3D mocap; every step reports its 2D loss, which falls', async () => {
  const epochs = 8
  const r = await runCli(['pretrain', '--config', config, '--data', data, '--data-2d', ALPHAPOSE, '--out', path.join(tmp, 'run'), '--epochs', String(epochs), '--fps', '30', '--threads', '1', '--eval-limit', '0', '--json'])
  assert.equal(r.code, 0, r.stderr)
  const events = parseEvents(r.stdout)
  assert.match(String(events[0]!.message), /2D-only windows/)
  const steps = events.filter((e) => e.type === 'step')
  assert.ok(steps.length >= epochs)
  for (const e of steps) {
    const parts = e.parts as Record<string, number>
    assert.ok(parts['2d_proj']! > 0, 'every step has a 2D batch')
    assert.ok(parts.mpjpe! > 0, 'and its 3D batch')
    // The step's loss is the 3D objective plus lambda_2d (1) x the 2D loss.
    assert.ok((e.loss as number) > parts['2d_proj']!)
  }
  const perEpoch = Array.from({length: epochs}, (_, i) => mean(steps.filter((e) => e.epoch === i + 1).map((e) => (e.parts as Record<string, number>)['2d_proj']!)))
  assert.ok(perEpoch[epochs - 1]! < 0.9 * perEpoch[0]!, `2D loss per epoch: ${perEpoch.map((v) => v.toFixed(3)).join(' → ')}`)
})

test('motion pretrain --data-2d with a missing file fails as an input error naming it', async () => {
  const r = await runCli(['pretrain', '--config', config, '--data', data, '--data-2d', path.join(tmp, 'nope.json'), '--out', path.join(tmp, 'run-missing'), '--epochs', '1', '--json'])
  assert.equal(r.code, 2, r.stderr)
  assert.match(r.stdout + r.stderr, /nope\.json/)
})
