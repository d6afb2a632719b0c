/**
 * One loader for every model file a user may name (`--checkpoint`, `motion import`):
 *  - an official PyTorch checkpoint (.bin / .pth / .pt, zip or legacy): the state dict under
 *    model_pos (pose), model (action, mesh) or state_dict, mapped to native names by the registries;
 *  - a native model folder (model.safetensors + config.json, see native.ts);
 *  - a bare .safetensors file: described by its own `motion.model` metadata, a config.json beside
 *    it, or the user's config (native `backbone.*`/`head.*` names or official names).
 * The kind is told from the content, not the extension. Every path returns a validated Model and a
 * ModelSource saying where it came from; every failure is a MotionError (missing file: exit 2,
 * anything wrong with the model: exit 3).
 */
import {promises as fsp} from 'node:fs'
import path from 'node:path'

import {type CheckpointMeta, extractStateDict} from '../formats/state-dict.js'
import {looksLikeSafetensors, readSafetensors} from '../formats/safetensors.js'
import {readTorchCheckpoint} from '../formats/torch.js'
import type {ConfigSources} from '../config/schema.js'
import type {Task} from '../heads/tasks.js'
import type {RawConfig} from '../config/types.js'
import {DEFAULT_SOURCE} from '../config/validate.js'
import {inputError, modelError} from '../core/errors.js'
import type {NDArray} from '../core/ndarray.js'
import {BACKBONE_PREFIX, HEAD_PREFIX, type Model, buildModel} from './model.js'
import {
  NATIVE_CONFIG_FILE,
  NATIVE_METADATA_KEY,
  type NativeConfigFile,
  type NativeProvenance,
  buildNativeModel,
  checkNativeOutputDir,
  givesJoints,
  modelTask,
  nativeOutputUnits,
  parseNativeConfig,
  parseNativeConfigText,
  readNativeModel,
  writeNativeModel,
  type InferenceSettings,
} from './native.js'
import {fromOfficialStateDict} from './official.js'
import {type OutputUnits, officialOutputUnits} from './units.js'

export type ModelSourceKind = 'official' | 'native' | 'safetensors'

export interface ModelSource {
  kind: ModelSourceKind
  /** The path the user gave, resolved. */
  path: string
  /** The file the weights were read from. */
  weightsFile: string
  /** How the weights file is stored. */
  fileFormat: 'torch-zip' | 'torch-legacy' | 'pickle' | 'safetensors'
  /** Where the model description came from: a config.json, the safetensors metadata, or null (shapes and the user's config). */
  description: string | null
  /** Checkpoint key the state dict was under (model_pos, model, state_dict), or null. */
  foundUnder: string | null
  /** Official layout of the state dict (bare DSTformer or wrapped), for official checkpoints. */
  layout?: 'bare' | 'wrapped'
  /** Keys in the file that have no place in the model (e.g. ActionNet's unused backbone.head). */
  ignoredKeys: string[]
  /** Scalars the checkpoint recorded (epoch, lr, best metric, ...). */
  checkpointMeta: CheckpointMeta
  /** A native model's recorded provenance. */
  provenance?: NativeProvenance
}

export interface LoadedModel {
  model: Model
  task: Task
  source: ModelSource
  /** Pose models: what pose3d is measured in (recorded, or the official checkpoints' units). */
  outputUnits?: OutputUnits
  /** How predict runs it, when a native folder records it (else the official inference). */
  inference?: InferenceSettings
}

export interface LoadModelOptions {
  /**
   * Model keys the user gave (MotionBERT names, plus `backbone` / `head`); only explicit values,
   * so checkpoint shapes decide the rest (see explicitModelConfig).
   */
  config?: RawConfig
}

/** Loads any supported model file or folder (see the module comment). */
export async function loadModel(file: string, opts: LoadModelOptions = {}): Promise<LoadedModel> {
  const resolved = path.resolve(file)
  const config = opts.config ?? {}
  const st = await fsp.stat(resolved).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') {
      throw inputError('no such checkpoint file or model folder', {file, hint: 'pass an official .bin/.pth checkpoint, a .safetensors file or a folder made by `motion import`'})
    }
    if (err.code === 'EACCES') throw inputError('cannot read: permission denied', {file})
    throw err
  })
  if (st.isDirectory()) return loadNativeDir(resolved, config)
  if (resolved.endsWith('.safetensors') || (await looksLikeSafetensors(resolved))) return loadSafetensorsFile(resolved, file, config)
  return loadOfficialFile(resolved, file, config)
}

/**
 * The model keys a loaded config sets explicitly (from a file or a flag, not a default), so
 * defaults never override what a checkpoint's shapes say.
 */
export function explicitModelConfig(loaded: {config: object; sources: ConfigSources}): RawConfig {
  const out: RawConfig = {}
  const values = loaded.config as Record<string, unknown>
  for (const [key, source] of Object.entries(loaded.sources)) {
    if (source === DEFAULT_SOURCE || key === 'extra') continue
    const v = values[key]
    if (v !== undefined && v !== null) out[key] = v
  }
  return out
}

async function loadNativeDir(dir: string, config: RawConfig): Promise<LoadedModel> {
  const native = await readNativeModel(dir, config)
  return {
    model: native.model,
    task: native.config.task,
    outputUnits: nativeOutputUnits(native.config, native.model),
    ...(native.config.inference ? {inference: native.config.inference} : {}),
    source: {
      kind: 'native',
      path: dir,
      weightsFile: native.weightsFile,
      fileFormat: 'safetensors',
      description: native.configFile,
      foundUnder: null,
      ignoredKeys: [],
      checkpointMeta: {},
      provenance: native.config.provenance,
    },
  }
}

