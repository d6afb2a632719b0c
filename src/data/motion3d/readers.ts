/**
 * Readers for single 3D clip files, each returning `[T, 17, 3]` float32 in H36M-17 order:
 * .npy, .npz (a `[T, 17, 3]` entry), BVH (mapped by src/data/bvh.ts) and MotionBERT's preprocessed
 * clip pickles (`{data_input, data_label}`, read by the restricted unpickler).
 */
import path from 'node:path'

import {isKind, PickleDict, type PickleValue, readPickleFile} from '../../formats/pickle/unpickler.js'
import {inputError} from '../../core/errors.js'
import {readNpy, readNpz, toFloat32} from '../../formats/npy.js'
import {type NDArray, shapeString} from '../../core/ndarray.js'
import {bvhToH36m, readBvh} from '../bvh.js'
import {NUM_JOINTS} from '../../core/h36m.js'
import type {ClipSpace} from './clip.js'

export const CLIP_EXTENSIONS = ['.npy', '.npz', '.bvh', '.pkl'] as const

export interface ClipFileContents {
  positions: NDArray
  space: ClipSpace
  units: string
  upAxis: 'y' | 'z'
  fps: number | null
  input2d?: NDArray
}

/** NPZ entry names tried in order for the 3D positions. */
// eslint-disable-next-line no-restricted-syntax -- 'pose3d' is an array name in other tools' .npz files, not the task
const NPZ_KEYS = ['positions', 'joints3d', 'joints_3d', 'pose3d', 'x3d', 'X3D', 'data_label', 'motion']

export async function readClipFile(file: string, opts: {mmPerUnit?: number} = {}): Promise<ClipFileContents> {
  const ext = path.extname(file).toLowerCase()
  switch (ext) {
    case '.npy': {
      const positions = checkPoseArray(toFloat32(await readNpy(file)), file)
      return {positions, space: 'world', units: 'mm', upAxis: 'y', fps: null}
    }
    case '.npz':
      return readNpzClip(file)
    case '.bvh': {
      const h = bvhToH36m(await readBvh(file), {mmPerUnit: opts.mmPerUnit})
      return {positions: checkPoseArray(h.x3d, file), space: 'world', units: 'mm', upAxis: 'y', fps: h.fps}
    }
    case '.pkl':
      return readMotionbertClipPickle(file)
    default:
      throw inputError(`not a 3D clip file (extension '${ext}')`, {file, hint: `supported: ${CLIP_EXTENSIONS.join(', ')}`})
  }
}

async function readNpzClip(file: string): Promise<ClipFileContents> {
  const entries = await readNpz(file)
  const key = NPZ_KEYS.find((k) => entries.has(k)) ?? [...entries.keys()].find((k) => isPoseShape(entries.get(k)!.shape))
  if (key === undefined) {
    throw inputError(`no [T, 17, 3] array in the archive (entries: ${[...entries.keys()].join(', ') || 'none'})`, {
      file,
      hint: `name the positions entry one of: ${NPZ_KEYS.join(', ')}`,
    })
  }
  const positions = checkPoseArray(toFloat32(entries.get(key)!), `${file}:${key}`)
  const fpsEntry = entries.get('fps') ?? entries.get('mocap_framerate')
  const fps = fpsEntry && fpsEntry.data.length === 1 ? Number(fpsEntry.data[0]) : null
  return {positions, space: 'world', units: 'mm', upAxis: 'y', fps}
}

/** MotionBERT clip pickle: a dict with `data_label` `[T, 17, 3]` and `data_input` (array or None). */
export async function readMotionbertClipPickle(file: string): Promise<ClipFileContents> {
  const value = await readPickleFile(file)
  if (!(value instanceof PickleDict) || !value.has('data_label')) {
    throw inputError('not a MotionBERT clip pickle: expected a dict with data_label and data_input', {file})
  }
  const positions = checkPoseArray(pickleArray(value.get('data_label')!, file, 'data_label'), file)
  const inputValue = value.get('data_input')
  const input2d = inputValue === null || inputValue === undefined ? undefined : pickleArray(inputValue, file, 'data_input')
  if (input2d && (input2d.shape.length !== 3 || input2d.shape[0] !== positions.shape[0] || input2d.shape[1] !== NUM_JOINTS)) {
    throw inputError(`data_input has shape ${shapeString(input2d.shape)}, expected [${positions.shape[0]}, 17, 2|3] like data_label`, {file})
  }
  return {positions, space: 'image-normalised', units: 'normalised', upAxis: 'y', fps: null, input2d}
}

function pickleArray(v: PickleValue, file: string, key: string): NDArray {
  if (!isKind(v, 'ndarray')) throw inputError(`${key} is not a numeric numpy array`, {file})
  return toFloat32({data: v.data, shape: v.shape, dtype: v.dtype})
}

function isPoseShape(shape: readonly number[]): boolean {
  return shape.length === 3 && shape[1] === NUM_JOINTS && shape[2] === 3
}

/** Checks `[T, 17, 3]` with T >= 1 and finite values. */
export function checkPoseArray(a: NDArray, file: string): NDArray {
  if (!isPoseShape(a.shape) || a.shape[0] === 0) {
    throw inputError(`expected positions of shape [frames, 17, 3] in H36M-17 order, got ${shapeString(a.shape)}`, {file})
  }
  const bad = a.data.findIndex((x) => !Number.isFinite(x))
  if (bad >= 0) {
    throw inputError(`non-finite value ${a.data[bad]} at frame ${Math.floor(bad / (NUM_JOINTS * 3))}`, {
      file,
      hint: 'fill or drop the broken frames before training',
    })
  }
  return a
}
