/**
 * Mesh finetuning and evaluation through the real CLI, on a data folder `motion data synth-mesh`
 * makes with the fixture's body model (SMPL cannot ship): a fresh mesh head on the tiny official
 * pose backbone trains on the onnx engine and lowers the loss; `motion eval --task mesh` prints
 * MPVE, MPJPE and PA-MPJPE (text and --json) and fails a crossed threshold with exit code 5; a
 * missing body model is an input error naming the file, the folders looked in and the licence.
 */
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {before, test} from 'node:test'

import {runCli} from '../helpers/cli.js'
import {fixturesDir} from '../helpers/paths.js'
import {parseEvents} from '../helpers/train-cli.js'
import {tmpDirForTests} from '../helpers/tmp.js'

const tmp = tmpDirForTests('motion-mesh-train-')
const bodyDir = path.join(fixturesDir, 'mesh-tiny', 'body_model')
const backbone = path.join(fixturesDir, 'dstformer-tiny', 'checkpoint.bin')
const data = path.join(tmp, 'mesh')
const config = path.join(tmp, 'tiny-mesh.yaml')
const run = path.join(tmp, 'run')

before(() => {
  writeFileSync(config, ['num_heads: 4', 'hidden_dim: 16', 'clip_len: 8', 'data_stride: 4', 'batch_size: 4', 'learning_rate: 0.005', 'lr_backbone: 0.0005', 'flip: true', ''].join('\n'))
})

test('motion data synth-mesh writes a mesh folder with an index', async () => {
  const r = await runCli(['data', 'synth-mesh', '--smpl-dir', bodyDir, '--out', data, '--clips', '4', '--test-clips', '1', '--frames', '16', '--json'])
  assert.equal(r.code, 0, r.stderr)
  const out = JSON.parse(r.stdout) as {clips: number; vertices: number}
  assert.equal(out.clips, 5)
  assert.equal(out.vertices, 400)
  const index = JSON.parse(readFileSync(path.join(data, 'index.json'), 'utf8')) as {format: string; clips: {file: string; split: string}[]}
  assert.equal(index.format, 'motion-mesh')
  assert.deepEqual(index.clips.map((c) => c.split), ['train', 'train', 'train', 'train', 'test'])
  assert.ok(index.clips.every((c) => existsSync(path.join(data, c.file))))
})

test('motion finetune --task mesh on the onnx engine lowers the loss, and motion eval --task mesh reports MPVE, MPJPE, PA-MPJPE', async () => {
  const r = await runCli(['finetune', '--task', 'mesh', '--from', backbone, '--config', config, '--smpl-dir', bodyDir, '--data', data, '--out', run, '--epochs', '4', '--engine', 'onnx', '--threads', '1', '--json'])
  assert.equal(r.code, 0, r.stderr)
  const events = parseEvents(r.stdout)
  assert.equal(events[0]!.engine, 'onnx')
  const steps = events.filter((e) => e.type === 'step')
  assert.ok(steps.every((e) => typeof (e.parts as Record<string, number>).loss_pose === 'number'))
  const epochs = events.filter((e) => e.type === 'epoch_end').map((e) => e.loss as number)
  assert.equal(epochs.length, 4)
  assert.ok(epochs[3]! < epochs[0]!, `epoch losses ${epochs.join(' → ')}`)
  const evals = events.filter((e) => e.type === 'eval')
  assert.ok(evals.length === 4 && evals.every((e) => e.metrics!.mpve! > 0 && e.metrics!.pa_mpjpe! > 0))
  const done = events[events.length - 1]!
  assert.equal((done.best as {name: string}).name, 'mpve')

  const text = await runCli(['eval', '--task', 'mesh', '--run', run, '--data', data, '--threads', '1'])
  assert.equal(text.code, 0, text.stderr)
  assert.match(text.stdout, /MPVE \d+\.\d\s+MPJPE \d+\.\d\s+PA-MPJPE \d+\.\d/)
  assert.match(text.stdout, /mm/)

  const json = await runCli(['eval', '--task', 'mesh', '--run', run, '--data', data, '--threads', '1', '--json'])
  assert.equal(json.code, 0, json.stderr)
  const result = JSON.parse(json.stdout) as {mpve: number; mpjpe: number; pa_mpjpe: number; units: string; clipLen: number; mesh: {frames: number}}
  for (const k of ['mpve', 'mpjpe', 'pa_mpjpe'] as const) assert.ok(Number.isFinite(result[k]) && result[k] > 0, k)
  assert.equal(result.units, 'mm')
  assert.equal(result.clipLen, 8) // the run's clip_len
  assert.equal(result.mesh.frames, 16)

  const gate = await runCli(['eval', '--task', 'mesh', '--run', run, '--data', data, '--threads', '1', '--fail-above', 'mpve=1'])
  assert.equal(gate.code, 5)
  assert.match(gate.stderr, /threshold crossed: mpve/)
})

test('a missing SMPL body model is an input error naming the file, the folders looked in and the licence; no run folder is left', async () => {
  const empty = path.join(tmp, 'empty')
  mkdirSync(empty)
  const out = path.join(tmp, 'nosmpl')
  const r = await runCli(['finetune', '--task', 'mesh', '--from', backbone, '--config', config, '--smpl-dir', empty, '--data', data, '--out', out], {cwd: tmp, env: {MOTION_SMPL_DIR: ''}})
  assert.equal(r.code, 2, r.stderr)
  assert.match(r.stderr, /SMPL_NEUTRAL\.npz/)
  assert.ok(r.stderr.includes(empty), r.stderr)
  assert.match(r.stderr, /licensed/)
  assert.match(r.stderr, /--smpl-dir/)
  assert.ok(!existsSync(out))
})
