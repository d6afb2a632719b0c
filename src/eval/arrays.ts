/**
 * `motion eval --pred P.npy --gt G.npy`: metrics of a prediction array against ground truth, in the
 * arrays' own units (no model, so nothing heavy is loaded).
 */
import {inputError} from '../core/errors.js'
import {readNpy, toFloat32} from '../formats/npy.js'
import {mpjpe, mpjve, nMpjpe, pMpjpe} from '../metrics/index.js'
import {shapeString} from '../core/ndarray.js'

export interface ArrayMetrics {
  mpjpe: number
  p_mpjpe: number
  n_mpjpe: number
  /** Null when the arrays have no time axis (rank < 3) or a single frame. */
  mpjve: number | null
  frames: number
  shape: number[]
  units: 'input'
}

/** Metrics of P against G (`[..., J, 3]`, same shape), in the arrays' own units. */
export async function evaluateArrays(predFile: string, gtFile: string): Promise<ArrayMetrics> {
  const pred = toFloat32(await readNpy(predFile))
  const gt = toFloat32(await readNpy(gtFile))
  if (pred.shape.length !== gt.shape.length || pred.shape.some((d, i) => d !== gt.shape[i])) {
    throw inputError(`prediction ${shapeString(pred.shape)} and ground truth ${shapeString(gt.shape)} differ in shape`, {file: predFile, hint: `both must be [..., joints, 3]; ground truth: ${gtFile}`})
  }
  if (pred.shape.length < 2 || pred.shape[pred.shape.length - 1] !== 3) {
    throw inputError(`expected [..., joints, 3] poses, got ${shapeString(pred.shape)}`, {file: predFile})
  }
  for (const [a, file] of [[pred, predFile], [gt, gtFile]] as const) {
    const bad = a.data.findIndex((v) => !Number.isFinite(v))
    if (bad >= 0) throw inputError(`non-finite value ${a.data[bad]} at flat index ${bad}`, {file})
  }
  const temporal = pred.shape.length >= 3 && pred.shape[pred.shape.length - 3]! >= 2
  return {
    mpjpe: mpjpe(pred, gt).mean,
    p_mpjpe: pMpjpe(pred, gt).mean,
    n_mpjpe: nMpjpe(pred, gt).mean,
    mpjve: temporal ? mpjve(pred, gt).mean : null,
    frames: pred.data.length / (pred.shape[pred.shape.length - 2]! * 3),
    shape: [...pred.shape],
    units: 'input',
  }
}

