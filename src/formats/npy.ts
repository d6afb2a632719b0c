/**
 * NumPy .npy and .npz files: read (format versions 1, 2 and 3; C or Fortran order; little- or
 * big-endian) and write (little-endian, C order, atomically).
 *
 * Readers return C-order data whatever the file's order. `readNpy` keeps the file's element type
 * (`NpyArray`); `readNpyFloat32` converts to the float32 `NDArray` the models and metrics use.
 * Errors are input errors (exit 2) naming the file and what is wrong with it.
 */

import {checkArrayShape} from '../core/limits/array-limits.js'
import {LIMITS} from '../core/limits/limits.js'
import {buildZip, looksLikeZip, ZipArchive} from './zip.js'
import {inputError, type MotionError} from '../core/errors.js'
import {copyStrided, type NDArray, shapeString, size} from '../core/ndarray.js'
import {writeFileAtomic} from './atomic.js'
import {readFileBytes} from './read-file.js'

/** Element types a .npy file may hold (numpy names). float16 data is kept as raw bits in a Uint16Array. */
export type NpyDType =
  | 'float16'
  | 'float32'
  | 'float64'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'bool'

export type NpyData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array

/** An array as stored in a .npy file, in C (row-major) order. */
export interface NpyArray {
  data: NpyData
  shape: number[]
  dtype: NpyDType
}

interface DTypeInfo {
  dtype: NpyDType
  bytes: number
  make: (n: number) => NpyData
}

const DTYPES: Record<string, DTypeInfo> = {
  f2: {dtype: 'float16', bytes: 2, make: (n) => new Uint16Array(n)},
  f4: {dtype: 'float32', bytes: 4, make: (n) => new Float32Array(n)},
  f8: {dtype: 'float64', bytes: 8, make: (n) => new Float64Array(n)},
  i1: {dtype: 'int8', bytes: 1, make: (n) => new Int8Array(n)},
  i2: {dtype: 'int16', bytes: 2, make: (n) => new Int16Array(n)},
  i4: {dtype: 'int32', bytes: 4, make: (n) => new Int32Array(n)},
  i8: {dtype: 'int64', bytes: 8, make: (n) => new BigInt64Array(n)},
  u1: {dtype: 'uint8', bytes: 1, make: (n) => new Uint8Array(n)},
  u2: {dtype: 'uint16', bytes: 2, make: (n) => new Uint16Array(n)},
  u4: {dtype: 'uint32', bytes: 4, make: (n) => new Uint32Array(n)},
  u8: {dtype: 'uint64', bytes: 8, make: (n) => new BigUint64Array(n)},
  b1: {dtype: 'bool', bytes: 1, make: (n) => new Uint8Array(n)},
}

/** numpy descr ('<f4', '|u1', ...) for each dtype, as we write them. */
const DESCR: Record<NpyDType, string> = {
  float16: '<f2',
  float32: '<f4',
  float64: '<f8',
  int8: '|i1',
  int16: '<i2',
  int32: '<i4',
  int64: '<i8',
  uint8: '|u1',
  uint16: '<u2',
  uint32: '<u4',
  uint64: '<u8',
  bool: '|b1',
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59] // \x93NUMPY

/** The element type and size for a numpy type code ('f4', 'i8', 'b1', ...), or undefined when unsupported. */
export function npyTypeInfo(code: string): {dtype: NpyDType; bytes: number} | undefined {
  const info = DTYPES[code]
  return info ? {dtype: info.dtype, bytes: info.bytes} : undefined
}

/**
 * Copies raw array bytes (numpy type code `code`, C or Fortran order) into a fresh C-order typed array.
 * Throws a plain Error for unknown codes or a byte count that does not fill `shape`; callers wrap it.
 */
export function decodeNpyBytes(
  raw: Uint8Array,
  code: string,
  shape: readonly number[],
  opts: {bigEndian?: boolean; fortranOrder?: boolean} = {},
): NpyData {
  const info = DTYPES[code]
  if (!info) throw new Error(`unsupported numpy type code '${code}'`)
  const n = size(shape)
  if (raw.length !== n * info.bytes) {
    throw new Error(`shape ${shapeString(shape)} of ${info.dtype} needs ${n * info.bytes} bytes, got ${raw.length}`)
  }
  const data = decode(raw, info, (opts.bigEndian ?? false) && info.bytes > 1, n)
  return opts.fortranOrder && shape.length > 1 ? fortranToC(data, shape, info) : data
}

