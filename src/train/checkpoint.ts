/**
 * The run folder of a training run:
 *
 *   RUN/run.json            what was run (task, data, config, freeze, seed, engine): enough to resume
 *   RUN/latest/             the last checkpoint: a native model folder (model.safetensors +
 *                           config.json, loadable by every command) plus optimizer.safetensors
 *                           (AdamW moments) and state.json (epoch, step, RNG, best metric, schedule)
 *   RUN/best/               the same, for the best evaluation so far
 *
 * Each checkpoint folder is written whole through writeDirAtomic (a temporary folder renamed into
 * place), so a kill at any moment leaves the previous checkpoint or the new one, never half of one.
 * During the swap there is an instant where `latest` is absent and the previous one sits in
 * `.latest.old-*`; readers fall back to it.
 */
import {promises as fsp} from 'node:fs'
import path from 'node:path'

import {encodeSafetensors, readSafetensors} from '../formats/safetensors.js'
import {inputError, modelError} from '../core/errors.js'
import {writeDirAtomic, writeFileAtomic} from '../formats/atomic.js'
import type {Model} from '../model/model.js'
import {describeModel, NATIVE_CONFIG_FILE, NATIVE_METADATA_KEY, NATIVE_WEIGHTS_FILE, type InferenceSettings, type NativeConfigFile, type NativeProvenance} from '../model/native.js'
import {type OutputUnits, TRAINED_OUTPUT_UNITS} from '../model/units.js'
import type {NDArray} from '../core/ndarray.js'
import type {RngState} from '../core/rng.js'
import type {LrSchedule} from './schedule.js'
import type {BestMetric, RunSettings, SerializedOptimiserState} from '../tasks/train-types.js'

export type {BestMetric, RunSettings} from '../tasks/train-types.js'

export const RUN_FILE = 'run.json'
export const STATE_FILE = 'state.json'
export const OPTIMISER_FILE = 'optimizer.safetensors'
export type CheckpointKind = 'latest' | 'best'


export interface TrainState {
  version: 1
  /** Completed epochs. */
  epoch: number
  /** Steps done within the current, unfinished epoch (0 at an epoch boundary). */
  epochStep: number
  /** Global optimiser steps done. */
  step: number
  /** Epochs the run is planned for. */
  epochs: number
  stepsPerEpoch: number
  /** Current generator state (draws of the next batch). */
  rng: RngState
  /** Generator state at the start of the current epoch (regenerates its shuffle on resume). */
  epochRng: RngState
  best: BestMetric
  schedule: LrSchedule
  /** Mean training loss of each completed epoch. */
  epochLosses: number[]
  engine: string
  /** Wall time spent training so far (s), over all sessions. */
  trainSeconds: number
}


export interface CheckpointContents {
  model: Model
  /** Current weights (native names). */
  weights: Map<string, NDArray>
  optimiser: SerializedOptimiserState
  state: TrainState
  provenance?: NativeProvenance
  /** Output units and inference settings to record (default: normalised, the official inference). */
  describe?: CheckpointDescription
}

export interface CheckpointDescription {
  outputUnits: OutputUnits
  inference?: InferenceSettings
}

export async function writeRunSettings(runDir: string, settings: RunSettings): Promise<void> {
  await fsp.mkdir(runDir, {recursive: true})
  await writeFileAtomic(path.join(runDir, RUN_FILE), `${JSON.stringify(settings, null, 2)}\n`)
}

export async function readRunSettings(runDir: string): Promise<RunSettings> {
  const file = path.join(runDir, RUN_FILE)
  const text = await fsp.readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') throw inputError(`not a training run folder: ${RUN_FILE} is missing`, {file: runDir, hint: 'pass the --out folder of a motion pretrain/finetune run'})
    throw err
  })
  let json: RunSettings
  try {
    json = JSON.parse(text) as RunSettings
  } catch (err) {
    throw inputError(`invalid JSON: ${(err as Error).message}`, {file})
  }
  if (json.version !== 1 || (json.command !== 'pretrain' && json.command !== 'finetune')) throw inputError('not a run description written by motion', {file})
  return json
}

