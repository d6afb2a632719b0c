/**
 * Keypoints already in H36M-17 order as NumPy arrays: `.npy` holding `[T, 17, 2|3]` (x, y and
 * optionally confidence; 2 channels mean confidence 1) or `[M, T, 17, 2|3]` for M people, or
 * `.npz` holding such an array under `keypoints` (or as its only array).
 */
import {inputError} from '../../core/errors.js'
import {parseNpy, parseNpz, toFloat32} from '../../formats/npy.js'
import type {NDArray} from '../../core/ndarray.js'
import {H36M_JOINTS, NUM_JOINTS} from '../../core/h36m.js'
import {assemble, meanConfidence} from './common.js'
import type {KeypointData, RawDetection, ReadOptions} from './types.js'

export function readNpyKeypoints(file: string, bytes: Uint8Array, opts: ReadOptions = {}): KeypointData {
  return fromArray(file, toFloat32(parseNpy(bytes, file)), opts)
}

export function readNpzKeypoints(file: string, bytes: Uint8Array, opts: ReadOptions = {}): KeypointData {
  const arrays = parseNpz(bytes, file)
  const keys = [...arrays.keys()]
  const key = arrays.has('keypoints') ? 'keypoints' : keys.length === 1 ? keys[0]! : undefined
  if (key === undefined) {
    throw inputError(`the .npz has no "keypoints" array and more than one array (${keys.join(', ') || 'none'})`, {file, hint: 'save the [T, 17, 3] array under the name "keypoints"'})
  }
  return fromArray(file, toFloat32(arrays.get(key)!), opts)
}

function fromArray(file: string, arr: NDArray, opts: ReadOptions): KeypointData {
  const {shape, data} = arr
  const shown = `[${shape.join(', ')}]`
  const people = shape.length === 4 ? shape[0]! : 1
  const frames = shape.length === 4 ? shape[1]! : shape[0]!
  const channels = shape.at(-1)!
  if ((shape.length !== 3 && shape.length !== 4) || shape.at(-2) !== NUM_JOINTS || (channels !== 2 && channels !== 3)) {
    throw inputError(`keypoint array has shape ${shown}; expected [T, 17, 2|3] (or [M, T, 17, 2|3]) in H36M-17 order`, {file})
  }
  if (frames === 0) throw inputError(`keypoint array has shape ${shown}: no frames`, {file})
  const detections: RawDetection[] = []
  for (let m = 0; m < people; m++) {
    for (let t = 0; t < frames; t++) {
      const base = (m * frames + t) * NUM_JOINTS * channels
      let keypoints: Float32Array
      if (channels === 3) keypoints = data.subarray(base, base + NUM_JOINTS * 3)
      else {
        keypoints = new Float32Array(NUM_JOINTS * 3)
        for (let j = 0; j < NUM_JOINTS; j++) {
          keypoints[j * 3] = data[base + j * 2]!
          keypoints[j * 3 + 1] = data[base + j * 2 + 1]!
          keypoints[j * 3 + 2] = 1
        }
      }
      for (let k = 0; k < keypoints.length; k++) {
        if (!Number.isFinite(keypoints[k]!)) {
          const j = Math.floor(k / 3)
          const who = people > 1 ? `person ${m}, ` : ''
          throw inputError(`non-finite ${['x', 'y', 'confidence'][k % 3]} (${keypoints[k]}) at ${who}frame ${t}, joint ${j} (${H36M_JOINTS[j]})`, {file})
        }
      }
      detections.push({frame: t, person: String(m), score: meanConfidence(keypoints), keypoints})
    }
  }
  return assemble({file, format: 'npy', layout: 'h36m17', detections, numbered: false, firstNumber: 0, frameCount: frames, units: 'unknown'}, opts)
}
