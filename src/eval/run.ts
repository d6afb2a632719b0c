/**
 * `motion eval` in model mode (array mode is eval-arrays.ts): a checkpoint, or a run's best, on a
 * clip folder's split with the official protocol (evaluate.ts): pose3d in mm per action, or
 * action top-1/top-5.
 */
import path from 'node:path'

import type {MotionConfig} from '../config/schema.js'
import type {RawConfig} from '../config/types.js'
import {readClipFolder} from '../data/motion3d/clip-folder.js'
import {Motion3dDataset} from '../data/motion3d/dataset.js'
import type {Normalisation} from '../data/augment/sample.js'
import {inputError} from '../core/errors.js'
import {DEFAULT_TASK, getTask, type Task} from '../heads/tasks.js'
import {createEngine, type EngineChoice} from '../model/engine.js'
import {loadModel} from '../model/load.js'
import type {BackendName} from '../nn/tfjs/backend.js'
import type {NDArray} from '../core/ndarray.js'
import {evalRunModelDir, readRunSettings} from '../train/checkpoint.js'
// MixSTE / Strided: their official windows and x, y input (the Strided Transformer predicts each frame's centred window).
import {sequencePredictor} from '../model/lifting.js'
import {inputLayoutOf} from '../train/input-layout-option.js'
import {isActionPickle} from '../data/ntu.js'
import {evaluateNtu, loadNtuPickle, ntuRunData} from '../tasks/action/ntu.js'
import {type ActionEvalResult, evaluateAction, evaluatePose, type PoseEvalResult} from '../tasks/evaluate.js'
import {evaluateVideoActionProtocol, evaluateVideoProtocol, type VideoActionEvalResult, type VideoEvalResult} from '../tasks/evaluate-video.js'

export interface ModelEvalOptions {
  /** A task whose models give 3D joints or class scores (mesh models: eval/mesh.ts). */
  task?: Task
  checkpoint?: string
  /** Class names of the checkpoint (e.g. a model folder's classes.json); a run's own win. */
  classes?: string[]
  run?: string
  data: string
  split: string
  cameraSeed: number
  noise: boolean
  /**
   * Pose: how the 2D inputs (and targets) are normalised: 'image' (the virtual image, as H36M;
   * default) or 'crop' (each window's bounding square, as `motion predict` normalises a track).
   * Action windows are always crop-scaled, as in training.
   */
  normalisation?: Normalisation
  /**
   * Pose: 'orbit' (default): a virtual camera aimed at each window's centre; 'static': every clip
   * filmed whole by one static camera and lifted as `motion predict` lifts a track (eval-video.ts).
   */
  camera?: 'orbit' | 'static'
  /** Model keys given by the user (config file / flags). */
  modelConfig: RawConfig
  config: MotionConfig
  /** clip_len came from a config file or flag. */
  clipLenGiven: boolean
  batchSize: number
  limit?: number
  fps?: number
  persons?: number
  engine: EngineChoice
  backend: BackendName | 'auto'
  threads?: number
}

export interface ModelEvalResult {
  task: Task
  model: string
  data: string
  split: string
  engine: string
  cameraSeed: number
  noise: boolean
  /** Input normalisation of the windows ('crop' for action; 'window' for window-normalised models under --camera static). */
  normalisation: Normalisation | 'window'
  clipLen: number
  pose?: PoseEvalResult
  video?: VideoEvalResult
  /** Under --camera static, with the per-clip top-1 (VideoActionEvalResult). */
  action?: ActionEvalResult | VideoActionEvalResult
  /** The headline metrics thresholds apply to. */
  metrics: Record<string, number>
}

