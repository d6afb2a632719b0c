/**
 * The native model format: a folder holding
 *   - model.safetensors: float32 weights under native names (`backbone.*`, `head.*`), with the
 *     model description also in its `__metadata__` (`motion.model`), so a bare copy of the file
 *     still says what it is;
 *   - config.json: what the weights are (task, backbone and head names, their resolved configs,
 *     joint order, input layout, outputs) and where they came from (provenance).
 * The folder is written atomically (a temporary folder renamed into place), so a reader sees a
 * complete model or none. Reading rebuilds the model through buildModel, so weights that do not
 * fit the recorded config are refused with the usual model error (exit 3).
 */
import {checkConfigValue} from '../core/limits/config-limits.js'
import {LIMITS, formatBytes} from '../core/limits/limits.js'
import {checkModelDimensions} from '../core/limits/model-limits.js'
import {promises as fsp} from 'node:fs'
import path from 'node:path'

import type {ConfigValue, EntryConfig} from '../nn/registry/backbone.js'
import {encodeSafetensors, readSafetensors} from '../formats/safetensors.js'
import {getTask, TASKS, type Task} from '../heads/tasks.js'
import type {RawConfig} from '../config/types.js'
import {H36M_JOINTS} from '../core/h36m.js'
import {inputError, modelError} from '../core/errors.js'
import {writeDirAtomic} from '../formats/atomic.js'
import type {NDArray} from '../core/ndarray.js'
import {type Model, buildModel, modelInputLayout, outputNames} from './model.js'
import {type OutputUnits, OUTPUT_UNITS, TRAINED_OUTPUT_UNITS, isOutputUnits, officialOutputUnits} from './units.js'

export const NATIVE_WEIGHTS_FILE = 'model.safetensors'
export const NATIVE_CONFIG_FILE = 'config.json'
export const NATIVE_FORMAT = 'motion.model'
export const NATIVE_VERSION = 1
/** safetensors `__metadata__` key holding the NativeDescription as JSON. */
export const NATIVE_METADATA_KEY = 'motion.model'

/** Where a native model came from. */
export interface NativeProvenance {
  /** The file it was made from (absolute path), e.g. an official checkpoint. */
  source?: string
  /** What that file was: `torch-zip`, `torch-legacy`, `safetensors`, `training`, ... */
  sourceFormat?: string
  /** The checkpoint key the weights were under (model_pos, model), or null for a bare state dict. */
  foundUnder?: string | null
  /** Official state-dict layout: bare DSTformer or wrapped (ActionNet / MeshRegressor). */
  layout?: string
  /** Official keys that have no place in the native model. */
  ignoredKeys?: string[]
  /** Scalars the checkpoint recorded (epoch, lr, best metric, ...). */
  checkpointMeta?: Record<string, number | string | boolean>
  /** Config files that were read while importing. */
  configFiles?: string[]
  /** The tool and version that wrote it, e.g. `motion 0.1.0 import`. */
  createdBy?: string
  /** ISO date-time of writing. */
  createdAt?: string
}

/** The model description: config.json minus provenance (also stored in the safetensors metadata). */
export interface NativeDescription {
  format: typeof NATIVE_FORMAT
  version: typeof NATIVE_VERSION
  task: Task
  backbone: string
  head: string
  backboneConfig: EntryConfig
  headConfig: EntryConfig
  /** Joint order of inputs and outputs. */
  joints: string[]
  /** Axis names of the model input, e.g. ['N', 'T', 'J', 'C']. */
  inputLayout: string[]
  /** Names of the arrays a forward pass returns. */
  outputs: string[]
  /**
   * Pose models: what pose3d is measured in (src/model/units.ts). Folders written before it was
   * recorded lack it; nativeOutputUnits then infers it from the provenance.
   */
  outputUnits?: OutputUnits
  /**
   * How predict runs the model, when it differs from the official inference (infer_wild): models
   * trained on video-like views (config video_views) normalise each window by itself.
   */
  inference?: InferenceSettings
  /** The weights file inside the folder. */
  weights: string
}

/** Inference settings that travel with the weights (timm's pretrained config, in spirit). */
export interface InferenceSettings {
  /** 'window': each window scaled to its own box (normalizeWindow); 'track': infer_wild's crop_scale of the whole track. */
  inputNorm: 'window' | 'track'
  /** Frames per window. */
  clipLen?: number
  /** Frames shared by consecutive windows, cross-faded (seamless output). */
  overlap?: number
}

