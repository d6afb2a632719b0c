/**
 * Tells a keypoint file's format from its content (and extension where content cannot):
 * NumPy magic bytes, zip (npz), JSON structure (AlphaPose / COCO results, MediaPipe frames,
 * a single OpenPose frame), or a CSV header with a frame column.
 */
import path from 'node:path'
import {isRecord} from './common.js'
import type {KeypointFormat} from './types.js'

export const FORMAT_LIST = 'alphapose (AlphaPose results JSON), coco (COCO keypoint results JSON), openpose (folder of *_keypoints.json), mediapipe (BlazePose JSON), csv, npy (.npy/.npz)'

const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59] // \x93NUMPY
const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04] // PK\3\4

export type BinaryKind = 'npy' | 'npz' | undefined

export function binaryKind(bytes: Uint8Array): BinaryKind {
  const starts = (magic: number[]): boolean => magic.every((b, i) => bytes[i] === b)
  if (starts(NPY_MAGIC)) return 'npy'
  if (starts(ZIP_MAGIC)) return 'npz'
  return undefined
}

/** Whether text looks like JSON (first non-blank character opens an array or object). */
export function looksLikeJson(text: string): boolean {
  const m = /^\s*(\S)/.exec(text.slice(0, 256))
  return m !== null && (m[1] === '[' || m[1] === '{')
}

/** Whether text looks like a keypoint CSV: a first line with a frame column and commas. */
export function looksLikeCsv(file: string, text: string): boolean {
  const firstLine = text.replace(/^(\s*#[^\n]*\n)*/, '').split(/\r?\n/, 1)[0] ?? ''
  return firstLine.includes(',') && (/(^|,)\s*"?frame"?\s*(,|$)/i.test(firstLine) || path.extname(file).toLowerCase() === '.csv')
}

/** The format of parsed JSON, or undefined when it matches none. */
export function detectJsonFormat(json: unknown): KeypointFormat | 'openpose-frame' | undefined {
  if (isRecord(json)) {
    if (Array.isArray(json.frames)) return 'mediapipe'
    if (Array.isArray(json.people)) return 'openpose-frame'
    return undefined
  }
  if (!Array.isArray(json)) return undefined
  const first = json.find((e) => e !== null && !(Array.isArray(e) && e.length === 0))
  if (first === undefined) return json.length === 0 ? 'alphapose' : 'mediapipe' // nothing detected; the reader says so
  const pose = Array.isArray(first) ? first[0] : isRecord(first) && Array.isArray(first.poses) ? first.poses[0] : first
  if (!isRecord(pose) || !Array.isArray(pose.keypoints)) return undefined
  const kp0 = pose.keypoints[0]
  if (isRecord(kp0)) return 'mediapipe'
  if (typeof kp0 !== 'number' && kp0 !== null) return undefined
  if (Array.isArray(first)) return undefined
  return 'idx' in pose || 'box' in pose ? 'alphapose' : 'coco'
}
