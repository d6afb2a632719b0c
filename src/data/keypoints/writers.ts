/**
 * Writing 2D keypoint tracks (KeypointData: H36M-17 per person per frame) in the input formats
 * `motion predict` reads, so that reading the file back gives the same H36M-17 keypoints:
 *
 *  - `alphapose`: AlphaPose results JSON in Halpe-26 layout (78 numbers per detection, the file
 *    infer_wild reads). 16 H36M joints have a Halpe joint of their own; H36M `spine` has none —
 *    halpe2h36m reads it as mid(Neck, Hip) — so it comes back as mid(pelvis, thorax). The Halpe
 *    joints H36M lacks (eyes, ears, toes, heels) are synthesised from the head and feet for
 *    drawing; halpe2h36m never reads them.
 *  - `coco`: COCO keypoint results JSON (COCO-17, with `track_id`). COCO has no pelvis, spine or
 *    thorax: coco2h36m rebuilds them from hips and shoulders, so those three come back as
 *    mid-hips, mid-shoulders and their midpoint. The eyes are placed symmetrically about the H36M
 *    head, so the head comes back exactly.
 *  - `csv`: long form `frame,person,joint,x,y,score`, every joint (exact).
 *  - `npy`: `[T, 17, 3]` (one person) or `[M, T, 17, 3]` (people in order; ids become 0..M-1),
 *    as `.npy`, or `.npz` under `keypoints`. Frames a person was not detected in are filled as
 *    predict fills them (interpolated x, y, confidence 0).
 *
 * Frames are written with numbers from `firstFrameNumber` (0 by default; 1 when frame 0 has no
 * detection, so the reader does not shift a leading gap away). JSON and CSV cannot state frames
 * after the last detection; NPY keeps the full frame count. Several detections of one person in
 * one frame are all written to the JSON formats; CSV and NPY keep the best-scored one.
 */
import path from 'node:path'
import {inputError} from '../../core/errors.js'
import {writeFileAtomic} from '../../formats/atomic.js'
import {encodeNpy, encodeNpz} from '../../formats/npy.js'
import type {NDArray} from '../../core/ndarray.js'
import {H36M_JOINTS, NUM_JOINTS} from '../../core/h36m.js'
import {HALPE26_JOINTS} from '../joint-maps.js'
import {buildTrack} from '../people.js'
import type {Detection, KeypointData, KeypointFormat, PersonDetections} from './types.js'

export type WritableKeypointFormat = 'alphapose' | 'coco' | 'csv' | 'npy'

export const WRITABLE_KEYPOINT_FORMATS: readonly WritableKeypointFormat[] = ['alphapose', 'coco', 'csv', 'npy']

export interface KeypointWriteOptions {
  /** Decimal places for x and y; default: the shortest text that reads back to the same float32. */
  decimals?: number
  /** Decimal places for confidences and scores; default as `decimals` (exact when unset). */
  confidenceDecimals?: number
}

export interface WrittenKeypoints {
  file: string
  format: WritableKeypointFormat
  /** Source layout written ('halpe26' for alphapose, 'coco17' for coco, 'h36m17' otherwise). */
  layout: 'halpe26' | 'coco17' | 'h36m17'
  /** Detections (JSON formats) or rows (CSV) or frames x people (NPY) written. */
  records: number
  bytes: number
}

const ROW = NUM_JOINTS * 3

/** The format a file name asks for: .npy/.npz, .csv, *.coco.json, else .json = alphapose. */
export function keypointFormatForFile(file: string): WritableKeypointFormat | undefined {
  const lower = file.toLowerCase()
  const ext = path.extname(lower)
  if (ext === '.npy' || ext === '.npz') return 'npy'
  if (ext === '.csv') return 'csv'
  if (ext === '.json') return lower.endsWith('.coco.json') ? 'coco' : 'alphapose'
  return undefined
}

