/**
 * One training run from start to summary: resolve the settings, the model (the task's initial
 * model, or RUN/latest for --resume), the task's data, what trains, the engine, the schedule and
 * the state, then the loop. Everything task-specific comes from the task registry
 * (src/tasks/train-registry.ts); the commands (pretrain, finetune) only parse flags and hand
 * events to a reporter.
 *
 * With a frozen backbone the features are computed once (the inference engine: onnx where it
 * loads) and the head trains on the cache; the summary reports the measured speedup over
 * recomputing the backbone every epoch.
 */
import path from 'node:path'

import type {MotionConfig} from '../config/schema.js'
import {inputError} from '../core/errors.js'
import {Rng} from '../core/rng.js'
import {getBackbone} from '../backbones/registry.js'
import {createEngine, type EngineOptions} from '../model/engine.js'
import type {BackendName} from '../nn/tfjs/backend.js'
import type {BatchSource} from '../tasks/batches.js'
import {checkpointDescription} from '../tasks/clip-data.js'
import {trainTask} from '../tasks/train-registry.js'
import type {Trainer} from '../tasks/train-types.js'
import {findCheckpoint, writeRunSettings} from './checkpoint.js'
import {TfjsTrainer} from './engine-tfjs.js'
import {buildFeatureCache} from './feature-cache.js'
import {describeFreeze, trainableNames} from './freeze.js'
import {runTrainingLoop} from './loop.js'
import {fitConfigToModel, prepareModel} from './model-prep.js'
import {AdamW} from './optim.js'
import type {FeatureCacheReport, TrainRunOptions, TrainSummary} from './options.js'
import {scheduleFor} from './schedule.js'
import {freezeSpecOf, lambdasOf, resolveSettings} from './settings.js'
import {adamwConfig, createTrainer, type TrainEngineChoice} from './trainer.js'

export type {FeatureCacheReport, TrainRunOptions, TrainSummary} from './options.js'
export {checkpointDescription} from '../tasks/clip-data.js'

