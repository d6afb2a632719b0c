/**
 * Checking one value against its ConfigKeySpec: type, allowed values, bounds, array length.
 * Errors name the key and where the value came from (`configs/x.yaml: dim_feat must be a positive
 * integer (got "abc")`, `--dim-feat flag: ...`). Flag values may arrive as strings and are coerced;
 * file values must already have the right YAML/JSON type.
 */
import {inputError} from '../core/errors.js'
import type {ConfigKeySpec} from './types.js'

/** Source label of values given on the command line. */
export const FLAG_SOURCE = 'flag'
export const DEFAULT_SOURCE = 'default'

/** The flag a key is set with: `dim_feat` -> `--dim-feat`. */
export function keyToFlag(key: string): string {
  return `--${key.replace(/_/g, '-')}`
}

/** How messages name the origin of a key's value. */
export function originLabel(source: string, key: string): string {
  return source === FLAG_SOURCE ? `${keyToFlag(key)} flag` : source
}

/** Validate (and for flags, coerce) a value; returns the value to store. Throws inputError. */
export function validateValue(spec: ConfigKeySpec, value: unknown, source: string): unknown {
  const fromFlag = source === FLAG_SOURCE
  const fail = (): never => {
    throw inputError(`${spec.key} must be ${expectation(spec)} (got ${show(value)})`, {
      file: originLabel(source, spec.key),
      hint: spec.description,
    })
  }
  if (value === null || (fromFlag && spec.nullable && value === 'null')) {
    return spec.nullable ? null : fail()
  }
  if (spec.type.endsWith('[]')) {
    let list: unknown = value
    if (fromFlag && typeof value === 'string') list = splitFlagList(value)
    // A bare scalar is not promoted to a list: the official code would iterate a string's characters.
    if (!Array.isArray(list)) return fail()
    if (spec.length !== undefined && list.length !== spec.length) return fail()
    const elementType = spec.type.slice(0, -2) as 'number' | 'integer' | 'string'
    const out: unknown[] = []
    for (const item of list) {
      const checked = checkScalar(elementType, spec, item, fromFlag)
      if (checked === INVALID) return fail()
      out.push(checked)
    }
    if (spec.length === 2 && elementType !== 'string' && (out[0] as number) > (out[1] as number)) {
      throw inputError(`${spec.key} must be [low, high] with low <= high (got ${show(value)})`, {file: originLabel(source, spec.key)})
    }
    return out
  }
  const checked = checkScalar(spec.type as 'number' | 'integer' | 'string' | 'boolean', spec, value, fromFlag)
  return checked === INVALID ? fail() : checked
}

const INVALID = Symbol('invalid')

function checkScalar(type: 'number' | 'integer' | 'string' | 'boolean', spec: ConfigKeySpec, raw: unknown, fromFlag: boolean): unknown {
  let value = raw
  switch (type) {
    case 'integer':
    case 'number': {
      if (fromFlag && typeof value === 'string' && value.trim() !== '') value = Number(value)
      if (typeof value !== 'number' || !Number.isFinite(value)) return INVALID
      if (type === 'integer' && !Number.isInteger(value)) return INVALID
      if (spec.min !== undefined && (value < spec.min || (spec.exclusiveMin && value === spec.min))) return INVALID
      if (spec.max !== undefined && value > spec.max) return INVALID
      return matchAllowed(spec, value)
    }
    case 'boolean': {
      if (typeof value === 'boolean') return value
      if (fromFlag && typeof value === 'string') {
        const word = value.trim().toLowerCase()
        if (['true', '1', 'yes', 'on'].includes(word)) return true
        if (['false', '0', 'no', 'off'].includes(word)) return false
      }
      return INVALID
    }
    case 'string': {
      if (typeof value !== 'string') return INVALID
      return matchAllowed(spec, spec.lowercase ? value.toLowerCase() : value)
    }
  }
}

/** Allowed strings match case-insensitively and come back spelled as in the spec. */
function matchAllowed(spec: ConfigKeySpec, value: string | number): unknown {
  if (!spec.allowed) return value
  for (const allowed of spec.allowed) {
    if (allowed === value) return allowed
    if (typeof allowed === 'string' && typeof value === 'string' && allowed.toLowerCase() === value.toLowerCase()) return allowed
  }
  return INVALID
}

/** `1,2,3` or `[1, 2, 3]` from the command line. */
function splitFlagList(text: string): unknown {
  const trimmed = text.trim()
  if (trimmed.startsWith('[')) {
    try {
      return JSON.parse(trimmed) as unknown
    } catch {
      return text
    }
  }
  return trimmed === '' ? [] : trimmed.split(',').map((part) => part.trim())
}

/** What a key accepts, in words: "a positive integer", "one of auto, tfjs, onnx", "a list of 2 non-negative numbers". */
export function expectation(spec: ConfigKeySpec): string {
  let text: string
  if (spec.type.endsWith('[]')) {
    const count = spec.length !== undefined ? `${spec.length} ` : ''
    text = `a list of ${count}${scalarPhrase(spec, spec.type.slice(0, -2), true)}`
  } else {
    text = scalarPhrase(spec, spec.type, false)
  }
  return spec.nullable ? `${text} or null` : text
}

function scalarPhrase(spec: ConfigKeySpec, type: string, plural: boolean): string {
  if (spec.allowed) return `one of ${spec.allowed.join(', ')}`
  const noun = type === 'integer' ? 'integer' : type === 'number' ? 'number' : type === 'boolean' ? 'boolean' : 'string'
  const nouns = plural ? `${noun}s` : noun
  const article = plural ? '' : /^[aeiou]/.test(noun) ? 'an ' : 'a '
  if (type === 'boolean') return plural ? 'booleans (true/false)' : 'true or false'
  if (type === 'string') return `${article}${nouns}`
  const {min, max, exclusiveMin} = spec
  if (min === 0 && max === undefined) {
    return exclusiveMin ? `${plural ? '' : 'a '}positive ${nouns}` : `${plural ? '' : 'a '}non-negative ${nouns}`
  }
  if (min === 1 && max === undefined && type === 'integer') return `${plural ? '' : 'a '}positive ${nouns}`
  if (min !== undefined && max !== undefined && !exclusiveMin) return `${article}${nouns} from ${min} to ${max}`
  const low = min === undefined ? '' : `${exclusiveMin ? '>' : '>='} ${min}`
  const high = max === undefined ? '' : `<= ${max}`
  const range = [low, high].filter(Boolean).join(' and ')
  return range ? `${article}${nouns} ${range}` : `${article}${nouns}`
}

/** A value as shown in messages: JSON, shortened. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing'
  let text: string
  try {
    text = JSON.stringify(value) ?? String(value)
  } catch {
    text = String(value)
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

/** The closest known key to a misspelt one, or undefined when nothing is close. */
export function suggestKey(unknown: string, known: Iterable<string>): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/-/g, '_')
  const target = norm(unknown)
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of known) {
    const distance = editDistance(target, norm(candidate))
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  const limit = Math.max(2, Math.floor(target.length / 3))
  return bestDistance <= limit ? best : undefined
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)
      current.push(Math.min(previous[j] + 1, current[j - 1] + 1, substitution))
    }
    previous = current
  }
  return previous[b.length]
}