// ---- reading ---------------------------------------------------------------------------------------

/** Parses the bytes of a .npy file. `file` names the source in error messages. */
export function parseNpy(bytes: Uint8Array, file: string): NpyArray {
  const fail = (problem: string, hint?: string): MotionError => inputError(problem, {file, hint})
  if (bytes.length === 0) throw fail('empty file, expected a .npy array')
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    if (bytes.length < 10 && MAGIC.slice(0, bytes.length).every((b, i) => bytes[i] === b)) {
      throw fail('truncated .npy file: the header is cut short')
    }
    if (looksLikeZip(bytes)) throw fail('not a .npy file (bad magic): it is a zip archive; read it as .npz')
    throw fail('not a .npy file (bad magic)', 'expected a file written by numpy.save')
  }
  const major = bytes[6]!
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let headerLen: number
  let headerStart: number
  if (major === 1) {
    headerLen = view.getUint16(8, true)
    headerStart = 10
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw fail('truncated .npy file: the header is cut short')
    headerLen = view.getUint32(8, true)
    headerStart = 12
  } else {
    throw fail(`unsupported .npy format version ${major}.${bytes[7]}`)
  }
  if (headerLen > LIMITS.npyHeaderBytes) throw fail(`refused .npy header: it claims ${headerLen} bytes, more than the limit of ${LIMITS.npyHeaderBytes}`, 'see docs/limits.md')
  const dataStart = headerStart + headerLen
  if (dataStart > bytes.length) throw fail('truncated .npy file: the header is cut short')
  const headerText = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, dataStart))
  const header = parseHeader(headerText, fail)
  const absurd = checkArrayShape(header.shape)
  if (absurd) throw fail(`refused .npy header: ${absurd}`, 'see docs/limits.md')
  const n = size(header.shape)
  const expected = n * header.info.bytes
  const available = bytes.length - dataStart
  if (available < expected) {
    throw fail(
      `truncated .npy file: shape ${shapeString(header.shape)} of ${header.info.dtype} needs ${expected} bytes of data but only ${available} follow the header`,
    )
  }
  if (available > expected) {
    throw fail(
      `data size mismatch: shape ${shapeString(header.shape)} of ${header.info.dtype} needs ${expected} bytes but ${available} follow the header`,
    )
  }
  let data = decode(bytes.subarray(dataStart, dataStart + expected), header.info, header.bigEndian, n)
  if (header.fortranOrder && header.shape.length > 1) data = fortranToC(data, header.shape, header.info)
  return {data, shape: header.shape, dtype: header.info.dtype}
}

interface NpyHeader {
  info: DTypeInfo
  bigEndian: boolean
  fortranOrder: boolean
  shape: number[]
}

