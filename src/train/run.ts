/**
 * One training run from start to summary: resolve the data, the model (fresh for pretraining;
 * loaded for finetuning, with a fresh action head when the task needs one), what trains, the
 * engine, the schedule and the state (fresh, or RUN/latest for --resume), then the loop. The
 * commands (pretrain, finetune) only parse flags and hand events to a reporter.
 *
 * With a frozen backbone the features are computed once (the inference engine: onnx where it
 * loads) and the head trains on the cache; the summary reports the measured speedup over
 * recomputing the backbone every epoch.
 */
import {promises as fsp} from 'node:fs'
import path from 'node:path'

import {getBackbone} from '../backbones/registry.js'
import type {MotionConfig} from '../config/schema.js'
import type {RawConfig} from '../config/types.js'
import {type Augment2dOptions, stack, type TrainingPairOptions} from '../data/augment/index.js'
import {readClipFolder} from '../data/motion3d/clip-folder.js'
import {Motion3dDataset} from '../data/motion3d/dataset.js'
import {inputError, modelError} from '../core/errors.js'
import {createEngine} from '../model/engine.js'
import {loadModel} from '../model/load.js'
import {getHead} from '../heads/registry.js'
import * as meshRun from '../tasks/mesh/finetune.js'
import {isActionPickle, ntuClassNames} from '../data/ntu.js'
import {evaluateNtu, loadNtuPickle, NtuBatchSource, ntuClassCount, ntuRunData} from '../tasks/action/ntu.js'
import {BACKBONE_PREFIX, buildModel, HEAD_PREFIX, type Model, resolveModelConfig} from '../model/model.js'
import {modelTask} from '../model/native.js'
import type {BackendName} from '../nn/tfjs/backend.js'
import {TRAINED_OUTPUT_UNITS} from '../model/units.js'
import type {NDArray} from '../core/ndarray.js'
import {type BestMetric, type CheckpointDescription, findCheckpoint, isRunDir, readRunSettings, readTrainState, type RunSettings, runModelDir, type TrainState, writeRunSettings} from './checkpoint.js'
import {ActionBatchSource, type BatchSource, PoseBatchSource} from '../tasks/batches.js'
import {VideoBatchSource} from '../tasks/pose3d/video-data.js'
import type {InputLayout} from '../data/augment/input-layout.js'
import {readTracks2d, TwoDBatchSource, windowTracks} from '../tasks/pose3d/data-2d.js'
import {TfjsTrainer} from './engine-tfjs.js'
import {evaluateAction, evaluatePose} from '../tasks/evaluate.js'
import type {TrainEvents} from './events.js'
import {describeFreeze, type FreezeSpec, parseFreeze, trainableNames} from './freeze.js'
import {initialWeights} from './init.js'
import {inputLayoutOf} from './input-layout-option.js'
import type {PoseLossLambdas} from '../nn/losses.js'
import {type LiteratureLossWeights, literatureLossWeights} from '../nn/losses-literature.js'
import {modelInputChannels, sequencePredictor} from '../model/lifting.js'
import {runTrainingLoop} from './loop.js'
import {AdamW} from './optim.js'
import {Rng} from '../core/rng.js'
import {scheduleFor} from './schedule.js'
import {adamwConfig, createTrainer, type TrainEngineChoice} from './trainer.js'
import type {Trainer, TrainBatch, TrainTask} from '../tasks/train-types.js'

export interface TrainRunOptions {
  command: 'pretrain' | 'finetune'
  task: TrainTask
  /** The validated config (training keys, lambdas, augmentation). */
  config: MotionConfig
  /** Model keys the user set explicitly (sizes, backbone), for building a fresh model. */
  modelConfig: RawConfig
  data?: string
  /** 2D-only keypoint files or folders (--data-2d; pose3d only). */
  data2d?: string[]
  out?: string
  /** Finetune: checkpoint file, native model folder or run folder. */
  from?: string
  /** --freeze value (finetune); default none. */
  freeze?: string
  seed: number
  engine: TrainEngineChoice
  backend: BackendName | 'auto'
  threads?: number
  /** Save latest every N steps (0: epoch ends only). */
  checkpointEvery: number
  /** Windows used by the per-epoch evaluation (0: no evaluation). */
  evalLimit: number
  /** Action: people per sample. */
  persons: number
  /** Mesh: folder of the SMPL body model files for a fresh mesh head (--smpl-dir). */
  smplDir?: string
  /** Resample clips to this frame rate first. */
  fps?: number
  /** Frozen backbone: train the head on cached features (default true). */
  featureCache: boolean
  /** --resume RUN */
  resume?: string
  /** Whether clip_len came from a config file or flag (else it follows the model's maxlen). */
  clipLenGiven?: boolean
  /** --epochs given with --resume: extend the run to this many epochs. */
  epochsOverride?: number
  events: TrainEvents
  shouldStop: () => boolean
}

