/**
 * CSV output, long form: one row per frame and joint, with the units in a column of their own
 * so any CSV reader (spreadsheets, pandas, csv-parse) gets a plain header and self-describing rows:
 *
 *   frame,joint,x,y,z,units
 *   0,pelvis,0.0123,-0.2,0.5,normalized
 *
 * `frame` counts from 0; `joint` is the H36M-17 name; coordinates are camera coordinates
 * (x right, y down, z away from the camera).
 */
import {writeFileAtomic} from '../atomic.js'
import {H36M_JOINTS, NUM_JOINTS} from '../../core/h36m.js'
import type {Prediction} from './types.js'
import {checkPrediction} from './validate.js'

export const CSV_HEADER = ['frame', 'joint', 'x', 'y', 'z', 'units'] as const

export function encodeCsv(pred: Prediction, file = 'output.csv'): string {
  const T = checkPrediction(pred, file)
  const d = pred.x3d.data
  const rows: string[] = [CSV_HEADER.join(',')]
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < NUM_JOINTS; j++) {
      const o = (t * NUM_JOINTS + j) * 3
      rows.push(`${t},${H36M_JOINTS[j]},${num(d[o]!)},${num(d[o + 1]!)},${num(d[o + 2]!)},${pred.units}`)
    }
  }
  rows.push('')
  return rows.join('\n')
}

function num(v: number): string {
  return String(Number(v.toPrecision(7)))
}

export async function writeCsv(pred: Prediction, file: string): Promise<void> {
  await writeFileAtomic(file, encodeCsv(pred, file))
}