export interface NativeConfigFile extends NativeDescription {
  provenance: NativeProvenance
}

/** The task a model serves: its head's (the head registry entry says which). */
export function modelTask(model: Pick<Model, 'head'>): Task {
  return getTask(model.head.task as Task).name
}

/** Whether a model's outputs are 3D joints (pose models: their units are recorded, src/model/units.ts). */
export function givesJoints(model: Pick<Model, 'head'>): boolean {
  return getTask(modelTask(model)).output === 'joints'
}

/**
 * The description of `model`. `outputUnits` (pose models): what its pose3d is measured in; default:
 * the official checkpoints' units for its backbone and head.
 */
export function describeModel(model: Model, opts: {outputUnits?: OutputUnits; inference?: InferenceSettings} = {}): NativeDescription {
  const task = modelTask(model)
  return {
    format: NATIVE_FORMAT,
    version: NATIVE_VERSION,
    task: modelTask(model),
    backbone: model.config.backbone,
    head: model.config.head,
    backboneConfig: {...model.config.backboneConfig},
    headConfig: {...model.config.headConfig},
    joints: [...H36M_JOINTS],
    inputLayout: modelInputLayout(model),
    outputs: outputNames(model),
    ...(getTask(task).output === 'joints' ? {outputUnits: opts.outputUnits ?? officialOutputUnits(model)} : {}),
    ...(opts.inference ? {inference: {...opts.inference}} : {}),
    weights: NATIVE_WEIGHTS_FILE,
  }
}

/**
 * The pose3d units of a model read from a native description: as recorded, else (older folders)
 * normalised when a training run wrote it, else the official units. Undefined for non-pose models.
 */
export function nativeOutputUnits(description: NativeDescription & {provenance?: NativeProvenance}, model: Model): OutputUnits | undefined {
  if (!givesJoints(model)) return undefined
  if (description.outputUnits) return description.outputUnits
  return description.provenance?.sourceFormat === 'training' ? TRAINED_OUTPUT_UNITS : officialOutputUnits(model)
}

/** Writes `model` as a native model folder at `dir`, atomically (an existing folder is replaced). */
export async function writeNativeModel(dir: string, model: Model, provenance: NativeProvenance = {}, opts: {outputUnits?: OutputUnits; inference?: InferenceSettings} = {}): Promise<NativeConfigFile> {
  const description = describeModel(model, opts)
  const config: NativeConfigFile = {...description, provenance: {createdAt: new Date().toISOString(), ...provenance}}
  // Weights in the model's own order (backbone first), as float32.
  const weights = new Map<string, NDArray>(model.weights)
  const chunks = encodeSafetensors(weights, {format: 'pt', [NATIVE_METADATA_KEY]: JSON.stringify(description)})
  await writeDirAtomic(dir, async (tmp) => {
    await fsp.writeFile(path.join(tmp, NATIVE_WEIGHTS_FILE), chunks)
    await fsp.writeFile(path.join(tmp, NATIVE_CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`)
  })
  return config
}

export interface NativeModel {
  model: Model
  config: NativeConfigFile
  weightsFile: string
  configFile: string
}

/** Whether `dir` looks like a native model folder (has config.json or model.safetensors). */
export async function isNativeModelDir(dir: string): Promise<boolean> {
  const st = await fsp.stat(dir).catch(() => undefined)
  if (!st?.isDirectory()) return false
  const has = async (name: string): Promise<boolean> => Boolean(await fsp.stat(path.join(dir, name)).catch(() => undefined))
  return (await has(NATIVE_CONFIG_FILE)) || (await has(NATIVE_WEIGHTS_FILE))
}

/**
 * Reads a native model folder. `overrides` are model keys the user gave (flags, --config); a value
 * that disagrees with the recorded config is an input error, since it cannot change trained weights.
 */
export async function readNativeModel(dir: string, overrides: RawConfig = {}): Promise<NativeModel> {
  const configFile = path.join(dir, NATIVE_CONFIG_FILE)
  let text: string
  try {
    const bytes = (await fsp.stat(configFile)).size
    if (bytes > LIMITS.configFileBytes) throw modelError(`refused: ${formatBytes(bytes)}, more than the limit of ${formatBytes(LIMITS.configFileBytes)} for a config file`, {file: configFile, hint: 'see docs/limits.md'})
    text = await fsp.readFile(configFile, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw modelError(`not a native model folder: ${NATIVE_CONFIG_FILE} is missing`, {
        file: dir,
        hint: `a native model folder holds ${NATIVE_WEIGHTS_FILE} and ${NATIVE_CONFIG_FILE}; make one with \`motion import CHECKPOINT --out DIR\``,
      })
    }
    throw err
  }
  const config = parseNativeConfigText(text, configFile)
  const weightsFile = path.join(dir, config.weights)
  if (!(await fsp.stat(weightsFile).catch(() => undefined))) {
    throw modelError(`the weights file ${config.weights} named in ${NATIVE_CONFIG_FILE} is missing`, {file: dir})
  }
  const st = await readSafetensors(weightsFile)
  const model = buildNativeModel(st.tensors, config, overrides, weightsFile)
  return {model, config, weightsFile, configFile}
}