/** Parses a writable format name (`npz` is `npy`). */
export function parseWritableFormat(name: string): WritableKeypointFormat {
  const lower = name.trim().toLowerCase()
  if (lower === 'npz') return 'npy'
  if ((WRITABLE_KEYPOINT_FORMATS as readonly string[]).includes(lower)) return lower as WritableKeypointFormat
  throw inputError(`cannot write keypoint format "${name}"; writable formats: ${WRITABLE_KEYPOINT_FORMATS.join(', ')}`)
}

/** Writes `data` to `file` atomically in `format` (default from the extension). */
export async function writeKeypoints(
  file: string,
  data: KeypointData,
  opts: KeypointWriteOptions & {format?: WritableKeypointFormat} = {},
): Promise<WrittenKeypoints> {
  const format = opts.format ?? keypointFormatForFile(file)
  if (format === undefined) {
    throw inputError(`cannot tell the output format from the extension '${path.extname(file)}'`, {
      file,
      hint: `use .json (AlphaPose), .coco.json, .csv, .npy or .npz, or name one with --format (${WRITABLE_KEYPOINT_FORMATS.join(', ')})`,
    })
  }
  const encoded = encodeKeypoints(data, format, {...opts, npz: path.extname(file).toLowerCase() === '.npz'})
  await writeFileAtomic(file, encoded.contents)
  const bytes = typeof encoded.contents === 'string' ? Buffer.byteLength(encoded.contents) : encoded.contents.reduce((s, c) => s + c.byteLength, 0)
  return {file, format, layout: encoded.layout, records: encoded.records, bytes}
}

export interface EncodedKeypoints {
  contents: string | Uint8Array[]
  layout: WrittenKeypoints['layout']
  records: number
}

/** Encodes `data` in memory (see writeKeypoints). */
export function encodeKeypoints(data: KeypointData, format: WritableKeypointFormat, opts: KeypointWriteOptions & {npz?: boolean} = {}): EncodedKeypoints {
  const num = numberFormatter(opts.decimals)
  const conf = numberFormatter(opts.confidenceDecimals ?? opts.decimals)
  switch (format) {
    case 'alphapose':
      return encodeResults(data, 'alphapose', num, conf)
    case 'coco':
      return encodeResults(data, 'coco', num, conf)
    case 'csv':
      return encodeCsvLong(data, num, conf)
    case 'npy':
      return encodeNpyTracks(data, opts.npz ?? false)
  }
}

// ---- H36M-17 -> detector layouts ------------------------------------------------------------------

/** Halpe-26 joint fed by each H36M joint (H36M spine, 7, has none). */
const HALPE_FROM_H36M: readonly (readonly [halpe: number, h36m: number])[] = [
  [0, 9], [5, 11], [6, 14], [7, 12], [8, 15], [9, 13], [10, 16], [11, 4], [12, 1],
  [13, 5], [14, 2], [15, 6], [16, 3], [17, 10], [18, 8], [19, 0],
]

/** COCO-17 joint fed by each H36M joint (eyes and ears are synthesised from the head). */
const COCO_FROM_H36M: readonly (readonly [coco: number, h36m: number])[] = [
  [0, 9], [5, 11], [6, 14], [7, 12], [8, 15], [9, 13], [10, 16], [11, 4], [12, 1], [13, 5], [14, 2], [15, 6], [16, 3],
]

