/**
 * Resolving a registry entry's config from its ConfigKeySpecs: a value given in the config wins,
 * then a value read off the weights' shapes, then the spec's default (synonyms and unread keys,
 * which the entry declares for the config loader, are skipped). Given values are checked
 * against the spec (type, allowed values, range) with a message that names the key.
 */
import type {ConfigValue, EntryConfig} from './backbone.js'
import type {ConfigKeySpec, RawConfig} from '../../config/types.js'
import {inputError} from '../../core/errors.js'

export function resolveConfig<C extends EntryConfig>(
  specs: readonly ConfigKeySpec[],
  partial: RawConfig,
  inferred: Readonly<Record<string, ConfigValue | undefined>>,
  owner: string,
): C {
  const out: EntryConfig = {}
  for (const spec of specs) {
    // Synonyms are resolved by the config loader; keys the entry accepts but does not read stay out.
    if (spec.aliasOf !== undefined || spec.unread) continue
    const given = partial[spec.key]
    if (given !== undefined && given !== null) {
      out[spec.key] = checkValue(spec, given, owner)
      continue
    }
    const guess = inferred[spec.key]
    if (guess !== undefined) {
      out[spec.key] = guess
      continue
    }
    if (spec.default === undefined) {
      throw inputError(`${owner}: config key ${spec.key} is required (${spec.description})`, {
        hint: `set ${spec.key} in the config`,
      })
    }
    out[spec.key] = checkValue(spec, spec.default, owner)
  }
  return out as C
}

function checkValue(spec: ConfigKeySpec, value: unknown, owner: string): ConfigValue {
  const bad = (what: string): never => {
    throw inputError(`${owner}: config key ${spec.key} ${what} (${spec.description})`)
  }
  let v: ConfigValue
  switch (spec.type) {
    case 'number':
    case 'integer': {
      if (typeof value !== 'number' || !Number.isFinite(value)) bad(`must be a number, got ${JSON.stringify(value)}`)
      v = value as number
      if (spec.type === 'integer' && !Number.isInteger(v)) bad(`must be an integer, got ${v}`)
      if (spec.min !== undefined && v < spec.min) bad(`must be >= ${spec.min}, got ${v}`)
      if (spec.max !== undefined && v > spec.max) bad(`must be <= ${spec.max}, got ${v}`)
      break
    }
    case 'boolean':
      if (typeof value !== 'boolean') bad(`must be true or false, got ${JSON.stringify(value)}`)
      v = value as boolean
      break
    case 'string':
      if (typeof value !== 'string') bad(`must be a string, got ${JSON.stringify(value)}`)
      v = value as string
      break
    default:
      return bad(`has a list type that model entries do not use`)
  }
  if (spec.allowed && !spec.allowed.includes(v)) bad(`must be one of ${spec.allowed.join(', ')}, got ${JSON.stringify(v)}`)
  return v
}
