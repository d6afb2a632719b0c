/**
 * Checks on parsed config values (JSON and YAML: model config.json, --config files, safetensors
 * metadata): nesting depth, and keys that would reach an object's prototype (`__proto__`,
 * `constructor`, `prototype`) when merged into a plain object.
 */
import {LIMITS} from './limits.js'

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

/** The first problem in a parsed config value as a sentence, or undefined when it is fine. */
export function checkConfigValue(value: unknown): string | undefined {
  const seen = new Set<object>()
  const walk = (v: unknown, depth: number, where: string): string | undefined => {
    if (typeof v !== 'object' || v === null) return undefined
    if (depth > LIMITS.configDepth) return `values nest deeper than the limit of ${LIMITS.configDepth} levels (at ${where})`
    // Shared values (YAML aliases) are checked once.
    if (seen.has(v)) return undefined
    seen.add(v)
    if (Object.getPrototypeOf(v) !== Object.prototype && Object.getPrototypeOf(v) !== null && !Array.isArray(v)) {
      return `${where} is not a plain mapping`
    }
    for (const key of Object.keys(v)) {
      if (FORBIDDEN_KEYS.has(key)) return `the key '${key}' is not allowed (at ${where})`
      const problem = walk((v as Record<string, unknown>)[key], depth + 1, where === 'top level' ? key : `${where}.${key}`)
      if (problem) return problem
    }
    return undefined
  }
  return walk(value, 0, 'top level')
}