/** Builds the model a description names from native weights, refusing conflicting overrides. */
export function buildNativeModel(weights: Map<string, NDArray>, description: NativeDescription, overrides: RawConfig, file: string): Model {
  const recorded: RawConfig = {...description.backboneConfig, ...description.headConfig}
  const names: RawConfig = {backbone: description.backbone, head: description.head}
  const conflicts: string[] = []
  for (const [key, value] of Object.entries(overrides)) {
    const fixed = Object.hasOwn(names, key) ? names[key] : Object.hasOwn(recorded, key) ? recorded[key] : undefined
    if (value === undefined || value === null || fixed === undefined) continue
    if (JSON.stringify(fixed) !== JSON.stringify(value)) conflicts.push(`${key} is ${JSON.stringify(value)} in the config, ${JSON.stringify(fixed)} in the model`)
  }
  if (conflicts.length) {
    throw inputError(`the config disagrees with the model: ${conflicts.join('; ')}`, {file, hint: 'drop those keys from the config or flags; a model keeps the sizes it was trained with'})
  }
  const model = buildModel(weights, {...recorded, ...names}, {file})
  const task = modelTask(model)
  if (task !== description.task) throw modelError(`the model is recorded as a ${description.task} model, but its ${model.head.name} head serves ${task}`, {file})
  return model
}

/** Validates a parsed config.json (or safetensors metadata) as a native model description. */
/** A config.json's text → its validated description; invalid JSON is a model error naming the file. */
export function parseNativeConfigText(text: string, file: string): NativeConfigFile {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw modelError(`invalid JSON: ${(err as Error).message.split('\n')[0]}`, {file})
  }
  const problem = checkConfigValue(json)
  if (problem) throw modelError(`refused config: ${problem}`, {file, hint: 'see docs/limits.md'})
  return parseNativeConfig(json, file)
}

