/**
 * A small zip reader and writer: enough for PyTorch checkpoints (torch.save >= 1.6 writes a stored,
 * 64-byte-aligned zip), numpy .npz files (savez: stored, savez_compressed: deflate; numpy forces
 * zip64 local headers) and the .npz files we write. Reads go through the central directory; zip64
 * records are honoured for archives or entries past 4 GiB. Entries are CRC-checked.
 *
 * The whole archive is held in memory; stored entries are returned as views into it (no copy).
 */
import {crc32, deflateRawSync, inflateRawSync} from 'node:zlib'

import type {MotionError} from '../core/errors.js'
import {checkZipEntryName, checkZipEntrySize, checkZipEntryCount} from '../core/limits/zip-limits.js'

/** Builds the error to throw: the caller decides the kind (npz → input error, checkpoint → model error). */
export type ZipFail = (problem: string, hint?: string) => MotionError

export interface ZipEntry {
  name: string
  /** 0 stored, 8 deflate. */
  method: number
  compressedSize: number
  uncompressedSize: number
  crc32: number
  localHeaderOffset: number
  flags: number
}

const SIG_LOCAL = 0x04034b50
const SIG_CENTRAL = 0x02014b50
const SIG_EOCD = 0x06054b50
const SIG_ZIP64_EOCD = 0x06064b50
const SIG_ZIP64_LOCATOR = 0x07064b50
const U32_MAX = 0xffffffff
const U16_MAX = 0xffff

/** True when the bytes start like a zip archive (local file header or empty-archive EOCD). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false
  const sig = bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24)
  return sig >>> 0 === SIG_LOCAL || sig >>> 0 === SIG_EOCD
}

export class ZipArchive {
  readonly entries: ReadonlyMap<string, ZipEntry>
  private readonly view: DataView

  private constructor(
    private readonly bytes: Uint8Array,
    entries: Map<string, ZipEntry>,
    private readonly fail: ZipFail,
  ) {
    this.entries = entries
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  /** Parses the central directory; throws `fail(...)` for non-zip, truncated or corrupt archives. */
  static open(bytes: Uint8Array, fail: ZipFail): ZipArchive {
    return new ZipArchive(bytes, readCentralDirectory(bytes, fail), fail)
  }

  names(): string[] {
    return [...this.entries.keys()]
  }

  has(name: string): boolean {
    return this.entries.has(name)
  }

  /**
   * The uncompressed contents of one entry (a view into the archive for stored entries). Entries
   * over `maxBytes` (default: LIMITS.zipEntryBytes) are refused before inflating, and inflation
   * stops at the declared size, so a lying header cannot make it allocate more.
   */
  read(name: string, maxBytes?: number): Uint8Array {
    const entry = this.entries.get(name)
    if (!entry) throw this.fail(`the archive has no entry '${name}'`)
    const tooBig = checkZipEntrySize(entry, maxBytes)
    if (tooBig) throw this.fail(tooBig)
    const start = this.dataStart(entry)
    const end = start + entry.compressedSize
    if (end > this.bytes.length) {
      throw this.fail(`truncated: entry '${name}' runs past the end of the file`, 'the download or copy was probably cut short')
    }
    const raw = this.bytes.subarray(start, end)
    let data: Uint8Array
    if (entry.method === 0) {
      data = raw
    } else if (entry.method === 8) {
      try {
        data = new Uint8Array(inflateRawSync(raw, {maxOutputLength: Math.max(1, entry.uncompressedSize)}))
      } catch (err) {
        throw this.fail(`entry '${name}' is corrupt (deflate: ${(err as Error).message})`)
      }
    } else {
      throw this.fail(`entry '${name}' uses zip compression method ${entry.method}; only stored and deflate are supported`)
    }
    if (data.length !== entry.uncompressedSize) {
      throw this.fail(`entry '${name}' is corrupt: ${data.length} bytes instead of ${entry.uncompressedSize}`)
    }
    if ((crc32(data) >>> 0) !== entry.crc32) {
      throw this.fail(`entry '${name}' is corrupt (CRC mismatch)`, 'the file was damaged; download or copy it again')
    }
    return data
  }

  private dataStart(entry: ZipEntry): number {
    const off = entry.localHeaderOffset
    if (off + 30 > this.bytes.length) throw this.fail(`truncated: entry '${entry.name}' lies past the end of the file`)
    if (this.view.getUint32(off, true) !== SIG_LOCAL) {
      throw this.fail(`corrupt zip: entry '${entry.name}' has no local header where the central directory says`)
    }
    const nameLen = this.view.getUint16(off + 26, true)
    const extraLen = this.view.getUint16(off + 28, true)
    return off + 30 + nameLen + extraLen
  }
}

