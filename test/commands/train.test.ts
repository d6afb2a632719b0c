import assert from 'node:assert/strict'
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {before, test} from 'node:test'

import {readSafetensors} from '../../src/formats/safetensors.js'
import type {NDArray} from '../../src/core/ndarray.js'
import {runCli} from '../helpers/cli.js'
import {makeSmallData, parseEvents, spawnCli, writeTinyConfig} from '../helpers/train-cli.js'
import {tmpDirForTests} from '../helpers/tmp.js'

const tmp = tmpDirForTests('motion-train-')
let data: string
let config: string
const pretrainRun = () => path.join(tmp, 'pre')
const COMMON = ['--fps', '30', '--threads', '1', '--eval-limit', '4', '--json']

before(() => {
  data = makeSmallData(path.join(tmp, 'data'))
  config = writeTinyConfig(path.join(tmp, 'tiny.yaml'))
})

async function weightsOf(dir: string): Promise<Map<string, NDArray>> {
  return (await readSafetensors(path.join(dir, 'model.safetensors'))).tensors
}

function same(a: NDArray, b: NDArray): boolean {
  return a.data.length === b.data.length && a.data.every((v, i) => Object.is(v, b.data[i]))
}

test('motion pretrain: a tiny run on real mocap lowers the loss; every --json event has its documented fields', async () => {
  const r = await runCli(['pretrain', '--config', config, '--data', data, '--out', pretrainRun(), '--epochs', '3', ...COMMON])
  assert.equal(r.code, 0, r.stderr)
  const events = parseEvents(r.stdout)
  const start = events[0]!
  assert.equal(start.type, 'start')
  assert.ok(start.engine === 'onnx' || start.engine === 'tfjs')
  assert.match(String(start.reason), /auto/)
  const steps = events.filter((e) => e.type === 'step')
  assert.deepEqual(steps.map((e) => e.step), steps.map((_, i) => i + 1))
  for (const e of steps) {
    assert.equal(typeof e.loss, 'number')
    assert.equal(typeof e.lr, 'number')
    assert.ok(e.epoch >= 1 && e.epoch <= 3)
  }
  const evals = events.filter((e) => e.type === 'eval')
  assert.equal(evals.length, 3)
  assert.ok(evals.every((e) => typeof e.metrics?.mpjpe === 'number' && e.metrics.mpjpe > 0))
  const ckpts = events.filter((e) => e.type === 'checkpoint')
  assert.ok(ckpts.every((e) => typeof e.path === 'string' && existsSync(e.path)))
  const epochEnds = events.filter((e) => e.type === 'epoch_end').map((e) => e.loss as number)
  assert.equal(epochEnds.length, 3)
  assert.ok(epochEnds[2]! < epochEnds[0]!, `epoch losses ${epochEnds.join(' → ')}`)
  const done = events[events.length - 1]!
  assert.equal(done.type, 'done')
  assert.equal(done.step, steps.length)
  // The lr decays by lr_decay each epoch.
  const lrs = [...new Set(steps.map((e) => e.lr))]
  assert.equal(lrs.length, 3)
  assert.ok(Math.abs(lrs[1]! / lrs[0]! - 0.99) < 1e-9)
  // Checkpoints are native model folders others can load.
  for (const kind of ['latest', 'best']) {
    for (const f of ['model.safetensors', 'config.json', 'optimizer.safetensors', 'state.json']) assert.ok(existsSync(path.join(pretrainRun(), kind, f)), `${kind}/${f}`)
  }
})

test('motion finetune --freeze backbone: the head trains on cached features (speedup reported), the backbone stays bit-for-bit', async () => {
  const out = path.join(tmp, 'ft-action')
  // energy_segments 2 does not divide clip_len 27, but motion_energy is off, so the head never uses it: not refused
  const actionConfig = path.join(tmp, 'tiny-action.yaml')
  writeFileSync(actionConfig, `${readFileSync(config, 'utf8')}energy_segments: 2\n`)
  const r = await runCli(['finetune', '--task', 'action', '--from', pretrainRun(), '--data', data, '--out', out, '--epochs', '2', '--freeze', 'backbone', '--config', actionConfig, ...COMMON])
  assert.equal(r.code, 0, r.stderr)
  const events = parseEvents(r.stdout)
  const done = events[events.length - 1]!
  const cache = done.featureCache as {speedup: number; extractSeconds: number; headEpochSeconds: number}
  assert.ok(cache && cache.speedup > 1 && cache.extractSeconds > 0 && cache.headEpochSeconds > 0, JSON.stringify(cache))
  assert.ok(events.filter((e) => e.type === 'eval').every((e) => typeof e.metrics?.top1 === 'number'))
  const before = await weightsOf(path.join(pretrainRun(), 'best'))
  const after = await weightsOf(path.join(out, 'latest'))
  for (const [name, w] of after) {
    if (name.startsWith('backbone.')) assert.ok(same(w, before.get(name)!), `${name} must not change`)
  }
  assert.ok(after.has('head.fc2.weight') && after.get('head.fc2.weight')!.shape[0] === 2, 'a fresh action head with one class per action')
  const moments = (await readSafetensors(path.join(out, 'latest', 'optimizer.safetensors'))).tensors
  assert.ok([...moments.keys()].every((k) => k.includes('.head.')))
  assert.ok(moments.get('exp_avg.head.fc1.weight')!.data.some((v) => v !== 0), 'trainable head weights were updated')
})

