/**
 * Pieces every reader shares: checking and mapping one detection to H36M-17, turning image
 * names into frame numbers, and grouping detections into people (linking them frame to frame
 * when the file has no track ids).
 */
import {dataQualityError, inputError} from '../../core/errors.js'
import {NUM_JOINTS} from '../../core/h36m.js'
import {JOINT_MAPS, mapToH36m, type SourceLayout} from '../joint-maps.js'
import type {KeypointData, KeypointFormat, PersonDetections, PersonIds, RawDetection, ReadOptions} from './types.js'

/**
 * Checks a source detection (x, y, c per joint; null/strings count as non-finite) and maps it
 * to H36M-17. `where` names the detection in errors ("frame 12 (out0000012.png)").
 */
export function toH36m(file: string, layout: SourceLayout, values: ArrayLike<unknown>, where: string): Float32Array {
  const map = JOINT_MAPS[layout]
  const n = map.sourceJoints.length * 3
  const src = new Float64Array(n)
  for (let k = 0; k < n; k++) {
    const v = values[k]
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      const joint = Math.floor(k / 3)
      const channel = ['x', 'y', 'confidence'][k % 3]
      const shown = typeof v === 'number' ? String(v) : v === null ? 'NaN or null' : JSON.stringify(v)
      throw inputError(`non-finite ${channel} (${shown}) at ${where}, joint ${joint} (${map.sourceJoints[joint]})`, {
        file,
        hint: 'the detector wrote an invalid value; set it to 0 with confidence 0 to mark the joint as missing',
      })
    }
    src[k] = v
  }
  return mapToH36m(map, src)
}

/** Mean confidence of an H36M detection: the score used when a format has none. */
export function meanConfidence(keypoints: Float32Array): number {
  let s = 0
  for (let j = 0; j < NUM_JOINTS; j++) s += keypoints[j * 3 + 2]!
  return s / NUM_JOINTS
}

/** The frame number in an image name: the last run of digits of the name without its extension. */
export function frameNumberOf(imageId: unknown): number | undefined {
  if (typeof imageId === 'number') return Number.isInteger(imageId) && imageId >= 0 ? imageId : undefined
  if (typeof imageId !== 'string') return undefined
  const base = imageId.replace(/^.*[\\/]/, '').replace(/\.[A-Za-z][A-Za-z0-9]*$/, '')
  const runs = base.match(/\d+/g)
  return runs ? Number.parseInt(runs.at(-1)!, 10) : undefined
}

/**
 * Frame numbers for a list of image ids: the numbers in the names when every name has one and
 * no two names share one, else the order of first appearance.
 */
export function numberFrames(imageIds: readonly unknown[]): {numbers: number[]; fromNames: boolean} {
  const byKey = new Map<string, number | undefined>()
  for (const id of imageIds) {
    const key = JSON.stringify(id)
    if (!byKey.has(key)) byKey.set(key, frameNumberOf(id))
  }
  const values = [...byKey.values()]
  const fromNames = values.every((v) => v !== undefined) && new Set(values).size === values.length
  const order = new Map<string, number>()
  if (!fromNames) [...byKey.keys()].forEach((k, i) => order.set(k, i))
  const numbers = imageIds.map((id) => {
    const key = JSON.stringify(id)
    return fromNames ? byKey.get(key)! : order.get(key)!
  })
  return {numbers, fromNames}
}

export interface Assembly {
  file: string
  format: KeypointFormat
  layout: SourceLayout
  detections: RawDetection[]
  /** Whether frame numbers came from names (then numbering starts at 0 or 1) or are already 0-based indices. */
  numbered: boolean
  imageSize?: [number, number]
  units?: KeypointData['units']
  /** Frame count the file states (e.g. NPY's T, or OpenPose's file count), at least the highest index + 1. */
  frameCount?: number
  /** The number of the first frame when the file knows it (OpenPose: the lowest file number, or 1). */
  firstNumber?: number
}

/**
 * Builds the common KeypointData: frame numbers become indices (numbering starting at 0 when a
 * frame 0 exists, else at 1, so leading frames nobody was detected in still count), people are
 * grouped by id or linked frame to frame.
 */
export function assemble(a: Assembly, opts: ReadOptions): KeypointData {
  const {file, detections} = a
  if (detections.length === 0) {
    throw dataQualityError('the file holds no detections', {file, hint: 'check that the detector found a person in the video'})
  }
  let minNumber = Infinity
  let maxNumber = -Infinity
  for (const d of detections) {
    if (d.frame < minNumber) minNumber = d.frame
    if (d.frame > maxNumber) maxNumber = d.frame
  }
  const first = a.firstNumber ?? (a.numbered ? Math.min(minNumber, 1) : 0)
  let frameCount = Math.max(maxNumber - first + 1, a.frameCount ?? 0)
  if (opts.frameCount !== undefined) {
    if (opts.frameCount < frameCount) {
      throw inputError(`detections reach frame index ${frameCount - 1}, beyond the ${opts.frameCount} frames given`, {file})
    }
    frameCount = opts.frameCount
  }
  const {people, personIds} = groupPeople(detections, first)
  return {
    file,
    format: a.format,
    layout: a.layout,
    frameCount,
    ...(a.numbered ? {firstFrameNumber: first} : {}),
    ...(a.imageSize ? {imageSize: a.imageSize} : {}),
    units: a.units ?? 'pixels',
    personIds,
    people,
  }
}

