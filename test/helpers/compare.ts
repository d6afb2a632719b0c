/** The project's parity measure, shared by every test that compares with a reference. */
import assert from 'node:assert/strict'
import type {NDArray} from '../../src/core/ndarray.js'

/** max|ours - ref| / max(1, max|ref|) over two flat arrays of the same length. */
export function parityError(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  assert.equal(ours.length, ref.length, `length ${ours.length} != ${ref.length}`)
  let maxDiff = 0
  let maxRef = 0
  for (let i = 0; i < ref.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(ours[i]! - ref[i]!))
    maxRef = Math.max(maxRef, Math.abs(ref[i]!))
  }
  return maxDiff / Math.max(1, maxRef)
}

/** parityError of two arrays that must have the same shape. */
export function relativeError(ours: NDArray, ref: NDArray): number {
  assert.deepEqual(ours.shape, ref.shape)
  return parityError(ours.data, ref.data)
}
