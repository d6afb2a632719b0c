/**
 * Building the one validated MotionConfig a command runs with.
 *
 * Precedence, lowest first: defaults < discovered file (cosmiconfig, module name `motion`, searched from
 * cwd up) < --config FILE (MotionBERT's YAML configs as they are) < flags. Every value is checked against
 * its ConfigKeySpec as it is read, so an error names the key and the file (or flag) it came from.
 * Unknown keys are kept in `config.extra` and reported as warnings with a did-you-mean.
 *
 * This layer sits below the model registries and names no model: the model keys, the backbone default,
 * the task names and each backbone's rules across keys are handed in (`extraKeys`, `backboneRules`) by
 * the model layer (src/model/config-keys.ts, loadMotionConfig), which gathers them from the registries.
 */
import path from 'node:path'
import {cosmiconfig, type Loader} from 'cosmiconfig'
import {inputError, isMotionError} from '../core/errors.js'
import {parseJsonText, parseYamlText, readConfigFile, requireMapping} from './files.js'
import {BUILTIN_KEYS} from './keys.js'
import type {ConfigSources, LoadedConfig, MotionConfig} from './schema.js'
import type {BackboneConfigRules, ConfigKeySpec, RawConfig} from './types.js'
import {DEFAULT_SOURCE, FLAG_SOURCE, originLabel, show, suggestKey, validateValue} from './validate.js'

export interface LoadConfigOptions {
  /** --config FILE: a YAML/JSON/JS config (MotionBERT's YAML keys accepted as they are). */
  configFile?: string
  /** Where discovery starts and relative paths resolve; default process.cwd(). */
  cwd?: string
  /** Flag values, keyed by config key (snake_case); undefined entries are ignored. */
  overrides?: RawConfig
  /** Keys declared by the model registries (new keys, or allowed values/defaults for built-in ones such as backbone). */
  extraKeys?: readonly ConfigKeySpec[]
  /** Per backbone name, the rules across its keys (from its registry entry): clip_len's default, divisibility, limits. */
  backboneRules?: Readonly<Record<string, BackboneConfigRules>>
  /** Look for motion.config.* / .motionrc* / package.json "motion" from cwd up; default true. */
  search?: boolean
}

/** Files cosmiconfig looks for in each directory, first match wins (TypeScript configs are not supported). */
export const SEARCH_PLACES: readonly string[] = [
  'package.json',
  '.motionrc',
  '.motionrc.json',
  '.motionrc.yaml',
  '.motionrc.yml',
  '.motionrc.js',
  '.motionrc.mjs',
  '.motionrc.cjs',
  'motion.config.json',
  'motion.config.yaml',
  'motion.config.yml',
  'motion.config.js',
  'motion.config.mjs',
  'motion.config.cjs',
]