function groupPeople(detections: RawDetection[], first: number): {people: PersonDetections[]; personIds: PersonIds} {
  const withId = detections.filter((d) => d.person !== undefined).length
  if (withId === detections.length) return {people: groupById(detections, first), personIds: 'file'}
  if (withId > 0) {
    // a few detections without an id among tracked ones: keep them apart as their own person
    return {people: groupById(detections.map((d) => (d.person === undefined ? {...d, person: 'untracked'} : d)), first), personIds: 'file'}
  }
  const perFrame = new Map<number, number>()
  for (const d of detections) perFrame.set(d.frame, (perFrame.get(d.frame) ?? 0) + 1)
  if ([...perFrame.values()].every((n) => n === 1)) {
    return {people: groupById(detections.map((d) => ({...d, person: '0'})), first), personIds: 'single'}
  }
  return {people: groupById(linkTracks(detections), first), personIds: 'tracked'}
}

function groupById(detections: RawDetection[], first: number): PersonDetections[] {
  const people = new Map<string, PersonDetections>()
  for (const d of detections) {
    const id = d.person!
    let p = people.get(id)
    if (!p) {
      p = {id, frames: new Map()}
      people.set(id, p)
    }
    const index = d.frame - first
    const list = p.frames.get(index)
    const det = {score: d.score, keypoints: d.keypoints}
    if (list) list.push(det)
    else p.frames.set(index, [det])
  }
  return [...people.values()]
}

/** Largest gap (frames) across which a track may be continued. */
const MAX_GAP = 30

/**
 * Gives id-less detections track ids: frame by frame, each detection joins the live track whose
 * last body centre is nearest (closer than that body's size), greedily by distance; the rest
 * start new tracks ("0", "1", ... in order of appearance).
 */
function linkTracks(detections: RawDetection[]): RawDetection[] {
  interface Track {
    id: string
    frame: number
    cx: number
    cy: number
    size: number
  }
  const tracks: Track[] = []
  const byFrame = new Map<number, number[]>()
  detections.forEach((d, i) => {
    const list = byFrame.get(d.frame)
    if (list) list.push(i)
    else byFrame.set(d.frame, [i])
  })
  const ids = new Array<string>(detections.length)
  for (const frame of [...byFrame.keys()].sort((a, b) => a - b)) {
    const members = byFrame.get(frame)!
    const boxes = members.map((i) => bodyBox(detections[i]!.keypoints))
    const live = tracks.filter((t) => frame - t.frame <= MAX_GAP)
    const pairs: {m: number; t: Track; cost: number}[] = []
    members.forEach((_, m) => {
      for (const t of live) {
        const b = boxes[m]!
        const cost = Math.hypot(b.cx - t.cx, b.cy - t.cy) / Math.max(t.size, b.size, 1e-6)
        if (cost < 1) pairs.push({m, t, cost})
      }
    })
    pairs.sort((a, b) => a.cost - b.cost)
    const usedM = new Set<number>()
    const usedT = new Set<Track>()
    for (const p of pairs) {
      if (usedM.has(p.m) || usedT.has(p.t)) continue
      usedM.add(p.m)
      usedT.add(p.t)
      ids[members[p.m]!] = p.t.id
      Object.assign(p.t, {frame, ...boxes[p.m]!})
    }
    members.forEach((i, m) => {
      if (usedM.has(m)) return
      const t: Track = {id: String(tracks.length), frame, ...boxes[m]!}
      tracks.push(t)
      ids[i] = t.id
    })
  }
  return detections.map((d, i) => ({...d, person: ids[i]}))
}

function bodyBox(kp: Float32Array): {cx: number; cy: number; size: number} {
  let xmin = Infinity
  let xmax = -Infinity
  let ymin = Infinity
  let ymax = -Infinity
  for (let j = 0; j < NUM_JOINTS; j++) {
    if (kp[j * 3 + 2]! <= 0) continue
    const x = kp[j * 3]!
    const y = kp[j * 3 + 1]!
    xmin = Math.min(xmin, x)
    xmax = Math.max(xmax, x)
    ymin = Math.min(ymin, y)
    ymax = Math.max(ymax, y)
  }
  if (xmin === Infinity) return {cx: 0, cy: 0, size: 0}
  return {cx: (xmin + xmax) / 2, cy: (ymin + ymax) / 2, size: Math.hypot(xmax - xmin, ymax - ymin)}
}

/** The text form of a person id: numbers without a trailing ".0"; lists (AlphaPose idx) by their first number. */
export function personIdOf(value: unknown): string | undefined {
  let v = value
  while (Array.isArray(v)) {
    if (v.length === 0) return undefined
    v = v[0]
  }
  if (typeof v === 'number' && Number.isFinite(v)) return String(v)
  if (typeof v === 'string' && v.trim() !== '') return v.trim()
  return undefined
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
