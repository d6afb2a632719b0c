/**
 * Action recognition as a training task (train_action.py): MotionBERT's NTU pickles (samples
 * prepared once, src/data/ntu.ts) or a folder of labelled 3D clips seen through virtual cameras;
 * cross-entropy; top-1 accuracy on the test split picking the best checkpoint.
 */
import type {RawConfig} from '../../config/types.js'
import {inputError} from '../../core/errors.js'
import {isActionPickle, ntuClassNames} from '../../data/ntu.js'
import {inputLayoutOf} from '../../data/augment/input-layout-option.js'
import {readClipFolder} from '../../data/motion3d/clip-folder.js'
import {crossEntropy, oneHot} from '../../nn/classification.js'
import {ActionBatchSource, type BatchSource} from '../batches.js'
import {augmentOf, evalCameraSeed, loadClipWindows, loadTestWindows, staticCameraEvaluation, trainingPair, videoBatchSource, videoEvalSettings} from '../clip-data.js'
import {evaluateAction} from '../evaluate.js'
import {evaluateVideoActionProtocol} from '../evaluate-video.js'
import {freshModel, withFreshHead} from '../fresh-model.js'
import {engineEvaluate, LOSS_ONLY, type TaskEvaluation, type TaskTrainData, type TrainDataContext, type TrainTaskEntry} from '../train-task.js'
import type {TrainBatch} from '../train-types.js'
import {finetuneBase} from '../training-model.js'
import {evaluateNtu, loadNtuPickle, NtuBatchSource, ntuClassCount, ntuRunData} from './ntu.js'

export const actionTraining: TrainTaskEntry = {
  name: 'action',
  description: 'action recognition from NTU pickles or labelled 3D clips (cross-entropy, top-1)',
  takesData2d: false,
  takesSmplDir: false,

  async labels(data, config, persons) {
    if (isActionPickle(data)) {
      const classes = ntuClassNames(ntuClassCount(await loadNtuPickle(data), config.num_classes === undefined ? undefined : Number(config.num_classes)))
      // NTU samples always carry at least two people (a zero person is added), as official.
      return {classes, persons: Math.max(2, persons)}
    }
    return {classes: (await readClipFolder(data, {})).actions, persons}
  },

  async initialModel(settings) {
    const classes = settings.classes ?? []
    if (settings.command === 'pretrain') {
      const raw: RawConfig = {...settings.modelConfig, head: 'action'}
      raw.num_classes = raw.action_classes = classes.length
      return freshModel(raw, settings.seed)
    }
    const base = await finetuneBase(settings)
    const config = settings.config
    const headConfig: RawConfig = {
      head: 'action',
      num_classes: classes.length,
      action_classes: classes.length,
      ...(config.hidden_dim !== undefined ? {hidden_dim: config.hidden_dim} : {}),
      ...(config.dropout_ratio !== undefined ? {dropout_ratio: config.dropout_ratio} : {}),
      ...(config.model_version !== undefined ? {model_version: config.model_version} : {}),
      ...(config.temporal_segments !== undefined ? {temporal_segments: config.temporal_segments} : {}),
      ...(config.motion_energy !== undefined ? {motion_energy: config.motion_energy} : {}),
      ...(config.energy_segments !== undefined ? {energy_segments: config.energy_segments} : {}),
    }
    const model = base.head.name === 'action' && base.config.headConfig.action_classes === classes.length ? base : withFreshHead(base, headConfig, settings.seed)
    // The head's own check would only fire at the first step, after the feature cache is built.
    // energy_segments only counts when motion_energy is on (the head ignores it otherwise).
    const checked = model.config.headConfig.motion_energy === true ? ['temporal_segments', 'energy_segments'] : ['temporal_segments']
    for (const key of checked) {
      const segments = Number(model.config.headConfig[key] ?? 1)
      if (Number(config.clip_len) % segments !== 0) throw inputError(`${key} ${segments} does not divide clip_len ${config.clip_len}: the action head averages equal stretches of each clip`, {hint: `choose a clip_len that is a multiple of ${key}`})
    }
    return model
  },

  async trainData(ctx) {
    return isActionPickle(ctx.settings.data) ? ntuTrainData(ctx) : clipTrainData(ctx)
  },

  targets(batch: TrainBatch, classes) {
    const labels = batch.labels!
    return {y: {data: oneHot(labels, classes!), shape: [labels.length, classes!]}}
  },

  targetInputs(inputShape, opts) {
    return [{name: 'y', shape: [inputShape[0]!, opts.classes!]}]
  },

  loss(ops, outputs, targets) {
    const ce = crossEntropy(ops, outputs.logits!, targets.y!)
    return {total: ce, parts: {ce}}
  },
}

