/**
 * MediaPipe / BlazePose landmarks as tfjs-models pose-detection returns them: a JSON array with
 * one entry per frame, each an array of poses `{keypoints: [{x, y, score, name}], score?, id?}`
 * (33 BlazePose landmarks; 17 COCO keypoints from MoveNet/PoseNet are read too). Also accepted:
 * `{frames: [...], width?, height?}`, a frame given as `{poses: [...]}` or as a single pose, and
 * `visibility` in place of `score`. Keypoints are matched by `name` when they have one.
 * Coordinates in [0, 1] (MediaPipe's normalised landmarks) are scaled to pixels when the image
 * size is in the file, else kept and reported as normalised units.
 */
import {inputError} from '../../core/errors.js'
import {BLAZEPOSE33_JOINTS, COCO17_JOINTS, type SourceLayout} from '../joint-maps.js'
import {assemble, isRecord, meanConfidence, personIdOf, toH36m} from './common.js'
import type {KeypointData, RawDetection, ReadOptions} from './types.js'

const NAMES: Readonly<Record<number, {layout: SourceLayout; names: readonly string[]}>> = {
  33: {layout: 'blazepose33', names: BLAZEPOSE33_JOINTS},
  17: {layout: 'coco17', names: COCO17_JOINTS.map(snakeCase)},
}

export function readMediaPipe(file: string, json: unknown, opts: ReadOptions = {}): KeypointData {
  let frames: unknown
  let imageSize: [number, number] | undefined
  if (isRecord(json)) {
    frames = json.frames
    const w = json.width ?? json.imageWidth
    const h = json.height ?? json.imageHeight
    if (typeof w === 'number' && typeof h === 'number' && w > 0 && h > 0) imageSize = [w, h]
  } else frames = json
  if (!Array.isArray(frames)) throw inputError('expected a JSON list of frames (or {"frames": [...]}) of MediaPipe poses', {file})

  let layout: SourceLayout | undefined
  const sources: {frame: number; person?: string; score?: number; values: number[] | unknown[]}[] = []
  frames.forEach((entry, frame) => {
    for (const [k, pose] of posesOf(entry).entries()) {
      const where = `frame ${frame}, pose ${k}`
      if (!isRecord(pose) || !Array.isArray(pose.keypoints)) throw inputError(`${where} has no "keypoints" list`, {file})
      const kps = pose.keypoints as unknown[]
      const known = NAMES[kps.length]
      if (!known) throw inputError(`${where} has ${kps.length} keypoints; expected 33 (BlazePose) or 17 (COCO, MoveNet/PoseNet)`, {file})
      if (layout !== undefined && layout !== known.layout) throw inputError(`${where} has ${kps.length} keypoints where earlier poses had another count`, {file})
      layout = known.layout
      const values = orderedValues(file, where, kps, known.names)
      const person = personIdOf(pose.id)
      const score = typeof pose.score === 'number' && Number.isFinite(pose.score) ? pose.score : undefined
      sources.push({frame, ...(person === undefined ? {} : {person}), ...(score === undefined ? {} : {score}), values})
    }
  })

  // normalised landmarks: every coordinate in [0, 1]
  const normalized = sources.length > 0 && sources.every((s) => s.values.every((v, i) => i % 3 === 2 || typeof v !== 'number' || (v >= 0 && v <= 1)))
  // The caller's size (predict --video-size) when the file has none.
  if (normalized && !imageSize && opts.imageSize) imageSize = opts.imageSize
  const detections: RawDetection[] = sources.map((s) => {
    if (normalized && imageSize) {
      for (let i = 0; i < s.values.length; i += 3) {
        s.values[i] = (s.values[i] as number) * imageSize[0]
        s.values[i + 1] = (s.values[i + 1] as number) * imageSize[1]
      }
    }
    const keypoints = toH36m(file, layout!, s.values, `frame ${s.frame}`)
    return {frame: s.frame, ...(s.person === undefined ? {} : {person: s.person}), score: s.score ?? meanConfidence(keypoints), keypoints}
  })
  return assemble(
    {
      file,
      format: 'mediapipe',
      layout: layout ?? 'blazepose33',
      detections,
      numbered: false,
      firstNumber: 0,
      frameCount: frames.length,
      ...(imageSize ? {imageSize} : {}),
      units: normalized && !imageSize ? 'normalized' : 'pixels',
    },
    opts,
  )
}

function posesOf(entry: unknown): unknown[] {
  if (entry === null || entry === undefined) return []
  if (Array.isArray(entry)) return entry
  if (isRecord(entry) && Array.isArray(entry.poses)) return entry.poses
  return [entry]
}

/** x, y, confidence per joint in layout order; by name when the keypoints are named. */
function orderedValues(file: string, where: string, kps: unknown[], names: readonly string[]): unknown[] {
  const named = kps.every((k) => isRecord(k) && typeof k.name === 'string')
  const out = new Array<unknown>(names.length * 3)
  kps.forEach((k, i) => {
    if (!isRecord(k)) throw inputError(`${where}: keypoint ${i} is not an object with x, y, score`, {file})
    let j = i
    if (named) {
      j = names.indexOf(snakeCase(k.name as string))
      if (j < 0) throw inputError(`${where}: unknown keypoint name ${JSON.stringify(k.name)}`, {file, hint: `expected names: ${names.join(', ')}`})
    }
    const c = k.score ?? k.visibility ?? 1
    out[j * 3] = k.x
    out[j * 3 + 1] = k.y
    out[j * 3 + 2] = c
  })
  return out
}

function snakeCase(name: string): string {
  return name
    .replace(/^L(?=[A-Z])/, 'left_')
    .replace(/^R(?=[A-Z])/, 'right_')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase()
}
