/**
 * Hostile and broken files are refused quickly, in bounded memory, with a one-line message naming
 * the file and the problem, exit 2 or 3, and nothing written. The files are built here, in a temp
 * folder; every case runs in-process and has a timeout, so a regression that hangs fails.
 */
import assert from 'node:assert/strict'
import {copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {test} from 'node:test'
import {deflatedZeros, honestEntry, npyBytes, rawZip, safetensorsBytes, yamlAliasBomb} from '../../helpers/hostile-files.js'
import {runCli} from '../../helpers/cli.js'
import {repoRoot} from '../../helpers/paths.js'
import {tmpDirForTests} from '../../helpers/tmp.js'

const tmp = tmpDirForTests('motion-hostile-')
const bundledPose = path.join(repoRoot, 'models', 'pose3d')
// A hang guard (not a benchmark): generous, since the suite shares a loaded machine.
const guard = {timeout: 180_000}

async function expectRefused(args: string[], opts: {code: 2 | 3; file: string; problem: RegExp; out: string}): Promise<void> {
  const r = await runCli(args)
  assert.equal(r.code, opts.code, `exit code; stderr: ${r.stderr}`)
  const errorLines = r.stderr.split('\n').filter((l) => l.startsWith('Error: '))
  assert.equal(errorLines.length, 1, r.stderr)
  assert.ok(errorLines[0]!.includes(opts.file), `names ${opts.file}: ${errorLines[0]}`)
  assert.match(errorLines[0]!, opts.problem)
  assert.ok(!existsSync(opts.out), `${opts.out} must not be written`)
}

const out = (name: string): string => path.join(tmp, name)

test('a torch zip whose data.pkl inflates to gigabytes (honest header) is refused before inflating', guard, async () => {
  const file = out('bomb.pt')
  writeFileSync(file, rawZip([{name: 'archive/data.pkl', stored: deflatedZeros(2048), method: 8, uncompressedSize: 2048 * 1024 * 1024, crc: 0}]))
  await expectRefused(['export', '--checkpoint', file, '--out', out('bomb.onnx')], {code: 3, file, problem: /data\.pkl' inflates to 2 GiB, more than the limit of 256 MiB/, out: out('bomb.onnx')})
})

test('a torch zip whose data.pkl header lies about its size stops inflating at the claimed size', guard, async () => {
  const file = out('liar.pt')
  writeFileSync(file, rawZip([{name: 'archive/data.pkl', stored: deflatedZeros(512), method: 8, uncompressedSize: 1000, crc: 0}]))
  await expectRefused(['export', '--checkpoint', file, '--out', out('liar.onnx')], {code: 3, file, problem: /data\.pkl' is corrupt/, out: out('liar.onnx')})
})

test('zip entries with ../ or absolute paths are refused', guard, async () => {
  const npz = out('climb.npz')
  writeFileSync(npz, rawZip([honestEntry('../keypoints.npy', npyBytes('(2, 17, 3)', 2 * 17 * 3 * 4))]))
  await expectRefused(['predict', npz, '--out', out('climb.json')], {code: 2, file: npz, problem: /entry '\.\.\/keypoints\.npy' has an unsafe path/, out: out('climb.json')})
  const pt = out('absolute.pt')
  writeFileSync(pt, rawZip([honestEntry('/archive/data.pkl', new Uint8Array([0x80, 2, 0x7d, 0x2e]))]))
  await expectRefused(['export', '--checkpoint', pt, '--out', out('absolute.onnx')], {code: 3, file: pt, problem: /unsafe path/, out: out('absolute.onnx')})
})

test('a native model folder whose config.json asks for depth 1e9 is refused', guard, async () => {
  const dir = out('deep-model')
  mkdirSync(dir)
  const config = JSON.parse(readFileSync(path.join(bundledPose, 'config.json'), 'utf8')) as {backboneConfig: Record<string, unknown>}
  config.backboneConfig.depth = 1_000_000_000
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config))
  copyFileSync(path.join(bundledPose, 'model.safetensors'), path.join(dir, 'model.safetensors'))
  await expectRefused(['export', '--checkpoint', dir, '--out', out('deep.onnx')], {code: 3, file: path.join(dir, 'config.json'), problem: /depth is 1000000000, more than the limit of 64/, out: out('deep.onnx')})
})

test('a --config YAML alias bomb is refused as input (exit 2), not a crash', guard, async () => {
  const file = out('bomb.yaml')
  writeFileSync(file, yamlAliasBomb())
  await expectRefused(['export', '--checkpoint', bundledPose, '--config', file, '--out', out('yaml.onnx')], {code: 2, file, problem: /refused YAML: .*alias/i, out: out('yaml.onnx')})
})

test('__proto__ keys in JSON configs are refused (--config and a model config.json)', guard, async () => {
  const file = out('proto.json')
  writeFileSync(file, '{"clip_len": 60, "__proto__": {"depth": 5}}')
  await expectRefused(['export', '--checkpoint', bundledPose, '--config', file, '--out', out('proto.onnx')], {code: 2, file, problem: /the key '__proto__' is not allowed/, out: out('proto.onnx')})
  const dir = out('proto-model')
  mkdirSync(dir)
  const text = readFileSync(path.join(bundledPose, 'config.json'), 'utf8').replace('"backboneConfig": {', '"backboneConfig": {"__proto__": {"polluted": true},')
  assert.match(text, /__proto__/)
  writeFileSync(path.join(dir, 'config.json'), text)
  copyFileSync(path.join(bundledPose, 'model.safetensors'), path.join(dir, 'model.safetensors'))
  await expectRefused(['export', '--checkpoint', dir, '--out', out('proto2.onnx')], {code: 3, file: path.join(dir, 'config.json'), problem: /the key '__proto__' is not allowed \(at backboneConfig\)/, out: out('proto2.onnx')})
  assert.equal(({} as Record<string, unknown>).polluted, undefined)
})

test('safetensors with lying headers are refused', guard, async () => {
  const cases: Array<[string, Buffer, RegExp]> = [
    ['huge-header.safetensors', safetensorsBytes({}, new Uint8Array(16), 1n << 60n), /claims a \d+-byte header/],
    ['past-end.safetensors', safetensorsBytes({w: {dtype: 'F32', shape: [4], data_offsets: [0, 1_000_000]}}, new Uint8Array(16)), /./],
    ['bad-shape.safetensors', safetensorsBytes({w: {dtype: 'F32', shape: [1000, 1000], data_offsets: [0, 16]}}, new Uint8Array(16)), /./],
  ]
  for (const [name, bytes, problem] of cases) {
    const file = out(name)
    writeFileSync(file, bytes)
    await expectRefused(['export', '--checkpoint', file, '--out', out(`${name}.onnx`)], {code: 3, file, problem, out: out(`${name}.onnx`)})
  }
})

test('an .npy whose header claims an absurd shape is refused', guard, async () => {
  const file = out('absurd.npy')
  writeFileSync(file, npyBytes('(1000000000000, 17, 3)', 64))
  await expectRefused(['predict', file, '--out', out('absurd.json')], {code: 2, file, problem: /refused \.npy header: shape \(1000000000000, 17, 3\) has 5\.10e\+13 elements/, out: out('absurd.json')})
})