test('motion finetune --freeze 1 trains only the last block (and norm, pre_logits, head); --freeze none trains everything', async () => {
  const before = await weightsOf(path.join(pretrainRun(), 'best'))
  for (const freeze of ['1', 'none']) {
    const out = path.join(tmp, `ft-pose-${freeze}`)
    const r = await runCli(['finetune', '--task', 'pose3d', '--from', path.join(pretrainRun(), 'best'), '--data', data, '--out', out, '--epochs', '1', '--freeze', freeze, '--lr-head', '0.002', '--config', config, ...COMMON])
    assert.equal(r.code, 0, r.stderr)
    const after = await weightsOf(path.join(out, 'latest'))
    const changed = (n: string): boolean => !same(after.get(n)!, before.get(n)!)
    assert.ok(changed('backbone.blocks_st.1.attn_s.qkv.weight'))
    assert.ok(changed('head.weight'))
    assert.ok(changed('backbone.pre_logits.fc.weight'))
    assert.equal(changed('backbone.blocks_st.0.attn_s.qkv.weight'), freeze === 'none')
    assert.equal(changed('backbone.joints_embed.weight'), freeze === 'none')
    const done = parseEvents(r.stdout).pop()!
    assert.equal(done.freeze, freeze)
  }
})

test('video_views runs are scored each epoch as motion eval --camera static scores them (pose3d: N-MPJPE picks best; action: top-1)', async () => {
  const videoConfig = path.join(tmp, 'tiny-video.yaml')
  writeFileSync(videoConfig, `${readFileSync(config, 'utf8').replace('rootrel: true', 'rootrel: false')}video_views: true\nfps_range: [30, 30]\n`)
  const out = path.join(tmp, 'ft-video')
  const r = await runCli(['finetune', '--task', 'pose3d', '--from', path.join(pretrainRun(), 'best'), '--data', data, '--out', out, '--epochs', '1', '--config', videoConfig, ...COMMON.slice(0, -3), '--eval-limit', '2', '--json'])
  assert.equal(r.code, 0, r.stderr + r.stdout)
  const epochEval = parseEvents(r.stdout).find((e) => e.type === 'eval')!.metrics!
  assert.deepEqual(Object.keys(epochEval).sort(), ['bone_cv', 'jump_ratio', 'mpjpe', 'n_mpjpe', 'p_mpjpe'])
  const evaluated = await runCli(['eval', '--run', out, '--data', data, '--split', 'test', '--fps', '30', '--camera', 'static', '--limit', '2', '--json'])
  assert.equal(evaluated.code, 0, evaluated.stderr)
  const scored = (JSON.parse(evaluated.stdout) as {metrics: Record<string, number>}).metrics
  for (const [name, value] of Object.entries(epochEval)) assert.ok(Math.abs(value - scored[name]!) <= 1e-3 * Math.max(1, Math.abs(value)), `${name}: epoch ${value}, eval ${scored[name]}`)
  assert.ok(epochEval.mpjpe! > 10 && epochEval.mpjpe! < 2000, `mpjpe ${epochEval.mpjpe} mm`)

  const action = path.join(tmp, 'ft-video-action')
  const a = await runCli(['finetune', '--task', 'action', '--from', path.join(out, 'latest'), '--data', data, '--out', action, '--epochs', '1', '--freeze', 'backbone', '--config', videoConfig, ...COMMON.slice(0, -3), '--eval-limit', '2', '--json'])
  assert.equal(a.code, 0, a.stderr)
  const actionEval = parseEvents(a.stdout).find((e) => e.type === 'eval')!.metrics!
  const actionScored = await runCli(['eval', '--task', 'action', '--run', action, '--data', data, '--split', 'test', '--fps', '30', '--camera', 'static', '--limit', '2', '--json'])
  assert.equal(actionScored.code, 0, actionScored.stderr)
  const actionMetrics = (JSON.parse(actionScored.stdout) as {metrics: Record<string, number>}).metrics
  assert.deepEqual(Object.keys(actionEval).sort(), ['clip_top1', 'top1', 'top5'])
  for (const name of ['top1', 'clip_top1']) assert.equal(actionEval[name], actionMetrics[name], name)
})

