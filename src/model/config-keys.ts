/**
 * The models' config keys, gathered from the registries and handed to the config loader (issue 17:
 * src/config sits below the registries, holds the general and training keys and names no model):
 *  - every key a backbone or head entry reads (`configKeys`), once, with the entries that read it
 *    and their defaults, and the keys of the backbones' own objectives (`lossKeys`);
 *  - the backbone default and the task names, as values of the built-in `backbone` and `task` keys;
 *  - each backbone's rules across keys (`configRules`: clip_len's window, divisibility).
 * loadMotionConfig is loadConfig with all of them: what the commands and the library load.
 */
import {backboneRegistry, DEFAULT_BACKBONE} from '../backbones/registry.js'
import {renderConfigDocs} from '../config/docs.js'
import {describeConfigKeys, loadConfig, type LoadConfigOptions} from '../config/load.js'
import type {LoadedConfig} from '../config/schema.js'
import type {BackboneConfigRules, ConfigKeySpec} from '../config/types.js'
import {headRegistry} from '../heads/registry.js'
import {TASKS} from '../heads/tasks.js'

export interface ModelConfigKeys {
  /** Merged over the built-in keys by the loader (mergeKeySpecs). */
  readonly keys: readonly ConfigKeySpec[]
  /** Per backbone name. */
  readonly backboneRules: Readonly<Record<string, BackboneConfigRules>>
}

/** What a value of the key may be: entries that declare one key must agree on all of these. */
const AGREED_FIELDS = ['type', 'allowed', 'min', 'max', 'exclusiveMin', 'length', 'nullable', 'lowercase', 'inferable', 'aliasOf', 'unread', 'group'] as const

interface Declaration {
  spec: ConfigKeySpec
  owner: string
  kind: 'backbone' | 'head'
}

let gathered: ModelConfigKeys | undefined

/** The registries' keys and rules (gathered once). */
export function modelConfigKeys(): ModelConfigKeys {
  gathered ??= gather()
  return gathered
}

/** loadConfig with the models' keys and rules (and any further `extraKeys` the caller adds). */
export function loadMotionConfig(opts: LoadConfigOptions = {}): Promise<LoadedConfig & {files: string[]}> {
  const model = modelConfigKeys()
  return loadConfig({
    ...opts,
    extraKeys: [...model.keys, ...(opts.extraKeys ?? [])],
    backboneRules: {...model.backboneRules, ...opts.backboneRules},
  })
}

/** Every key `motion` knows, built-in and the models', in documentation order. */
export function motionConfigKeys(): ConfigKeySpec[] {
  return describeConfigKeys(modelConfigKeys().keys)
}

/** docs/config.md. */
export function renderMotionConfigDocs(): string {
  const model = modelConfigKeys()
  return renderConfigDocs(describeConfigKeys(model.keys), model.backboneRules)
}

function gather(): ModelConfigKeys {
  const byKey = new Map<string, Declaration[]>()
  const declare = (spec: ConfigKeySpec, owner: string, kind: Declaration['kind']) => {
    const list = byKey.get(spec.key) ?? []
    list.push({spec, owner, kind})
    byKey.set(spec.key, list)
  }
  for (const b of backboneRegistry.values()) for (const spec of b.configKeys) declare({group: 'model', ...spec}, b.name, 'backbone')
  for (const h of headRegistry.values()) for (const spec of h.configKeys) declare({group: 'model', ...spec}, h.name, 'head')
  for (const b of backboneRegistry.values()) for (const spec of b.lossKeys ?? []) declare(spec, b.name, 'backbone')

  const keys: ConfigKeySpec[] = [
    // Built-in keys whose values the registries give (described in src/config/keys.ts).
    {key: 'backbone', type: 'string', default: DEFAULT_BACKBONE, description: ''},
    {key: 'task', type: 'string', allowed: [...TASKS], description: ''},
    ...[...byKey.entries()].map(([key, declarations]) => merge(key, declarations)),
  ]
  const backboneRules: Record<string, BackboneConfigRules> = {}
  for (const b of backboneRegistry.values()) if (b.configRules) backboneRules[b.name] = b.configRules
  return {keys, backboneRules}
}

/** One spec for a key several entries may read: who reads it, their defaults, their meanings. */
function merge(key: string, declarations: readonly Declaration[]): ConfigKeySpec {
  const first = declarations[0]!
  for (const d of declarations.slice(1)) {
    for (const field of AGREED_FIELDS) {
      if (JSON.stringify(d.spec[field]) !== JSON.stringify(first.spec[field])) {
        // Two entries disagree about what a config may say: a bug, not a user error.
        throw new Error(`config key ${key}: ${first.owner} declares ${field} ${JSON.stringify(first.spec[field])}, ${d.owner} ${JSON.stringify(d.spec[field])}`)
      }
    }
  }
  const owners = (kind: Declaration['kind']) => [...new Set(declarations.filter((d) => d.kind === kind).map((d) => d.owner))]
  const {default: _default, backbones: _backbones, heads: _heads, defaultByBackbone: _byBackbone, defaultByHead: _byHead, ...rest} = first.spec
  const merged: ConfigKeySpec = {...rest, description: describe(declarations)}
  const backbones = owners('backbone')
  const heads = owners('head')
  if (backbones.length > 0) merged.backbones = backbones
  if (heads.length > 0) merged.heads = heads
  const defaults = declarations.map((d) => d.spec.default)
  if (defaults.every((v) => JSON.stringify(v) === JSON.stringify(defaults[0]))) {
    if (defaults[0] !== undefined) merged.default = defaults[0]
  } else {
    const per = (kind: Declaration['kind']) => Object.fromEntries(declarations.filter((d) => d.kind === kind && d.spec.default !== undefined).map((d) => [d.owner, d.spec.default]))
    if (backbones.length > 0) merged.defaultByBackbone = per('backbone')
    if (heads.length > 0) merged.defaultByHead = per('head')
  }
  return merged
}

/** The entries' meaning of a key: one sentence when they share it, else each reader's own. */
function describe(declarations: readonly Declaration[]): string {
  const byText = new Map<string, string[]>()
  for (const d of declarations) byText.set(d.spec.description, [...(byText.get(d.spec.description) ?? []), d.owner])
  if (byText.size === 1) return declarations[0]!.spec.description
  return [...byText.entries()].map(([text, owners]) => `${owners.join(', ')}: ${text}`).join(' ')
}
