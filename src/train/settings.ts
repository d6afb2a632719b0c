/**
 * What a training run trains with, resolved once: a new run's settings from the options (the
 * task's labels read from the data), or a resumed run's from RUN/run.json; and what follows from
 * the config alone (the freeze spec, the pose loss weights).
 */
import {promises as fsp} from 'node:fs'
import path from 'node:path'

import type {MotionConfig} from '../config/schema.js'
import {inputError, modelError} from '../core/errors.js'
import {type LiteratureLossWeights, literatureLossWeights} from '../nn/losses-literature.js'
import type {PoseLossLambdas} from '../nn/losses.js'
import {TRAIN_TASKS, trainTask} from '../tasks/train-registry.js'
import {findCheckpoint, isRunDir, readRunSettings, type RunSettings, runModelDir} from './checkpoint.js'
import {type FreezeSpec, parseFreeze} from './freeze.js'
import type {TrainRunOptions} from './options.js'

export async function resolveSettings(opts: TrainRunOptions): Promise<{settings: RunSettings; resumeDir: string | null}> {
  if (opts.resume) {
    const runDir = path.resolve(opts.resume)
    const settings = await readRunSettings(runDir)
    if (opts.epochsOverride !== undefined) settings.config.epochs = Math.max(Number(settings.config.epochs), opts.epochsOverride)
    const latest = await findCheckpoint(runDir, 'latest')
    return {settings, resumeDir: latest}
  }
  const task = trainTask(opts.task)
  if (!opts.data) throw inputError('--data is required (a folder of 3D clips)', {hint: 'e.g. --data ../shared/data/cmu-mocap-h36m17'})
  if (!opts.out) throw inputError('--out is required (the run folder to create)')
  if (opts.data2d && opts.data2d.length > 0 && !task.takesData2d) throw inputError(`--data-2d trains 3D lifting from 2D-only samples; it does not apply to --task ${opts.task}`, {hint: `use it with pretrain or finetune --task ${[...TRAIN_TASKS.values()].filter((t) => t.takesData2d).map((t) => t.name).join(' or ')}`})
  const out = path.resolve(opts.out)
  if (await isRunDir(out)) {
    throw inputError('already holds a training run', {file: opts.out, hint: `continue it with --resume ${opts.out}, or choose another --out`})
  }
  const existing = await fsp.readdir(out).catch(() => null)
  if (existing && existing.length > 0) throw inputError('exists and is not empty', {file: opts.out, hint: 'choose a new --out folder for the run'})
  const data = path.resolve(opts.data)
  let from: string | undefined
  if (opts.from) {
    from = path.resolve(opts.from)
    if (await isRunDir(from)) {
      const dir = await runModelDir(from, 'best')
      if (!dir) throw modelError('the run has no checkpoint yet', {file: opts.from})
      from = dir
    }
  }
  const labels = task.labels ? await task.labels(data, opts.config, opts.persons) : undefined
  const settings: RunSettings = {
    version: 1,
    command: opts.command,
    task: opts.task,
    data,
    config: plainConfig(opts.config),
    modelConfig: {...opts.modelConfig},
    freeze: opts.freeze ?? (opts.config.partial_train ? 'partial' : 'none'),
    seed: opts.seed,
    engine: opts.engine,
    backend: opts.backend,
    checkpointEvery: opts.checkpointEvery,
    ...(from ? {from} : {}),
    ...(labels ? {classes: labels.classes, persons: labels.persons} : {}),
    ...(task.takesSmplDir && opts.smplDir ? {smplDir: path.resolve(opts.smplDir)} : {}),
    ...(opts.data2d && opts.data2d.length > 0 ? {data2d: opts.data2d.map((f) => path.resolve(f))} : {}),
    evalLimit: opts.evalLimit,
    fps: opts.fps ?? null,
    createdAt: new Date().toISOString(),
  }
  return {settings, resumeDir: null}
}

function plainConfig(c: MotionConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(c)) if (k !== 'extra' && v !== undefined) out[k] = v
  return out
}

/** --freeze: none, backbone, a number of blocks, or partial (the config's partial_train substrings). */
export function freezeSpecOf(value: string, config: MotionConfig): FreezeSpec {
  if (value === 'partial') return {kind: 'partial', substrings: [...(config.partial_train ?? [])]}
  return parseFreeze(value)
}

/** The pose objective's weights: MotionBERT's lambdas and the literature backbones' own. */
export function lambdasOf(c: MotionConfig): PoseLossLambdas & LiteratureLossWeights {
  return {
    ...literatureLossWeights(c),
    lambda_3d_velocity: Number(c.lambda_3d_velocity ?? 0),
    lambda_scale: Number(c.lambda_scale ?? 0),
    lambda_lv: Number(c.lambda_lv ?? 0),
    lambda_lg: Number(c.lambda_lg ?? 0),
    lambda_a: Number(c.lambda_a ?? 0),
    lambda_av: Number(c.lambda_av ?? 0),
  }
}
