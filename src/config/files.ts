/**
 * Reading one config file into a plain key/value mapping: YAML (as MotionBERT's get_config reads it,
 * including its `!include` tag and `<<` merge keys), JSON, or a JS module's default export.
 * Every failure is an inputError naming the file (and the line for syntax errors).
 */
import {checkConfigValue} from '../core/limits/config-limits.js'
import {LIMITS, formatBytes} from '../core/limits/limits.js'
import {existsSync, readFileSync, statSync} from 'node:fs'
import {createRequire} from 'node:module'
import path from 'node:path'
import {pathToFileURL} from 'node:url'
import type * as Yaml from 'yaml'
import {inputError} from '../core/errors.js'
import type {RawConfig} from './types.js'

const MAX_INCLUDE_DEPTH = 8

let yamlModule: typeof Yaml | undefined

/**
 * The yaml package, loaded on the first YAML text: every command reads its config through here,
 * most runs have no YAML config, and loading yaml cost ~40 ms of CPU at each start-up.
 */
function yaml(): typeof Yaml {
  yamlModule ??= createRequire(import.meta.url)('yaml') as typeof Yaml
  return yamlModule
}

/** Parse YAML text; `label` names the file in errors, `filePath` anchors `!include`. */
export function parseYamlText(text: string, label: string, filePath: string, depth = 0): unknown {
  const {LineCounter, parseDocument} = yaml()
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    // MotionBERT's configs are read by PyYAML, a YAML 1.1 parser: yes/no/on/off are booleans there.
    version: '1.1',
    merge: true, // PyYAML honours `<<:` merge keys
    customTags: [includeTag(filePath, label, depth)],
  })
  const err = doc.errors[0]
  if (err) {
    const pos = err.linePos?.[0] ?? lineCounter.linePos(err.pos[0])
    const where = pos ? ` at line ${pos.line}, column ${pos.col}` : ''
    throw inputError(`malformed YAML${where}: ${firstLine(err.message)}`, {
      file: label,
      hint: 'Fix the syntax (indentation, brackets, quotes) at that line.',
    })
  }
  let value: unknown
  try {
    value = doc.toJS({maxAliasCount: LIMITS.yamlAliases})
  } catch (error) {
    // yaml refuses alias bombs ("Excessive alias count") while building the value.
    throw inputError(`refused YAML: ${firstLine((error as Error).message)} (limit: ${LIMITS.yamlAliases} aliases)`, {file: label, hint: 'see docs/limits.md'})
  }
  return checkedConfig(value, label)
}

function checkedConfig(value: unknown, label: string): unknown {
  const problem = checkConfigValue(value)
  if (problem) throw inputError(`refused config: ${problem}`, {file: label, hint: 'see docs/limits.md'})
  return value
}

/** Parse JSON text; errors give the line and column of the failure. */
export function parseJsonText(text: string, label: string): unknown {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    const message = (error as Error).message
    const offset = /position (\d+)/.exec(message)
    let where = ''
    if (offset) {
      const before = text.slice(0, Number(offset[1]))
      const line = before.split('\n').length
      const col = before.length - before.lastIndexOf('\n')
      where = ` at line ${line}, column ${col}`
    }
    throw inputError(`malformed JSON${where}: ${firstLine(message).replace(/ in JSON at position \d+.*$/, '')}`, {
      file: label,
      hint: 'Check for trailing commas, unquoted keys and missing quotes.',
    })
  }
  return checkedConfig(value, label)
}

/**
 * Read a config file (--config). `label` is how messages name it (the path as the user typed it).
 * Returns the top-level mapping; anything else is an inputError.
 */
export async function readConfigFile(filePath: string, label: string = filePath): Promise<RawConfig> {
  if (!existsSync(filePath)) {
    throw inputError('config file not found', {file: label, hint: 'Check the --config path; bundled presets live in configs/ (e.g. configs/pose3d/MB_ft_h36m.yaml).'})
  }
  if (statSync(filePath).isDirectory()) throw inputError('is a directory, expected a config file (.yaml, .json, .js)', {file: label})
  const ext = path.extname(filePath).toLowerCase()
  let value: unknown
  if (ext === '.js' || ext === '.mjs' || ext === '.cjs') {
    value = await importConfigModule(filePath, label)
  } else {
    const text = readText(filePath, label)
    value = ext === '.json' ? parseJsonText(text, label) : parseYamlText(text, label, filePath)
  }
  return requireMapping(value, label)
}

/** Import a JS config module and return its default export (or the module namespace). */
export async function importConfigModule(filePath: string, label: string): Promise<unknown> {
  try {
    const mod = (await import(pathToFileURL(path.resolve(filePath)).href)) as {default?: unknown}
    return mod.default ?? mod
  } catch (error) {
    throw inputError(`could not load the config module: ${firstLine((error as Error).message)}`, {file: label})
  }
}

/** The top level of a config must be a key/value mapping. */
export function requireMapping(value: unknown, label: string): RawConfig {
  if (value === null || value === undefined) {
    throw inputError('is empty; expected a mapping of config keys (e.g. `dim_feat: 512`)', {file: label})
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    const kind = Array.isArray(value) ? 'a list' : `a ${typeof value}`
    throw inputError(`top level is ${kind}; expected a mapping of config keys (e.g. \`dim_feat: 512\`)`, {file: label})
  }
  return value as RawConfig
}

function readText(filePath: string, label: string): string {
  const bytes = statSync(filePath).size
  if (bytes > LIMITS.configFileBytes) {
    throw inputError(`refused config: ${formatBytes(bytes)}, more than the limit of ${formatBytes(LIMITS.configFileBytes)} for a config file`, {file: label, hint: 'see docs/limits.md'})
  }
  try {
    return readFileSync(filePath, 'utf8')
  } catch (error) {
    throw inputError(`cannot read the config file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {file: label})
  }
}

/** `!include other.yaml` as in MotionBERT's lib/utils/tools.py: path relative to the including file. */
function includeTag(fromFile: string, label: string, depth: number): Yaml.ScalarTag {
  return {
    tag: '!include',
    resolve(value: string): unknown {
      if (depth >= MAX_INCLUDE_DEPTH) throw inputError(`!include nested more than ${MAX_INCLUDE_DEPTH} deep (a cycle?)`, {file: label})
      const target = path.resolve(path.dirname(fromFile), value.trim())
      const targetLabel = path.join(path.dirname(label), value.trim())
      if (!existsSync(target)) throw inputError(`!include ${value}: file not found`, {file: label})
      const text = readText(target, targetLabel)
      const ext = path.extname(target).toLowerCase()
      if (ext === '.yaml' || ext === '.yml') return parseYamlText(text, targetLabel, target, depth + 1)
      if (ext === '.json') return parseJsonText(text, targetLabel)
      return text
    },
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0].trim()
}
