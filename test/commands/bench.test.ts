import assert from 'node:assert/strict'
import {test} from 'node:test'
import path from 'node:path'

import {benchOutputName} from '../../src/bench/predict.js'
import {runCli} from '../helpers/cli.js'
import {repoRoot} from '../helpers/paths.js'

// Output format only: timings are never asserted (shared machines are noisy).
const KEYS = ['engine', 'backbone', 'preset', 'frames', 'batch', 'threads', 'fps', 'ms_per_clip', 'mode']

test('motion bench --json prints one object with the documented keys', async () => {
  const r = await runCli(['bench', '--preset', 'tiny', '--frames', '27', '--seconds', '0.2', '--threads', '1', '--json'])
  assert.equal(r.code, 0, r.stderr)
  const out = JSON.parse(r.stdout) as Record<string, unknown>
  for (const k of KEYS) assert.ok(k in out, `missing ${k}`)
  assert.equal(out.engine, 'onnx')
  assert.equal(out.backbone, 'dstformer')
  assert.equal(out.preset, 'tiny')
  assert.equal(out.frames, 27)
  assert.equal(out.batch, 1)
  assert.equal(out.threads, 1)
  assert.equal(out.mode, 'infer')
  assert.ok(typeof out.fps === 'number' && out.fps > 0)
  assert.ok(typeof out.ms_per_clip === 'number' && out.ms_per_clip > 0)
  assert.ok(typeof out.runs === 'number' && out.runs >= 2)
  // fps and ms per clip describe the same mean: frames * 1000 / ms (rounding aside).
  assert.ok(Math.abs((out.fps as number) - (27 * 1000) / (out.ms_per_clip as number)) / (out.fps as number) < 0.02)
})

test('motion bench prints frames per second and ms per clip for humans; other backbones time too', async () => {
  const r = await runCli(['bench', '--backbone', 'mixste', '--preset', 'tiny', '--frames', '27', '--batch', '2', '--seconds', '0.2'])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /^mixste tiny, 2 x 27 frames, onnx \(onnxruntime\), \d+ threads?$/m)
  assert.match(r.stdout, /[\d.]+ frames\/s, [\d.]+ ms per clip \(mean of \d+ runs/)
})

test('motion bench --train --json reports a training step in the same format', async () => {
  const r = await runCli(['bench', '--train', '--preset', 'tiny', '--frames', '9', '--batch', '2', '--seconds', '0.2', '--json'])
  assert.equal(r.code, 0, r.stderr)
  const out = JSON.parse(r.stdout) as Record<string, unknown>
  for (const k of KEYS) assert.ok(k in out, `missing ${k}`)
  assert.equal(out.mode, 'train')
  assert.equal(out.batch, 2)
  assert.ok(typeof out.fps === 'number' && out.fps > 0)
})

test('motion bench refuses what it cannot do with exit 2 and a hint', async () => {
  const cases: [string[], RegExp][] = [
    [['bench', '--seconds', 'soon'], /--seconds must be a positive number/],
    [['bench', '--engine', 'tfjs', '--threads', '2'], /--threads sets onnxruntime threads/],
    [['bench', '--train', '--engine', 'tfjs'], /--train times the onnx gradient-graph engine/],
    [['bench', '--predict', 'no-such-file.json'], /no-such-file\.json: no such file/],
    [['bench', '--preset', 'huge'], /Expected --preset=huge to be one of/],
  ]
  for (const [args, message] of cases) {
    const r = await runCli(args)
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
    assert.match(r.stderr, message)
    assert.match(r.stderr, /Hint:/)
  }
})

test('motion bench --predict times the real command for each task, writing what that task writes', async () => {
  assert.equal(benchOutputName([]), 'pred.npy')
  assert.equal(benchOutputName(['--task', 'action']), 'pred.json')
  assert.equal(benchOutputName(['--engine', 'onnx', '--task=mesh']), 'pred.npz')
  const example = path.join(repoRoot, 'examples', 'walking.alphapose.json')
  const r = await runCli(['bench', '--predict', example, '--predict-args', '--task action', '--runs', '1', '--json'], {env: {MOTION_MODELS: path.join(repoRoot, 'models')}})
  assert.equal(r.code, 0, r.stderr)
  const json = JSON.parse(r.stdout) as {mode: string; runs: number; wall_ms: number[]; command: string}
  assert.equal(json.mode, 'predict')
  assert.equal(json.runs, 1)
  assert.ok(json.wall_ms[0]! > 0)
  assert.match(json.command, /pred\.json --task action$/)
})

test('motion bench --train times MixSTE and the Strided Transformer too, each on its own input and output', async () => {
  for (const backbone of ['mixste', 'strided']) {
    const r = await runCli(['bench', '--train', '--backbone', backbone, '--preset', 'tiny', '--frames', '27', '--batch', '2', '--seconds', '0.2', '--threads', '1', '--json'])
    assert.equal(r.code, 0, r.stderr)
    const out = JSON.parse(r.stdout) as {backbone: string; mode: string; frames: number; batch: number; fps: number; runs: number; graph_nodes: number}
    assert.equal(out.backbone, backbone)
    assert.equal(out.mode, 'train')
    assert.deepEqual([out.frames, out.batch], [27, 2])
    assert.ok(out.fps > 0 && out.runs >= 2 && out.graph_nodes > 0, JSON.stringify(out))
  }
})
