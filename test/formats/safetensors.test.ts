import assert from 'node:assert/strict'
import {mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {encodeSafetensors, parseSafetensors, readSafetensors, writeSafetensors} from '../../src/formats/checkpoint.js'
import {isMotionError} from '../../src/core/errors.js'

const tmp = mkdtempSync(path.join(tmpdir(), 'motion-st-'))
after(() => rmSync(tmp, {recursive: true, force: true}))

function modelErrorMatching(re: RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(isMotionError(err), `expected a MotionError, got ${String(err)}`)
    assert.equal(err.exitCode, 3)
    assert.match(err.message, re)
    return true
  }
}

/** Builds a safetensors file by hand from a header object and a data section. */
function handMade(header: unknown, data: Uint8Array, headerLenOverride?: bigint): Uint8Array {
  const json = Buffer.from(JSON.stringify(header))
  const out = Buffer.alloc(8 + json.length + data.length)
  out.writeBigUInt64LE(headerLenOverride ?? BigInt(json.length), 0)
  json.copy(out, 8)
  Buffer.from(data).copy(out, 8 + json.length)
  return new Uint8Array(out)
}

describe('safetensors', () => {
  it('round-trips float32 tensors in order, with metadata, aligned, atomically', async () => {
    const file = path.join(tmp, 'w.safetensors')
    const tensors = new Map([
      ['blocks.0.attn.qkv.weight', {data: Float32Array.from({length: 24}, (_, i) => i * 0.5 - 3), shape: [6, 4]}],
      ['scalar', {data: Float32Array.of(7), shape: []}],
      ['empty', {data: new Float32Array(0), shape: [0, 3]}],
      ['bias', {data: Float32Array.of(1, 2, 3), shape: [3]}],
    ])
    await writeSafetensors(file, tensors, {format: 'pt', config: JSON.stringify({dim_feat: 32})})
    const bytes = readFileSync(file)
    assert.equal(Number(bytes.readBigUInt64LE(0)) % 8, 0)
    const back = await readSafetensors(file)
    assert.deepEqual([...back.tensors.keys()], [...tensors.keys()])
    for (const [k, t] of tensors) {
      assert.deepEqual(back.tensors.get(k)!.shape, t.shape)
      assert.deepEqual(back.tensors.get(k)!.data, t.data)
      assert.equal(back.dtypes.get(k), 'F32')
    }
    assert.deepEqual(back.metadata, {format: 'pt', config: '{"dim_feat":32}'})
    assert.deepEqual(readdirSync(tmp).filter((n) => n.includes('.tmp-')), [])
  })

  it('reads F64, F16, BF16, I64 and I32 as float32', () => {
    const f64 = Buffer.alloc(16)
    f64.writeDoubleLE(0.25, 0)
    f64.writeDoubleLE(-2, 8)
    const f16 = Buffer.from(Uint16Array.of(0x3c00, 0xc000).buffer) // 1, -2
    const bf16 = Buffer.from(Uint16Array.of(0x3fc0, 0x4120).buffer) // 1.5, 10
    const i64 = Buffer.from(BigInt64Array.of(-3n, 1000000n).buffer)
    const i32 = Buffer.from(Int32Array.of(5, -6).buffer)
    let o = 0
    const at = (n: number): [number, number] => [o, (o += n)]
    const header = {
      a: {dtype: 'F64', shape: [2], data_offsets: at(16)},
      b: {dtype: 'F16', shape: [2], data_offsets: at(4)},
      c: {dtype: 'BF16', shape: [2], data_offsets: at(4)},
      d: {dtype: 'I64', shape: [2], data_offsets: at(16)},
      e: {dtype: 'I32', shape: [1, 2], data_offsets: at(8)},
    }
    const st = parseSafetensors(handMade(header, Buffer.concat([f64, f16, bf16, i64, i32])), 'x.safetensors')
    assert.deepEqual([...st.tensors.get('a')!.data], [0.25, -2])
    assert.deepEqual([...st.tensors.get('b')!.data], [1, -2])
    assert.deepEqual([...st.tensors.get('c')!.data], [1.5, 10])
    assert.deepEqual([...st.tensors.get('d')!.data], [-3, 1000000])
    assert.deepEqual(st.tensors.get('e')!.shape, [1, 2])
    assert.deepEqual([...st.tensors.get('e')!.data], [5, -6])
    assert.equal(st.dtypes.get('c'), 'BF16')
    assert.deepEqual(st.metadata, {})
  })

  describe('corrupt or hostile files are model errors', () => {
    const good = new Uint8Array(Buffer.concat(encodeSafetensors({w: {data: Float32Array.of(1, 2, 3, 4), shape: [2, 2]}})))
    const four = new Uint8Array(16)

    it('empty and shorter than the length prefix', () => {
      assert.throws(() => parseSafetensors(new Uint8Array(0), 'e.st'), modelErrorMatching(/^e\.st: empty file/))
      assert.throws(() => parseSafetensors(good.subarray(0, 5), 'e.st'), modelErrorMatching(/truncated safetensors file: shorter/))
    })
    it('absurd header length', () => {
      assert.throws(() => parseSafetensors(handMade({}, four, 1n << 62n), 'h.st'), modelErrorMatching(/corrupt safetensors header: claims a \d+-byte header/))
    })
    it('header past the end of the file', () => {
      assert.throws(() => parseSafetensors(good.subarray(0, 20), 'h.st'), modelErrorMatching(/header runs past the end/))
    })
    it('header that is not JSON', () => {
      const bytes = Uint8Array.from(good)
      bytes[8] = 0x5b // '['
      bytes[9] = 0x7b
      assert.throws(() => parseSafetensors(bytes, 'h.st'), modelErrorMatching(/not valid JSON|not a JSON object/))
    })
    it('offsets past the data (truncated file)', () => {
      assert.throws(() => parseSafetensors(good.subarray(0, good.length - 4), 't.st'), modelErrorMatching(/truncated safetensors file: tensor 'w' ends at byte/))
    })
    it('offsets that do not match the shape', () => {
      const h = {w: {dtype: 'F32', shape: [3], data_offsets: [0, 16]}}
      assert.throws(() => parseSafetensors(handMade(h, four), 'm.st'), modelErrorMatching(/tensor 'w' \[3\] F32 does not match its byte range \[0, 16\)/))
    })
    it('overlapping tensors and gaps', () => {
      const overlap = {a: {dtype: 'F32', shape: [4], data_offsets: [0, 16]}, b: {dtype: 'F32', shape: [2], data_offsets: [8, 16]}}
      assert.throws(() => parseSafetensors(handMade(overlap, four), 'o.st'), modelErrorMatching(/overlaps another tensor/))
      const gap = {a: {dtype: 'F32', shape: [2], data_offsets: [8, 16]}}
      assert.throws(() => parseSafetensors(handMade(gap, four), 'g.st'), modelErrorMatching(/leaves a gap/))
    })
    it('negative or fractional offsets, bad shapes, unknown dtypes, non-string metadata', () => {
      assert.throws(() => parseSafetensors(handMade({w: {dtype: 'F32', shape: [4], data_offsets: [-16, 0]}}, four), 'n.st'), modelErrorMatching(/bad data_offsets/))
      assert.throws(() => parseSafetensors(handMade({w: {dtype: 'F32', shape: [4.5], data_offsets: [0, 16]}}, four), 'n.st'), modelErrorMatching(/bad shape/))
      assert.throws(() => parseSafetensors(handMade({w: {dtype: 'C64', shape: [2], data_offsets: [0, 16]}}, four), 'n.st'), modelErrorMatching(/unsupported dtype 'C64'/))
      assert.throws(() => parseSafetensors(handMade({__metadata__: {a: 1}}, new Uint8Array(0)), 'n.st'), modelErrorMatching(/__metadata__ value 'a' is not a string/))
    })
    it('a missing file is an input error', async () => {
      await assert.rejects(readSafetensors(path.join(tmp, 'none.safetensors')), (e: unknown) => isMotionError(e) && e.exitCode === 2)
    })
  })
})

describe('loadStateDict reads either format', () => {
  it('gives the same weights from an official checkpoint and its safetensors copy', async () => {
    const {loadStateDict} = await import('../../src/formats/checkpoint.js')
    const {fixturesDir} = await import('../helpers/paths.js')
    const torchFile = path.join(fixturesDir, 'dstformer-tiny', 'checkpoint.bin')
    const fromTorch = await loadStateDict(torchFile)
    assert.equal(fromTorch.format, 'zip')
    const copy = path.join(tmp, 'copy.weights') // no .safetensors extension: detected by content
    await writeSafetensors(copy, fromTorch.stateDict, {source: 'dstformer-tiny'})
    const fromSt = await loadStateDict(copy)
    assert.equal(fromSt.format, 'safetensors')
    assert.deepEqual(fromSt.metadata, {source: 'dstformer-tiny'})
    assert.deepEqual([...fromSt.stateDict.keys()], [...fromTorch.stateDict.keys()])
    for (const [k, v] of fromTorch.stateDict) assert.deepEqual(fromSt.stateDict.get(k), v)
  })
})