/** The header is a Python dict literal: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } */
function parseHeader(text: string, fail: (problem: string, hint?: string) => MotionError): NpyHeader {
  const descrMatch = /['"]descr['"]\s*:\s*(['"])([^'"]*)\1/.exec(text)
  const orderMatch = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text)
  const shapeMatch = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text)
  if (!descrMatch) {
    if (/['"]descr['"]\s*:\s*\[/.test(text)) throw fail('unsupported dtype: structured (record) arrays cannot be read')
    throw fail('corrupt .npy header: no descr')
  }
  if (!orderMatch || !shapeMatch) throw fail('corrupt .npy header: missing fortran_order or shape')
  const descr = descrMatch[2]!
  const order = descr[0]
  const code = '<>|='.includes(order ?? '') ? descr.slice(1) : descr
  const info = DTYPES[code]
  if (!info) {
    const what = code.startsWith('O')
      ? 'object arrays (pickled Python objects) are not supported'
      : code.startsWith('U') || code.startsWith('S')
        ? 'string arrays are not supported'
        : 'supported: float16/32/64, int8/16/32/64, uint8/16/32/64, bool'
    throw fail(`unsupported dtype '${descr}': ${what}`)
  }
  const shape: number[] = []
  for (const part of shapeMatch[1]!.split(',')) {
    const t = part.trim().replace(/L$/, '') // Python 2 longs: (3L, 4L)
    if (t === '') continue
    if (!/^\d+$/.test(t)) throw fail(`corrupt .npy header: bad shape (${shapeMatch[1]})`)
    shape.push(Number(t))
  }
  return {info, bigEndian: order === '>' && info.bytes > 1, fortranOrder: orderMatch[1] === 'True', shape}
}

/** Copies raw bytes into a fresh (aligned) typed array, swapping byte order when needed. */
function decode(raw: Uint8Array, info: DTypeInfo, bigEndian: boolean, n: number): NpyData {
  const out = info.make(n)
  const outBytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
  outBytes.set(raw)
  if (bigEndian) {
    const w = info.bytes
    for (let i = 0; i < outBytes.length; i += w) {
      for (let a = i, b = i + w - 1; a < b; a++, b--) {
        const t = outBytes[a]!
        outBytes[a] = outBytes[b]!
        outBytes[b] = t
      }
    }
  }
  return out
}

/** Reorders Fortran (column-major) data into C (row-major) order. */
function fortranToC(src: NpyData, shape: readonly number[], info: DTypeInfo): NpyData {
  // Column-major strides of the source.
  const fStrides = new Array<number>(shape.length)
  let acc = 1
  for (let k = 0; k < shape.length; k++) {
    fStrides[k] = acc
    acc *= shape[k]!
  }
  return copyStrided(src, 0, shape, fStrides, info.make(src.length))
}

/** Reads a .npy file keeping its element type. */
export async function readNpy(file: string): Promise<NpyArray> {
  return parseNpy(await readFileBytes(file, '.npy'), file)
}

/** Reads a .npy file as float32 (float64, integer and bool arrays are converted). */
export async function readNpyFloat32(file: string): Promise<NDArray> {
  return toFloat32(await readNpy(file))
}

/** Converts any NpyArray to float32 (float16 bits decoded, int64 through Number). */
export function toFloat32(arr: NpyArray): NDArray {
  const {data, dtype} = arr
  if (data instanceof Float32Array) return {data, shape: arr.shape}
  if (dtype === 'float16') return {data: float16ToFloat32(data as Uint16Array), shape: arr.shape}
  const out = new Float32Array(data.length)
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    for (let i = 0; i < data.length; i++) out[i] = Number(data[i]!)
  } else {
    out.set(data)
  }
  return {data: out, shape: arr.shape}
}

/** Decodes IEEE half-precision bit patterns. */
export function float16ToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length)
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i]!
    const sign = h & 0x8000 ? -1 : 1
    const exp = (h >> 10) & 0x1f
    const frac = h & 0x3ff
    if (exp === 0) out[i] = sign * frac * 2 ** -24
    else if (exp === 31) out[i] = frac ? NaN : sign * Infinity
    else out[i] = sign * (1 + frac / 1024) * 2 ** (exp - 15)
  }
  return out
}

/** Decodes bfloat16 bit patterns (the top half of a float32). */
export function bfloat16ToFloat32(bits: Uint16Array): Float32Array {
  const wide = new Uint32Array(bits.length)
  for (let i = 0; i < bits.length; i++) wide[i] = bits[i]! << 16
  return new Float32Array(wide.buffer)
}

// ---- npz -------------------------------------------------------------------------------------------

/** Parses the bytes of a .npz archive; keys are entry names without '.npy'. */
export function parseNpz(bytes: Uint8Array, file: string): Map<string, NpyArray> {
  const fail = (problem: string, hint?: string): MotionError => inputError(problem, {file, hint})
  if (bytes.length === 0) throw fail('empty file, expected a .npz archive')
  if (!looksLikeZip(bytes) && MAGIC.every((b, i) => bytes[i] === b)) {
    throw fail('not a .npz archive: it is a single .npy array; read it as .npy')
  }
  const zip = ZipArchive.open(bytes, (problem, hint) => fail(problem.replace(/zip archive/g, '.npz (zip) archive'), hint))
  const out = new Map<string, NpyArray>()
  for (const name of zip.names()) {
    if (name.endsWith('/')) continue
    const key = name.endsWith('.npy') ? name.slice(0, -4) : name
    out.set(key, parseNpy(zip.read(name), `${file}:${name}`))
  }
  return out
}