test('finetune --task action refuses stretch counts that do not divide clip_len, before any work, with no run folder', async () => {
  for (const [extra, key] of [['temporal_segments: 4', 'temporal_segments'], ['motion_energy: true\nenergy_segments: 2', 'energy_segments']] as const) {
    const file = path.join(tmp, `bad-${key}.yaml`)
    writeFileSync(file, `${readFileSync(config, 'utf8')}${extra}\n`)
    const out = path.join(tmp, `bad-${key}`)
    const r = await runCli(['finetune', '--task', 'action', '--from', pretrainRun(), '--data', data, '--out', out, '--epochs', '1', '--config', file, ...COMMON])
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stdout + r.stderr, new RegExp(`${key} \\d+ does not divide clip_len 27`))
    assert.equal(existsSync(out), false)
  }
})

test('kill -9 after the first checkpoint, then --resume: no half-written checkpoint, steps continue, the run finishes as an uninterrupted one', async () => {
  const args = (out: string): string[] => ['pretrain', '--config', config, '--data', data, '--out', out, '--epochs', '2', '--checkpoint-every', '2', '--seed', '3', ...COMMON]
  const run = path.join(tmp, 'killed')
  const p = spawnCli(args(run))
  const first = await p.waitFor((e) => e.type === 'checkpoint')
  p.child.kill('SIGKILL')
  const exited = await p.exit
  assert.equal(exited.signal, 'SIGKILL')
  // Whatever the kill interrupted, every checkpoint folder present is complete.
  for (const name of readdirSync(run).filter((n) => !n.startsWith('.') && n !== 'run.json')) {
    for (const f of ['model.safetensors', 'config.json', 'optimizer.safetensors', 'state.json']) assert.ok(existsSync(path.join(run, name, f)), `${name}/${f}`)
  }
  const saved = JSON.parse(readFileSync(path.join(run, 'latest', 'state.json'), 'utf8')) as {step: number}
  assert.ok(saved.step >= first.step)

  const resumed = await runCli(['pretrain', '--resume', run, '--threads', '1', '--json'])
  assert.equal(resumed.code, 0, resumed.stderr)
  const events = parseEvents(resumed.stdout)
  assert.match(String(events[0]!.message), /resuming/)
  const steps = events.filter((e) => e.type === 'step').map((e) => e.step)
  assert.equal(steps[0], saved.step + 1)
  assert.deepEqual(steps, steps.map((_, i) => saved.step + 1 + i))
  const done = events[events.length - 1]!
  assert.equal(done.type, 'done')
  assert.equal(done.interrupted, false)

  // The same run without the kill ends in the same place.
  const reference = path.join(tmp, 'reference')
  const ref = await runCli(args(reference))
  assert.equal(ref.code, 0, ref.stderr)
  const refDone = parseEvents(ref.stdout).pop()!
  assert.equal(done.step, refDone.step)
  const a = done.epochLosses as number[]
  const b = refDone.epochLosses as number[]
  assert.equal(a.length, 2)
  // The epoch that was cut holds only the resumed steps' mean; the last epoch is whole in both.
  assert.ok(Math.abs(a[1]! - b[1]!) <= 1e-4 * Math.max(1, Math.abs(b[1]!)), `${a[1]} vs ${b[1]}`)
  const wa = await weightsOf(path.join(run, 'latest'))
  const wb = await weightsOf(path.join(reference, 'latest'))
  let worst = 0
  for (const [k, v] of wb) for (let i = 0; i < v.data.length; i++) worst = Math.max(worst, Math.abs(v.data[i]! - wa.get(k)!.data[i]!))
  assert.ok(worst <= 1e-4, `max weight difference ${worst}`)
})

test('Ctrl-C (SIGINT) saves latest and exits 130; --resume on a finished run or a taken --out is refused clearly', async () => {
  const run = path.join(tmp, 'interrupted')
  const p = spawnCli(['pretrain', '--config', config, '--data', data, '--out', run, '--epochs', '50', ...COMMON])
  await p.waitFor((e) => e.type === 'step')
  p.child.kill('SIGINT')
  const exited = await p.exit
  assert.equal(exited.code, 130, p.stderr())
  const state = JSON.parse(readFileSync(path.join(run, 'latest', 'state.json'), 'utf8')) as {step: number; epochs: number}
  assert.ok(state.step >= 1)
  const done = p.events[p.events.length - 1]!
  assert.equal(done.type, 'done')
  assert.equal(done.interrupted, true)

  const taken = await runCli(['pretrain', '--config', config, '--data', data, '--out', run, '--json'])
  assert.equal(taken.code, 2)
  assert.match(taken.stdout, /already holds a training run/)
})
