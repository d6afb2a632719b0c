/**
 * Reading 2D keypoint files of any supported format into the common KeypointData
 * (H36M-17 per person per frame). The format is detected from the content unless forced.
 */
import {promises as fsp, type Stats} from 'node:fs'
import path from 'node:path'
import {inputError} from '../../core/errors.js'
import {readAlphaPose} from './alphapose.js'
import {readCocoResults} from './coco.js'
import {readCsv} from './csv.js'
import {FORMAT_LIST, binaryKind, detectJsonFormat, looksLikeCsv, looksLikeJson} from './detect.js'
import {parseJsonText} from './json.js'
import {readMediaPipe} from './mediapipe.js'
import {readNpyKeypoints, readNpzKeypoints} from './npy.js'
import {readOpenPoseDir, readOpenPoseFile} from './openpose.js'
import {KEYPOINT_FORMATS, type KeypointData, type KeypointFormat, type ReadOptions} from './types.js'

export * from './types.js'
export {FORMAT_LIST} from './detect.js'

/** Parses a `--format` value (npz is accepted for npy). */
export function parseKeypointFormat(name: string): KeypointFormat {
  const lower = name.trim().toLowerCase()
  if (lower === 'npz') return 'npy'
  if ((KEYPOINT_FORMATS as readonly string[]).includes(lower)) return lower as KeypointFormat
  throw inputError(`unknown keypoint format "${name}"; formats: ${FORMAT_LIST}`)
}

/** Reads a keypoint file (or OpenPose folder). Throws inputError (exit 2) / dataQualityError (exit 4). */
export async function readKeypoints(file: string, opts: ReadOptions = {}): Promise<KeypointData> {
  let stat: Stats
  try {
    stat = await fsp.stat(file)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') throw inputError('no such file or directory', {file})
    if (code === 'EACCES') throw inputError('cannot read: permission denied', {file})
    throw err
  }
  if (stat.isDirectory()) {
    if (opts.format !== undefined && opts.format !== 'openpose') {
      throw inputError(`is a folder; only the openpose format is a folder (asked for ${opts.format})`, {file})
    }
    return readOpenPoseDir(file, opts)
  }
  let bytes: Uint8Array
  try {
    bytes = new Uint8Array(await fsp.readFile(file))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EACCES') throw inputError('cannot read: permission denied', {file})
    throw err
  }
  if (bytes.length === 0) throw inputError('the file is empty', {file})

  const binary = binaryKind(bytes)
  if (binary !== undefined && (opts.format === undefined || opts.format === 'npy')) {
    return binary === 'npy' ? readNpyKeypoints(file, bytes, opts) : readNpzKeypoints(file, bytes, opts)
  }
  const ext = path.extname(file).toLowerCase()
  if (opts.format === 'npy' || (opts.format === undefined && (ext === '.npy' || ext === '.npz'))) {
    throw inputError(`not a NumPy ${ext === '.npz' ? '.npz' : '.npy'} file (no NumPy or zip signature)`, {file})
  }
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')
  if (text.trim().length === 0) throw inputError('the file is empty', {file})

  if (opts.format === 'csv' || (opts.format === undefined && !looksLikeJson(text) && looksLikeCsv(file, text))) {
    return readCsv(file, text, opts)
  }
  if (opts.format === undefined && !looksLikeJson(text)) {
    throw inputError(`cannot tell the keypoint format: neither JSON, CSV with a frame column, nor NumPy; formats: ${FORMAT_LIST}`, {file, hint: 'use --format to name it'})
  }
  const json = parseJsonText(file, text)
  const detected = detectJsonFormat(json)
  const format = opts.format ?? detected
  switch (format) {
    case 'alphapose':
      return readAlphaPose(file, json, opts)
    case 'coco':
      return readCocoResults(file, json, opts)
    case 'mediapipe':
      return readMediaPipe(file, json, opts)
    case 'openpose':
    case 'openpose-frame':
      return readOpenPoseFile(file, json, opts)
    default:
      throw inputError(`cannot tell the keypoint format of this JSON; formats: ${FORMAT_LIST}`, {file, hint: 'use --format to name it'})
  }
}