/** Reads a .npz archive (numpy.savez: stored entries; savez_compressed: deflate). */
export async function readNpz(file: string): Promise<Map<string, NpyArray>> {
  return parseNpz(await readFileBytes(file, '.npz'), file)
}

/** Reads a .npz archive converting every array to float32. */
export async function readNpzFloat32(file: string): Promise<Map<string, NDArray>> {
  const out = new Map<string, NDArray>()
  for (const [k, v] of await readNpz(file)) out.set(k, toFloat32(v))
  return out
}

// ---- writing ---------------------------------------------------------------------------------------

/** Anything `encodeNpy` accepts: a float32 NDArray, or an NpyArray with an explicit dtype. */
export type NpyWritable = NDArray | NpyArray

/** Encodes an array as .npy (format 1.0, or 2.0 when the header is too large; little-endian, C order). */
export function encodeNpy(arr: NpyWritable): Uint8Array {
  const dtype = 'dtype' in arr ? arr.dtype : inferDType(arr.data)
  const info = DTYPES[DESCR[dtype].slice(1)]!
  if (arr.data.length !== size(arr.shape)) {
    throw new Error(`encodeNpy: ${arr.data.length} values do not fill shape ${shapeString(arr.shape)}`)
  }
  if (arr.data.BYTES_PER_ELEMENT !== info.bytes) {
    throw new Error(`encodeNpy: ${arr.data.constructor.name} cannot hold dtype ${dtype}`)
  }
  const shapeText = arr.shape.length === 1 ? `(${arr.shape[0]},)` : `(${arr.shape.join(', ')})`
  let header = `{'descr': '${DESCR[dtype]}', 'fortran_order': False, 'shape': ${shapeText}, }`
  // Pad with spaces so the data starts on a 64-byte boundary (as numpy does); end with a newline.
  let version = 1
  let prefix = 10
  if (header.length + 1 + prefix > 0xffff) {
    version = 2
    prefix = 12
  }
  const total = Math.ceil((prefix + header.length + 1) / 64) * 64
  header = header.padEnd(total - prefix - 1, ' ') + '\n'
  const out = new Uint8Array(total + arr.data.byteLength)
  out.set(MAGIC, 0)
  out[6] = version
  out[7] = 0
  const view = new DataView(out.buffer)
  if (version === 1) view.setUint16(8, header.length, true)
  else view.setUint32(8, header.length, true)
  for (let i = 0; i < header.length; i++) out[prefix + i] = header.charCodeAt(i)
  out.set(new Uint8Array(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength), total)
  return out
}

function inferDType(data: NpyData): NpyDType {
  if (data instanceof Float32Array) return 'float32'
  if (data instanceof Float64Array) return 'float64'
  if (data instanceof Int32Array) return 'int32'
  if (data instanceof BigInt64Array) return 'int64'
  if (data instanceof Uint8Array) return 'uint8'
  if (data instanceof Int8Array) return 'int8'
  if (data instanceof Int16Array) return 'int16'
  if (data instanceof Uint16Array) return 'uint16'
  if (data instanceof Uint32Array) return 'uint32'
  return 'uint64'
}

/** Writes a .npy file atomically. */
export async function writeNpy(file: string, arr: NpyWritable): Promise<void> {
  await writeFileAtomic(file, encodeNpy(arr))
}

export interface NpzWriteOptions {
  /** Deflate entries as numpy.savez_compressed does (default false, as numpy.savez). */
  compress?: boolean
}

/** Encodes arrays as a .npz archive (entry names `<key>.npy`). */
export function encodeNpz(arrays: Readonly<Record<string, NpyWritable>>, opts: NpzWriteOptions = {}): Uint8Array[] {
  return buildZip(
    Object.entries(arrays).map(([key, arr]) => ({name: `${key}.npy`, data: encodeNpy(arr), compress: opts.compress ?? false})),
  )
}

/** Writes a .npz archive atomically. */
export async function writeNpz(
  file: string,
  arrays: Readonly<Record<string, NpyWritable>>,
  opts: NpzWriteOptions = {},
): Promise<void> {
  await writeFileAtomic(file, encodeNpz(arrays, opts))
}