export async function evaluateModel(opts: ModelEvalOptions): Promise<ModelEvalResult> {
  if (!opts.checkpoint && !opts.run) throw inputError('give --checkpoint (a model) or --run (a training run folder)')
  let modelPath: string
  let classes: string[] | undefined = opts.classes
  let flip = Boolean(opts.config.flip)
  let layout = inputLayoutOf(opts.config)
  let persons = opts.persons
  let runConfig: Record<string, unknown> = {}
  if (opts.run) {
    modelPath = await evalRunModelDir(opts.run)
    const settings = await readRunSettings(opts.run)
    classes = settings.classes
    runConfig = settings.config
    persons ??= settings.persons
    flip = Boolean(settings.config.flip ?? flip)
    if (settings.config.input_layout !== undefined) layout = inputLayoutOf(settings.config)
  } else {
    modelPath = opts.checkpoint!
  }
  const loaded = await loadModel(modelPath, {config: opts.modelConfig})
  const model = loaded.model
  // Unless --task says: a classifier's task, else the default (lifting); a model of another task is refused.
  const task = opts.task ?? (getTask(loaded.task).output === 'classes' ? loaded.task : DEFAULT_TASK)
  if (task !== loaded.task) throw inputError(`--task ${task}, but the model is a ${loaded.task} model`, {file: modelPath})
  const classifies = getTask(task).output === 'classes'

  const backboneConfig = model.config.backboneConfig
  const maxlen = backboneConfig.maxlen ?? backboneConfig.num_frame ?? backboneConfig.frames
  let clipLen = Number(opts.config.clip_len)
  if (!opts.clipLenGiven && typeof maxlen === 'number') clipLen = maxlen
  if (classifies && isActionPickle(opts.data)) {
    // MotionBERT's NTU pickle: its `${data_split}_val` split, prepared as ActionDataset.
    // A run's own settings (clip_len, data_split, scale_range_test) unless clip_len was given here.
    const config = {...opts.config, ...runConfig} as MotionConfig
    if (!opts.clipLenGiven && typeof runConfig.clip_len === 'number') clipLen = runConfig.clip_len
    const pkl = await loadNtuPickle(opts.data)
    const numClasses = Number(model.config.headConfig.action_classes)
    const data = ntuRunData(pkl, {dataSplit: config.data_split, clipLen, persons: Math.max(2, persons ?? 2), seed: 0})
    const split = opts.split === 'test' ? data.splits.test : opts.split
    const samples = split === data.splits.test ? data.test : (await import('../data/ntu.js')).ntuSamples(pkl, split, {clipLen, persons: Math.max(2, persons ?? 2)})
    if (samples.length === 0) throw inputError(`no samples in split ${split}`, {file: opts.data, hint: `splits: ${[...pkl.splits.keys()].join(', ')}`})
    const tooHigh = samples.find((s) => s.label >= numClasses)
    if (tooHigh) throw inputError(`the model has ${numClasses} classes, the pickle has label ${tooHigh.label}`, {file: opts.data})
    const engine = await createEngine(model, {engine: opts.engine, backend: opts.backend, threads: opts.threads})
    try {
      const predict = async (input: NDArray): Promise<NDArray> => (await engine.run(input)).logits!
      const action = await evaluateNtu(predict, samples, {scaleRange: config.scale_range_test ?? [1, 1], batchSize: opts.batchSize, classes: numClasses, seed: opts.cameraSeed, limit: opts.limit, noConf: Boolean(config.no_conf)})
      return {task, model: path.resolve(modelPath), data: path.resolve(opts.data), split, engine: engine.summary, cameraSeed: opts.cameraSeed, noise: false, normalisation: 'crop', clipLen, action, metrics: {top1: action.top1, top5: action.top5}}
    } finally {
      await engine.dispose()
    }
  }
  const set = await readClipFolder(opts.data, {})
  const clips = set.clips.filter((c) => c.split === opts.split)
  if (clips.length === 0) {
    const splits = [...new Set(set.clips.map((c) => c.split ?? '(none)'))].join(', ')
    throw inputError(`no clips in split '${opts.split}'`, {file: opts.data, hint: `splits present: ${splits}; choose one with --split`})
  }
  if (opts.camera === 'static' && classifies) {
    const names = classes ?? set.actions
    const engine = await createEngine(model, {engine: opts.engine, backend: opts.backend, threads: opts.threads})
    try {
      const run = async (input: NDArray): Promise<NDArray> => (await engine.run(input)).logits!
      const windowLen = loaded.inference?.clipLen ?? clipLen
      const action = await evaluateVideoActionProtocol(run, clips, {cameraSeed: opts.cameraSeed, noise: opts.noise, layout: layout.inputLayout ?? 'halpe26', fps: opts.fps ?? 30, clipLen: windowLen, classes: names, persons: persons ?? 1, noConf: Boolean(opts.config.no_conf), limit: opts.limit})
      return {task, model: path.resolve(modelPath), data: path.resolve(opts.data), split: opts.split, engine: engine.summary, cameraSeed: opts.cameraSeed, noise: opts.noise, normalisation: 'window', clipLen: windowLen, action, metrics: {top1: action.top1, top5: action.top5, clip_top1: action.clipTop1}}
    } finally {
      await engine.dispose()
    }
  }
  if (opts.camera === 'static' && getTask(task).output === 'joints') {
    const engine = await createEngine(model, {engine: opts.engine, backend: opts.backend, threads: opts.threads})
    try {
      const run = async (input: NDArray): Promise<NDArray> => (await engine.run(input)).pose3d!
      const video = await evaluateVideoProtocol(run, clips, {
        cameraSeed: opts.cameraSeed,
        noise: opts.noise,
        layout: layout.inputLayout ?? 'halpe26',
        fps: opts.fps ?? 30,
        ...(loaded.inference ? {inference: loaded.inference} : {}),
        clipLen,
        flip: true,
        noConf: Boolean(opts.config.no_conf),
        outputUnits: loaded.outputUnits ?? 'normalized',
        limit: opts.limit,
      })
      const metrics: Record<string, number> = {p_mpjpe: video.p_mpjpe, n_mpjpe: video.n_mpjpe, n_mpjpe_rigid: video.n_mpjpe_rigid, bone_cv: video.bone_cv, jump_ratio: video.jump_ratio}
      if (video.mpjpe !== null) metrics.mpjpe = video.mpjpe
      return {task, model: path.resolve(modelPath), data: path.resolve(opts.data), split: opts.split, engine: engine.summary, cameraSeed: opts.cameraSeed, noise: opts.noise, normalisation: loaded.inference?.inputNorm === 'window' ? 'window' : 'crop', clipLen: loaded.inference?.clipLen ?? clipLen, video, metrics}
    } finally {
      await engine.dispose()
    }
  }
  const dataset = Motion3dDataset.fromClipSet({...set, clips}, {clipLen, stride: clipLen, ...(opts.fps ? {targetFps: opts.fps} : {})})
  const engine = await createEngine(model, {engine: opts.engine, backend: opts.backend, threads: opts.threads})
  const predict = async (input: NDArray): Promise<NDArray> => {
    const out = await engine.run(input)
    return out.pose3d ?? out.logits ?? Object.values(out)[0]!
  }
  const normalisation: Normalisation = classifies ? 'crop' : opts.normalisation ?? 'image'
  const base = {model: path.resolve(modelPath), data: path.resolve(opts.data), split: opts.split, engine: engine.summary, cameraSeed: opts.cameraSeed, noise: opts.noise, normalisation, clipLen}
  try {
    if (classifies) {
      const names = classes ?? set.actions
      const numClasses = Number(model.config.headConfig.action_classes)
      if (names.length !== numClasses) {
        throw inputError(`the model has ${numClasses} classes, the data ${names.length} actions (${names.join(', ')})`, {file: opts.data, hint: 'evaluate a run folder (--run) so its class names are used, or data with the same actions'})
      }
      const action = await evaluateAction(predict, dataset, {cameraSeed: opts.cameraSeed, pair: {normalisation: 'crop', ...layout}, batchSize: opts.batchSize, persons: persons ?? 1, limit: opts.limit, classes: names, noConf: Boolean(opts.config.no_conf)})
      return {task, ...base, action, metrics: {top1: action.top1, top5: action.top5}}
    }
    const pose = await evaluatePose(sequencePredictor(model, predict), dataset, {cameraSeed: opts.cameraSeed, pair: {...layout, normalisation}, noise: opts.noise, batchSize: opts.batchSize, limit: opts.limit, flip, noConf: Boolean(opts.config.no_conf), outputUnits: loaded.outputUnits})
    return {task, ...base, pose, metrics: {mpjpe: pose.mpjpe, p_mpjpe: pose.p_mpjpe, n_mpjpe: pose.n_mpjpe}}
  } finally {
    await engine.dispose()
  }
}
