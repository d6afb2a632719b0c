/**
 * Builders for hostile files (zip bombs, lying headers, alias bombs), made in the test's temp
 * folder so nothing large is stored in the repository.
 */
import {constants, crc32, deflateRawSync} from 'node:zlib'

export interface RawZipEntry {
  name: string
  /** The bytes as stored (already deflated when method is 8). */
  stored: Uint8Array
  method: 0 | 8
  /** What the central directory claims (may lie). */
  uncompressedSize: number
  crc: number
}

/** A zip archive with the given entries, sizes and CRCs exactly as claimed (no zip64). */
export function rawZip(entries: readonly RawZipEntry[]): Buffer {
  const parts: Buffer[] = []
  const central: Buffer[] = []
  let offset = 0
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8')
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt16LE(e.method, 8)
    local.writeUInt32LE(e.crc >>> 0, 14)
    local.writeUInt32LE(e.stored.length, 18)
    local.writeUInt32LE(Math.min(e.uncompressedSize, 0xfffffffe), 22)
    local.writeUInt16LE(name.length, 26)
    const cd = Buffer.alloc(46)
    cd.writeUInt32LE(0x02014b50, 0)
    cd.writeUInt16LE(20, 4)
    cd.writeUInt16LE(20, 6)
    cd.writeUInt16LE(e.method, 10)
    cd.writeUInt32LE(e.crc >>> 0, 16)
    cd.writeUInt32LE(e.stored.length, 20)
    cd.writeUInt32LE(Math.min(e.uncompressedSize, 0xfffffffe), 24)
    cd.writeUInt16LE(name.length, 28)
    cd.writeUInt32LE(offset, 42)
    parts.push(local, name, Buffer.from(e.stored))
    central.push(cd, name)
    offset += 30 + name.length + e.stored.length
  }
  const cdBytes = Buffer.concat(central)
  const eocd = Buffer.alloc(22)
  eocd.writeUInt32LE(0x06054b50, 0)
  eocd.writeUInt16LE(entries.length, 8)
  eocd.writeUInt16LE(entries.length, 10)
  eocd.writeUInt32LE(cdBytes.length, 12)
  eocd.writeUInt32LE(offset, 16)
  return Buffer.concat([...parts, cdBytes, eocd])
}

/**
 * A raw deflate stream that inflates to `mib` MiB of zeros, built from repeated byte-aligned
 * blocks so that it never holds the inflated bytes (about 1 KiB of stream per MiB).
 */
export function deflatedZeros(mib: number): Buffer {
  const block = deflateRawSync(Buffer.alloc(1024 * 1024), {finishFlush: constants.Z_SYNC_FLUSH})
  const end = deflateRawSync(Buffer.alloc(0))
  return Buffer.concat([...Array.from({length: mib}, () => block), end])
}

/** A deflated entry whose header tells the truth about small `data`. */
export function honestEntry(name: string, data: Uint8Array, method: 0 | 8 = 0): RawZipEntry {
  return {name, stored: method === 8 ? deflateRawSync(data) : data, method, uncompressedSize: data.length, crc: crc32(data)}
}

/** "Billion laughs" in YAML: each level refers to the previous one ten times. */
export function yamlAliasBomb(levels = 9): string {
  const lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]']
  for (let i = 1; i <= levels; i++) lines.push(`a${i}: &a${i} [${Array.from({length: 10}, () => `*a${i - 1}`).join(', ')}]`)
  lines.push(`dim_feat: *a${levels}`)
  return `${lines.join('\n')}\n`
}

/** The 8-byte length, JSON header and data of a safetensors file, with the header as given. */
export function safetensorsBytes(header: object, data: Uint8Array, claimedHeaderLength?: bigint): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8')
  const len = Buffer.alloc(8)
  len.writeBigUInt64LE(claimedHeaderLength ?? BigInt(json.length))
  return Buffer.concat([len, json, Buffer.from(data)])
}

/** An .npy file whose header claims `shape` (float32) over `dataBytes` bytes of zeros. */
export function npyBytes(shape: string, dataBytes: number): Buffer {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`
  while ((10 + header.length + 1) % 64 !== 0) header += ' '
  header += '\n'
  const head = Buffer.alloc(10)
  Buffer.from('\x93NUMPY', 'latin1').copy(head, 0)
  head[6] = 1
  head[7] = 0
  head.writeUInt16LE(header.length, 8)
  return Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.alloc(dataBytes)])
}
