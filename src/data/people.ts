/**
 * From detections to one dense track per person: `[T, 17, 3]` with exactly one row per video
 * frame. Several detections of a person in a frame keep the best-scored one; frames without a
 * detection are filled by linear interpolation of x, y between the neighbouring detections
 * (held at the nearest detection before the first / after the last) with confidence 0, so the
 * model sees them as missing and crop_scale ignores them. No frame is dropped or duplicated.
 */
import {dataQualityError, inputError} from '../core/errors.js'
import type {NDArray} from '../core/ndarray.js'
import {NUM_JOINTS} from '../core/h36m.js'
import type {Detection, KeypointData, PersonDetections} from './keypoints/types.js'

const ROW = NUM_JOINTS * 3

export interface PersonSummary {
  id: string
  /** Frames with at least one detection of this person. */
  frames: number
  firstFrame: number
  lastFrame: number
}

export interface PersonTrack {
  id: string
  /** [T, 17, 3] x, y, confidence in the file's units; T = the video's frame count. */
  keypoints: NDArray
  /** Frames with a detection. */
  detectedFrames: number
  /** Frames filled by interpolation or holding (confidence 0). */
  filledFrames: number
  /** Frames where several detections of this person were reduced to the best-scored one. */
  duplicateFrames: number
}

export interface PeopleSelection {
  /** The tracks chosen: one, or every usable person with `all`. */
  tracks: PersonTrack[]
  /** Why these: the id asked for, the longest track by default, or all people. */
  reason: 'requested' | 'longest' | 'all'
  /** The people not chosen (with their lengths), longest first. */
  others: PersonSummary[]
  /** With `all`: people left out because none of their keypoints has a nonzero confidence. */
  skipped: string[]
}

export interface SelectOptions {
  /** A person id (AlphaPose idx, track id, ...): infer_wild's --focus. */
  person?: string
  /** Every person. */
  all?: boolean
}

/** Every person with the number of frames they were detected in, longest first (ties: first seen). */
export function listPeople(data: KeypointData): PersonSummary[] {
  return data.people
    .map((p) => {
      const frames = [...p.frames.keys()]
      return {
        id: p.id,
        frames: frames.length,
        firstFrame: frames.reduce((a, b) => Math.min(a, b), Infinity),
        lastFrame: frames.reduce((a, b) => Math.max(a, b), -Infinity),
      }
    })
    .sort((a, b) => b.frames - a.frames)
}

/** Chooses people and builds their dense tracks. */
export function selectPeople(data: KeypointData, opts: SelectOptions = {}): PeopleSelection {
  const summaries = listPeople(data)
  if (opts.all) {
    const tracks: PersonTrack[] = []
    const skipped: string[] = []
    for (const s of summaries) {
      const track = buildTrack(data, findPerson(data, s.id))
      if (hasValidKeypoint(track.keypoints)) tracks.push(track)
      else skipped.push(s.id)
    }
    if (tracks.length === 0) throw noValidKeypoints(data, 'any person')
    return {tracks, reason: 'all', others: [], skipped}
  }
  let chosen: PersonDetections
  let reason: PeopleSelection['reason']
  if (opts.person !== undefined) {
    const wanted = canonicalId(opts.person)
    const found = data.people.find((p) => p.id === opts.person || canonicalId(p.id) === wanted)
    if (!found) {
      const ids = summaries.map((s) => `${s.id} (${s.frames} frames)`).join(', ')
      throw inputError(`no person with id ${opts.person}; the ids there are: ${ids}`, {file: data.file})
    }
    chosen = found
    reason = 'requested'
  } else {
    chosen = findPerson(data, summaries[0]!.id)
    reason = 'longest'
  }
  const track = buildTrack(data, chosen)
  if (!hasValidKeypoint(track.keypoints)) throw noValidKeypoints(data, `person ${chosen.id}`)
  return {tracks: [track], reason, others: summaries.filter((s) => s.id !== chosen.id), skipped: []}
}

/** One person's dense [T, 17, 3] track (see the module comment). */
export function buildTrack(data: KeypointData, person: PersonDetections): PersonTrack {
  const T = data.frameCount
  const out = new Float32Array(T * ROW)
  const detected = [...person.frames.keys()].filter((t) => t >= 0 && t < T).sort((a, b) => a - b)
  let duplicateFrames = 0
  for (const t of detected) {
    const list = person.frames.get(t)!
    if (list.length > 1) duplicateFrames++
    out.set(best(list).keypoints.subarray(0, ROW), t * ROW)
  }
  fillGaps(out, T, detected)
  return {id: person.id, keypoints: {data: out, shape: [T, NUM_JOINTS, 3]}, detectedFrames: detected.length, filledFrames: T - detected.length, duplicateFrames}
}

/** The best-scored detection (the first among equals). */
function best(list: Detection[]): Detection {
  let b = list[0]!
  for (const d of list) if (d.score > b.score) b = d
  return b
}

/** Fills the rows of frames not in `detected` (sorted): interpolated x, y, confidence 0. */
function fillGaps(out: Float32Array, T: number, detected: number[]): void {
  if (detected.length === 0) return
  const copyXY = (to: number, from: number): void => {
    for (let j = 0; j < NUM_JOINTS; j++) {
      out[to * ROW + j * 3] = out[from * ROW + j * 3]!
      out[to * ROW + j * 3 + 1] = out[from * ROW + j * 3 + 1]!
      out[to * ROW + j * 3 + 2] = 0
    }
  }
  for (let t = 0; t < detected[0]!; t++) copyXY(t, detected[0]!)
  for (let t = detected.at(-1)! + 1; t < T; t++) copyXY(t, detected.at(-1)!)
  for (let k = 0; k + 1 < detected.length; k++) {
    const a = detected[k]!
    const b = detected[k + 1]!
    for (let t = a + 1; t < b; t++) {
      const w = (t - a) / (b - a)
      for (let j = 0; j < NUM_JOINTS; j++) {
        for (let c = 0; c < 2; c++) {
          const va = out[a * ROW + j * 3 + c]!
          const vb = out[b * ROW + j * 3 + c]!
          out[t * ROW + j * 3 + c] = va + (vb - va) * w
        }
        out[t * ROW + j * 3 + 2] = 0
      }
    }
  }
}

function hasValidKeypoint(kp: NDArray): boolean {
  for (let i = 2; i < kp.data.length; i += 3) if (kp.data[i] !== 0) return true
  return false
}

function noValidKeypoints(data: KeypointData, who: string): Error {
  return dataQualityError(`no frame has a keypoint with nonzero confidence for ${who}`, {
    file: data.file,
    hint: 'every confidence is 0: the detector found nobody usable, or the file stores no confidences (use x, y columns with a score of 1)',
  })
}

function findPerson(data: KeypointData, id: string): PersonDetections {
  return data.people.find((p) => p.id === id)!
}

/** "1", "1.0" and " 1" name the same person. */
function canonicalId(id: string): string {
  const t = id.trim()
  const n = Number(t)
  return t !== '' && Number.isFinite(n) ? String(n) : t
}