export interface FeatureCacheReport {
  /** Seconds to compute the features once (backbone forward over the epoch's samples). */
  extractSeconds: number
  /** Mean seconds of one head epoch on the cache. */
  headEpochSeconds: number
  /** Engine that computed the features. */
  engine: string
  /** (epochs · (extract + head epoch)) / (extract + epochs · head epoch): time saved versus recomputing. */
  speedup: number
}

export interface TrainSummary {
  run: string
  command: 'pretrain' | 'finetune'
  task: TrainTask
  engine: string
  backend: string
  epochs: number
  epoch: number
  step: number
  interrupted: boolean
  resumed: boolean
  /** Mean training loss of each completed epoch. */
  epochLosses: number[]
  best: BestMetric
  lastEval: Record<string, number> | null
  latest: string | null
  bestCheckpoint: string | null
  trainable: number
  frozen: number
  freeze: string
  featureCache: FeatureCacheReport | null
  trainSeconds: number
}

export async function runTraining(opts: TrainRunOptions): Promise<TrainSummary> {
  const {settings, resumeDir} = await resolveSettings(opts)
  const runDir = path.resolve(opts.resume ?? opts.out!)
  const config = settings.config as unknown as MotionConfig
  const lambdas = lambdasOf(config)

  const classes = settings.task === 'action' ? (settings.classes ?? []) : []
  // ---- model ----
  let model: Model
  let state: TrainState | null = null
  let optimiserState: Awaited<ReturnType<typeof readTrainState>>['optimiser'] = null
  if (resumeDir) {
    const loaded = await loadModel(resumeDir)
    model = loaded.model
    const ts = await readTrainState(resumeDir)
    state = ts.state
    optimiserState = ts.optimiser
  } else if (settings.task === 'mesh') {
    if (settings.command !== 'finetune' || !settings.from) throw inputError('mesh training is finetuning: give --from (a pretrained model or a mesh checkpoint)')
    model = await meshRun.initialMeshModel({from: settings.from, modelConfig: settings.modelConfig, config, smplDir: settings.smplDir, seed: settings.seed})
  } else {
    model = await initialModel(settings, classes)
  }

  // ---- data ----
  // MixSTE / Strided read x, y only (in_chans 2): their batches drop the confidence channel.
  if (modelInputChannels(model) === 2) config.no_conf = true
  config.clip_len = fitClipLen(model, Number(config.clip_len), opts.clipLenGiven ?? false)
  const fps = settings.fps ?? undefined
  const meshLoss = settings.task === 'mesh' ? meshRun.runMeshLoss(config) : undefined
  const meshData = settings.task === 'mesh' ? await meshRun.readMeshRunData(settings.data) : null
  // MotionBERT's NTU pickles: samples prepared once as ActionDataset (src/data/ntu.ts).
  const ntu = settings.task === 'action' && isActionPickle(settings.data)
    ? ntuRunData(await loadNtuPickle(settings.data), {dataSplit: config.data_split, clipLen: Number(config.clip_len), persons: settings.persons ?? 2, seed: settings.seed})
    : null
  const train = meshData || ntu || config.video_views ? null : await loadDataset(settings, 'train', fps)
  const pair: TrainingPairOptions = {flip: Boolean(config.flip), normalisation: settings.task === 'action' ? 'crop' : 'image', scaleRange: config.scale_range_pretrain, cropProbability: Number(config.crop_scale_prob ?? 0), ...inputLayoutOf(config)}
  const augment: Augment2dOptions = {noise: Boolean(config.noise), maskRatio: Number(config.mask_ratio), maskTRatio: Number(config.mask_T_ratio)}
  let source: BatchSource
  if (ntu) {
    source = new NtuBatchSource(ntu.train, {batchSize: Number(config.batch_size), randomMove: Boolean(config.random_move), scaleRange: config.scale_range_train ?? [1, 1], noConf: Boolean(config.no_conf)})
  } else if (meshData) {
    source = await meshRun.meshBatchSource(model, meshData.train, {batchSize: Number(config.batch_size), clipLen: Number(config.clip_len), stride: Number(config.data_stride), flip: Boolean(config.flip), noConf: Boolean(config.no_conf), loss: meshLoss!})
  } else if (config.video_views && (settings.task === 'pose3d' || settings.task === 'action')) {
    source = await videoBatchSource(settings, config, augment)
  } else {
    const batchSize = Math.min(Number(config.batch_size), train!.length)
    source =
      settings.task === 'action'
        ? new ActionBatchSource(train!, {batchSize, pair, augment, persons: settings.persons ?? 1, noConf: Boolean(config.no_conf)})
        : new PoseBatchSource(train!, {batchSize, pair, augment, rootrel: Boolean(config.rootrel), noConf: Boolean(config.no_conf)})
  }
  const batchSize = Math.min(source.batchSize, source.size)
  const source2d = settings.data2d && settings.data2d.length > 0
    ? new TwoDBatchSource(windowTracks(await readTracks2d(settings.data2d), Number(config.clip_len)), {batchSize, clipLen: Number(config.clip_len), flip: Boolean(config.flip), augment, noConf: Boolean(config.no_conf)})
    : undefined

  // ---- what trains ----
  const freeze = freezeSpecOf(settings.freeze, config)
  const names = [...model.weights.keys()]
  const backbone = getBackbone(model.config.backbone)
  const trainable = trainableNames(names, freeze, (rel) => backbone.official.toOfficial(rel))
  if (trainable.size === 0) throw inputError(`nothing to train with --freeze ${settings.freeze}`, {hint: 'use --freeze none, backbone or a number of blocks'})
  const schedule = state?.schedule ?? scheduleFor(settings.command, {learning_rate: Number(config.learning_rate), lr_backbone: config.lr_backbone, lr_head: config.lr_head, lr_decay: Number(config.lr_decay)})

  // ---- feature cache (frozen backbone) ----
  const useCache = opts.featureCache && freeze.kind === 'backbone'
  let trainSource: BatchSource = source
  let cacheInfo: {extractSeconds: number; engine: string} | null = null
  if (useCache) {
    const t0 = Date.now()
    const cached = await buildFeatureCache(model, source, settings, opts)
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
      meshVertices: meshLoss && meshLoss.lambda_verts > 0 ? meshRun.meshVertices(model) : undefined,
      threads: opts.threads,
      seed: settings.seed,
      lambda2d: config.lambda_2d,
    })
    trainer = chosen.trainer
    reason = chosen.reason
  }
  if (optimiserState) trainer.loadOptimiserState(optimiserState)

  // ---- evaluation ----
  const test = settings.evalLimit > 0 && !meshData && !ntu ? await loadDataset(settings, 'test', fps, {optional: true, stride: Number(config.clip_len)}) : null
  const meshTest = settings.evalLimit > 0 && meshData && meshData.test.length > 0 ? meshData.test : null
  const evaluate = meshTest
    ? meshRun.meshEvaluator(model, meshTest, {clipLen: Number(config.clip_len), batchSize: Number(config.batch_size), flip: Boolean(config.flip), limit: settings.evalLimit, noConf: Boolean(config.no_conf)}, async (weights) =>
        createEngine({...model, weights}, {engine: settings.engine === 'tfjs' ? 'tfjs' : 'auto', backend: settings.backend as BackendName | 'auto', threads: opts.threads}),
      )
    : ntu && ntu.test.length > 0 && settings.evalLimit > 0
      ? ntuEvaluator(model, ntu.test, settings, classes.length, config, opts.threads)
      : test
        ? evaluator(model, test, settings, classes, config, opts.threads)
        : undefined
  const bestName = settings.task === 'action' ? (test || (ntu && evaluate) ? 'top1' : 'loss') : settings.task === 'mesh' ? (meshTest ? 'mpve' : 'loss') : test ? 'mpjpe' : 'loss'

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
    best: {name: bestName, higherIsBetter: bestName === 'top1', value: null, epoch: null},
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

