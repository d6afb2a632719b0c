import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {buildZip} from '../../src/formats/zip.js'
import {isMotionError} from '../../src/core/errors.js'
import {
  encodeNpy,
  float16ToFloat32,
  parseNpy,
  parseNpz,
  readNpy,
  readNpyFloat32,
  readNpz,
  readNpzFloat32,
  writeNpy,
  writeNpz,
} from '../../src/formats/npy.js'
import {fixturesDir, repoRoot} from '../helpers/paths.js'

const npyDir = path.join(repoRoot, 'test', 'fixtures', 'checkpoint', 'npy')
const tmp = mkdtempSync(path.join(tmpdir(), 'motion-npy-'))
after(() => rmSync(tmp, {recursive: true, force: true}))

/** arange(24).reshape(2, 3, 4) in C order, as make_npy_fixtures.py builds every array from. */
const base = Array.from({length: 24}, (_, i) => i)

function inputErrorMatching(re: RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(isMotionError(err), `expected a MotionError, got ${String(err)}`)
    assert.equal(err.exitCode, 2)
    assert.match(err.message, re)
    return true
  }
}

describe('npy reading (files written by numpy)', () => {
  it('reads the official float32 fixtures', async () => {
    const a = await readNpyFloat32(path.join(fixturesDir, 'dstformer-tiny', 'input_0.npy'))
    assert.deepEqual(a.shape, [2, 27, 17, 3])
    assert.equal(a.data.length, 2 * 27 * 17 * 3)
    assert.ok(a.data instanceof Float32Array)
  })

  it('converts Fortran order to C order', async () => {
    const a = await readNpy(path.join(npyDir, 'f8_fortran.npy'))
    assert.equal(a.dtype, 'float64')
    assert.deepEqual(a.shape, [2, 3, 4])
    assert.deepEqual([...a.data], base.map((v) => v * 1.5))
  })

  it('reads big-endian, int64, uint8, bool, uint32 and float16', async () => {
    assert.deepEqual([...(await readNpy(path.join(npyDir, 'i4_bigendian.npy'))).data], base.map((v) => v - 5))
    const i8 = await readNpy(path.join(npyDir, 'i8.npy'))
    assert.equal(i8.dtype, 'int64')
    assert.deepEqual([...i8.data], base.map((v) => BigInt(v) * 1000000007n))
    const u1 = await readNpyFloat32(path.join(npyDir, 'u1.npy'))
    assert.deepEqual([...u1.data], base)
    const b1 = await readNpy(path.join(npyDir, 'b1.npy'))
    assert.equal(b1.dtype, 'bool')
    assert.deepEqual([...b1.data], base.map((v) => (v % 3 === 0 ? 1 : 0)))
    const u4 = await readNpy(path.join(npyDir, 'u4.npy'))
    assert.equal(u4.dtype, 'uint32')
    assert.deepEqual([...u4.data], base.map((v) => v * 100000))
    const f2 = await readNpyFloat32(path.join(npyDir, 'f2.npy'))
    assert.deepEqual([...f2.data], base.map((v) => v / 4))
    const f8 = await readNpyFloat32(path.join(npyDir, 'f8_fortran.npy'))
    assert.ok(f8.data instanceof Float32Array)
    assert.deepEqual([...f8.data], base.map((v) => v * 1.5))
  })

  it('reads header versions 2 and 3, scalars and empty arrays', async () => {
    for (const v of ['v2.npy', 'v3.npy']) {
      const a = await readNpyFloat32(path.join(npyDir, v))
      assert.deepEqual(a.shape, [2, 3, 4])
      assert.deepEqual([...a.data], base.map((x) => x * 0.5))
    }
    const s = await readNpyFloat32(path.join(npyDir, 'scalar.npy'))
    assert.deepEqual(s.shape, [])
    assert.deepEqual([...s.data], [3.25])
    const e = await readNpy(path.join(npyDir, 'empty.npy'))
    assert.deepEqual(e.shape, [0, 3])
    assert.equal(e.data.length, 0)
  })

  it('decodes float16 specials', () => {
    const out = float16ToFloat32(new Uint16Array([0x3c00, 0xc000, 0x0001, 0x7c00, 0xfc00, 0x7e00, 0x8000]))
    assert.deepEqual([...out].slice(0, 5), [1, -2, 2 ** -24, Infinity, -Infinity])
    assert.ok(Number.isNaN(out[5]))
    assert.ok(Object.is(out[6], -0))
  })
})