async function loadSafetensorsFile(file: string, label: string, config: RawConfig): Promise<LoadedModel> {
  const st = await readSafetensors(file)
  const base = {path: file, weightsFile: file, fileFormat: 'safetensors' as const, foundUnder: null, checkpointMeta: {}}

  // 1. The file describes itself (written by motion).
  const embedded = st.metadata[NATIVE_METADATA_KEY]
  if (embedded !== undefined) {
    let json: unknown
    try {
      json = JSON.parse(embedded)
    } catch {
      throw modelError(`the ${NATIVE_METADATA_KEY} metadata is not valid JSON`, {file: label})
    }
    const description = parseNativeConfig({...(json as object), provenance: {}}, `${label} (metadata)`)
    const model = buildNativeModel(st.tensors, description, config, label)
    return {model, task: description.task, outputUnits: nativeOutputUnits(description, model), source: {...base, kind: 'safetensors', description: `${label} (metadata)`, ignoredKeys: []}}
  }
  // 2. A config.json beside it (a native folder whose weights were renamed or re-saved).
  const sibling = path.join(path.dirname(file), NATIVE_CONFIG_FILE)
  const siblingText = await fsp.readFile(sibling, 'utf8').catch(() => undefined)
  if (siblingText !== undefined) {
    const description = parseNativeConfigText(siblingText, sibling)
    const model = buildNativeModel(st.tensors, description, config, label)
    return {model, task: description.task, outputUnits: nativeOutputUnits(description, model), source: {...base, kind: 'safetensors', description: sibling, ignoredKeys: [], provenance: description.provenance}}
  }
  // 3. Shapes plus the user's config: native names as they are, anything else as official keys.
  const native = [...st.tensors.keys()].every((k) => k.startsWith(BACKBONE_PREFIX) || k.startsWith(HEAD_PREFIX))
  if (native) {
    const model = buildModel(st.tensors, config, {file: label})
    return {model, task: modelTask(model), outputUnits: poseOfficialUnits(model), source: {...base, kind: 'safetensors', description: null, ignoredKeys: []}}
  }
  const imported = fromOfficialStateDict(st.tensors, config, {file: label})
  const model = buildModel(imported.weights, imported.rawConfig, {file: label})
  return {model, task: modelTask(model), outputUnits: poseOfficialUnits(model), source: {...base, kind: 'safetensors', description: null, layout: imported.layout, ignoredKeys: imported.ignored}}
}

async function loadOfficialFile(file: string, label: string, config: RawConfig): Promise<LoadedModel> {
  const ckpt = await readTorchCheckpoint(file)
  const {stateDict, foundUnder, meta} = extractStateDict(ckpt.root, label)
  const imported = fromOfficialStateDict(stateDict as Map<string, NDArray>, config, {file: label})
  const model = buildModel(imported.weights, imported.rawConfig, {file: label})
  const fileFormat = ckpt.format === 'zip' ? 'torch-zip' : ckpt.format === 'legacy' ? 'torch-legacy' : 'pickle'
  return {
    model,
    task: modelTask(model),
    outputUnits: poseOfficialUnits(model),
    source: {kind: 'official', path: file, weightsFile: file, fileFormat, description: null, foundUnder, layout: imported.layout, ignoredKeys: imported.ignored, checkpointMeta: meta},
  }
}

/** Official units for pose models, undefined for the others. */
function poseOfficialUnits(model: Model): OutputUnits | undefined {
  return givesJoints(model) ? officialOutputUnits(model) : undefined
}

export interface ImportResult {
  loaded: LoadedModel
  out: string
  config: NativeConfigFile
}

/**
 * `motion import`: any model file → a native model folder at `out` (written atomically; an
 * existing folder is replaced only when it already holds a native model).
 */
export async function importModel(file: string, out: string, opts: LoadModelOptions & {configFiles?: string[]; createdBy?: string} = {}): Promise<ImportResult> {
  const dir = path.resolve(out)
  await checkNativeOutputDir(dir)
  const loaded = await loadModel(file, opts)
  const {source} = loaded
  const provenance: NativeProvenance = {
    ...(source.provenance ?? {}),
    source: source.kind === 'native' ? (source.provenance?.source ?? source.path) : source.path,
    sourceFormat: source.kind === 'native' ? (source.provenance?.sourceFormat ?? 'motion.model') : source.fileFormat,
    foundUnder: source.kind === 'native' ? (source.provenance?.foundUnder ?? null) : source.foundUnder,
    ...(source.layout ? {layout: source.layout} : {}),
    ignoredKeys: source.kind === 'native' ? (source.provenance?.ignoredKeys ?? []) : source.ignoredKeys,
    checkpointMeta: Object.fromEntries(Object.entries(source.checkpointMeta).filter((e): e is [string, number | string | boolean] => e[1] !== undefined)),
    configFiles: opts.configFiles ?? [],
    ...(opts.createdBy ? {createdBy: opts.createdBy} : {}),
    createdAt: new Date().toISOString(),
  }
  const config = await writeNativeModel(dir, loaded.model, provenance, {outputUnits: loaded.outputUnits})
  return {loaded, out: dir, config}
}