const TOP1 = {name: 'top1', higherIsBetter: true}

/** MotionBERT's NTU pickles: samples prepared once as ActionDataset. */
async function ntuTrainData({settings, config, model, engineFor}: TrainDataContext): Promise<TaskTrainData> {
  const ntu = ntuRunData(await loadNtuPickle(settings.data), {dataSplit: config.data_split, clipLen: Number(config.clip_len), persons: settings.persons ?? 2, seed: settings.seed})
  const source = new NtuBatchSource(ntu.train, {batchSize: Number(config.batch_size), randomMove: Boolean(config.random_move), scaleRange: config.scale_range_train ?? [1, 1], noConf: Boolean(config.no_conf)})
  const classes = (settings.classes ?? []).length
  return {
    source,
    async evaluation() {
      if (!(ntu.test.length > 0 && settings.evalLimit > 0)) return {best: LOSS_ONLY}
      const evaluate = engineEvaluate(engineFor, model, async (predict) => {
        const r = await evaluateNtu(predict, ntu.test, {scaleRange: config.scale_range_test ?? [1, 1], batchSize: Number(config.batch_size), classes, seed: evalCameraSeed(settings), limit: settings.evalLimit, noConf: Boolean(config.no_conf)})
        return {top1: r.top1, top5: r.top5}
      })
      return {evaluate, best: TOP1}
    },
  }
}

/** A folder of labelled 3D clips (or video_views sampling of world clips). */
async function clipTrainData({settings, config, model, engineFor}: TrainDataContext): Promise<TaskTrainData> {
  const augment = augmentOf(config)
  const classes = settings.classes ?? []
  const persons = settings.persons ?? 1
  let source: BatchSource
  if (config.video_views) {
    source = await videoBatchSource(settings, config, augment, {classes, persons})
  } else {
    const train = (await loadClipWindows(settings, 'train'))!
    const batchSize = Math.min(Number(config.batch_size), train.length)
    source = new ActionBatchSource(train, {batchSize, pair: trainingPair(config, 'crop'), augment, persons, noConf: Boolean(config.no_conf)})
  }
  return {
    source,
    async evaluation() {
      if (config.video_views) return videoViewEvaluation({settings, config, model, engineFor}, classes, persons)
      const test = await loadTestWindows(settings, config)
      if (!test) return {best: LOSS_ONLY}
      const evaluate = engineEvaluate(engineFor, model, async (predict) => {
        const r = await evaluateAction(predict, test, {cameraSeed: evalCameraSeed(settings), pair: {normalisation: 'crop', ...inputLayoutOf(config)}, batchSize: Number(config.batch_size), persons, limit: settings.evalLimit, classes, noConf: Boolean(config.no_conf)})
        return {top1: r.top1, top5: r.top5}
      })
      return {evaluate, best: TOP1}
    },
  }
}

/**
 * video_views runs are scored each epoch as `motion eval --camera static` scores the finished
 * model: whole test clips filmed by static cameras, cut into back-to-back windows, each normalised
 * by its own box.
 */
function videoViewEvaluation(ctx: TrainDataContext, classes: string[], persons: number): Promise<TaskEvaluation> {
  return staticCameraEvaluation(ctx, TOP1, async (predict, clips) => {
    const r = await evaluateVideoActionProtocol(predict, clips, {...videoEvalSettings(ctx.settings, ctx.config), classes, persons})
    return {top1: r.top1, top5: r.top5, clip_top1: r.clipTop1}
  })
}
