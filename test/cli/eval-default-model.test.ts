/** `motion eval` without --checkpoint scores the bundled model, as predict does (in-process). */
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {test} from 'node:test'
import {runCli} from '../helpers/cli.js'
import {dataDir, repoRoot} from '../helpers/paths.js'

const data = path.join(dataDir, 'cmu-mocap-h36m17')

test('eval --task pose3d without --checkpoint evaluates models/pose3d', async () => {
  const r = await runCli(['eval', '--task', 'pose3d', '--data', data, '--limit', '2', '--threads', '1', '--json'])
  assert.equal(r.code, 0, r.stderr + r.stdout)
  const out = JSON.parse(r.stdout) as {model: string; task: string; pose: {mpjpe: number; windows: number}}
  assert.equal(out.model, path.join(repoRoot, 'models', 'pose3d'))
  assert.equal(out.task, 'pose3d')
  assert.equal(out.pose.windows, 2)
  assert.ok(out.pose.mpjpe > 0 && out.pose.mpjpe < 500, `mpjpe ${out.pose.mpjpe}`)
})

test('eval --task action without --checkpoint evaluates models/action with its class names', async () => {
  const r = await runCli(['eval', '--task', 'action', '--data', data, '--limit', '2', '--threads', '1', '--json'])
  assert.equal(r.code, 0, r.stderr + r.stdout)
  const out = JSON.parse(r.stdout) as {model: string; action: {perClass: {class: string}[]}}
  assert.equal(out.model, path.join(repoRoot, 'models', 'action'))
  assert.deepEqual(out.action.perClass.map((c) => c.class), JSON.parse(readFileSync(path.join(repoRoot, 'models', 'action', 'classes.json'), 'utf8')))
  assert.equal(out.action.perClass.length, 13)
})

test('eval --task mesh without a model says what to pass (no mesh model is bundled)', async () => {
  const r = await runCli(['eval', '--task', 'mesh', '--data', data])
  assert.equal(r.code, 3)
  assert.match(r.stderr, /no mesh model is bundled/)
  assert.match(r.stderr, /Hint: pass --checkpoint with a mesh model/)
  assert.doesNotMatch(r.stderr, /reinstall/)
})
