/**
 * `motion eval --task mesh`: a mesh checkpoint, or a mesh run's best, on a mesh data folder's split
 * (src/tasks/mesh/data.ts) with train_mesh.py's protocol (src/tasks/mesh/evaluate.ts): MPVE, MPJPE and
 * PA-MPJPE in mm. A run's own clip_len and flip are used unless the config given here sets them.
 */
import path from 'node:path'

import type {MotionConfig} from '../config/schema.js'
import type {RawConfig} from '../config/types.js'
import {inputError} from '../core/errors.js'
import {getTask, type Task} from '../heads/tasks.js'
import {createEngine, type EngineChoice} from '../model/engine.js'
import {loadModel} from '../model/load.js'
import type {BackendName} from '../nn/tfjs/backend.js'
import {evalRunModelDir, readRunSettings} from '../train/checkpoint.js'
import {readMeshData} from '../tasks/mesh/data.js'
import {type MeshEvalResult, evaluateMeshClips} from '../tasks/mesh/evaluate.js'
import {modelBodyModel} from '../tasks/mesh/finetune.js'

export interface MeshModelEvalOptions {
  checkpoint?: string
  run?: string
  data: string
  split: string
  modelConfig: RawConfig
  config: MotionConfig
  /** Whether clip_len / flip came from a config file (else a run's values, else maxlen / the config default). */
  clipLenGiven: boolean
  flipGiven: boolean
  batchSize: number
  limit?: number
  engine: EngineChoice
  backend: BackendName | 'auto'
  threads?: number
}

export interface MeshModelEvalResult {
  /** The mesh task (its models give SMPL meshes). */
  task: Task
  model: string
  data: string
  split: string
  engine: string
  clipLen: number
  flip: boolean
  mesh: MeshEvalResult
  /** The headline metrics thresholds apply to (mm). */
  metrics: {mpve: number; mpjpe: number; pa_mpjpe: number}
}

export async function evaluateMeshModel(opts: MeshModelEvalOptions): Promise<MeshModelEvalResult> {
  if (!opts.checkpoint && !opts.run) throw inputError('give --checkpoint (a mesh model) or --run (a mesh training run folder)')
  let modelPath = opts.checkpoint
  let runConfig: Record<string, unknown> = {}
  if (opts.run) {
    modelPath = await evalRunModelDir(opts.run)
    runConfig = (await readRunSettings(opts.run)).config
  }
  const loaded = await loadModel(modelPath!, {config: opts.modelConfig})
  if (getTask(loaded.task).output !== 'meshes') throw inputError(`--task mesh, but the model is a ${loaded.task} model`, {file: modelPath})
  const model = loaded.model
  const body = modelBodyModel(model, modelPath)

  const maxlen = model.config.backboneConfig.maxlen
  const clipLen = opts.clipLenGiven ? Number(opts.config.clip_len) : typeof runConfig.clip_len === 'number' ? runConfig.clip_len : typeof maxlen === 'number' ? maxlen : Number(opts.config.clip_len)
  const flip = opts.flipGiven ? Boolean(opts.config.flip) : Boolean(runConfig.flip ?? opts.config.flip)
  const noConf = Boolean(runConfig.no_conf ?? opts.config.no_conf)

  const data = await readMeshData(opts.data)
  const clips = data.clips.filter((c) => c.split === opts.split)
  if (clips.length === 0) {
    const splits = [...new Set(data.clips.map((c) => c.split))].join(', ')
    throw inputError(`no mesh clips in split '${opts.split}'`, {file: opts.data, hint: `splits present: ${splits}; choose one with --split`})
  }
  const engine = await createEngine(model, {engine: opts.engine, backend: opts.backend, threads: opts.threads})
  try {
    const mesh = await evaluateMeshClips((x) => engine.run(x), clips, body, {clipLen, batchSize: opts.batchSize, flip, limit: opts.limit, noConf})
    return {
      task: loaded.task,
      model: path.resolve(modelPath!),
      data: path.resolve(opts.data),
      split: opts.split,
      engine: engine.summary,
      clipLen,
      flip,
      mesh,
      metrics: {mpve: mesh.mpve, mpjpe: mesh.mpjpe, pa_mpjpe: mesh.pa_mpjpe},
    }
  } finally {
    await engine.dispose()
  }
}