/** One H36M detection ([17 * 3]) as Halpe-26 ([26 * 3]); see the module comment. */
export function h36mToHalpe26(kp: ArrayLike<number>): Float64Array {
  const out = new Float64Array(HALPE26_JOINTS.length * 3)
  for (const [h, j] of HALPE_FROM_H36M) copyJoint(out, h, kp, j)
  const face = faceGeometry(kp)
  // eyes above the H36M nose/neck point toward the head, ears wider and lower (for drawing only)
  setJoint(out, 1, face.centre, face.up, 0.35, face.side, 0.1, face.conf) // LEye
  setJoint(out, 2, face.centre, face.up, 0.35, face.side, -0.1, face.conf) // REye
  setJoint(out, 3, face.centre, face.up, 0.15, face.side, 0.22, face.conf) // LEar
  setJoint(out, 4, face.centre, face.up, 0.15, face.side, -0.22, face.conf) // REar
  // toes and heels continue the shin below the ankle, the small toe a little to the outside
  const feet: readonly [toe: number, small: number, heel: number, ankle: number, knee: number, sign: number][] = [
    [20, 22, 24, 6, 5, 1], // left: LBigToe, LSmallToe, LHeel from l_ankle, l_knee
    [21, 23, 25, 3, 2, -1], // right
  ]
  const hipSide = [kp[4 * 3]! - kp[1 * 3]!, kp[4 * 3 + 1]! - kp[1 * 3 + 1]!] as const // r_hip -> l_hip
  for (const [toe, small, heel, a, k, sign] of feet) {
    const ankle = [kp[a * 3]!, kp[a * 3 + 1]!] as const
    const shin = [kp[a * 3]! - kp[k * 3]!, kp[a * 3 + 1]! - kp[k * 3 + 1]!] as const
    const c = kp[a * 3 + 2]!
    setJoint(out, toe, ankle, shin, 0.2, hipSide, 0, c)
    setJoint(out, small, ankle, shin, 0.18, hipSide, 0.25 * sign, c)
    setJoint(out, heel, ankle, shin, 0.1, hipSide, 0, c)
  }
  return out
}

/** One H36M detection ([17 * 3]) as COCO-17 ([17 * 3]); see the module comment. */
export function h36mToCoco17(kp: ArrayLike<number>): Float64Array {
  const out = new Float64Array(17 * 3)
  for (const [c, j] of COCO_FROM_H36M) copyJoint(out, c, kp, j)
  const face = faceGeometry(kp)
  const head = [kp[10 * 3]!, kp[10 * 3 + 1]!] as const
  const conf = kp[10 * 3 + 2]!
  // symmetric about the head: coco2h36m's mean of the eyes is the head again
  setJoint(out, 1, head, face.up, 0, face.side, 0.1, conf)
  setJoint(out, 2, head, face.up, 0, face.side, -0.1, conf)
  setJoint(out, 3, head, face.up, -0.2, face.side, 0.22, conf)
  setJoint(out, 4, head, face.up, -0.2, face.side, -0.22, conf)
  return out
}

interface FaceGeometry {
  centre: readonly [number, number]
  /** H36M joint 9 (nose / base of skull) -> head. */
  up: readonly [number, number]
  /** r_shoulder -> l_shoulder. */
  side: readonly [number, number]
  conf: number
}

function faceGeometry(kp: ArrayLike<number>): FaceGeometry {
  return {
    centre: [kp[9 * 3]!, kp[9 * 3 + 1]!],
    up: [kp[10 * 3]! - kp[9 * 3]!, kp[10 * 3 + 1]! - kp[9 * 3 + 1]!],
    side: [kp[11 * 3]! - kp[14 * 3]!, kp[11 * 3 + 1]! - kp[14 * 3 + 1]!],
    conf: Math.min(kp[9 * 3 + 2]!, kp[10 * 3 + 2]!),
  }
}

function copyJoint(out: Float64Array, to: number, kp: ArrayLike<number>, from: number): void {
  out[to * 3] = kp[from * 3]!
  out[to * 3 + 1] = kp[from * 3 + 1]!
  out[to * 3 + 2] = kp[from * 3 + 2]!
}

/** out[j] = origin + a·u + b·v, confidence c. */
function setJoint(out: Float64Array, j: number, origin: readonly [number, number], u: readonly [number, number], a: number, v: readonly [number, number], b: number, c: number): void {
  out[j * 3] = origin[0] + a * u[0] + b * v[0]
  out[j * 3 + 1] = origin[1] + a * u[1] + b * v[1]
  out[j * 3 + 2] = c
}

// ---- encoders ----------------------------------------------------------------------------------

type Formatter = (v: number) => number