describe('npy errors name the file and the problem', () => {
  const good = encodeNpy({data: new Float32Array([1, 2, 3, 4, 5, 6]), shape: [2, 3]})

  it('empty file', () => {
    assert.throws(() => parseNpy(new Uint8Array(0), 'x.npy'), inputErrorMatching(/^x\.npy: empty file/))
  })
  it('bad magic', () => {
    assert.throws(() => parseNpy(new TextEncoder().encode('hello world, not numpy'), 'x.npy'), inputErrorMatching(/^x\.npy: not a \.npy file \(bad magic\)/))
  })
  it('truncated header', () => {
    assert.throws(() => parseNpy(good.subarray(0, 40), 'x.npy'), inputErrorMatching(/truncated \.npy file: the header/))
    assert.throws(() => parseNpy(good.subarray(0, 7), 'x.npy'), inputErrorMatching(/truncated/))
  })
  it('truncated data', () => {
    assert.throws(() => parseNpy(good.subarray(0, good.length - 4), 'x.npy'), inputErrorMatching(/truncated .*shape \[2, 3\] of float32 needs 24 bytes .* only 20/))
  })
  it('extra data (shape/data size mismatch)', () => {
    const longer = new Uint8Array(good.length + 8)
    longer.set(good)
    assert.throws(() => parseNpy(longer, 'x.npy'), inputErrorMatching(/data size mismatch/))
  })
  it('unsupported dtype', () => {
    const header = "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }\n"
    const bytes = new Uint8Array(10 + header.length)
    bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0)
    new DataView(bytes.buffer).setUint16(8, header.length, true)
    bytes.set(Buffer.from(header, 'latin1'), 10)
    assert.throws(() => parseNpy(bytes, 'x.npy'), inputErrorMatching(/unsupported dtype '\|O': object arrays/))
  })
  it('missing file', async () => {
    await assert.rejects(readNpy(path.join(tmp, 'nope.npy')), inputErrorMatching(/nope\.npy: no such \.npy file/))
  })
  it('a zip given as .npy, and a .npy given as .npz', () => {
    const npzBytes = new Uint8Array(readFileSync(path.join(npyDir, 'stored.npz')))
    assert.throws(() => parseNpy(npzBytes, 'x.npy'), inputErrorMatching(/zip archive; read it as \.npz/))
    assert.throws(() => parseNpz(good, 'x.npz'), inputErrorMatching(/single \.npy array/))
  })
})

describe('npy writing', () => {
  it('round-trips float32 and keeps 64-byte alignment', async () => {
    const file = path.join(tmp, 'a.npy')
    const data = Float32Array.from({length: 60}, (_, i) => Math.sin(i))
    await writeNpy(file, {data, shape: [3, 4, 5]})
    const bytes = readFileSync(file)
    const headerLen = bytes.readUInt16LE(8)
    assert.equal((10 + headerLen) % 64, 0)
    assert.equal(bytes[10 + headerLen - 1], 0x0a)
    const back = await readNpyFloat32(file)
    assert.deepEqual(back.shape, [3, 4, 5])
    assert.deepEqual(back.data, data)
  })

  it('round-trips other dtypes and 1-d / 0-d shapes', () => {
    const i8 = parseNpy(encodeNpy({data: BigInt64Array.from([1n, -2n, 3n]), shape: [3], dtype: 'int64'}), 'm')
    assert.equal(i8.dtype, 'int64')
    assert.deepEqual([...i8.data], [1n, -2n, 3n])
    const b = parseNpy(encodeNpy({data: Uint8Array.from([1, 0]), shape: [2], dtype: 'bool'}), 'm')
    assert.equal(b.dtype, 'bool')
    const s = parseNpy(encodeNpy({data: Float32Array.from([7]), shape: []}), 'm')
    assert.deepEqual(s.shape, [])
    assert.deepEqual([...s.data], [7])
  })

  it('refuses to write into a missing folder, naming it', async () => {
    const missing = path.join(tmp, 'no', 'such')
    await assert.rejects(
      writeNpy(path.join(missing, 'a.npy'), {data: new Float32Array(1), shape: [1]}),
      inputErrorMatching(new RegExp(`output folder ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} does not exist`)),
    )
  })
})

