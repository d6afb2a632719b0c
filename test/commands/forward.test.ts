/**
 * `motion forward` through the real CLI: the official fixtures (DSTformer output and
 * representation for both inputs, ActionNet logits; tiny and wide sizes) on both engines to 1e-4,
 * and every bad input as a one-line error with the right exit code and no output file.
 */
import assert from 'node:assert/strict'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, test} from 'node:test'
import {readNpyFloat32, readNpzFloat32, writeNpy} from '../../src/formats/npy.js'
import {runCli} from '../helpers/cli.js'
import {relativeError} from '../helpers/compare.js'
import {fixturesDir, repoRoot} from '../helpers/paths.js'
import {readCaseJson} from '../helpers/fixtures.js'
import {tmpDirForTests} from '../helpers/tmp.js'

const tmp = tmpDirForTests('motion-forward-')
const wideDir = path.join(repoRoot, 'test', 'fixtures', 'official-wide')

interface FixtureCase {
  kind: 'dstformer' | 'action'
  checkpoint: string
  config: Record<string, number>
  cases: Array<Record<string, string | number[]>>
}

/** A config with the one size the weights cannot tell. */
// Written once per head count: concurrent tests would otherwise truncate the file
// while another test's CLI is reading it.
const headsConfigs = new Map<number, string>()
function headsConfig(numHeads: number): string {
  let file = headsConfigs.get(numHeads)
  if (file === undefined) {
    file = path.join(tmp, `heads-${numHeads}.yaml`)
    writeFileSync(file, `num_heads: ${numHeads}\n`)
    headsConfigs.set(numHeads, file)
  }
  return file
}

async function checkFixture(dir: string, engine: 'tfjs' | 'onnx'): Promise<void> {
  const spec = readCaseJson<FixtureCase>(dir)
  const checkpoint = path.join(dir, spec.checkpoint)
  for (const [i, c] of spec.cases.entries()) {
    const input = path.join(dir, c.input as string)
    if (spec.kind === 'dstformer') {
      const out = path.join(tmp, `${path.basename(dir)}-${engine}-${i}.npz`)
      const r = await runCli(['forward', '--checkpoint', checkpoint, '--config', headsConfig(spec.config.num_heads!), '--input', input, '--out', out, '--engine', engine, '--json'])
      assert.equal(r.code, 0, r.stderr)
      const result = JSON.parse(r.stdout) as {engine: {name: string}; outputs: Record<string, number[]>}
      assert.equal(result.engine.name, engine)
      assert.deepEqual(Object.keys(result.outputs), ['pose3d', 'representation'])
      const arrays = await readNpzFloat32(out)
      for (const [name, field] of [['pose3d', 'output'], ['representation', 'representation']] as const) {
        const ref = await readNpyFloat32(path.join(dir, c[field] as string))
        const err = relativeError(arrays.get(name)!, ref)
        assert.ok(err <= 1e-4, `${path.basename(dir)} case ${i} ${name} on ${engine}: relative error ${err}`)
      }
    } else {
      const out = path.join(tmp, `${path.basename(dir)}-${engine}-${i}.npy`)
      const r = await runCli(['forward', '--checkpoint', checkpoint, '--config', headsConfig(spec.config.num_heads!), '--input', input, '--out', out, '--engine', engine])
      assert.equal(r.code, 0, r.stderr)
      const ref = await readNpyFloat32(path.join(dir, c.logits as string))
      const err = relativeError(await readNpyFloat32(out), ref)
      assert.ok(err <= 1e-4, `${path.basename(dir)} logits on ${engine}: relative error ${err}`)
    }
  }
}

for (const engine of ['onnx', 'tfjs'] as const) {
  describe(`motion forward reproduces the official fixtures (${engine})`, {concurrency: 2}, () => {
    test('dstformer-tiny: output and representation, both inputs', () => checkFixture(path.join(fixturesDir, 'dstformer-tiny'), engine))
    test('action-tiny: logits', () => checkFixture(path.join(fixturesDir, 'action-tiny'), engine))
    test('dstformer-wide: output and representation, both inputs', () => checkFixture(path.join(wideDir, 'dstformer-wide'), engine))
    test('action-wide: logits', () => checkFixture(path.join(wideDir, 'action-wide'), engine))
  })
}

test('a .npy --out gets the first output (pose3d) and says what was left out', async () => {
  const dir = path.join(fixturesDir, 'dstformer-tiny')
  const out = path.join(tmp, 'first.npy')
  const r = await runCli(['forward', '--checkpoint', path.join(dir, 'checkpoint.bin'), '--config', headsConfig(4), '--input', path.join(dir, 'input_1.npy'), '--out', out])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stderr, /not written: representation/)
  const err = relativeError(await readNpyFloat32(out), await readNpyFloat32(path.join(dir, 'output_1.npy')))
  assert.ok(err <= 1e-4, `relative error ${err}`)
})