export async function loadConfig(opts: LoadConfigOptions = {}): Promise<LoadedConfig & {files: string[]}> {
  const cwd = path.resolve(opts.cwd ?? process.cwd())
  const specs = mergeKeySpecs(opts.extraKeys ?? [])
  const layers: {source: string; values: RawConfig}[] = []

  if (opts.search !== false) {
    const found = await discoverConfig(cwd)
    if (found) layers.push({source: found.label, values: found.config})
  }
  if (opts.configFile !== undefined) {
    const label = opts.configFile
    layers.push({source: label, values: await readConfigFile(path.resolve(cwd, opts.configFile), label)})
  }
  if (opts.overrides) layers.push({source: FLAG_SOURCE, values: opts.overrides})

  const values: RawConfig = {}
  const sources: ConfigSources = {}
  const extra: RawConfig = {}
  const warnings: string[] = []

  for (const layer of layers) {
    const setInLayer = new Map<string, {key: string; value: unknown}>()
    for (const [key, raw] of Object.entries(layer.values)) {
      if (raw === undefined) continue
      const spec = specs.get(key)
      if (!spec) {
        warnings.push(unknownKeyWarning(key, layer.source, specs.keys()))
        // defineProperty: a key such as `__proto__` is stored as data, never as the object's prototype.
        Object.defineProperty(extra, key, {value: raw, enumerable: true, writable: true, configurable: true})
        Object.defineProperty(sources, key, {value: layer.source, enumerable: true, writable: true, configurable: true})
        continue
      }
      const value = validateValue(spec, raw, layer.source)
      const target = spec.aliasOf ?? key
      const earlier = setInLayer.get(target)
      if (earlier && JSON.stringify(earlier.value) !== JSON.stringify(value)) {
        throw inputError(`${earlier.key} and ${key} mean the same thing but differ (${show(earlier.value)} vs ${show(value)})`, {
          file: originLabel(layer.source, key),
          hint: `Keep one of them.`,
        })
      }
      setInLayer.set(target, {key, value})
      values[target] = value
      sources[target] = layer.source
    }
  }

  const backboneDefault = specs.get('backbone')?.default
  const backbone = typeof values.backbone === 'string' ? values.backbone : typeof backboneDefault === 'string' ? backboneDefault : undefined
  const rules = backbone !== undefined && opts.backboneRules && Object.hasOwn(opts.backboneRules, backbone) ? opts.backboneRules[backbone] : undefined
  for (const spec of specs.values()) {
    if (spec.aliasOf || spec.key in values || !loaderFillsDefault(spec)) continue
    const fallback = derivedDefault(spec.key, values, rules) ?? keyDefault(spec, backbone)
    if (fallback === undefined) continue
    values[spec.key] = Array.isArray(fallback) ? [...(fallback as unknown[])] : fallback
    sources[spec.key] = DEFAULT_SOURCE
  }
  // Synonyms end up holding the same value as the key they stand for.
  for (const spec of specs.values()) {
    if (!spec.aliasOf || !(spec.aliasOf in values)) continue
    values[spec.key] = values[spec.aliasOf]
    sources[spec.key] = sources[spec.aliasOf]
  }

  if (rules) checkAcrossKeys(values, sources, rules, (key) => keyDefault(specs.get(key), backbone))
  const config = {...values, extra} as MotionConfig
  return {config, warnings, sources, files: layers.filter((l) => l.source !== FLAG_SOURCE).map((l) => l.source)}
}

/** All key specs (built-in merged with `extraKeys`), in documentation order: for docs/config.md. */
export function describeConfigKeys(extraKeys: readonly ConfigKeySpec[] = []): ConfigKeySpec[] {
  return [...mergeKeySpecs(extraKeys).values()]
}

/**
 * Built-in specs with the registries' declarations folded in. A registry redeclaring a built-in key may
 * narrow it (allowed values, bounds); a default it gives under `backbones` only applies to those backbones.
 */
export function mergeKeySpecs(extraKeys: readonly ConfigKeySpec[]): Map<string, ConfigKeySpec> {
  const specs = new Map<string, ConfigKeySpec>(BUILTIN_KEYS.map((spec) => [spec.key, {...spec}]))
  for (const declared of extraKeys) {
    const existing = specs.get(declared.key)
    if (!existing) {
      specs.set(declared.key, {...declared})
      continue
    }
    if (existing.type !== declared.type) {
      // Two parts of the program disagree about a key: a bug, not a user error.
      throw new Error(`config key ${declared.key} declared as ${declared.type} but built in as ${existing.type}`)
    }
    const merged: ConfigKeySpec = {...existing}
    for (const field of ['allowed', 'min', 'max', 'exclusiveMin', 'length', 'nullable', 'inferable', 'lowercase', 'group'] as const) {
      if (declared[field] !== undefined) (merged as unknown as Record<string, unknown>)[field] = declared[field]
    }
    if (!merged.description && declared.description) merged.description = declared.description
    if (declared.backbones) {
      merged.backbones = [...new Set([...(existing.backbones ?? []), ...declared.backbones])]
      if (declared.default !== undefined) {
        merged.defaultByBackbone = {...merged.defaultByBackbone, ...Object.fromEntries(declared.backbones.map((b) => [b, declared.default]))}
      }
    } else if (declared.default !== undefined) {
      merged.default = declared.default
    }
    if (declared.defaultByBackbone) merged.defaultByBackbone = {...merged.defaultByBackbone, ...declared.defaultByBackbone}
    specs.set(declared.key, merged)
  }
  return specs
}

/**
 * The first config cosmiconfig finds from `cwd` up (then the user's global config folder, e.g.
 * ~/.config/motion/config.yaml). `label` is the path relative to cwd when inside it.
 */
