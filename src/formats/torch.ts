/**
 * PyTorch checkpoints (.bin / .pth / .pt), read without Python and without running anything:
 *
 *  - torch.save >= 1.6 (zip): `<archive>/data.pkl` is unpickled by the restricted unpickler; its
 *    persistent ids ('storage', StorageType, key, location, numel) resolve to `<archive>/data/<key>`
 *    entries (raw bytes, byte order from `<archive>/byteorder`, little-endian by default).
 *  - torch < 1.6 (legacy): magic-number pickle, protocol version, sys info, the object pickle, the
 *    list of storage keys, then each storage as an int64 element count followed by its bytes.
 *  - a plain pickle (no tensors, e.g. numpy arrays) is also accepted.
 *
 * Every foreseeable problem is a model error (exit 3) naming the file; a missing file is an input error.
 */

import {LIMITS} from '../core/limits/limits.js'
import {modelError, type MotionError} from '../core/errors.js'
import {
  type GlobalRegistry,
  isKind,
  type PickleValue,
  TORCH_ELEMENT_BYTES,
  TORCH_STORAGE_DTYPES,
  type TorchDType,
  type TorchStorage,
  type UnpickleContext,
  unpickleAt,
} from './pickle/unpickler.js'
import {looksLikeZip, ZipArchive} from './zip.js'
import {readFileBytes} from './read-file.js'

export interface TorchCheckpoint {
  /**
   * The unpickled object. Checkpoints are usually dicts: a `PickleDict` (Map in insertion order)
   * such as {epoch, lr, optimizer, model_pos} or a bare state dict {key: TorchTensor}.
   */
  root: PickleValue
  file: string
  format: 'zip' | 'legacy' | 'pickle'
}

export interface TorchReadOptions {
  /** The unpickler allowlist (default: DEFAULT_GLOBALS; extend with `withGlobals`). */
  globals?: GlobalRegistry
}

/** Reads a PyTorch checkpoint file. */
export async function readTorchCheckpoint(file: string, opts: TorchReadOptions = {}): Promise<TorchCheckpoint> {
  return parseTorchCheckpoint(await readFileBytes(file, 'checkpoint'), file, opts)
}

/** Parses the bytes of a PyTorch checkpoint. */
export function parseTorchCheckpoint(bytes: Uint8Array, file: string, opts: TorchReadOptions = {}): TorchCheckpoint {
  const fail = (problem: string, hint?: string): MotionError => modelError(problem, {file, hint})
  if (bytes.length === 0) throw fail('empty file (0 bytes), expected a PyTorch checkpoint', 'the download or copy probably failed')
  if (looksLikeZip(bytes)) return {root: readZipCheckpoint(bytes, file, fail, opts), file, format: 'zip'}
  if (bytes[0] === 0x80 && bytes.length > 1 && bytes[1]! >= 2 && bytes[1]! <= 5) return readPickleCheckpoint(bytes, file, fail, opts)
  throw fail(describeUnknown(bytes), 'expected a file written by torch.save')
}

function readZipCheckpoint(bytes: Uint8Array, file: string, fail: (p: string, h?: string) => MotionError, opts: TorchReadOptions): PickleValue {
  const zip = ZipArchive.open(bytes, (problem, hint) =>
    fail(problem.startsWith('truncated') ? `${problem} (a PyTorch checkpoint cut short)` : problem, hint),
  )
  const names = zip.names()
  const pkl = names.find((n) => n === 'data.pkl' || /^[^/]+\/data\.pkl$/.test(n))
  if (!pkl) {
    const shown = names.slice(0, 5).join(', ') + (names.length > 5 ? ', ...' : '')
    const isNpz = names.length > 0 && names.every((n) => n.endsWith('.npy'))
    throw fail(
      `zip archive without data.pkl, so not a PyTorch checkpoint (entries: ${shown || 'none'})`,
      isNpz ? 'this is a NumPy .npz archive' : 'expected a file written by torch.save',
    )
  }
  const prefix = pkl.slice(0, pkl.length - 'data.pkl'.length)
  const byteorderEntry = `${prefix}byteorder`
  const bigEndian = zip.has(byteorderEntry) && new TextDecoder().decode(zip.read(byteorderEntry)).trim() === 'big'
  const storages = new Map<string, TorchStorage>()
  const persistentLoad = (pid: PickleValue, ctx: UnpickleContext): PickleValue => {
    const {dtype, key} = parseStoragePid(pid, ctx)
    const cached = storages.get(key)
    if (cached) return cached
    const entry = `${prefix}data/${key}`
    if (!zip.has(entry)) {
      throw fail(`storage '${entry}' named by data.pkl is missing from the archive`, 'the checkpoint is corrupt or was cut short')
    }
    let raw = zip.read(entry)
    if (raw.length % TORCH_ELEMENT_BYTES[dtype] !== 0) {
      throw fail(`storage '${entry}' holds ${raw.length} bytes, not a whole number of ${dtype} elements`)
    }
    if (bigEndian) raw = swapBytes(raw, TORCH_ELEMENT_BYTES[dtype])
    const storage: TorchStorage = {kind: 'storage', dtype, bytes: raw, key}
    storages.set(key, storage)
    return storage
  }
  return unpickleAt(zip.read(pkl, LIMITS.pickleBytes), {file, globals: opts.globals, persistentLoad}).value
}