export async function runTraining(opts: TrainRunOptions): Promise<TrainSummary> {
  const {settings, resumeDir} = await resolveSettings(opts)
  const task = trainTask(settings.task)
  const runDir = path.resolve(opts.resume ?? opts.out!)
  const config = settings.config as unknown as MotionConfig
  const lambdas = lambdasOf(config)
  const classes = settings.classes ?? []
  // Evaluations and the feature cache run on the inference engine (onnx where it loads).
  const engineOptions: EngineOptions = {engine: settings.engine === 'tfjs' ? 'tfjs' : 'auto', backend: settings.backend as BackendName | 'auto', threads: opts.threads}

  // ---- model ----
  const prepared = await prepareModel(task, settings, resumeDir)
  const model = prepared.model
  let state = prepared.state

  // ---- data ----
  fitConfigToModel(config, model, opts.clipLenGiven ?? false)
  const data = await task.trainData({settings, config, model, engineFor: (m) => createEngine(m, engineOptions)})
  const {source, source2d, meshLoss} = data
  const batchSize = Math.min(source.batchSize, source.size)

  // ---- what trains ----
  const freeze = freezeSpecOf(settings.freeze, config)
  const names = [...model.weights.keys()]
  const backbone = getBackbone(model.config.backbone)
  const trainable = trainableNames(names, freeze, (rel) => backbone.official.toOfficial(rel), backbone.blocks)
  if (trainable.size === 0) throw inputError(`nothing to train with --freeze ${settings.freeze}`, {hint: 'use --freeze none, backbone or a number of blocks'})
  const schedule = state?.schedule ?? scheduleFor(settings.command, {learning_rate: Number(config.learning_rate), lr_backbone: config.lr_backbone, lr_head: config.lr_head, lr_decay: Number(config.lr_decay)})

  // ---- feature cache (frozen backbone) ----
  const useCache = opts.featureCache && freeze.kind === 'backbone'
  let trainSource: BatchSource = source
  let cacheInfo: {extractSeconds: number; engine: string} | null = null
  if (useCache) {
    const t0 = Date.now()
    const cached = await buildFeatureCache(model, source, settings.seed, {...engineOptions, engine: opts.engine === 'tfjs' ? 'tfjs' : 'auto'})
    cacheInfo = {extractSeconds: (Date.now() - t0) / 1000, engine: cached.engine}
    trainSource = cached.source
  }

  // ---- engine ----
  const inputShape = source.batch([0], new Rng(0)).input.shape.slice(1)
  let trainer: Trainer
  let reason: string
  if (useCache) {
    const {selectBackend} = await import('../nn/tfjs/backend.js')
    const selection = await selectBackend({force: settings.backend as BackendName | 'auto'})
    trainer = new TfjsTrainer({model, trainable, optimiser: new AdamW(adamwConfig(schedule, Number(config.weight_decay))), lambdas, meshLoss, backend: selection.backend, lambda2d: config.lambda_2d})
    reason = `frozen backbone: head steps on cached features (features by ${cacheInfo!.engine})`
  } else {
    const chosen = await createTrainer({
      engine: settings.engine as TrainEngineChoice,
      backend: settings.backend as BackendName | 'auto',
      model,
      task: settings.task,
      trainable,
      schedule,
      weightDecay: Number(config.weight_decay),
      lambdas,
      inputShape: [batchSize, ...inputShape],
      classes: classes.length || undefined,
      meshLoss,
      meshVertices: data.meshVertices,
      threads: opts.threads,
      seed: settings.seed,
      lambda2d: config.lambda_2d,
    })
    trainer = chosen.trainer
    reason = chosen.reason
  }
  if (prepared.optimiserState) trainer.loadOptimiserState(prepared.optimiserState)

  // ---- evaluation ----
  const {evaluate, best} = await data.evaluation()

  const epochs = Number(config.epochs)
  state ??= {
    version: 1,
    epoch: 0,
    epochStep: 0,
    step: 0,
    epochs,
    stepsPerEpoch: 0,
    rng: new Rng(settings.seed).state(),
    epochRng: new Rng(settings.seed).state(),
    best: {name: best.name, higherIsBetter: best.higherIsBetter, value: null, epoch: null},
    schedule,
    epochLosses: [],
    engine: trainer.engine,
    trainSeconds: 0,
  }
  state.epochs = Math.max(state.epochs, epochs)
  state.engine = trainer.engine

  // The run folder is created only once everything above has been checked, so a refused start
  // leaves nothing behind to block a corrected retry.
  if (!opts.resume) await writeRunSettings(runDir, settings)
  opts.events.emit({
    type: 'start',
    epoch: state.epoch,
    step: state.step,
    epochs: state.epochs,
    stepsPerEpoch: Math.ceil(trainSource.size / Math.min(trainSource.batchSize, trainSource.size)),
    engine: trainer.engine,
    backend: trainer.backend,
    reason,
    path: runDir,
    lr: schedule.head * schedule.decay ** state.epoch,
    lrBackbone: schedule.backbone * schedule.decay ** state.epoch,
    message: [
      resumeDir
        ? state.epoch >= state.epochs
          ? `the run already finished its ${state.epochs} epochs (pass --epochs to extend it)`
          : `resuming from ${resumeDir} at epoch ${state.epoch + 1}, step ${state.step + 1}`
        : `${settings.command} ${settings.task}: ${source.size} windows of ${config.clip_len} frames from ${settings.data}`,
      source2d ? `plus ${source2d.size} 2D-only windows (--data-2d; one 2D batch per step, lambda_2d ${config.lambda_2d ?? 1})` : '',
      `${describeFreeze(freeze)} (${trainable.size} of ${names.length} tensors)`,
      cacheInfo ? `features cached in ${cacheInfo.extractSeconds.toFixed(2)} s (${cacheInfo.engine})` : '',
    ].filter(Boolean).join('; '),
    trainable: trainable.size,
  })

  let result
  try {
    result = await runTrainingLoop({trainer, describe: checkpointDescription(config), source: trainSource, source2d, model, runDir, state, checkpointEvery: settings.checkpointEvery, events: opts.events, evaluate, shouldStop: opts.shouldStop})
  } finally {
    trainer.dispose()
  }
  let featureCache: FeatureCacheReport | null = null
  if (cacheInfo && result.steps > 0) {
    // A head epoch on the cache, measured; recomputing would add the backbone forward pass over
    // the epoch's samples, which is what extracting the cache measured.
    const headEpochSeconds = (result.stepSeconds / result.steps) * result.state.stepsPerEpoch
    const e = result.state.epochs
    featureCache = {
      extractSeconds: cacheInfo.extractSeconds,
      headEpochSeconds,
      engine: cacheInfo.engine,
      speedup: (e * (cacheInfo.extractSeconds + headEpochSeconds)) / (cacheInfo.extractSeconds + e * headEpochSeconds),
    }
  }
  const lastEval = result.lastEval ?? null
  return {
    run: runDir,
    command: settings.command,
    task: settings.task,
    engine: trainer.engine,
    backend: trainer.backend,
    epochs: result.state.epochs,
    epoch: result.state.epoch,
    step: result.state.step,
    interrupted: result.interrupted,
    resumed: Boolean(resumeDir),
    epochLosses: result.state.epochLosses,
    best: result.state.best,
    lastEval,
    latest: await findCheckpoint(runDir, 'latest'),
    bestCheckpoint: await findCheckpoint(runDir, 'best'),
    trainable: trainable.size,
    frozen: names.length - trainable.size,
    freeze: settings.freeze,
    featureCache,
    trainSeconds: result.state.trainSeconds,
  }
}