export async function discoverConfig(cwd: string): Promise<{file: string; label: string; config: RawConfig} | null> {
  const labelOf = (file: string): string => {
    const relative = path.relative(cwd, file)
    return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file
  }
  const yamlLoader: Loader = (file, content) => parseYamlText(content, labelOf(file), file)
  const jsonLoader: Loader = (file, content) => parseJsonText(content, labelOf(file))
  const explorer = cosmiconfig('motion', {
    searchPlaces: [...SEARCH_PLACES],
    searchStrategy: 'global',
    cache: false,
    loaders: {'.json': jsonLoader, '.yaml': yamlLoader, '.yml': yamlLoader, noExt: yamlLoader},
  })
  let result
  try {
    result = await explorer.search(cwd)
  } catch (error) {
    if (isMotionError(error)) throw error
    const file = (error as {filepath?: string}).filepath
    throw inputError(`could not load the config: ${(error as Error).message.split('\n')[0]}`, {file: file ? labelOf(file) : undefined})
  }
  if (!result || result.isEmpty) return null
  const label = labelOf(result.filepath)
  return {file: result.filepath, label, config: requireMapping(result.config, label)}
}

/**
 * Model keys are left unset unless a config or flag gives them: the model registry resolves them from
 * checkpoint shapes and its own (sometimes computed) defaults, and treats a value found here as given.
 */
function loaderFillsDefault(spec: ConfigKeySpec): boolean {
  return !spec.inferable && spec.group !== 'model'
}

/** Defaults that follow other keys: a clip is as long as the backbone's window (its frameKey) unless set. */
function derivedDefault(key: string, values: RawConfig, rules: BackboneConfigRules | undefined): unknown {
  if (key !== 'clip_len' || rules?.frameKey === undefined) return undefined
  return values[rules.frameKey]
}

/**
 * A key's default for the selected backbone. The loader fills it in for general keys; for model keys
 * the registry applies it, and the loader only checks other keys against it.
 */
function keyDefault(spec: ConfigKeySpec | undefined, backbone: string | undefined): unknown {
  if (!spec) return undefined
  return (backbone !== undefined ? spec.defaultByBackbone?.[backbone] : undefined) ?? spec.default
}

function unknownKeyWarning(key: string, source: string, known: Iterable<string>): string {
  const suggestion = suggestKey(key, known)
  const didYouMean = suggestion ? ` (did you mean "${suggestion}"?)` : ''
  return `${originLabel(source, key)}: unknown config key "${key}"${didYouMean}; kept in config.extra, not used`
}

/**
 * Constraints between keys the model code would otherwise trip over later with a less clear message,
 * as the selected backbone's registry entry declares them.
 */
function checkAcrossKeys(values: RawConfig, sources: ConfigSources, rules: BackboneConfigRules, defaultOf: (key: string) => unknown): void {
  const explicit = (...keys: string[]) => keys.some((k) => sources[k] !== undefined && sources[k] !== DEFAULT_SOURCE)
  const blame = (...keys: string[]) => {
    const key = [...keys].reverse().find((k) => sources[k] !== undefined && sources[k] !== DEFAULT_SOURCE) ?? keys[0]
    return originLabel(sources[key] ?? DEFAULT_SOURCE, key)
  }
  const from = (key: string) => (sources[key] === undefined ? 'model default' : sources[key] === DEFAULT_SOURCE ? 'default' : `from ${originLabel(sources[key], key)}`)
  for (const {key, by, hint} of rules.divisible ?? []) {
    const width = values[key] as number | undefined
    const divisor = (values[by] ?? defaultOf(by)) as number | undefined
    if (width === undefined || typeof divisor !== 'number' || !explicit(key, by)) continue
    if (width % divisor !== 0) {
      throw inputError(`${key} (${width}, ${from(key)}) must be divisible by ${by} (${divisor}, ${from(by)})`, {file: blame(key, by), hint})
    }
  }
  const frameKey = rules.frameKey
  if (rules.clipLenWithinFrames !== undefined && frameKey !== undefined) {
    const clipLen = values.clip_len as number | undefined
    const frames = values[frameKey] as number | undefined
    if (clipLen !== undefined && frames !== undefined && explicit('clip_len') && clipLen > frames) {
      throw inputError(`clip_len (${clipLen}, ${from('clip_len')}) must not exceed ${frameKey} (${frames}, ${from(frameKey)})`, {
        file: blame('clip_len', frameKey),
        hint: rules.clipLenWithinFrames,
      })
    }
  }
}
