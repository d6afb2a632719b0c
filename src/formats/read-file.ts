/**
 * Reading a user-named file whole, with the file-system failures every reader reports the same way:
 * one input error (exit code 2) naming the file and what is wrong, never a raw Node error.
 */
import fsp from 'node:fs/promises'

import {inputError} from '../core/errors.js'

/** Reads `file` as bytes; `kind` names what was expected ("checkpoint", "pickle", ...). */
export async function readFileBytes(file: string, kind: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await fsp.readFile(file))
  } catch (err) {
    throw fileReadError(err, file, kind)
  }
}

/** Reads `file` as UTF-8 text, with the same errors as `readFileBytes`. */
export async function readFileText(file: string, kind: string): Promise<string> {
  try {
    return await fsp.readFile(file, 'utf8')
  } catch (err) {
    throw fileReadError(err, file, kind)
  }
}

/** The input error for a failed read of `file`; unknown failures name their code. */
export function fileReadError(err: unknown, file: string, kind: string): Error {
  const code = (err as NodeJS.ErrnoException).code
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return inputError(`no such ${kind} file`, {file})
    case 'EISDIR':
      return inputError(`is a folder, expected a ${kind} file`, {file})
    case 'EACCES':
    case 'EPERM':
      return inputError('cannot read: permission denied', {file})
    case 'ERR_FS_FILE_TOO_LARGE':
      return inputError(`${kind} file too large to read (over 2 GiB)`, {file})
    default:
      return inputError(`cannot read the ${kind} file (${code ?? (err instanceof Error ? err.message : String(err))})`, {file})
  }
}
