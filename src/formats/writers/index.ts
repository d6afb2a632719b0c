/**
 * `motion predict --out FILE`: the writer is chosen by the extension. Every writer is atomic.
 * Formats and their conventions: docs/outputs.md.
 */
import path from 'node:path'

import {inputError} from '../../core/errors.js'
import {writeNpy} from '../npy.js'
import {writeBvh} from './bvh.js'
import {writeCsv} from './csv.js'
import {writeJson} from './json.js'
import type {Prediction} from './types.js'
import {checkPrediction} from './validate.js'

export type {PoseUnits, Prediction} from './types.js'
export {CAMERA_COORDINATES} from './types.js'
export {BVH_DEFAULT_FPS, BVH_SCALE, BVH_SKELETON, encodeBvh, writeBvh} from './bvh.js'
export {CSV_HEADER, encodeCsv, writeCsv} from './csv.js'
export {toPose3dJson, writeJson, type Pose3dJson} from './json.js'

type Writer = (pred: Prediction, file: string) => Promise<void>

const WRITERS: Readonly<Record<string, Writer>> = {
  '.json': writeJson,
  '.csv': writeCsv,
  '.bvh': (pred, file) => writeBvh(pred, file),
  // [T, 17, 3] float32, as infer_wild's X3D.npy (units are the caller's to state, e.g. in --json output).
  '.npy': async (pred, file) => {
    checkPrediction(pred, file)
    await writeNpy(file, pred.x3d)
  },
}

export const OUTPUT_EXTENSIONS = Object.keys(WRITERS)

/** The writer for a file name, or an input error listing the supported extensions. */
export function writerFor(file: string): Writer {
  const ext = path.extname(file).toLowerCase()
  const writer = WRITERS[ext]
  if (!writer) {
    throw inputError(`unknown output format '${ext || '(no extension)'}'`, {
      file,
      hint: `use one of ${OUTPUT_EXTENSIONS.join(', ')} (or --render FILE.png|.gif|.webp for images)`,
    })
  }
  return writer
}

/** Writes a prediction in the format its extension names (.json, .csv, .bvh, .npy). */
export async function writePrediction(pred: Prediction, file: string): Promise<void> {
  await writerFor(file)(pred, file)
}