describe('npz', () => {
  it('reads numpy.savez (stored) and numpy.savez_compressed (deflate)', async () => {
    const stored = await readNpz(path.join(npyDir, 'stored.npz'))
    assert.deepEqual([...stored.keys()], ['pose', 'ids'])
    assert.deepEqual([...stored.get('pose')!.data], base.map((v) => v * 0.25))
    assert.deepEqual([...stored.get('ids')!.data], [0n, 1n, 2n, 3n, 4n])
    const deflated = await readNpzFloat32(path.join(npyDir, 'deflated.npz'))
    assert.deepEqual(deflated.get('pose')!.shape, [2, 3, 4])
    assert.deepEqual([...deflated.get('pose')!.data], base.map((v) => v * 0.25))
    assert.deepEqual([...deflated.get('mask')!.data], base.map((v) => (v % 2 === 0 ? 1 : 0)))
  })

  it('reads the official SMPL body model npz', async () => {
    const smpl = await readNpz(path.join(fixturesDir, 'mesh-tiny', 'body_model', 'SMPL_NEUTRAL.npz'))
    assert.deepEqual(smpl.get('f')!.shape.length, 2)
    assert.equal(smpl.get('f')!.dtype, 'int64')
  })

  for (const compress of [false, true]) {
    it(`round-trips with compress=${compress}`, async () => {
      const file = path.join(tmp, `r${compress}.npz`)
      const pose3d = {data: Float32Array.from({length: 51}, (_, i) => i / 7), shape: [1, 17, 3]}
      const ids = {data: Int32Array.from([4, 5, 6]), shape: [3], dtype: 'int32' as const}
      await writeNpz(file, {pose3d, ids}, {compress})
      const back = await readNpz(file)
      assert.deepEqual([...back.keys()], ['pose3d', 'ids'])
      assert.deepEqual(back.get('pose3d')!.data, pose3d.data)
      assert.deepEqual(back.get('pose3d')!.shape, [1, 17, 3])
      assert.deepEqual([...back.get('ids')!.data], [4, 5, 6])
    })
  }

  it('reports a truncated npz, a corrupt entry, and random bytes', () => {
    const bytes = new Uint8Array(readFileSync(path.join(npyDir, 'stored.npz')))
    assert.throws(() => parseNpz(bytes.subarray(0, bytes.length - 30), 'x.npz'), inputErrorMatching(/^x\.npz: truncated \.npz \(zip\) archive/))
    const corrupt = Uint8Array.from(bytes)
    corrupt[200] = corrupt[200]! ^ 0xff
    assert.throws(() => parseNpz(corrupt, 'x.npz'), inputErrorMatching(/CRC mismatch/))
    assert.throws(() => parseNpz(Uint8Array.from({length: 300}, (_, i) => (i * 37) & 255), 'x.npz'), inputErrorMatching(/not a \.npz \(zip\) archive/))
  })

  it('names the entry when one array inside is bad', () => {
    const chunks = buildZip([{name: 'good.npy', data: encodeNpy({data: new Float32Array(2), shape: [2]})}, {name: 'bad.npy', data: new TextEncoder().encode('nope')}])
    const bytes = new Uint8Array(Buffer.concat(chunks))
    assert.throws(() => parseNpz(bytes, 'x.npz'), inputErrorMatching(/^x\.npz:bad\.npy: not a \.npy file/))
  })
})