function readCentralDirectory(bytes: Uint8Array, fail: ZipFail): Map<string, ZipEntry> {
  const isZipStart = looksLikeZip(bytes)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const eocd = findEocd(view)
  if (eocd < 0) {
    if (isZipStart) throw fail('truncated zip archive: the end-of-central-directory record is missing', 'the download or copy was probably cut short')
    throw fail('not a zip archive')
  }
  let count = view.getUint16(eocd + 10, true)
  let cdSize: number = view.getUint32(eocd + 12, true)
  let cdOffset: number = view.getUint32(eocd + 16, true)
  if (count === U16_MAX || cdSize === U32_MAX || cdOffset === U32_MAX) {
    const loc = eocd - 20
    if (loc < 0 || view.getUint32(loc, true) !== SIG_ZIP64_LOCATOR) throw fail('corrupt zip: zip64 locator missing')
    const z = toSafeNumber(view.getBigUint64(loc + 8, true))
    if (z + 56 > bytes.length || view.getUint32(z, true) !== SIG_ZIP64_EOCD) throw fail('corrupt zip: zip64 end record missing')
    count = toSafeNumber(view.getBigUint64(z + 32, true))
    cdSize = toSafeNumber(view.getBigUint64(z + 40, true))
    cdOffset = toSafeNumber(view.getBigUint64(z + 48, true))
  }
  if (cdOffset + cdSize > bytes.length) throw fail('truncated or corrupt zip: the central directory lies past the end of the file')
  const tooMany = checkZipEntryCount(count)
  if (tooMany) throw fail(tooMany)
  const entries = new Map<string, ZipEntry>()
  const decoder = new TextDecoder()
  let p = cdOffset
  for (let i = 0; i < count; i++) {
    if (p + 46 > bytes.length || view.getUint32(p, true) !== SIG_CENTRAL) throw fail('corrupt zip: bad central directory entry')
    const flags = view.getUint16(p + 8, true)
    const method = view.getUint16(p + 10, true)
    const crc = view.getUint32(p + 16, true)
    let compressedSize: number = view.getUint32(p + 20, true)
    let uncompressedSize: number = view.getUint32(p + 24, true)
    const nameLen = view.getUint16(p + 28, true)
    const extraLen = view.getUint16(p + 30, true)
    const commentLen = view.getUint16(p + 32, true)
    let localHeaderOffset: number = view.getUint32(p + 42, true)
    if (p + 46 + nameLen + extraLen > bytes.length) throw fail('corrupt zip: central directory entry past the end of the file')
    const name = decoder.decode(bytes.subarray(p + 46, p + 46 + nameLen))
    // zip64 extra field: only the fields saturated in the fixed record appear, in this order.
    let e = p + 46 + nameLen
    const extraEnd = e + extraLen
    while (e + 4 <= extraEnd) {
      const id = view.getUint16(e, true)
      const len = view.getUint16(e + 2, true)
      if (id === 0x0001) {
        let q = e + 4
        const take = (): number => {
          if (q + 8 > e + 4 + len) throw fail(`corrupt zip: short zip64 field for '${name}'`)
          const v = toSafeNumber(view.getBigUint64(q, true))
          q += 8
          return v
        }
        if (uncompressedSize === U32_MAX) uncompressedSize = take()
        if (compressedSize === U32_MAX) compressedSize = take()
        if (localHeaderOffset === U32_MAX) localHeaderOffset = take()
      }
      e += 4 + len
    }
    if (flags & 1) throw fail(`entry '${name}' is encrypted`)
    const unsafe = checkZipEntryName(name)
    if (unsafe) throw fail(unsafe)
    entries.set(name, {name, method, compressedSize, uncompressedSize, crc32: crc, localHeaderOffset, flags})
    p += 46 + nameLen + extraLen + commentLen
  }
  return entries
}

function findEocd(view: DataView): number {
  const min = Math.max(0, view.byteLength - 22 - U16_MAX)
  for (let i = view.byteLength - 22; i >= min; i--) {
    if (view.getUint32(i, true) === SIG_EOCD) {
      // The comment length must reach exactly to the end, else this is a false match inside data.
      const commentLen = view.getUint16(i + 20, true)
      if (i + 22 + commentLen === view.byteLength) return i
    }
  }
  return -1
}

function toSafeNumber(v: bigint): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError('zip: 64-bit field too large')
  return Number(v)
}

// ---- writer ---------------------------------------------------------------------------------------

export interface ZipInput {
  name: string
  data: Uint8Array
  /** Deflate the entry (default: stored). */
  compress?: boolean
}

/**
 * Builds a zip archive as a list of chunks (pass them to writeFileAtomic). Timestamps are fixed
 * (1980-01-01) so identical inputs give identical bytes. Zip64 records are added only when needed.
 */