/** Rounds to `decimals` places, or to the shortest decimal that is the same float32. */
function numberFormatter(decimals: number | undefined): Formatter {
  if (decimals !== undefined) {
    if (!Number.isInteger(decimals) || decimals < 0 || decimals > 9) throw inputError(`decimals must be a whole number 0..9, got ${decimals}`)
    const scale = 10 ** decimals
    return (v) => {
      const r = Math.round(v * scale) / scale
      return r === 0 ? 0 : r // no "-0"
    }
  }
  return shortestFloat32
}

/** The shortest decimal that parses to the same float32 as `v`. */
export function shortestFloat32(v: number): number {
  const target = Math.fround(v)
  if (target === 0) return 0
  for (let p = 1; p < 10; p++) {
    const candidate = Number(target.toPrecision(p))
    if (Math.fround(candidate) === target) return candidate
  }
  return target
}

/** The frame number written for frame index 0 (see the module comment). */
export function firstFrameNumberFor(data: KeypointData): number {
  const first = data.firstFrameNumber ?? 0
  if (first !== 0) return first
  return data.people.some((p) => (p.frames.get(0)?.length ?? 0) > 0) ? 0 : 1
}

/** Every (frame index, person, detection) in frame order, people in file order within a frame. */
function detectionsInFrameOrder(data: KeypointData): {frame: number; person: PersonDetections; detection: Detection}[] {
  const out: {frame: number; person: PersonDetections; detection: Detection}[] = []
  data.people.forEach((person) => {
    for (const [frame, list] of person.frames) for (const detection of list) out.push({frame, person, detection})
  })
  const order = new Map(data.people.map((p, i) => [p, i]))
  return out.sort((a, b) => a.frame - b.frame || order.get(a.person)! - order.get(b.person)!)
}

/** A person id as JSON: numbers as numbers (AlphaPose writes idx as a number), else text. */
function jsonId(id: string): number | string {
  const n = Number(id)
  return id.trim() !== '' && Number.isFinite(n) ? n : id
}

function encodeResults(data: KeypointData, format: 'alphapose' | 'coco', num: Formatter, conf: Formatter): EncodedKeypoints {
  const first = firstFrameNumberFor(data)
  const lines: string[] = []
  for (const {frame, person, detection} of detectionsInFrameOrder(data)) {
    const kp = detection.keypoints
    const source = format === 'alphapose' ? h36mToHalpe26(kp) : h36mToCoco17(kp)
    const keypoints: number[] = []
    for (let i = 0; i < source.length; i += 3) keypoints.push(num(source[i]!), num(source[i + 1]!), conf(source[i + 2]!))
    const number = frame + first
    const record =
      format === 'alphapose'
        ? {image_id: `${number}.jpg`, category_id: 1, keypoints, score: conf(detection.score), box: boxOf(source, num), idx: jsonId(person.id)}
        : {image_id: number, category_id: 1, keypoints, score: conf(detection.score), track_id: jsonId(person.id)}
    lines.push(JSON.stringify(record))
  }
  // one detection per line: small diffs, easy to read, still one JSON list
  return {contents: `[\n${lines.join(',\n')}\n]\n`, layout: format === 'alphapose' ? 'halpe26' : 'coco17', records: lines.length}
}

/** AlphaPose's box [x, y, w, h]: the keypoints' extent (confident joints when any). */
function boxOf(source: Float64Array, num: Formatter): [number, number, number, number] {
  let xmin = Infinity
  let ymin = Infinity
  let xmax = -Infinity
  let ymax = -Infinity
  const anyConfident = source.some((v, i) => i % 3 === 2 && v > 0)
  for (let i = 0; i < source.length; i += 3) {
    if (anyConfident && !(source[i + 2]! > 0)) continue
    xmin = Math.min(xmin, source[i]!)
    xmax = Math.max(xmax, source[i]!)
    ymin = Math.min(ymin, source[i + 1]!)
    ymax = Math.max(ymax, source[i + 1]!)
  }
  return [num(xmin), num(ymin), num(xmax - xmin), num(ymax - ymin)]
}