function parseStoragePid(pid: PickleValue, ctx: UnpickleContext): {dtype: TorchDType; key: string; rest: PickleValue[]} {
  if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 3) {
    throw ctx.fail(`unsupported persistent id ${describePid(pid)}; a checkpoint only refers to tensor storages`)
  }
  const type = pid[1]
  const tag = isKind(type, 'global') ? type.handler.tag : undefined
  const dtype = tag ? TORCH_STORAGE_DTYPES[tag] : undefined
  if (!dtype) throw ctx.fail(`unsupported storage type in persistent id ${describePid(pid)}`)
  const key = pid[2]
  if (typeof key !== 'string' && typeof key !== 'number') throw ctx.fail('corrupt checkpoint: storage key is not a string')
  return {dtype, key: String(key), rest: pid.slice(3)}
}

function describePid(pid: PickleValue): string {
  if (Array.isArray(pid)) return `(${pid.map((p) => (typeof p === 'string' ? `'${p}'` : isKind(p, 'global') ? p.name : typeof p)).join(', ')})`
  return typeof pid === 'string' ? `'${pid}'` : typeof pid
}

/** Legacy torch (< 1.6) files, or a plain pickle. */
function readPickleCheckpoint(
  bytes: Uint8Array,
  file: string,
  fail: (p: string, h?: string) => MotionError,
  opts: TorchReadOptions,
): TorchCheckpoint {
  const first = unpickleAt(bytes, {file, globals: opts.globals})
  if (first.value !== LEGACY_MAGIC) {
    if (first.end !== bytes.length) throw fail(`unexpected data after the pickle (${bytes.length - first.end} bytes)`)
    return {root: first.value, file, format: 'pickle'}
  }
  const protocol = unpickleAt(bytes, {file, globals: opts.globals, offset: first.end})
  if (protocol.value !== 1001) throw fail(`unsupported legacy torch format version ${String(protocol.value)}`, 're-save the checkpoint with torch >= 1.6')
  const sysInfo = unpickleAt(bytes, {file, globals: opts.globals, offset: protocol.end})
  const info = sysInfo.value
  if (info instanceof Map && info.get('little_endian') === false) {
    throw fail('big-endian legacy checkpoints are not supported', 're-save the checkpoint with torch >= 1.6')
  }
  const roots = new Map<string, TorchStorage>()
  const views: Array<{view: TorchStorage; root: TorchStorage; offset: number; numel: number}> = []
  const persistentLoad = (pid: PickleValue, ctx: UnpickleContext): PickleValue => {
    const {dtype, key, rest} = parseStoragePid(pid, ctx)
    // rest: (location, numel, view_metadata)
    let root = roots.get(key)
    if (!root) {
      root = {kind: 'storage', dtype, bytes: new Uint8Array(0), key, deferred: []}
      roots.set(key, root)
    }
    const viewMeta = rest[2]
    if (Array.isArray(viewMeta) && viewMeta.length === 3) {
      const [viewKey, offset, viewSize] = viewMeta
      const view: TorchStorage = {kind: 'storage', dtype, bytes: new Uint8Array(0), key: `${key}/${String(viewKey)}`, deferred: []}
      views.push({view, root, offset: Number(offset), numel: Number(viewSize)})
      return view
    }
    return root
  }
  const main = unpickleAt(bytes, {file, globals: opts.globals, persistentLoad, offset: sysInfo.end})
  const keysPickle = unpickleAt(bytes, {file, globals: opts.globals, offset: main.end})
  if (!Array.isArray(keysPickle.value)) throw fail('corrupt legacy checkpoint: no storage key list')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let pos = keysPickle.end
  for (const k of keysPickle.value) {
    const storage = roots.get(String(k))
    if (!storage) throw fail(`corrupt legacy checkpoint: storage '${String(k)}' is not used by the pickle`)
    if (pos + 8 > bytes.length) throw fail(`truncated legacy checkpoint: storage '${String(k)}' is missing`, 'the file was cut short')
    const numel = Number(view.getBigInt64(pos, true))
    const n = numel * TORCH_ELEMENT_BYTES[storage.dtype]
    pos += 8
    if (numel < 0 || pos + n > bytes.length) throw fail(`truncated legacy checkpoint: storage '${String(k)}' is cut short`, 'the file was cut short')
    storage.bytes = bytes.subarray(pos, pos + n)
    pos += n
  }
  for (const {view: v, root, offset, numel} of views) {
    const w = TORCH_ELEMENT_BYTES[root.dtype]
    if ((offset + numel) * w > root.bytes.length) throw fail(`corrupt legacy checkpoint: a storage view lies outside storage '${root.key}'`)
    v.bytes = root.bytes.subarray(offset * w, (offset + numel) * w)
  }
  for (const s of [...roots.values(), ...views.map((v) => v.view)]) {
    const pending = s.deferred ?? []
    delete s.deferred
    for (const run of pending) run()
  }
  return {root: main.value, file, format: 'legacy'}
}

