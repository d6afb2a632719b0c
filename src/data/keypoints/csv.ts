/**
 * Keypoints as CSV (read with csv-parse), H36M-17 joints, in one of two forms told apart by the header:
 *
 *  - long form, one row per joint:  `frame,person,joint,x,y,score` (person and score optional;
 *    `confidence` or `conf` for score); joint is an H36M name (pelvis, r_hip, ...) or index 0..16.
 *    A joint without a row in a frame is missing (0, 0, confidence 0).
 *  - wide form, one row per person per frame: `frame[,person]` then `<joint>_x,<joint>_y[,<joint>_score]`
 *    for all 17 joints (joint as a name or an index).
 *
 * A missing score column means confidence 1. Frames are numbered by the frame column
 * (from 0, or from 1 when there is no frame 0).
 */
import {parse} from 'csv-parse/sync'
import {inputError} from '../../core/errors.js'
import {H36M_JOINTS, NUM_JOINTS} from '../../core/h36m.js'
import {assemble, meanConfidence} from './common.js'
import type {KeypointData, RawDetection, ReadOptions} from './types.js'

const SCORE_NAMES = ['score', 'confidence', 'conf']

export function readCsv(file: string, text: string, opts: ReadOptions = {}): KeypointData {
  if (text.trim().length === 0) throw inputError('the file is empty', {file})
  let rows: string[][]
  try {
    rows = parse(text, {trim: true, skip_empty_lines: true, comment: '#'}) as string[][]
  } catch (err) {
    throw inputError(`invalid CSV: ${(err as Error).message}`, {file})
  }
  const header = rows[0]!.map((h) => h.toLowerCase())
  const body = rows.slice(1)
  if (!header.includes('frame')) throw inputError(`the CSV header has no "frame" column (found: ${header.join(',')})`, {file, hint: CSV_HINT})
  const detections = header.includes('joint') ? readLong(file, header, body) : readWide(file, header, body)
  return assemble({file, format: 'csv', layout: 'h36m17', detections, numbered: true, units: 'unknown'}, opts)
}

const CSV_HINT = 'expected long form "frame,person,joint,x,y,score" or wide form "frame,person,pelvis_x,pelvis_y,pelvis_score,..."'

/** Joint index from an H36M name or an index. */
export function jointIndex(name: string): number | undefined {
  const lower = name.trim().toLowerCase()
  if (/^\d+$/.test(lower)) {
    const j = Number(lower)
    return j < NUM_JOINTS ? j : undefined
  }
  const j = (H36M_JOINTS as readonly string[]).indexOf(lower)
  return j < 0 ? undefined : j
}

function numberAt(file: string, row: string[], col: number, line: number, what: string): number {
  const cell = row[col] ?? ''
  const v = cell === '' ? Number.NaN : Number(cell)
  if (!Number.isFinite(v)) throw inputError(`row ${line}: ${what} is ${JSON.stringify(cell)}, not a finite number`, {file})
  return v
}

function readLong(file: string, header: string[], body: string[][]): RawDetection[] {
  const col = (name: string): number => header.indexOf(name)
  const [cFrame, cPerson, cJoint, cX, cY] = [col('frame'), col('person'), col('joint'), col('x'), col('y')]
  const cScore = SCORE_NAMES.map(col).find((c) => c >= 0) ?? -1
  if (cX < 0 || cY < 0) throw inputError('the long-form CSV header needs "x" and "y" columns', {file, hint: CSV_HINT})
  const byKey = new Map<string, RawDetection>()
  body.forEach((row, r) => {
    const line = r + 2
    const frame = numberAt(file, row, cFrame, line, 'frame')
    if (!Number.isInteger(frame) || frame < 0) throw inputError(`row ${line}: frame ${frame} is not a whole number >= 0`, {file})
    const person = cPerson >= 0 ? (row[cPerson] ?? '') : '0'
    const j = jointIndex(row[cJoint] ?? '')
    if (j === undefined) {
      throw inputError(`row ${line}: unknown joint ${JSON.stringify(row[cJoint])}`, {file, hint: `joints are H36M names (${H36M_JOINTS.join(', ')}) or indices 0..16`})
    }
    const where = `(frame ${frame}, joint ${j} ${H36M_JOINTS[j]})`
    const x = numberAt(file, row, cX, line, `x ${where}`)
    const y = numberAt(file, row, cY, line, `y ${where}`)
    const c = cScore >= 0 ? numberAt(file, row, cScore, line, `score ${where}`) : 1
    const key = `${frame}\u0000${person}`
    let det = byKey.get(key)
    if (!det) {
      det = {frame, person, score: 0, keypoints: new Float32Array(NUM_JOINTS * 3)}
      byKey.set(key, det)
    }
    det.keypoints[j * 3] = x
    det.keypoints[j * 3 + 1] = y
    det.keypoints[j * 3 + 2] = c
  })
  const detections = [...byKey.values()]
  for (const d of detections) d.score = meanConfidence(d.keypoints)
  return detections
}

function readWide(file: string, header: string[], body: string[][]): RawDetection[] {
  const cFrame = header.indexOf('frame')
  const cPerson = header.indexOf('person')
  const cols: {x: number; y: number; c: number}[] = []
  const missing: string[] = []
  for (let j = 0; j < NUM_JOINTS; j++) {
    const find = (suffixes: string[]): number => header.findIndex((h) => suffixes.some((s) => h === `${H36M_JOINTS[j]}_${s}` || h === `${j}_${s}`))
    const x = find(['x'])
    const y = find(['y'])
    if (x < 0 || y < 0) missing.push(H36M_JOINTS[j]!)
    cols.push({x, y, c: find(SCORE_NAMES)})
  }
  if (missing.length === NUM_JOINTS) throw inputError(`unknown CSV layout (header: ${header.slice(0, 8).join(',')}...)`, {file, hint: CSV_HINT})
  if (missing.length > 0) throw inputError(`the wide-form CSV has no x/y columns for ${missing.join(', ')}`, {file, hint: CSV_HINT})
  return body.map((row, r) => {
    const line = r + 2
    const frame = numberAt(file, row, cFrame, line, 'frame')
    if (!Number.isInteger(frame) || frame < 0) throw inputError(`row ${line}: frame ${frame} is not a whole number >= 0`, {file})
    const keypoints = new Float32Array(NUM_JOINTS * 3)
    cols.forEach((c, j) => {
      const where = `(frame ${frame}, joint ${j} ${H36M_JOINTS[j]})`
      keypoints[j * 3] = numberAt(file, row, c.x, line, `x ${where}`)
      keypoints[j * 3 + 1] = numberAt(file, row, c.y, line, `y ${where}`)
      keypoints[j * 3 + 2] = c.c >= 0 ? numberAt(file, row, c.c, line, `score ${where}`) : 1
    })
    return {frame, person: cPerson >= 0 ? (row[cPerson] ?? '') : '0', score: meanConfidence(keypoints), keypoints}
  })
}
