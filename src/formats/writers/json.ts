/**
 * JSON output (`motion.pose3d`, version 1): per-frame joints with names, units, coordinates and
 * provenance, so the file explains itself. Layout in docs/outputs.md.
 */
import {displayPath} from './display-path.js'
import {personValue} from './person-id.js'
import {writeFileAtomic} from '../atomic.js'
import {H36M_JOINTS, NUM_JOINTS} from '../../core/h36m.js'
import {CAMERA_COORDINATES, type PoseUnits, type Prediction} from './types.js'
import {checkPrediction} from './validate.js'

export interface Pose3dJson {
  format: 'motion.pose3d'
  version: 1
  units: PoseUnits
  coordinates: string
  rootRelative: boolean
  joints: string[]
  fps: number | null
  source: string
  person: number | string | null
  model: string
  options: Record<string, unknown>
  /** `frame` counts from 0 in input order; `joints` is [17][x, y, z] in `units`. */
  frames: {frame: number; joints: number[][]}[]
}

/** float32 values printed with 7 significant digits (all a float32 holds), without exponent noise. */
function round(v: number): number {
  return Number(v.toPrecision(7))
}

export function toPose3dJson(pred: Prediction, file = 'output.json'): Pose3dJson {
  const T = checkPrediction(pred, file)
  const d = pred.x3d.data
  const frames = Array.from({length: T}, (_, t) => ({
    frame: t,
    joints: Array.from({length: NUM_JOINTS}, (_, j) => {
      const o = (t * NUM_JOINTS + j) * 3
      return [round(d[o]!), round(d[o + 1]!), round(d[o + 2]!)]
    }),
  }))
  return {
    format: 'motion.pose3d',
    version: 1,
    units: pred.units,
    coordinates: CAMERA_COORDINATES,
    rootRelative: pred.rootRelative,
    joints: [...H36M_JOINTS],
    fps: pred.fps ?? null,
    source: displayPath(pred.source),
    person: pred.person === undefined ? null : personValue(pred.person),
    model: pred.model,
    options: pred.options,
    frames,
  }
}

/** Writes the JSON atomically: header fields pretty-printed, one line per frame. */
export async function writeJson(pred: Prediction, file: string): Promise<void> {
  const {frames, ...header} = toPose3dJson(pred, file)
  const head = JSON.stringify(header, null, 2).replace(/\n}$/, '')
  const body = frames.map((f) => `    ${JSON.stringify(f)}`).join(',\n')
  await writeFileAtomic(file, `${head},\n  "frames": [\n${body}\n  ]\n}\n`)
}