/** Writes RUN/<kind> atomically. Returns the folder. */
export async function writeCheckpoint(runDir: string, kind: CheckpointKind, c: CheckpointContents): Promise<string> {
  const dir = path.join(runDir, kind)
  const model: Model = {...c.model, weights: c.weights}
  // Training targets use MotionBERT's image normalisation, whatever the backbone: pose models
  // trained here predict normalised units, even when they started from a metre checkpoint;
  // video_views runs predict metres from window-normalised inputs and say so.
  const description = describeModel(model, c.describe ?? {outputUnits: TRAINED_OUTPUT_UNITS})
  const config: NativeConfigFile = {
    ...description,
    provenance: {createdBy: 'motion training', sourceFormat: 'training', createdAt: new Date().toISOString(), checkpointMeta: {epoch: c.state.epoch, step: c.state.step}, ...c.provenance},
  }
  const weights = encodeSafetensors(c.weights, {format: 'pt', [NATIVE_METADATA_KEY]: JSON.stringify(description)})
  const optimiser = encodeSafetensors(c.optimiser.tensors, Object.fromEntries(Object.entries(c.optimiser.meta).map(([k, v]) => [k, String(v)])))
  await writeDirAtomic(dir, async (tmp) => {
    await fsp.writeFile(path.join(tmp, NATIVE_WEIGHTS_FILE), weights)
    await fsp.writeFile(path.join(tmp, NATIVE_CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`)
    await fsp.writeFile(path.join(tmp, OPTIMISER_FILE), optimiser)
    await fsp.writeFile(path.join(tmp, STATE_FILE), `${JSON.stringify(c.state, null, 2)}\n`)
  }, {mkdir: true})
  return dir
}

/**
 * The folder of RUN/<kind>, falling back to the previous copy left aside by an interrupted swap.
 * Null when there is none.
 */
export async function findCheckpoint(runDir: string, kind: CheckpointKind): Promise<string | null> {
  const dir = path.join(runDir, kind)
  if (await isComplete(dir)) return dir
  const siblings = await fsp.readdir(runDir).catch(() => [] as string[])
  for (const name of siblings.filter((n) => n.startsWith(`.${kind}.old-`)).sort()) {
    if (await isComplete(path.join(runDir, name))) return path.join(runDir, name)
  }
  return null
}

async function isComplete(dir: string): Promise<boolean> {
  for (const f of [NATIVE_WEIGHTS_FILE, NATIVE_CONFIG_FILE, STATE_FILE]) {
    if (!(await fsp.stat(path.join(dir, f)).catch(() => undefined))) return false
  }
  return true
}

export interface LoadedTrainState {
  dir: string
  state: TrainState
  optimiser: SerializedOptimiserState | null
}

/** Reads state.json and optimizer.safetensors of a checkpoint folder (the weights load via loadModel). */
export async function readTrainState(dir: string): Promise<LoadedTrainState> {
  const file = path.join(dir, STATE_FILE)
  let state: TrainState
  try {
    state = JSON.parse(await fsp.readFile(file, 'utf8')) as TrainState
  } catch (err) {
    throw modelError(`cannot read the training state: ${(err as Error).message.split('\n')[0]}`, {file})
  }
  if (state.version !== 1 || !Number.isInteger(state.step) || !Number.isInteger(state.epoch)) throw modelError('not a training state written by motion', {file})
  const optFile = path.join(dir, OPTIMISER_FILE)
  let optimiser: SerializedOptimiserState | null = null
  if (await fsp.stat(optFile).catch(() => undefined)) {
    const st = await readSafetensors(optFile)
    optimiser = {tensors: st.tensors, meta: {...st.metadata}}
  }
  return {dir, state, optimiser}
}

/** The model folder a `--from RUN` / `--run RUN` means: best when there is one, else latest. */
export async function runModelDir(runDir: string, prefer: CheckpointKind = 'best'): Promise<string | null> {
  const first = await findCheckpoint(runDir, prefer)
  if (first) return first
  return findCheckpoint(runDir, prefer === 'best' ? 'latest' : 'best')
}

/** Whether a folder is a training run (has run.json). */
export async function isRunDir(dir: string): Promise<boolean> {
  return Boolean(await fsp.stat(path.join(dir, RUN_FILE)).catch(() => undefined))
}

/** `--run RUN` of motion eval: the run's model folder (best, else latest); input error for a folder without run.json, model error for a run without a checkpoint. */
export async function evalRunModelDir(run: string): Promise<string> {
  if (!(await isRunDir(run))) throw inputError('not a training run folder (no run.json)', {file: run, hint: 'use --checkpoint for a model file or folder'})
  const dir = await runModelDir(run, 'best')
  if (!dir) throw modelError('the run has no checkpoint yet', {file: run})
  return dir
}
