import assert from 'node:assert/strict'
import {test} from 'node:test'

import {render} from 'ink-testing-library'
import React from 'react'

import {type TrainEvent, TrainEvents} from '../../src/train/events.js'
import {Dashboard, INITIAL_DASHBOARD, reduceDashboard} from '../../src/ui/train-dashboard.js'
import {sparkline} from '../../src/ui/train-format.js'
import {jsonReporter, plainReporter} from '../../src/ui/train-reporters.js'

const START: TrainEvent = {type: 'start', epoch: 0, step: 0, epochs: 3, stepsPerEpoch: 10, engine: 'onnx', backend: 'onnxruntime-node', reason: 'auto: no native tfjs binding', path: '/runs/a', lr: 5e-4}
const step = (n: number, loss: number): TrainEvent => ({type: 'step', epoch: 1 + Math.floor((n - 1) / 10), step: n, epochStep: ((n - 1) % 10) + 1, stepsPerEpoch: 10, epochs: 3, loss, lr: 5e-4, throughput: 12.5, eta: 90})

test('the Ink dashboard shows engine, epoch and step progress, the loss, eval metrics and checkpoints from the event stream', async () => {
  const events = new TrainEvents()
  const view = render(React.createElement(Dashboard, {events}))
  await new Promise((r) => setTimeout(r, 10))
  events.emit(START)
  for (let i = 1; i <= 12; i++) events.emit(step(i, 1 / i))
  events.emit({type: 'eval', epoch: 1, step: 10, metrics: {mpjpe: 81.25, p_mpjpe: 60.5}})
  events.emit({type: 'checkpoint', epoch: 1, step: 10, path: '/runs/a/latest', checkpoint: 'latest'})
  await new Promise((r) => setTimeout(r, 30))
  const frame = view.lastFrame() ?? ''
  assert.match(frame, /onnx/)
  assert.match(frame, /epoch 2\/3/)
  assert.match(frame, /step 2\/10/)
  assert.match(frame, /global step 12/)
  assert.match(frame, /loss 0\.0833/)
  assert.match(frame, /mpjpe 81\.25 mm/)
  assert.match(frame, /latest @ step 10: \/runs\/a\/latest/)
  assert.match(frame, /12\.5 clips\/s/)
  assert.match(frame, /ETA 1m30s/)
  view.unmount()
})

test('the dashboard state folds events: losses accumulate, epoch losses on epoch_end, done is kept', () => {
  let s = reduceDashboard(INITIAL_DASHBOARD, START)
  s = reduceDashboard(s, step(1, 2))
  s = reduceDashboard(s, step(2, 1))
  s = reduceDashboard(s, {type: 'epoch_end', epoch: 1, step: 2, loss: 1.5})
  s = reduceDashboard(s, {type: 'done', epoch: 1, step: 2, interrupted: true})
  assert.deepEqual(s.losses, [2, 1])
  assert.deepEqual(s.epochLosses, [1.5])
  assert.equal(s.done?.interrupted, true)
  assert.equal(sparkline([3, 2, 1]), '█▄▁')
})

test('--json prints one JSON object per event line with type, epoch and global step', () => {
  const lines: string[] = []
  const report = jsonReporter((l) => lines.push(l))
  report(START)
  report(step(1, 0.5))
  report({type: 'checkpoint', epoch: 1, step: 1, path: '/r/latest', checkpoint: 'latest'})
  report({type: 'step', epoch: 1, step: 2, loss: Number.NaN})
  assert.equal(lines.length, 4)
  for (const l of lines) assert.ok(l.endsWith('\n') && !l.slice(0, -1).includes('\n'))
  const parsed = lines.map((l) => JSON.parse(l) as TrainEvent)
  assert.deepEqual(parsed.map((e) => e.type), ['start', 'step', 'checkpoint', 'step'])
  assert.equal(parsed[1]!.loss, 0.5)
  assert.equal(parsed[1]!.lr, 5e-4)
  assert.equal(parsed[2]!.path, '/r/latest')
  assert.equal(parsed[3]!.loss, null) // NaN is not JSON
})

test('plain lines are rate-limited for steps, but epoch ends, evals and checkpoints always print', () => {
  const lines: string[] = []
  let clock = 0
  const report = plainReporter((l) => lines.push(l), {intervalMs: 1000, now: () => clock})
  report(START)
  const afterStart = lines.length
  for (let i = 1; i <= 9; i++) {
    clock += 100
    report(step(i, 1))
  }
  // step 1 prints, then one line once 1 s has passed (step 11 would be next); 9 steps in 0.9 s → 1 line.
  assert.equal(lines.length - afterStart, 1)
  clock += 100
  report(step(10, 1)) // last step of the epoch always prints
  report({type: 'epoch_end', epoch: 1, step: 10, loss: 0.75})
  report({type: 'eval', epoch: 1, step: 10, metrics: {top1: 91.5}})
  report({type: 'checkpoint', epoch: 1, step: 10, path: '/r/latest', checkpoint: 'latest'})
  const tail = lines.slice(afterStart + 1).join('')
  assert.match(tail, /step 10\/10/)
  assert.match(tail, /epoch 1 done: mean loss 0\.75/)
  assert.match(tail, /top1 91\.5%/)
  assert.match(tail, /saved latest at step 10/)
})
