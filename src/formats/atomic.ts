/**
 * Atomic writes: nothing is ever written half. A file is written to a temporary name in the same
 * directory (same filesystem, so the rename is atomic), flushed to disk, then renamed over the
 * target; a reader sees either the old file or the complete new one. On failure the temporary is
 * removed and the target is left as it was.
 */
import {randomBytes} from 'node:crypto'
import {promises as fsp} from 'node:fs'
import path from 'node:path'

import {inputError, isMotionError} from '../core/errors.js'

export type FileContents = string | Uint8Array | readonly Uint8Array[]

export interface AtomicWriteOptions {
  /** Create missing parent folders instead of failing (default false: a missing folder is an input error). */
  mkdir?: boolean
}

/** Writes `data` to `file` atomically (temp file in the same folder, fsync, rename). */
export async function writeFileAtomic(file: string, data: FileContents, opts: AtomicWriteOptions = {}): Promise<void> {
  const dir = path.dirname(path.resolve(file))
  await ensureFolder(dir, file, opts.mkdir ?? false)
  const tmp = tempSibling(file, 'tmp')
  let handle: fsp.FileHandle | undefined
  try {
    handle = await fsp.open(tmp, 'wx', 0o644)
    if (typeof data === 'string') {
      await handle.writeFile(data, 'utf8')
    } else if (data instanceof Uint8Array) {
      await writeAll(handle, data)
    } else {
      for (const chunk of data) await writeAll(handle, chunk)
    }
    await handle.sync()
    await handle.close()
    handle = undefined
    await fsp.rename(tmp, file)
  } catch (err) {
    if (handle) await handle.close().catch(() => undefined)
    await fsp.rm(tmp, {force: true}).catch(() => undefined)
    throw describeWriteError(err, file)
  }
  await syncFolder(dir)
}

/**
 * Writes a whole folder atomically (for checkpoints: weights + config + optimiser state).
 * `fill` writes into a fresh temporary folder beside `dir`; when it resolves the temporary folder is
 * renamed to `dir`. If `dir` already exists it is first moved aside and removed after the swap, so a
 * reader sees the old complete folder or the new one (Linux cannot rename over a non-empty folder,
 * so there is a moment between the two renames when `dir` is absent; it is never half-written).
 * If `fill` throws, the temporary folder is removed and `dir` is untouched.
 */
export async function writeDirAtomic(
  dir: string,
  fill: (tmpDir: string) => Promise<void>,
  opts: AtomicWriteOptions = {},
): Promise<void> {
  const parent = path.dirname(path.resolve(dir))
  await ensureFolder(parent, dir, opts.mkdir ?? false)
  const tmp = tempSibling(dir, 'tmp')
  try {
    await fsp.mkdir(tmp)
    await fill(tmp)
    await syncTree(tmp)
  } catch (err) {
    await fsp.rm(tmp, {recursive: true, force: true}).catch(() => undefined)
    throw describeWriteError(err, dir)
  }
  let old: string | undefined
  try {
    const existing = await fsp.stat(dir).catch(() => undefined)
    if (existing) {
      if (!existing.isDirectory()) throw inputError('exists and is not a folder', {file: dir})
      old = tempSibling(dir, 'old')
      await fsp.rename(dir, old)
    }
    await fsp.rename(tmp, dir)
  } catch (err) {
    // Put the old folder back if the swap failed half-way.
    if (old) await fsp.rename(old, dir).catch(() => undefined)
    await fsp.rm(tmp, {recursive: true, force: true}).catch(() => undefined)
    throw describeWriteError(err, dir)
  }
  if (old) await fsp.rm(old, {recursive: true, force: true}).catch(() => undefined)
  await syncFolder(parent)
}

/** Writes a set of files into one folder atomically; keys are file names inside it. */
export async function writeFilesAtomic(
  dir: string,
  files: Readonly<Record<string, FileContents>>,
  opts: AtomicWriteOptions = {},
): Promise<void> {
  await writeDirAtomic(
    dir,
    async (tmp) => {
      for (const [name, contents] of Object.entries(files)) {
        if (name.includes('/') || name.includes('\\') || name === '..' || name === '.') {
          throw new Error(`writeFilesAtomic: '${name}' is not a plain file name`)
        }
        const target = path.join(tmp, name)
        if (typeof contents === 'string' || contents instanceof Uint8Array) await fsp.writeFile(target, contents)
        else await fsp.writeFile(target, contents as Uint8Array[])
      }
    },
    opts,
  )
}

async function writeAll(handle: fsp.FileHandle, data: Uint8Array): Promise<void> {
  let offset = 0
  while (offset < data.length) {
    const {bytesWritten} = await handle.write(data, offset, data.length - offset)
    offset += bytesWritten
  }
}

async function ensureFolder(dir: string, target: string, mkdir: boolean): Promise<void> {
  const st = await fsp.stat(dir).catch(() => undefined)
  if (st?.isDirectory()) return
  if (st) throw inputError(`cannot write ${target}: ${dir} is not a folder`)
  if (mkdir) {
    await fsp.mkdir(dir, {recursive: true})
    return
  }
  throw inputError(`cannot write ${target}: output folder ${dir} does not exist`, {
    hint: 'create the folder first or choose another output path',
  })
}

function tempSibling(target: string, tag: string): string {
  const abs = path.resolve(target)
  return path.join(path.dirname(abs), `.${path.basename(abs)}.${tag}-${process.pid}-${randomBytes(4).toString('hex')}`)
}

function describeWriteError(err: unknown, target: string): unknown {
  if (isMotionError(err)) return err
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  if (code === 'EACCES' || code === 'EPERM') return inputError('cannot write: permission denied', {file: target})
  if (code === 'ENOSPC') return inputError('cannot write: no space left on device', {file: target})
  if (code === 'EROFS') return inputError('cannot write: read-only filesystem', {file: target})
  if (code === 'EISDIR') return inputError('cannot write: a folder of that name exists', {file: target})
  return err
}

/** fsync a folder so the rename itself is durable; not all platforms allow it, so failures are ignored. */
async function syncFolder(dir: string): Promise<void> {
  let handle: fsp.FileHandle | undefined
  try {
    handle = await fsp.open(dir, 'r')
    await handle.sync()
  } catch {
    // best effort (e.g. Windows cannot open folders)
  } finally {
    await handle?.close().catch(() => undefined)
  }
}

async function syncTree(dir: string): Promise<void> {
  for (const entry of await fsp.readdir(dir, {withFileTypes: true})) {
    const p = path.join(dir, entry.name)
    if (entry.isDirectory()) await syncTree(p)
    else if (entry.isFile()) {
      const h = await fsp.open(p, 'r+')
      try {
        await h.sync()
      } finally {
        await h.close()
      }
    }
  }
  await syncFolder(dir)
}
