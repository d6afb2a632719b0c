/**
 * OpenPose output: a directory of per-frame `<name>_<number>_keypoints.json` files, each
 * `{version, people: [{person_id: [-1], pose_keypoints_2d: [x, y, c, ...]}]}` with 75 numbers per
 * person (BODY_25) or 54 (COCO-18). `person_id` is used when it is not -1 (OpenPose's "untracked").
 * Frames are numbered by the digits before `_keypoints.json`; a file with no people is a frame
 * nobody was detected in and still counts.
 */
import {readFileSync, readdirSync} from 'node:fs'
import path from 'node:path'
import {inputError} from '../../core/errors.js'
import type {SourceLayout} from '../joint-maps.js'
import {assemble, isRecord, meanConfidence, numberFrames, personIdOf, toH36m} from './common.js'
import {parseJsonText} from './json.js'
import type {KeypointData, RawDetection, ReadOptions} from './types.js'

const LAYOUT_BY_LENGTH: ReadonlyMap<number, SourceLayout> = new Map([
  [75, 'body25'],
  [54, 'coco18'],
])

export const OPENPOSE_SUFFIX = '_keypoints.json'

/** The per-frame files of an OpenPose output directory, in frame order. */
export function listOpenPoseFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(OPENPOSE_SUFFIX))
    .sort((a, b) => a.localeCompare(b, 'en', {numeric: true}))
}

export function readOpenPoseDir(dir: string, opts: ReadOptions = {}): KeypointData {
  const files = listOpenPoseFiles(dir)
  if (files.length === 0) {
    throw inputError(`no *${OPENPOSE_SUFFIX} files in this directory`, {file: dir, hint: 'point to the folder OpenPose wrote with --write_json'})
  }
  const {numbers, fromNames} = numberFrames(files.map((f) => f.slice(0, -OPENPOSE_SUFFIX.length)))
  const state: FrameState = {layout: undefined}
  const detections: RawDetection[] = []
  files.forEach((name, i) => {
    const file = path.join(dir, name)
    const json = parseJsonText(file, readFileSync(file, 'utf8'))
    detections.push(...frameDetections(file, json, numbers[i]!, state))
  })
  const first = fromNames ? numbers.reduce((a, b) => Math.min(a, b), 1) : 0
  const last = numbers.reduce((a, b) => Math.max(a, b), 0)
  return assemble(
    {file: dir, format: 'openpose', layout: state.layout ?? 'body25', detections, numbered: fromNames, firstNumber: first, frameCount: last - first + 1},
    opts,
  )
}

/** One OpenPose frame file read on its own (a single frame). */
export function readOpenPoseFile(file: string, json: unknown, opts: ReadOptions = {}): KeypointData {
  const state: FrameState = {layout: undefined}
  const detections = frameDetections(file, json, 0, state)
  return assemble({file, format: 'openpose', layout: state.layout ?? 'body25', detections, numbered: false, firstNumber: 0, frameCount: 1}, opts)
}

interface FrameState {
  layout: SourceLayout | undefined
}

function frameDetections(file: string, json: unknown, frame: number, state: FrameState): RawDetection[] {
  if (!isRecord(json) || !Array.isArray(json.people)) throw inputError('not an OpenPose frame: no "people" list', {file})
  return json.people.map((p, k) => {
    const values = isRecord(p) ? (p.pose_keypoints_2d ?? p.pose_keypoints) : undefined
    if (!Array.isArray(values)) throw inputError(`person ${k} has no "pose_keypoints_2d" list`, {file})
    const layout = LAYOUT_BY_LENGTH.get(values.length)
    if (!layout) {
      throw inputError(`person ${k} has ${values.length} pose_keypoints_2d numbers; expected 75 (BODY_25) or 54 (COCO-18)`, {file})
    }
    if (state.layout !== undefined && state.layout !== layout) {
      throw inputError(`person ${k} has ${values.length} numbers but earlier frames used ${state.layout === 'body25' ? 75 : 54}`, {file})
    }
    state.layout = layout
    const keypoints = toH36m(file, layout, values as unknown[], `frame ${frame}, person ${k}`)
    const rawId = isRecord(p) ? personIdOf(p.person_id) : undefined
    const person = rawId === undefined || rawId === '-1' ? undefined : rawId
    return {frame, ...(person === undefined ? {} : {person}), score: meanConfidence(keypoints), keypoints}
  })
}
