/**
 * Model dimensions a config may ask for (depth, widths, heads, joints, frames, classes). A config
 * asking for more (e.g. `depth: 1000000000`) is refused before anything is built or checked
 * against the weights, which would otherwise loop or allocate for minutes.
 */
import {LIMITS, type ModelDimension} from './limits.js'

/** The first dimension over its limit, as a sentence; undefined when all are within limits. */
export function checkModelDimensions(config: Readonly<Record<string, unknown>>): string | undefined {
  for (const key of Object.keys(LIMITS.model) as ModelDimension[]) {
    if (key === 'parameters' || !Object.hasOwn(config, key)) continue
    const value = config[key]
    if (typeof value !== 'number') continue
    const limit = LIMITS.model[key]
    if (!Number.isFinite(value) || value > limit) return `${key} is ${value}, more than the limit of ${limit}`
    if (value < 0) return `${key} is ${value}; it must not be negative`
  }
  return undefined
}
