/**
 * Outputs as docs/outputs.md describes them: person as a number, source and model as given (or
 * relative), a version in every JSON format, and mesh .obj reported as the folder it is. In-process.
 */
import assert from 'node:assert/strict'
import {readFileSync, readdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {test} from 'node:test'
import {runCli} from '../helpers/cli.js'
import {repoRoot} from '../helpers/paths.js'
import {tmpDirForTests} from '../helpers/tmp.js'
import {meshTiny} from '../helpers/mesh.js'
import {personValue} from '../../src/formats/writers/person-id.js'
import {displayPath} from '../../src/formats/writers/display-path.js'
import {toMeshParamsJson} from '../../src/tasks/mesh/writers.js'

const tmp = tmpDirForTests('motion-outputs-')
const example = 'examples/walking.alphapose.json'

test('pose3d JSON: person is a number, source is the path as given, model is models/pose3d, version 1', async () => {
  const cwd = process.cwd()
  process.chdir(repoRoot)
  try {
    const out = path.join(tmp, 'walk.json')
    const r = await runCli(['predict', example, '--out', out, '--json'])
    assert.equal(r.code, 0, r.stderr)
    const report = JSON.parse(r.stdout) as {people: {person: unknown}[]}
    assert.equal(report.people[0]!.person, 0)
    const json = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>
    assert.equal(json.format, 'motion.pose3d')
    assert.equal(json.version, 1)
    assert.equal(json.person, 0)
    assert.equal(json.source, example)
    assert.equal(json.model, 'models/pose3d')
  } finally {
    process.chdir(cwd)
  }
})

test('action JSON has a format, a version and a numeric person', async () => {
  const out = path.join(tmp, 'walk-action.json')
  const r = await runCli(['predict', path.join(repoRoot, example), '--task', 'action', '--out', out])
  assert.equal(r.code, 0, r.stderr)
  const json = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>
  assert.equal(json.format, 'motion.action')
  assert.equal(json.version, 1)
  assert.equal(json.person, 0)
  assert.equal(json.model, 'models/action')
})

test('mesh: --out NAME.obj is reported as the folder NAME/ it writes; mesh JSON carries a version', async () => {
  const heads = path.join(tmp, 'heads4.yaml')
  writeFileSync(heads, 'num_heads: 4\n')
  const alphapose = path.join(repoRoot, 'test', 'fixtures', 'official-wide', 'wild-wide', 'alphapose-results.json')
  const base = ['predict', alphapose, '--task', 'mesh', '--checkpoint', path.join(meshTiny, 'checkpoint.bin'), '--config', heads, '--clip-len', '16', '--no-flip']
  const r = await runCli([...base, '--out', path.join(tmp, 'mesh.obj'), '--json'])
  assert.equal(r.code, 0, r.stderr)
  const report = JSON.parse(r.stdout) as {people: {out: string; files: number; frames: number}[]}
  const folder = path.join(tmp, 'mesh')
  assert.equal(report.people[0]!.out, folder)
  assert.equal(report.people[0]!.files, readdirSync(folder).filter((f) => /^frame_\d{6}\.obj$/.test(f)).length)
  assert.equal(report.people[0]!.files, report.people[0]!.frames)
  assert.match(r.stderr + r.stdout, /"files"/)
})

test('mesh parameter JSON carries a format and a version', () => {
  const frames = 2
  const json = toMeshParamsJson({theta: {data: new Float32Array(frames * 82), shape: [frames, 82]}, verts: {data: new Float32Array(frames * 3 * 3), shape: [frames, 3, 3]}, kp_3d: {data: new Float32Array(frames * 17 * 3), shape: [frames, 17, 3]}, faces: Uint32Array.from([0, 1, 2])})
  assert.equal(json.format, 'motion-smpl-params')
  assert.equal(json.version, 1)
  assert.equal(json.frames.length, frames)
})

test('personValue and displayPath', () => {
  assert.equal(personValue('0'), 0)
  assert.equal(personValue('12'), 12)
  assert.equal(personValue('01'), '01')
  assert.equal(personValue('track-a'), 'track-a')
  assert.equal(displayPath('a/../b.json', '/x'), 'b.json')
  assert.equal(displayPath('/x/y/z.json', '/x'), path.join('y', 'z.json'))
  assert.equal(displayPath('/elsewhere/z.json', '/x'), '/elsewhere/z.json')
})
