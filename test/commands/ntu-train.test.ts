/**
 * Action finetuning and evaluation on a MotionBERT NTU pickle through the real CLI
 * (test/fixtures/ntu/tiny.pkl: 6 train and 3 val samples of 3 classes): a fresh action head on the
 * tiny official backbone trains a few steps with random_move and crop-scale augmentation, the run
 * records NTU class names and two people per sample, and `motion eval --task action` scores the
 * val split (top-1 / top-5) with --json and the threshold gate.
 */
import assert from 'node:assert/strict'
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {before, test} from 'node:test'

import {runCli} from '../helpers/cli.js'
import {fixturesDir, repoRoot} from '../helpers/paths.js'
import {parseEvents} from '../helpers/train-cli.js'
import {tmpDirForTests} from '../helpers/tmp.js'

const tmp = tmpDirForTests('motion-ntu-')
const pickle = path.join(repoRoot, 'test', 'fixtures', 'ntu', 'tiny.pkl')
const backbone = path.join(fixturesDir, 'dstformer-tiny', 'checkpoint.bin')
const config = path.join(tmp, 'tiny-ntu.yaml')
const run = path.join(tmp, 'run')

before(() => {
  writeFileSync(config, ['num_heads: 4', 'hidden_dim: 16', 'dropout_ratio: 0.5', 'clip_len: 16', 'batch_size: 3', 'learning_rate: 0.002', 'data_split: xsub', 'random_move: true', 'scale_range_train: [1, 3]', 'scale_range_test: [2, 2]', ''].join('\n'))
})

test('motion finetune --task action on an NTU pickle, then motion eval --task action on its val split', async () => {
  const r = await runCli(['finetune', '--task', 'action', '--from', backbone, '--config', config, '--data', pickle, '--out', run, '--epochs', '2', '--engine', 'onnx', '--threads', '1', '--json'])
  assert.equal(r.code, 0, r.stderr)
  const events = parseEvents(r.stdout)
  const steps = events.filter((e) => e.type === 'step')
  assert.equal(steps.length, 4) // 6 samples, batches of 3, 2 epochs
  assert.ok(steps.every((e) => Number.isFinite(e.loss)))
  const evals = events.filter((e) => e.type === 'eval')
  assert.equal(evals.length, 2)
  assert.ok(evals.every((e) => e.metrics!.top1! >= 0 && e.metrics!.top1! <= 100 && e.metrics!.top5 === 100))
  const settings = JSON.parse(readFileSync(path.join(run, 'run.json'), 'utf8')) as {classes: string[]; persons: number}
  assert.deepEqual(settings.classes, ['A001', 'A002', 'A003'])
  assert.equal(settings.persons, 2)

  const e = await runCli(['eval', '--task', 'action', '--run', run, '--data', pickle, '--threads', '1', '--json'])
  assert.equal(e.code, 0, e.stderr)
  const result = JSON.parse(e.stdout) as {split: string; clipLen: number; action: {samples: number; top1: number; top5: number}; metrics: {top1: number}}
  assert.equal(result.split, 'xsub_val')
  assert.equal(result.clipLen, 16)
  assert.equal(result.action.samples, 3)
  assert.equal(result.action.top5, 100)
  assert.ok([0, 100 / 3, 200 / 3, 100].some((v) => Math.abs(v - result.metrics.top1) < 1e-6), String(result.metrics.top1))

  const gate = await runCli(['eval', '--task', 'action', '--run', run, '--data', pickle, '--threads', '1', '--fail-below', 'top5=101'])
  assert.equal(gate.code, 5)
  assert.match(gate.stderr, /threshold crossed: top5/)
})

test('a pickle that is not an NTU action pickle is refused with an input error', async () => {
  const bad = path.join(tmp, 'bad.pkl')
  writeFileSync(bad, Buffer.from([0x80, 0x04, 0x4e, 0x2e])) // pickle of None
  const r = await runCli(['finetune', '--task', 'action', '--from', backbone, '--config', config, '--data', bad, '--out', path.join(tmp, 'bad-run')])
  assert.equal(r.code, 2, r.stderr)
  assert.match(r.stderr, /not a MotionBERT NTU action pickle/)
})