describe('motion forward refuses bad inputs: one line, exit code, no output', {concurrency: 2}, () => {
  const checkpoint = path.join(fixturesDir, 'dstformer-tiny', 'checkpoint.bin')
  const shaped = async (name: string, shape: number[]): Promise<string> => {
    const file = path.join(tmp, name)
    await writeNpy(file, {data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.1), shape})
    return file
  }
  const cases: Array<{what: string; input: () => Promise<string> | string; code: number; re: RegExp; out?: string}> = [
    {what: 'wrong rank', input: () => shaped('rank.npy', [27, 17, 3]), code: 2, re: /rank\.npy: input \[27, 17, 3\]/},
    {what: 'wrong joint count', input: () => shaped('joints.npy', [1, 27, 16, 3]), code: 2, re: /joints\.npy: .*16/},
    {what: 'wrong channels', input: () => shaped('channels.npy', [1, 27, 17, 4]), code: 2, re: /channels\.npy: .*4/},
    {what: 'frames > maxlen', input: () => shaped('long.npy', [1, 28, 17, 3]), code: 2, re: /long\.npy: .*28/},
    {
      what: 'NaN input',
      input: async () => {
        const file = path.join(tmp, 'nan.npy')
        const data = new Float32Array(27 * 17 * 3).fill(0.1)
        data[100] = Number.NaN
        await writeNpy(file, {data, shape: [1, 27, 17, 3]})
        return file
      },
      code: 2,
      re: /nan\.npy: input has a non-finite value \(NaN\)/,
    },
    {what: 'missing input file', input: () => path.join(tmp, 'absent.npy'), code: 2, re: /absent\.npy/},
    {what: 'missing output folder', input: () => shaped('ok.npy', [1, 27, 17, 3]), code: 2, re: /output folder .* does not exist/, out: path.join(tmp, 'no-such-dir', 'y.npz')},
    {what: 'unknown output extension', input: () => shaped('ok2.npy', [1, 27, 17, 3]), code: 2, re: /unknown output format '\.txt'/, out: path.join(tmp, 'y.txt')},
  ]
  for (const c of cases) {
    test(c.what, async () => {
      const input = await c.input()
      const out = c.out ?? path.join(tmp, `out-${c.what.replace(/\W+/g, '-')}.npz`)
      const r = await runCli(['forward', '--checkpoint', checkpoint, '--config', headsConfig(4), '--input', input, '--out', out, '--engine', 'onnx'])
      assert.equal(r.code, c.code, r.stderr)
      const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('Hint:') && !l.startsWith('model:') && !l.startsWith('engine:'))
      assert.equal(lines.length, 1, r.stderr)
      assert.match(lines[0]!, c.re)
      assert.equal(existsSync(out), false, 'no output file')
    })
  }

  test('missing checkpoint: exit 2 naming it', async () => {
    const out = path.join(tmp, 'never.npz')
    const r = await runCli(['forward', '--checkpoint', path.join(tmp, 'nope.bin'), '--input', path.join(fixturesDir, 'dstformer-tiny', 'input_0.npy'), '--out', out])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /nope\.bin: no such checkpoint/)
    assert.equal(existsSync(out), false)
  })

  test('a file that is not a checkpoint: exit 3', async () => {
    const bogus = path.join(tmp, 'bogus.bin')
    writeFileSync(bogus, 'this is not a checkpoint at all')
    const out = path.join(tmp, 'never2.npz')
    const r = await runCli(['forward', '--checkpoint', bogus, '--input', path.join(fixturesDir, 'dstformer-tiny', 'input_0.npy'), '--out', out])
    assert.equal(r.code, 3, r.stderr)
    assert.match(r.stderr, /bogus\.bin/)
    assert.equal(existsSync(out), false)
  })
})

test('import, forward and predict load no heavy module at start-up (only @oclif/core and light local modules at top level)', () => {
  // The task registry imports nothing (test/heads/tasks.test.ts checks), so predict offers its names as --task options;
  // likewise the detector table for --detector (checked below).
  const light = new Set(['@oclif/core', '../cli/base-command.js', '../cli/model-flags.js', '../heads/tasks.js', '../core/text.js', '../tasks/video/detectors.js', 'node:path'])
  for (const name of ['import', 'forward', 'predict']) {
    const source = readFileSync(path.join(repoRoot, 'src', 'commands', `${name}.ts`), 'utf8')
    const topLevel = [...source.matchAll(/^import\s+(type\s+)?[^'"]*from\s+'([^']+)'/gm)].filter((m) => !m[1]).map((m) => m[2]!)
    for (const spec of topLevel) assert.ok(light.has(spec), `${name}.ts imports ${spec} at top level; import it inside run()`)
  }
  const flags = readFileSync(path.join(repoRoot, 'src', 'cli', 'model-flags.ts'), 'utf8')
  assert.deepEqual([...flags.matchAll(/^import .* from '([^']+)'/gm)].map((m) => m[1]), ['@oclif/core'])
  const detectors = readFileSync(path.join(repoRoot, 'src', 'tasks', 'video', 'detectors.ts'), 'utf8')
  assert.deepEqual([...detectors.matchAll(/^import\b.*$/gm)].map((m) => m[0]), [], 'the detector table imports nothing')
})