// ---- settings -------------------------------------------------------------------------------

async function resolveSettings(opts: TrainRunOptions): Promise<{settings: RunSettings; resumeDir: string | null}> {
  if (opts.resume) {
    const runDir = path.resolve(opts.resume)
    const settings = await readRunSettings(runDir)
    if (opts.epochsOverride !== undefined) settings.config.epochs = Math.max(Number(settings.config.epochs), opts.epochsOverride)
    const latest = await findCheckpoint(runDir, 'latest')
    return {settings, resumeDir: latest}
  }
  if (!opts.data) throw inputError('--data is required (a folder of 3D clips)', {hint: 'e.g. --data ../shared/data/cmu-mocap-h36m17'})
  if (!opts.out) throw inputError('--out is required (the run folder to create)')
  if (opts.data2d && opts.data2d.length > 0 && opts.task !== 'pose3d') throw inputError(`--data-2d trains 3D lifting from 2D-only samples; it does not apply to --task ${opts.task}`, {hint: 'use it with pretrain or finetune --task pose3d'})
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
  const classes =
    opts.task !== 'action'
      ? undefined
      : isActionPickle(data)
        ? ntuClassNames(ntuClassCount(await loadNtuPickle(data), opts.config.num_classes === undefined ? undefined : Number(opts.config.num_classes)))
        : (await readClipFolder(data, {})).actions
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
    // NTU samples always carry at least two people (a zero person is added), as official.
    ...(classes ? {classes, persons: isActionPickle(data) ? Math.max(2, opts.persons) : opts.persons} : {}),
    ...(opts.task === 'mesh' && opts.smplDir ? {smplDir: path.resolve(opts.smplDir)} : {}),
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

function freezeSpecOf(value: string, config: MotionConfig): FreezeSpec {
  if (value === 'partial') return {kind: 'partial', substrings: [...(config.partial_train ?? [])]}
  return parseFreeze(value)
}

function lambdasOf(c: MotionConfig): PoseLossLambdas & LiteratureLossWeights {
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

async function loadDataset(settings: RunSettings, split: string, fps: number | undefined, opts: {optional?: boolean; stride?: number} = {}): Promise<Motion3dDataset> {
  const config = settings.config
  const set = await readClipFolder(settings.data, {})
  const hasSplit = set.clips.some((c) => c.split === split)
  if (!hasSplit && opts.optional) return null as unknown as Motion3dDataset
  const clips = hasSplit ? set.clips.filter((c) => c.split === split) : set.clips
  const filtered = {...set, clips}
  return Motion3dDataset.fromClipSet(filtered, {
    clipLen: Number(config.clip_len),
    stride: opts.stride ?? Number(config.data_stride),
    ...(fps ? {targetFps: fps} : {}),
  })
}

/**
 * What checkpoints record: video_views models take window-normalised inputs (predict must run them
 * so) and predict metres; others predict normalised units with the official inference.
 */
export function checkpointDescription(config: MotionConfig): CheckpointDescription {
  if (!config.video_views) return {outputUnits: TRAINED_OUTPUT_UNITS}
  return {outputUnits: 'metres', inference: {inputNorm: 'window', clipLen: Number(config.clip_len)}}
}

/** video_views: the train split's world clips at their own rates, sampled as video. */
async function videoBatchSource(settings: RunSettings, config: MotionConfig, augment: Augment2dOptions): Promise<BatchSource> {
  const set = await readClipFolder(settings.data, {})
  const clips = set.clips.some((c) => c.split === 'train') ? set.clips.filter((c) => c.split === 'train') : set.clips
  const notWorld = clips.find((c) => c.space !== 'world')
  if (notWorld) throw inputError('video_views needs world-space clips (motion capture, BVH)', {file: notWorld.file})
  const clipLen = Number(config.clip_len)
  return new VideoBatchSource(clips, {
    task: settings.task === 'action' ? 'action' : 'pose3d',
    batchSize: Number(config.batch_size),
    clipLen,
    strideSeconds: Number(config.data_stride) / 30,
    fpsRange: (config.fps_range ?? [24, 60]) as [number, number],
    layouts: (config.input_layouts ?? ['halpe26', 'coco17', 'h36m17']) as InputLayout[],
    flip: Boolean(config.flip),
    augment: {...augment, noise: false},
    ...(settings.task === 'action' ? {classes: settings.classes ?? [], persons: settings.persons ?? 1} : {}),
    noConf: Boolean(config.no_conf),
  })
}

// ---- model ----------------------------------------------------------------------------------

async function initialModel(settings: RunSettings, classes: readonly string[]): Promise<Model> {
  const config = settings.config
  if (settings.command === 'pretrain') {
    const ownPoseOutput = getBackbone(String(settings.modelConfig.backbone ?? 'dstformer')).outputs.includes('pose3d')
    const raw: RawConfig = {...settings.modelConfig, head: settings.task === 'action' ? 'action' : ownPoseOutput ? 'none' : 'pose3d'}
    if (settings.task === 'action') raw.num_classes = raw.action_classes = classes.length
    return freshModel(raw, settings.seed)
  }
  if (!settings.from) throw inputError('finetune needs --from (an official checkpoint, a model folder or a training run)')
  const loaded = await loadModel(settings.from, {config: {}})
  const base = loaded.model
  if (settings.task === 'pose3d') {
    // MixSTE / Strided end in their own output layers (head none): they train as they are.
    if (modelTask(base) === 'pose3d' && (base.head.name === 'pose3d' || (base.head.name === 'none' && base.backbone.outputs.includes('pose3d')))) return base
    // Another task's checkpoint: keep the backbone, fresh pose head.
    return withFreshHead(base, {head: 'pose3d'}, settings.seed)
  }
  const headConfig: RawConfig = {
    head: 'action',
    num_classes: classes.length,
    action_classes: classes.length,
    ...(config.hidden_dim !== undefined ? {hidden_dim: config.hidden_dim} : {}),
    ...(config.dropout_ratio !== undefined ? {dropout_ratio: config.dropout_ratio} : {}),
    ...(config.model_version !== undefined ? {model_version: config.model_version} : {}),
  }
  if (base.head.name === 'action' && base.config.headConfig.action_classes === classes.length) return base
  return withFreshHead(base, headConfig, settings.seed)
}

/**
 * The window length: clip_len, or the model's own maximum (DSTformer maxlen) when clip_len was
 * left at its default and the model takes fewer frames.
 */
function fitClipLen(model: Model, clipLen: number, given: boolean): number {
  const problem = model.backbone.checkInput([1, clipLen, model.backbone.describeOutput(model.config.backboneConfig).numJoints, modelInputChannels(model)], model.config.backboneConfig)
  if (!problem) return clipLen
  const maxlen = model.config.backboneConfig.maxlen ?? model.config.backboneConfig.num_frame ?? model.config.backboneConfig.frames
  if (!given && typeof maxlen === 'number') return maxlen
  throw inputError(`clip_len ${clipLen} does not fit the model: ${problem}`, {hint: typeof maxlen === 'number' ? `use clip_len ${maxlen} or less` : 'set clip_len to what the model takes'})
}

function freshModel(raw: RawConfig, seed: number): Model {
  const spec = buildModelSpec(raw)
  return buildModel(initialWeights(spec, seed), {...raw, ...spec.config.backboneConfig, ...spec.config.headConfig, backbone: spec.config.backbone, head: spec.config.head})
}

function buildModelSpec(raw: RawConfig): Model {
  // A model with no weights yet: resolve the config from the keys alone, then ask for its params.
  const config = resolveModelConfig(new Map(), raw)
  return {backbone: getBackbone(config.backbone), head: getHead(config.head), config, weights: new Map()}
}

function withFreshHead(base: Model, headRaw: RawConfig, seed: number): Model {
  const backboneWeights = new Map([...base.weights].filter(([k]) => k.startsWith(BACKBONE_PREFIX)))
  const raw: RawConfig = {...base.config.backboneConfig, backbone: base.config.backbone, ...headRaw}
  const spec = buildModelSpec(raw)
  const head = initialWeights(spec, seed, {prefix: HEAD_PREFIX})
  return buildModel(new Map([...backboneWeights, ...head]), {...raw, ...spec.config.headConfig})
}


// ---- feature cache ----------------------------------------------------------------------------

interface CachedSample {
  input: NDArray
  target?: NDArray
  label?: number
  /** mesh: the sample's targets (rotmat, betas, kp_3d, verts), each without the batch axis. */
  mesh?: Record<string, NDArray>
  features: NDArray
}

class CachedBatchSource implements BatchSource {
  constructor(
    readonly task: TrainTask,
    private readonly samples: CachedSample[],
    readonly batchSize: number,
  ) {}

  get size(): number {
    return this.samples.length
  }

  batch(indices: readonly number[]): TrainBatch {
    const picked = indices.map((i) => this.samples[i]!)
    const features = stack(picked.map((s) => s.features))
    const f: NDArray = {data: features.data, shape: [features.shape[0]! * features.shape[1]!, ...features.shape.slice(2)]}
    return {
      task: this.task,
      input: stack(picked.map((s) => s.input)),
      ...(this.task === 'action'
        ? {labels: Int32Array.from(picked.map((s) => s.label!))}
        : this.task === 'mesh'
          ? {mesh: Object.fromEntries(Object.keys(picked[0]!.mesh!).map((k) => [k, stack(picked.map((s) => s.mesh![k]!))])) as unknown as TrainBatch['mesh']}
          : {target: stack(picked.map((s) => s.target!))}),
      features: f,
    }
  }
}

/**
 * Every training sample once (augmentation drawn once from the run's seed), with the frozen
 * backbone's representation computed by the inference engine.
 */
async function buildFeatureCache(model: Model, source: BatchSource, settings: RunSettings, opts: TrainRunOptions): Promise<{source: BatchSource; engine: string}> {
  const backboneOnly = buildModel(new Map([...model.weights].filter(([k]) => k.startsWith(BACKBONE_PREFIX))), {...model.config.backboneConfig, backbone: model.config.backbone, head: 'none'})
  const engine = await createEngine(backboneOnly, {engine: opts.engine === 'tfjs' ? 'tfjs' : 'auto', backend: settings.backend as BackendName | 'auto', threads: opts.threads})
  const rng = new Rng(settings.seed ^ 0x5eed)
  const samples: CachedSample[] = []
  try {
    for (let start = 0; start < source.size; start += source.batchSize) {
      const indices = Array.from({length: Math.min(source.batchSize, source.size - start)}, (_, k) => start + k)
      const batch = source.batch(indices, rng)
      // Persons fold into the batch for the backbone: [N, M, T, J, C] → [N·M, T, J, C].
      const x = batch.task === 'action' ? {data: batch.input.data, shape: [batch.input.shape[0]! * batch.input.shape[1]!, ...batch.input.shape.slice(2)]} : batch.input
      const out = await engine.run(x)
      const rep = out.representation
      if (!rep) throw modelError(`the ${model.backbone.name} backbone gives no representation to cache`)
      // [N·M, T, J, R], or its frame mean [N·M, 1, J, R] when the head pools frames first;
      // the stored input then keeps its first frame only, for the head's shape bookkeeping.
      const pooled = model.head.poolsFramesFirst === true
      const features = pooled ? frameMean(rep) : rep
      const input = pooled ? firstFrames(batch.input) : batch.input
      const per = features.data.length / indices.length
      const inPer = input.data.length / indices.length
      const tPer = batch.target ? batch.target.data.length / indices.length : 0
      const repShape = [features.shape[0]! / indices.length, ...features.shape.slice(1)]
      indices.forEach((_, k) => {
        samples.push({
          input: {data: input.data.slice(k * inPer, (k + 1) * inPer), shape: input.shape.slice(1)},
          features: {data: features.data.slice(k * per, (k + 1) * per), shape: repShape},
          ...(batch.task === 'action'
            ? {label: batch.labels![k]!}
            : batch.task === 'mesh'
              ? {mesh: Object.fromEntries(Object.entries(batch.mesh!).filter(([, v]) => v).map(([name, v]) => [name, sampleOf(v as NDArray, k, indices.length)]))}
              : {target: {data: batch.target!.data.slice(k * tPer, (k + 1) * tPer), shape: batch.target!.shape.slice(1)}}),
        })
      })
    }
  } finally {
    await engine.dispose()
  }
  return {source: new CachedBatchSource(source.task, samples, source.batchSize), engine: engine.summary}
}

/** [B, T, J, R] → [B, 1, J, R]: the mean over frames. */
export function frameMean(x: NDArray): NDArray {
  const [b, t, ...rest] = x.shape as [number, number, ...number[]]
  const row = rest.reduce((a, d) => a * d, 1)
  const out = new Float32Array(b * row)
  for (let i = 0; i < b; i++) {
    for (let f = 0; f < t; f++) {
      const src = (i * t + f) * row
      for (let k = 0; k < row; k++) out[i * row + k] = out[i * row + k]! + x.data[src + k]!
    }
    for (let k = 0; k < row; k++) out[i * row + k] = out[i * row + k]! / t
  }
  return {data: out, shape: [b, 1, ...rest]}
}

/** [N, M, T, J, C] → [N, M, 1, J, C]: each person's first frame. */
function firstFrames(x: NDArray): NDArray {
  const [n, m, t, ...rest] = x.shape as [number, number, number, ...number[]]
  const row = rest.reduce((a, d) => a * d, 1)
  const out = new Float32Array(n * m * row)
  for (let i = 0; i < n * m; i++) out.set(x.data.subarray(i * t * row, i * t * row + row), i * row)
  return {data: out, shape: [n, m, 1, ...rest]}
}

/** Sample k of a batch array [N, ...] → [...]. */
function sampleOf(x: NDArray, k: number, n: number): NDArray {
  const per = x.data.length / n
  return {data: x.data.slice(k * per, (k + 1) * per), shape: x.shape.slice(1)}
}

// ---- evaluation -------------------------------------------------------------------------------

function ntuEvaluator(model: Model, test: Parameters<typeof evaluateNtu>[1], settings: RunSettings, classes: number, config: MotionConfig, threads?: number): (weights: Map<string, NDArray>) => Promise<Record<string, number>> {
  return async (weights): Promise<Record<string, number>> => {
    const engine = await createEngine({...model, weights}, {engine: settings.engine === 'tfjs' ? 'tfjs' : 'auto', backend: settings.backend as BackendName | 'auto', threads})
    try {
      const predict = async (input: NDArray): Promise<NDArray> => (await engine.run(input)).logits!
      const r = await evaluateNtu(predict, test, {scaleRange: config.scale_range_test ?? [1, 1], batchSize: Number(config.batch_size), classes, seed: settings.seed + 1_000_003, limit: settings.evalLimit, noConf: Boolean(config.no_conf)})
      return {top1: r.top1, top5: r.top5}
    } finally {
      await engine.dispose()
    }
  }
}

function evaluator(model: Model, test: Motion3dDataset, settings: RunSettings, classes: readonly string[], config: MotionConfig, threads?: number): (weights: Map<string, NDArray>) => Promise<Record<string, number>> {
  const cameraSeed = settings.seed + 1_000_003
  return async (weights): Promise<Record<string, number>> => {
    // The inference engine (onnx where it loads) on the current weights, released after each evaluation.
    const engine = await createEngine({...model, weights}, {engine: settings.engine === 'tfjs' ? 'tfjs' : 'auto', backend: settings.backend as BackendName | 'auto', threads})
    const predict = async (input: NDArray): Promise<NDArray> => {
      const out = await engine.run(input)
      return out.pose3d ?? out.logits ?? Object.values(out)[0]!
    }
    try {
      if (settings.task === 'action') {
        const r = await evaluateAction(predict, test, {cameraSeed, pair: {normalisation: 'crop', ...inputLayoutOf(config)}, batchSize: Number(config.batch_size), persons: settings.persons ?? 1, limit: settings.evalLimit, classes, noConf: Boolean(config.no_conf)})
        return {top1: r.top1, top5: r.top5}
      }
      const r = await evaluatePose(sequencePredictor(model, predict), test, {cameraSeed, pair: inputLayoutOf(config), batchSize: Number(config.batch_size), limit: settings.evalLimit, flip: Boolean(config.flip), noConf: Boolean(config.no_conf), outputUnits: TRAINED_OUTPUT_UNITS})
      return {mpjpe: r.mpjpe, p_mpjpe: r.p_mpjpe, n_mpjpe: r.n_mpjpe}
    } finally {
      await engine.dispose()
    }
  }
}
