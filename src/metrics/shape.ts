/**
 * Shape checks and layout shared by the metrics. Every pose metric takes arrays `[..., J, C]`:
 * the leading axes are flattened into frames; the axis just before the joints is time
 * (`[T, J, C]` is one sequence, `[N, T, J, C]` is N sequences).
 */
import {inputError} from '../core/errors.js'
import type {NDArray} from '../core/ndarray.js'
import {shapeString} from '../core/ndarray.js'

/** Float arrays the metrics accept (readers give Float32, fixtures and numpy files may be Float64). */
export type FloatArray = NDArray<Float32Array | Float64Array>

export interface PoseLayout {
  /** Product of all axes before the joints. */
  frames: number
  joints: number
  /** Coordinates per joint (3 for 3D, 2 for 2D). */
  dims: number
  /** Product of the axes before the time axis (1 for `[T, J, C]`). */
  sequences: number
  /** Length of the time axis (the axis before the joints). */
  framesPerSequence: number
}

/** Squared Euclidean distance between the `dims` coordinates at `offset` of two flat arrays (one joint). */
export function squaredDistanceAt(p: ArrayLike<number>, g: ArrayLike<number>, offset: number, dims: number): number {
  let sq = 0
  for (let c = 0; c < dims; c++) {
    const d = p[offset + c]! - g[offset + c]!
    sq += d * d
  }
  return sq
}

/** Checks that pred and gt have the same shape `[..., J, C]` and no NaN/Inf; returns the layout. */
export function poseLayout(metric: string, pred: FloatArray, gt: FloatArray, opts: {dims?: number; minRank?: number} = {}): PoseLayout {
  const minRank = opts.minRank ?? 2
  const same = pred.shape.length === gt.shape.length && pred.shape.every((d, i) => d === gt.shape[i])
  if (!same) {
    throw inputError(`${metric}: prediction shape ${shapeString(pred.shape)} and ground truth shape ${shapeString(gt.shape)} differ`, {
      hint: 'both arrays must hold the same frames and joints, e.g. [T, 17, 3]',
    })
  }
  const shape = pred.shape
  if (shape.length < minRank) {
    throw inputError(`${metric}: expected an array of rank >= ${minRank} ([..., joints, coords]), got shape ${shapeString(shape)}`)
  }
  const dims = shape[shape.length - 1]!
  if (opts.dims !== undefined && dims !== opts.dims) {
    throw inputError(`${metric}: expected ${opts.dims} coordinates per joint, got shape ${shapeString(shape)}`)
  }
  const joints = shape[shape.length - 2]!
  const frames = shape.slice(0, -2).reduce((a, b) => a * b, 1)
  const framesPerSequence = shape.length >= 3 ? shape[shape.length - 3]! : 1
  const sequences = shape.slice(0, -3).reduce((a, b) => a * b, 1)
  assertFinite(metric, 'prediction', pred)
  assertFinite(metric, 'ground truth', gt)
  return {frames, joints, dims, sequences, framesPerSequence}
}

function assertFinite(metric: string, what: string, x: FloatArray): void {
  const d = x.data
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i]!)) {
      throw inputError(`${metric}: ${what} holds ${d[i]} at flat index ${i} (shape ${shapeString(x.shape)})`, {
        hint: 'remove or interpolate missing frames before evaluating',
      })
    }
  }
}

/** Mean of a Float64Array (NaN for an empty one). */
export function meanOf(values: Float64Array): number {
  let s = 0
  for (let i = 0; i < values.length; i++) s += values[i]!
  return s / values.length
}
