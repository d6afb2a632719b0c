/** Checks on the shape a file header claims for an array or tensor (.npy, .npz, safetensors). */
import {LIMITS} from './limits.js'

/** The problem with a claimed shape as a sentence, or undefined when it is within limits. */
export function checkArrayShape(shape: readonly number[]): string | undefined {
  if (shape.length > LIMITS.tensorRank) return `${shape.length} dimensions, more than the limit of ${LIMITS.tensorRank}`
  let elements = 1
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) return `dimension ${d} is not a whole number of elements`
    elements *= d
  }
  if (elements > LIMITS.tensorElements) return `shape (${shape.join(', ')}) has ${elements.toExponential(2)} elements, more than the limit of ${LIMITS.tensorElements}`
  return undefined
}