/** torch's legacy magic number, 0x1950a86a20f9469cfc6c, as the unpickler returns it. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn

function swapBytes(raw: Uint8Array, width: number): Uint8Array {
  const out = Uint8Array.from(raw)
  if (width === 1) return out
  for (let i = 0; i < out.length; i += width) {
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const t = out[a]!
      out[a] = out[b]!
      out[b] = t
    }
  }
  return out
}

/** One message per kind of wrong file, so users know what they actually gave us. */
function describeUnknown(bytes: Uint8Array): string {
  const starts = (...sig: number[]): boolean => sig.every((b, i) => bytes[i] === b)
  if (starts(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59)) return 'not a PyTorch checkpoint: it is a NumPy .npy file'
  if (starts(0x1f, 0x8b)) return 'not a PyTorch checkpoint: the file is gzip-compressed; decompress it first'
  if (starts(0x89, 0x48, 0x44, 0x46)) return 'not a PyTorch checkpoint: it is an HDF5 file (Keras/TensorFlow weights?)'
  if (bytes.length > 262 && String.fromCharCode(...bytes.subarray(257, 262)) === 'ustar') {
    return 'not a readable PyTorch checkpoint: a tar archive (torch < 0.4 format); re-save it with torch >= 1.6'
  }
  if (bytes.length >= 10) {
    const headerLen = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true))
    if (headerLen > 1 && headerLen + 8 <= bytes.length && bytes[8] === 0x7b /* { */) {
      return 'not a PyTorch checkpoint: it is a safetensors file'
    }
  }
  if (bytes[0] === 0x80) return 'not a PyTorch checkpoint: a pickle of an unsupported protocol'
  const sample = bytes.subarray(0, Math.min(bytes.length, 512))
  const printable = sample.every((b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f) || b >= 0x80)
  if (printable) {
    const head = new TextDecoder().decode(sample.subarray(0, 40)).replace(/\s+/g, ' ').trim()
    if (/^<(!doctype|html)/i.test(head)) return 'not a PyTorch checkpoint: it is an HTML page (a failed download?)'
    if (/^version https:\/\/git-lfs/.test(head)) return 'not a PyTorch checkpoint: it is a Git LFS pointer; fetch the real file with git lfs pull'
    return `not a PyTorch checkpoint: it is a text file (starts with "${head.slice(0, 30)}")`
  }
  const hex = [...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ')
  return `not a PyTorch checkpoint: neither a zip archive (torch >= 1.6) nor a pickle (first bytes: ${hex})`
}
