/**
 * AlphaPose results JSON: a list of detections
 * `{image_id: "out0000001.png", category_id, keypoints: [x, y, c, ...], score, box, idx}`.
 * `keypoints` holds 78 numbers (Halpe-26), 51 (COCO-17), or the whole-body layouts whose body
 * part comes first (408 = Halpe-136, 399 = COCO-WholeBody-133). `idx` is the track id: a number,
 * a list ([0.0]) or a nested list ([[0.0], [0.0]]); its first number is the person id.
 * Frames are numbered by the digits in image_id (out0000001.png is frame 1).
 */
import {inputError} from '../../core/errors.js'
import type {SourceLayout} from '../joint-maps.js'
import {assemble, isRecord, meanConfidence, numberFrames, personIdOf, toH36m} from './common.js'
import type {KeypointData, KeypointFormat, RawDetection, ReadOptions} from './types.js'

/** Keypoint counts (numbers per detection) AlphaPose and COCO results use, and the body layout each gives. */
const LAYOUT_BY_LENGTH: ReadonlyMap<number, {layout: SourceLayout; name: string}> = new Map([
  [78, {layout: 'halpe26', name: 'Halpe-26'}],
  [51, {layout: 'coco17', name: 'COCO-17'}],
  [408, {layout: 'halpe26', name: 'Halpe-136, body part'}],
  [399, {layout: 'coco17', name: 'COCO-WholeBody-133, body part'}],
])

export function expectedCounts(): string {
  return [...LAYOUT_BY_LENGTH].map(([n, v]) => `${n} (${v.name})`).join(', ')
}

export interface ResultsListOptions {
  format: KeypointFormat
  /** Keys that hold a track id, first found wins. */
  idKeys: readonly string[]
}

/** Reads a parsed AlphaPose / COCO results list. */
export function readResultsList(file: string, json: unknown, how: ResultsListOptions, opts: ReadOptions): KeypointData {
  if (!Array.isArray(json)) {
    throw inputError(`expected a JSON list of detections for ${how.format}, found ${json === null ? 'null' : typeof json}`, {file})
  }
  const items = json as unknown[]
  let layout: SourceLayout | undefined
  let length = 0
  items.forEach((item, i) => {
    if (!isRecord(item) || !Array.isArray(item.keypoints)) {
      throw inputError(`detection ${i} has no "keypoints" list`, {file})
    }
    const n = item.keypoints.length
    const known = LAYOUT_BY_LENGTH.get(n)
    if (!known) {
      throw inputError(`detection ${i} (image_id ${JSON.stringify(item.image_id)}) has ${n} keypoint numbers; expected ${expectedCounts()}`, {file})
    }
    if (layout === undefined) {
      layout = known.layout
      length = n
    } else if (n !== length) {
      throw inputError(`detection ${i} (image_id ${JSON.stringify(item.image_id)}) has ${n} keypoint numbers where the first had ${length}`, {file})
    }
  })
  const records = items as Record<string, unknown>[]
  const {numbers, fromNames} = numberFrames(records.map((r) => r.image_id ?? null))
  const detections: RawDetection[] = records.map((r, i) => {
    const where = `detection ${i} (image_id ${JSON.stringify(r.image_id)})`
    const keypoints = toH36m(file, layout!, r.keypoints as unknown[], where)
    let person: string | undefined
    for (const key of how.idKeys) {
      if (r[key] !== undefined) {
        person = personIdOf(r[key])
        break
      }
    }
    const score = typeof r.score === 'number' && Number.isFinite(r.score) ? r.score : meanConfidence(keypoints)
    return {frame: numbers[i]!, ...(person === undefined ? {} : {person}), score, keypoints}
  })
  // without usable names the order of first appearance numbers frames from 0
  return assemble({file, format: how.format, layout: layout ?? 'halpe26', detections, numbered: fromNames}, opts)
}

export function readAlphaPose(file: string, json: unknown, opts: ReadOptions = {}): KeypointData {
  return readResultsList(file, json, {format: 'alphapose', idKeys: ['idx', 'track_id']}, opts)
}