export function parseNativeConfig(json: unknown, file: string): NativeConfigFile {
  const bad = (what: string): never => {
    throw modelError(`not a motion model config: ${what}`, {file, hint: `expected the ${NATIVE_CONFIG_FILE} that \`motion import\` writes`})
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return bad('not a JSON object')
  const o = json as Record<string, unknown>
  if (o.format !== NATIVE_FORMAT) bad(`"format" is ${JSON.stringify(o.format)}, expected "${NATIVE_FORMAT}"`)
  if (o.version !== NATIVE_VERSION) {
    throw modelError(`model format version ${JSON.stringify(o.version)} is not supported (this motion reads version ${NATIVE_VERSION})`, {
      file,
      hint: 'update motion, or re-import the original checkpoint with this version',
    })
  }
  const str = (key: string): string => (typeof o[key] === 'string' && (o[key] as string).length > 0 ? (o[key] as string) : bad(`"${key}" must be a name`))
  const strings = (key: string): string[] =>
    Array.isArray(o[key]) && (o[key] as unknown[]).every((v) => typeof v === 'string') ? [...(o[key] as string[])] : bad(`"${key}" must be a list of names`)
  const entryConfig = (key: string): EntryConfig => {
    const v = o[key]
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return bad(`"${key}" must be an object`)
    const out: EntryConfig = {}
    for (const [k, value] of Object.entries(v)) {
      if (!isConfigValue(value)) bad(`"${key}.${k}" must be a number, boolean, string or list of numbers`)
      Object.defineProperty(out, k, {value: value as ConfigValue, enumerable: true, writable: true, configurable: true})
    }
    return out
  }
  const task = str('task')
  if (!(TASKS as readonly string[]).includes(task)) bad(`"task" must be one of ${TASKS.join(', ')}`)
  const weights = str('weights')
  if (weights.includes('/') || weights.includes('\\') || weights === '..') bad('"weights" must be a file name inside the folder')
  const joints = strings('joints')
  if (joints.join(',') !== H36M_JOINTS.join(',')) bad(`"joints" must be the H36M-17 order (${H36M_JOINTS.join(', ')})`)
  const backboneConfig = entryConfig('backboneConfig')
  const headConfig = entryConfig('headConfig')
  const asked = checkModelDimensions({...backboneConfig, ...headConfig})
  if (asked) throw modelError(`asks for a model too large to build: ${asked}`, {file, hint: 'see docs/limits.md'})
  const provenance = o.provenance
  const outputUnits = o.outputUnits
  if (outputUnits !== undefined && !isOutputUnits(outputUnits)) bad(`"outputUnits" must be one of ${OUTPUT_UNITS.join(', ')}`)
  const inference = o.inference === undefined ? undefined : parseInference(o.inference, bad)
  return {
    format: NATIVE_FORMAT,
    version: NATIVE_VERSION,
    task: task as Task,
    backbone: str('backbone'),
    head: str('head'),
    backboneConfig,
    headConfig,
    joints,
    inputLayout: strings('inputLayout'),
    outputs: strings('outputs'),
    ...(outputUnits !== undefined ? {outputUnits: outputUnits as OutputUnits} : {}),
    ...(inference ? {inference} : {}),
    weights,
    provenance: typeof provenance === 'object' && provenance !== null && !Array.isArray(provenance) ? (provenance as NativeProvenance) : {},
  }
}

function parseInference(v: unknown, bad: (message: string) => never): InferenceSettings {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return bad('"inference" must be an object')
  const o = v as Record<string, unknown>
  for (const key of Object.keys(o)) if (!['inputNorm', 'clipLen', 'overlap'].includes(key)) bad(`"inference.${key}" is not a known setting (inputNorm, clipLen, overlap)`)
  if (o.inputNorm !== 'window' && o.inputNorm !== 'track') bad('"inference.inputNorm" must be "window" or "track"')
  const whole = (key: string, min: number): number | undefined => {
    const x = o[key]
    if (x === undefined) return undefined
    if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > 100_000) bad(`"inference.${key}" must be a whole number from ${min} to 100000`)
    return x as number
  }
  const clipLen = whole('clipLen', 1)
  const overlap = whole('overlap', 0)
  if (clipLen !== undefined && overlap !== undefined && overlap >= clipLen) bad('"inference.overlap" must be less than "inference.clipLen"')
  return {inputNorm: o.inputNorm as 'window' | 'track', ...(clipLen !== undefined ? {clipLen} : {}), ...(overlap !== undefined ? {overlap} : {})}
}

function isConfigValue(v: unknown): v is ConfigValue {
  if (typeof v === 'number') return Number.isFinite(v)
  if (typeof v === 'boolean' || typeof v === 'string') return true
  return Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x))
}

/**
 * An input error unless `dir` can take a native model: it does not exist yet (its parent does), is
 * an empty folder, or already holds a native model (which is then replaced). Anything else is
 * refused, so a mistyped --out never replaces an unrelated folder.
 */
export async function checkNativeOutputDir(dir: string): Promise<void> {
  const parent = path.dirname(path.resolve(dir))
  const parentStat = await fsp.stat(parent).catch(() => undefined)
  if (!parentStat?.isDirectory()) {
    throw inputError(`output folder ${parent} does not exist`, {file: dir, hint: 'create it first or choose another --out'})
  }
  const st = await fsp.stat(dir).catch(() => undefined)
  if (!st) return
  if (!st.isDirectory()) throw inputError('exists and is not a folder; a native model is a folder', {file: dir, hint: 'choose a new folder name for --out'})
  const entries = await fsp.readdir(dir)
  if (entries.length === 0) return
  const text = await fsp.readFile(path.join(dir, NATIVE_CONFIG_FILE), 'utf8').catch(() => undefined)
  let isModel = false
  try {
    isModel = text !== undefined && (JSON.parse(text) as {format?: unknown}).format === NATIVE_FORMAT
  } catch {
    isModel = false
  }
  if (!isModel) {
    throw inputError('exists and is not a motion model folder; refusing to replace it', {file: dir, hint: 'choose a new or empty folder for --out'})
  }
}