export function buildZip(inputs: readonly ZipInput[]): Uint8Array[] {
  const chunks: Uint8Array[] = []
  const central: Uint8Array[] = []
  const encoder = new TextEncoder()
  let offset = 0
  const DOS_DATE = (0 << 9) | (1 << 5) | 1
  for (const input of inputs) {
    const name = encoder.encode(input.name)
    const crc = crc32(input.data) >>> 0
    const body = input.compress ? new Uint8Array(deflateRawSync(input.data)) : input.data
    const method = input.compress ? 8 : 0
    const needs64 = body.length >= U32_MAX || input.data.length >= U32_MAX || offset >= U32_MAX

    // Local header; zip64 sizes go in its extra field when needed.
    const localExtra = needs64 ? zip64Extra([input.data.length, body.length]) : new Uint8Array(0)
    const local = new Uint8Array(30 + name.length + localExtra.length)
    const lv = new DataView(local.buffer)
    lv.setUint32(0, SIG_LOCAL, true)
    lv.setUint16(4, needs64 ? 45 : 20, true)
    lv.setUint16(6, 0x0800, true) // UTF-8 names
    lv.setUint16(8, method, true)
    lv.setUint16(10, 0, true)
    lv.setUint16(12, DOS_DATE, true)
    lv.setUint32(14, crc, true)
    lv.setUint32(18, needs64 ? U32_MAX : body.length, true)
    lv.setUint32(22, needs64 ? U32_MAX : input.data.length, true)
    lv.setUint16(26, name.length, true)
    lv.setUint16(28, localExtra.length, true)
    local.set(name, 30)
    local.set(localExtra, 30 + name.length)

    const cdExtra = needs64 ? zip64Extra([input.data.length, body.length, offset]) : new Uint8Array(0)
    const cd = new Uint8Array(46 + name.length + cdExtra.length)
    const cv = new DataView(cd.buffer)
    cv.setUint32(0, SIG_CENTRAL, true)
    cv.setUint16(4, needs64 ? 45 : 20, true)
    cv.setUint16(6, needs64 ? 45 : 20, true)
    cv.setUint16(8, 0x0800, true)
    cv.setUint16(10, method, true)
    cv.setUint16(14, DOS_DATE, true)
    cv.setUint32(16, crc, true)
    cv.setUint32(20, needs64 ? U32_MAX : body.length, true)
    cv.setUint32(24, needs64 ? U32_MAX : input.data.length, true)
    cv.setUint16(28, name.length, true)
    cv.setUint16(30, cdExtra.length, true)
    cv.setUint32(38, 0o100644 << 16, true) // external attributes: regular file, rw-r--r--
    cv.setUint32(42, needs64 ? U32_MAX : offset, true)
    cd.set(name, 46)
    cd.set(cdExtra, 46 + name.length)

    chunks.push(local, body)
    central.push(cd)
    offset += local.length + body.length
  }
  const cdOffset = offset
  const cdSize = central.reduce((n, c) => n + c.length, 0)
  chunks.push(...central)
  const needs64 = inputs.length >= U16_MAX || cdOffset >= U32_MAX || cdSize >= U32_MAX
  if (needs64) {
    const z = new Uint8Array(56 + 20)
    const zv = new DataView(z.buffer)
    zv.setUint32(0, SIG_ZIP64_EOCD, true)
    zv.setBigUint64(4, 44n, true)
    zv.setUint16(12, 45, true)
    zv.setUint16(14, 45, true)
    zv.setBigUint64(24, BigInt(inputs.length), true)
    zv.setBigUint64(32, BigInt(inputs.length), true)
    zv.setBigUint64(40, BigInt(cdSize), true)
    zv.setBigUint64(48, BigInt(cdOffset), true)
    zv.setUint32(56, SIG_ZIP64_LOCATOR, true)
    zv.setBigUint64(64, BigInt(cdOffset + cdSize), true)
    zv.setUint32(72, 1, true)
    chunks.push(z)
  }
  const eocd = new Uint8Array(22)
  const ev = new DataView(eocd.buffer)
  ev.setUint32(0, SIG_EOCD, true)
  ev.setUint16(8, needs64 ? U16_MAX : inputs.length, true)
  ev.setUint16(10, needs64 ? U16_MAX : inputs.length, true)
  ev.setUint32(12, needs64 ? U32_MAX : cdSize, true)
  ev.setUint32(16, needs64 ? U32_MAX : cdOffset, true)
  chunks.push(eocd)
  return chunks
}

function zip64Extra(values: readonly number[]): Uint8Array {
  const extra = new Uint8Array(4 + 8 * values.length)
  const v = new DataView(extra.buffer)
  v.setUint16(0, 0x0001, true)
  v.setUint16(2, 8 * values.length, true)
  values.forEach((x, i) => v.setBigUint64(4 + 8 * i, BigInt(x), true))
  return extra
}
