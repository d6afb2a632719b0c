/**
 * Training data from a folder of 3D clips (pose3d and action): the windows of a split, the
 * augmentation settings, and video_views sampling (world clips seen as video).
 */
import type {MotionConfig} from '../config/schema.js'
import {inputError} from '../core/errors.js'
import type {NDArray} from '../core/ndarray.js'
import type {Augment2dOptions, TrainingPairOptions} from '../data/augment/index.js'
import type {InputLayout} from '../data/augment/input-layout.js'
import {inputLayoutOf} from '../data/augment/input-layout-option.js'
import type {MotionClip} from '../data/motion3d/clip.js'
import {readClipFolder} from '../data/motion3d/clip-folder.js'
import {Motion3dDataset} from '../data/motion3d/dataset.js'
import type {InferenceSettings} from '../model/native.js'
import {TRAINED_OUTPUT_UNITS, type OutputUnits} from '../model/units.js'
import type {BatchSource} from './batches.js'
import type {VideoActionEvalOptions, VideoEvalOptions} from './evaluate-video.js'
import {VideoBatchSource} from './pose3d/video-data.js'
import {type BestMetricChoice, engineEvaluate, LOSS_ONLY, type TaskEvaluation, type TrainDataContext} from './train-task.js'
import type {RunSettings} from './train-types.js'

/** The windows of `split` (every clip when the folder has no such split; null when `optional`). */
export async function loadClipWindows(settings: RunSettings, split: string, opts: {optional?: boolean; stride?: number} = {}): Promise<Motion3dDataset | null> {
  const config = settings.config
  const fps = settings.fps ?? undefined
  const set = await readClipFolder(settings.data, {})
  const hasSplit = set.clips.some((c) => c.split === split)
  if (!hasSplit && opts.optional) return null
  const clips = hasSplit ? set.clips.filter((c) => c.split === split) : set.clips
  const filtered = {...set, clips}
  return Motion3dDataset.fromClipSet(filtered, {
    clipLen: Number(config.clip_len),
    stride: opts.stride ?? Number(config.data_stride),
    ...(fps ? {targetFps: fps} : {}),
  })
}

/** The test windows for the per-epoch evaluation (none with eval_limit 0 or without a test split). */
export async function loadTestWindows(settings: RunSettings, config: MotionConfig): Promise<Motion3dDataset | null> {
  if (settings.evalLimit <= 0) return null
  return loadClipWindows(settings, 'test', {optional: true, stride: Number(config.clip_len)})
}

/**
 * The world clips of the test split, for the per-epoch static-camera evaluation of video_views
 * runs (null with eval_limit 0 or without a test split).
 */
export async function loadTestClips(settings: RunSettings): Promise<MotionClip[] | null> {
  if (settings.evalLimit <= 0) return null
  const clips = (await readClipFolder(settings.data, {})).clips.filter((c) => c.split === 'test' && c.space === 'world')
  return clips.length > 0 ? clips : null
}

/**
 * The per-epoch evaluation of a video_views run, as `motion eval --camera static` scores the
 * finished model: `score` gets the model's prediction function (on an inference engine) and the
 * test split's world clips; without them the best checkpoint is the one with the lowest loss.
 */
export async function staticCameraEvaluation(
  {settings, model, engineFor}: TrainDataContext,
  best: BestMetricChoice,
  score: (predict: (input: NDArray) => Promise<NDArray>, clips: MotionClip[]) => Promise<Record<string, number>>,
): Promise<TaskEvaluation> {
  const clips = await loadTestClips(settings)
  if (!clips) return {best: LOSS_ONLY}
  return {evaluate: engineEvaluate(engineFor, model, (predict) => score(predict, clips)), best}
}

/**
 * The static-camera protocol's settings shared by the per-epoch evaluations of video_views runs:
 * exact 2D as the AlphaPose reader gives it (unless input_layout says), the run's --fps (else 30),
 * the model's own window length, at most --eval-limit test clips.
 */
export function videoEvalSettings(settings: RunSettings, config: MotionConfig): Pick<VideoEvalOptions & VideoActionEvalOptions, 'cameraSeed' | 'noise' | 'layout' | 'fps' | 'clipLen' | 'noConf' | 'limit'> {
  return {
    cameraSeed: evalCameraSeed(settings),
    noise: false,
    layout: inputLayoutOf(config).inputLayout ?? 'halpe26',
    fps: settings.fps ?? 30,
    clipLen: Number(config.clip_len),
    noConf: Boolean(config.no_conf),
    limit: settings.evalLimit,
  }
}

/** The evaluation cameras' seed: the run's seed moved far from the training cameras'. */
export function evalCameraSeed(settings: RunSettings): number {
  return settings.seed + 1_000_003
}

/**
 * How a trained model is to be run, recorded in its checkpoints: video_views models take
 * window-normalised inputs (predict must run them so) and predict metres; others predict
 * normalised units with the official inference.
 */
export function checkpointDescription(config: MotionConfig): {outputUnits: OutputUnits; inference?: InferenceSettings} {
  if (!config.video_views) return {outputUnits: TRAINED_OUTPUT_UNITS}
  return {outputUnits: 'metres', inference: {inputNorm: 'window', clipLen: Number(config.clip_len)}}
}

/** The 2D view of a training window: the official camera, flip, scale and crop. */
export function trainingPair(config: MotionConfig, normalisation: TrainingPairOptions['normalisation']): TrainingPairOptions {
  return {flip: Boolean(config.flip), normalisation, scaleRange: config.scale_range_pretrain, cropProbability: Number(config.crop_scale_prob ?? 0), ...inputLayoutOf(config)}
}

/** The batch-level noise and masking. */
export function augmentOf(config: MotionConfig): Augment2dOptions {
  return {noise: Boolean(config.noise), maskRatio: Number(config.mask_ratio), maskTRatio: Number(config.mask_T_ratio)}
}

/** video_views: the train split's world clips at their own rates, sampled as video. */
export async function videoBatchSource(settings: RunSettings, config: MotionConfig, augment: Augment2dOptions, labels?: {classes: string[]; persons: number}): Promise<BatchSource> {
  const set = await readClipFolder(settings.data, {})
  const clips = set.clips.some((c) => c.split === 'train') ? set.clips.filter((c) => c.split === 'train') : set.clips
  const notWorld = clips.find((c) => c.space !== 'world')
  if (notWorld) throw inputError('video_views needs world-space clips (motion capture, BVH)', {file: notWorld.file})
  const clipLen = Number(config.clip_len)
  return new VideoBatchSource(clips, {
    task: labels ? 'action' : 'pose3d',
    batchSize: Number(config.batch_size),
    clipLen,
    strideSeconds: Number(config.data_stride) / 30,
    fpsRange: (config.fps_range ?? [24, 60]) as [number, number],
    layouts: (config.input_layouts ?? ['halpe26', 'coco17', 'h36m17']) as InputLayout[],
    flip: Boolean(config.flip),
    augment: {...augment, noise: false},
    ...(labels ? {classes: labels.classes, persons: labels.persons} : {}),
    noConf: Boolean(config.no_conf),
  })
}
