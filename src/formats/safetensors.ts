/**
 * safetensors, the native weights format: an 8-byte little-endian header length, a JSON header
 * ({name: {dtype, shape, data_offsets: [begin, end]}, __metadata__: {string: string}}), then the
 * little-endian tensor bytes, contiguous and in header order. We write F32 only (atomically) and
 * read F32/F64/F16/BF16/I64/I32/I16/I8/U8/BOOL, converting to float32. Every header field is
 * validated before any data is touched, so hostile or truncated files give a model error (exit 3).
 */
import {promises as fsp} from 'node:fs'

import {modelError, type MotionError} from '../core/errors.js'
import {bfloat16ToFloat32, float16ToFloat32} from './npy.js'
import {writeFileAtomic} from './atomic.js'
import {type NDArray, shapeString, size} from '../core/ndarray.js'
import {readFileBytes} from './read-file.js'

export type SafetensorsDType = 'F32' | 'F64' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL'

const ELEMENT_BYTES: Record<SafetensorsDType, number> = {F32: 4, F64: 8, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1}

/** Headers larger than this are refused (the format's own reader uses 100 MB). */
const MAX_HEADER_BYTES = 100 * 1024 * 1024

export interface SafetensorsFile {
  /** Tensors in header order, as float32. */
  tensors: Map<string, NDArray>
  /** The stored element type of each tensor. */
  dtypes: Map<string, SafetensorsDType>
  /** The `__metadata__` string map ({} when absent). */
  metadata: Record<string, string>
}

/** Reads a .safetensors file. */
export async function readSafetensors(file: string): Promise<SafetensorsFile> {
  return parseSafetensors(await readFileBytes(file, 'safetensors'), file)
}

/**
 * Whether a file starts like safetensors (an 8-byte little-endian header length, then a JSON
 * object that fits in the file), whatever its extension. Unreadable files answer false, so the
 * torch reader reports them.
 */
export async function looksLikeSafetensors(file: string): Promise<boolean> {
  let handle: fsp.FileHandle | undefined
  try {
    handle = await fsp.open(file, 'r')
    const head = Buffer.alloc(9)
    const {bytesRead} = await handle.read(head, 0, 9, 0)
    if (bytesRead < 9 || head[8] !== 0x7b) return false
    const len = head.readBigUInt64LE(0)
    const {size: fileSize} = await handle.stat()
    return len > 1n && len + 8n <= BigInt(fileSize)
  } catch {
    return false
  } finally {
    await handle?.close()
  }
}

/** Parses the bytes of a safetensors file. */
export function parseSafetensors(bytes: Uint8Array, file: string): SafetensorsFile {
  const fail = (problem: string, hint?: string): MotionError => modelError(problem, {file, hint})
  if (bytes.length === 0) throw fail('empty file (0 bytes), expected safetensors weights')
  if (bytes.length < 8) throw fail('truncated safetensors file: shorter than its 8-byte header length')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const headerLen = view.getBigUint64(0, true)
  if (headerLen > BigInt(MAX_HEADER_BYTES)) throw fail(`corrupt safetensors header: claims a ${headerLen}-byte header`)
  const n = Number(headerLen)
  if (8 + n > bytes.length) throw fail(`truncated safetensors file: the ${n}-byte header runs past the end of the file`)
  let header: unknown
  try {
    header = JSON.parse(new TextDecoder('utf-8', {fatal: true}).decode(bytes.subarray(8, 8 + n)))
  } catch {
    throw fail('corrupt safetensors header: not valid JSON', 'the file is damaged or not a safetensors file')
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw fail('corrupt safetensors header: not a JSON object')
  const dataStart = 8 + n
  const dataLen = bytes.length - dataStart
  const metadata: Record<string, string> = {}
  const entries: Array<{name: string; dtype: SafetensorsDType; shape: number[]; begin: number; end: number}> = []
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw fail('corrupt safetensors header: __metadata__ is not an object')
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') throw fail(`corrupt safetensors header: __metadata__ value '${k}' is not a string`)
        metadata[k] = v
      }
      continue
    }
    const info = raw as {dtype?: unknown; shape?: unknown; data_offsets?: unknown}
    if (typeof info !== 'object' || info === null) throw fail(`corrupt safetensors header: entry '${name}' is not an object`)
    const dtype = info.dtype
    if (typeof dtype !== 'string' || !(dtype in ELEMENT_BYTES)) {
      throw fail(`tensor '${name}' has unsupported dtype '${String(dtype)}' (supported: ${Object.keys(ELEMENT_BYTES).join(', ')})`)
    }
    const shape = info.shape
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw fail(`corrupt safetensors header: tensor '${name}' has a bad shape`)
    }
    const offsets = info.data_offsets
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw fail(`corrupt safetensors header: tensor '${name}' has bad data_offsets`)
    }
    const [begin, end] = offsets as [number, number]
    const elements = size(shape as number[])
    const st = dtype as SafetensorsDType
    if (!Number.isSafeInteger(elements) || end < begin || end - begin !== elements * ELEMENT_BYTES[st]) {
      throw fail(`corrupt safetensors header: tensor '${name}' ${shapeString(shape as number[])} ${dtype} does not match its byte range [${begin}, ${end})`)
    }
    if (end > dataLen) {
      throw fail(`truncated safetensors file: tensor '${name}' ends at byte ${dataStart + end} but the file has ${bytes.length}`, 'the file was cut short')
    }
    entries.push({name, dtype: st, shape: shape as number[], begin, end})
  }
  // Byte ranges must tile the data section exactly: no overlaps (aliasing) and no gaps.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end)
  let cursor = 0
  for (const e of sorted) {
    if (e.begin !== cursor) {
      throw fail(`corrupt safetensors header: tensor '${e.name}' ${e.begin < cursor ? 'overlaps another tensor' : 'leaves a gap before it'}`)
    }
    cursor = e.end
  }
  if (cursor !== dataLen) throw fail(`corrupt safetensors file: ${dataLen - cursor} bytes after the last tensor`)

  const tensors = new Map<string, NDArray>()
  const dtypes = new Map<string, SafetensorsDType>()
  for (const e of entries) {
    tensors.set(e.name, {data: decode(bytes.subarray(dataStart + e.begin, dataStart + e.end), e.dtype), shape: e.shape})
    dtypes.set(e.name, e.dtype)
  }
  return {tensors, dtypes, metadata}
}