function csvCell(text: string): string {
  return /[",\n\r#]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text
}

function encodeCsvLong(data: KeypointData, num: Formatter, conf: Formatter): EncodedKeypoints {
  const first = firstFrameNumberFor(data)
  const comment = [`# H36M-17 2D keypoints, x and y in ${data.units === 'unknown' ? 'the source units' : data.units}`]
  if (data.imageSize) comment.push(`image ${data.imageSize[0]}x${data.imageSize[1]}`)
  const lines = [comment.join(', '), 'frame,person,joint,x,y,score']
  const best = new Map<string, {frame: number; person: PersonDetections; detection: Detection}>()
  for (const item of detectionsInFrameOrder(data)) {
    const key = `${item.frame}\u0000${item.person.id}`
    const seen = best.get(key)
    if (!seen || item.detection.score > seen.detection.score) best.set(key, item)
  }
  let rows = 0
  for (const {frame, person, detection} of best.values()) {
    const kp = detection.keypoints
    const who = csvCell(person.id)
    for (let j = 0; j < NUM_JOINTS; j++) {
      lines.push(`${frame + first},${who},${H36M_JOINTS[j]},${num(kp[j * 3]!)},${num(kp[j * 3 + 1]!)},${conf(kp[j * 3 + 2]!)}`)
      rows++
    }
  }
  return {contents: `${lines.join('\n')}\n`, layout: 'h36m17', records: rows}
}

function encodeNpyTracks(data: KeypointData, npz: boolean): EncodedKeypoints {
  const T = data.frameCount
  const M = data.people.length
  const out = new Float32Array(M * T * ROW)
  data.people.forEach((p, m) => out.set(buildTrack(data, p).keypoints.data, m * T * ROW))
  const arr: NDArray = {data: out, shape: M === 1 ? [T, NUM_JOINTS, 3] : [M, T, NUM_JOINTS, 3]}
  return {contents: npz ? encodeNpz({keypoints: arr}) : [encodeNpy(arr)], layout: 'h36m17', records: M * T}
}

// ---- building KeypointData from arrays ----------------------------------------------------------

export interface KeypointTrackInput {
  id: string
  /** `[T, 17, 3]` x, y, confidence, one row per frame; every frame counts as a detection. */
  keypoints: NDArray
  /** Per-frame detector score; default the mean confidence. */
  scores?: ArrayLike<number>
}

/** KeypointData for dense tracks (as `motion data project` makes them). */
export function keypointDataFromTracks(
  tracks: readonly KeypointTrackInput[],
  opts: {file?: string; format?: KeypointFormat; imageSize?: [number, number]; units?: KeypointData['units']} = {},
): KeypointData {
  if (tracks.length === 0) throw new Error('keypointDataFromTracks: no tracks')
  const T = tracks[0]!.keypoints.shape[0]!
  const people: PersonDetections[] = tracks.map((track) => {
    const {shape, data} = track.keypoints
    if (shape.length !== 3 || shape[0] !== T || shape[1] !== NUM_JOINTS || shape[2] !== 3) {
      throw new Error(`keypointDataFromTracks: track ${track.id} has shape [${shape.join(', ')}], expected [${T}, 17, 3]`)
    }
    const frames = new Map<number, Detection[]>()
    for (let t = 0; t < T; t++) {
      const keypoints = data.slice(t * ROW, (t + 1) * ROW)
      let mean = 0
      for (let j = 0; j < NUM_JOINTS; j++) mean += keypoints[j * 3 + 2]! / NUM_JOINTS
      frames.set(t, [{score: track.scores ? track.scores[t]! : mean, keypoints}])
    }
    return {id: track.id, frames}
  })
  return {
    file: opts.file ?? '',
    format: opts.format ?? 'npy',
    layout: 'h36m17',
    frameCount: T,
    firstFrameNumber: 0,
    ...(opts.imageSize ? {imageSize: opts.imageSize} : {}),
    units: opts.units ?? 'pixels',
    personIds: 'file',
    people,
  }
}