function decode(raw: Uint8Array, dtype: SafetensorsDType): Float32Array {
  // Copy to an aligned buffer first: tensor offsets need not be aligned within the file.
  const buf = Uint8Array.from(raw).buffer
  switch (dtype) {
    case 'F32':
      return new Float32Array(buf)
    case 'F64':
      return Float32Array.from(new Float64Array(buf))
    case 'F16':
      return float16ToFloat32(new Uint16Array(buf))
    case 'BF16':
      return bfloat16ToFloat32(new Uint16Array(buf))
    case 'I64': {
      const src = new BigInt64Array(buf)
      const out = new Float32Array(src.length)
      for (let i = 0; i < src.length; i++) out[i] = Number(src[i]!)
      return out
    }
    case 'I32':
      return Float32Array.from(new Int32Array(buf))
    case 'I16':
      return Float32Array.from(new Int16Array(buf))
    case 'I8':
      return Float32Array.from(new Int8Array(buf))
    case 'U8':
    case 'BOOL':
      return Float32Array.from(new Uint8Array(buf))
  }
}

/** Encodes float32 tensors (in the given order) with string metadata. */
export function encodeSafetensors(
  tensors: ReadonlyMap<string, NDArray> | Readonly<Record<string, NDArray>>,
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array[] {
  const list = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors)
  const header: Record<string, unknown> = {}
  if (Object.keys(metadata).length > 0) header.__metadata__ = {...metadata}
  let offset = 0
  for (const [name, t] of list) {
    if (name === '__metadata__') throw new Error('encodeSafetensors: a tensor cannot be named __metadata__')
    if (t.data.length !== size(t.shape)) throw new Error(`encodeSafetensors: '${name}' has ${t.data.length} values for shape ${shapeString(t.shape)}`)
    header[name] = {dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength]}
    offset += t.data.byteLength
  }
  const headerBytes = new TextEncoder().encode(JSON.stringify(header))
  // Pad the header with spaces to a multiple of 8 bytes so tensor data stays aligned.
  const padded = new Uint8Array(Math.ceil(headerBytes.length / 8) * 8).fill(0x20)
  padded.set(headerBytes)
  const prefix = new Uint8Array(8)
  new DataView(prefix.buffer).setBigUint64(0, BigInt(padded.length), true)
  const chunks: Uint8Array[] = [prefix, padded]
  for (const [, t] of list) chunks.push(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength))
  return chunks
}

/** Writes float32 tensors and metadata as a .safetensors file, atomically. */
export async function writeSafetensors(
  file: string,
  tensors: ReadonlyMap<string, NDArray> | Readonly<Record<string, NDArray>>,
  metadata: Readonly<Record<string, string>> = {},
): Promise<void> {
  await writeFileAtomic(file, encodeSafetensors(tensors, metadata))
}
