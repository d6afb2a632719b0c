/**
 * 3D lifting as a training task (train.py): windows of 3D clips seen through virtual cameras,
 * optional 2D-only samples (--data-2d), MotionBERT's combined pose loss (or MixSTE / Strided's own
 * objectives), and MPJPE on the test split picking the best checkpoint.
 */
import {getBackbone, DEFAULT_BACKBONE} from '../../backbones/registry.js'
import type {RawConfig} from '../../config/types.js'
import {sequencePredictor} from '../../model/lifting.js'
import {modelTask} from '../../model/native.js'
import {TRAINED_OUTPUT_UNITS} from '../../model/units.js'
import {combinedPoseLoss, loss2dWeighted} from '../../nn/losses.js'
import {backbonePoseLoss} from '../../nn/losses-literature.js'
import type {Ops} from '../../nn/ops.js'
import {inputLayoutOf} from '../../data/augment/input-layout-option.js'
import {PoseBatchSource} from '../batches.js'
import {augmentOf, checkpointDescription, evalCameraSeed, loadClipWindows, loadTestWindows, staticCameraEvaluation, trainingPair, videoBatchSource, videoEvalSettings} from '../clip-data.js'
import {evaluatePose} from '../evaluate.js'
import {evaluateVideoProtocol} from '../evaluate-video.js'
import {freshModel, withFreshHead} from '../fresh-model.js'
import {engineEvaluate, LOSS_ONLY, type LossSpec, type TaskEvaluation, type TaskLoss, type TrainDataContext, type TrainTaskEntry} from '../train-task.js'
import type {TrainBatch} from '../train-types.js'
import {finetuneBase} from '../training-model.js'
import {readTracks2d, TwoDBatchSource, windowTracks} from './data-2d.js'

export const pose3dTraining: TrainTaskEntry = {
  name: 'pose3d',
  description: '3D lifting from 3D clips seen through virtual cameras (plus 2D-only samples with --data-2d)',
  takesData2d: true,
  takesSmplDir: false,

  async initialModel(settings) {
    if (settings.command === 'pretrain') {
      // The head the backbone's poses come from (MixSTE / Strided end in their own output layers: head none).
      const raw: RawConfig = {...settings.modelConfig, head: getBackbone(String(settings.modelConfig.backbone ?? DEFAULT_BACKBONE)).poseHead}
      return freshModel(raw, settings.seed)
    }
    const base = await finetuneBase(settings)
    // MixSTE / Strided end in their own output layers (head none): they train as they are.
    if (modelTask(base) === 'pose3d' && (base.head.name === 'pose3d' || (base.head.name === 'none' && base.backbone.outputs.includes('pose3d')))) return base
    // Another task's checkpoint: keep the backbone, fresh pose head.
    return withFreshHead(base, {head: 'pose3d'}, settings.seed)
  },

  async trainData({settings, config, model, engineFor}) {
    const augment = augmentOf(config)
    let source
    if (config.video_views) {
      source = await videoBatchSource(settings, config, augment)
    } else {
      const train = (await loadClipWindows(settings, 'train'))!
      const batchSize = Math.min(Number(config.batch_size), train.length)
      source = new PoseBatchSource(train, {batchSize, pair: trainingPair(config, 'image'), augment, rootrel: Boolean(config.rootrel), noConf: Boolean(config.no_conf)})
    }
    const batchSize = Math.min(source.batchSize, source.size)
    const source2d = settings.data2d && settings.data2d.length > 0
      ? new TwoDBatchSource(windowTracks(await readTracks2d(settings.data2d), Number(config.clip_len)), {batchSize, clipLen: Number(config.clip_len), flip: Boolean(config.flip), augment, noConf: Boolean(config.no_conf)})
      : undefined
    return {
      source,
      ...(source2d ? {source2d} : {}),
      async evaluation() {
        if (config.video_views) return videoViewEvaluation({settings, config, model, engineFor})
        const test = await loadTestWindows(settings, config)
        if (!test) return {best: LOSS_ONLY}
        const cameraSeed = evalCameraSeed(settings)
        const evaluate = engineEvaluate(engineFor, model, async (predict) => {
          const r = await evaluatePose(sequencePredictor(model, predict), test, {cameraSeed, pair: inputLayoutOf(config), batchSize: Number(config.batch_size), limit: settings.evalLimit, flip: Boolean(config.flip), noConf: Boolean(config.no_conf), outputUnits: TRAINED_OUTPUT_UNITS})
          return {mpjpe: r.mpjpe, p_mpjpe: r.p_mpjpe, n_mpjpe: r.n_mpjpe}
        })
        return {evaluate, best: {name: 'mpjpe', higherIsBetter: false}}
      },
    }
  },

  targets(batch: TrainBatch) {
    return {y: batch.target!, ...(batch.conf ? {conf: batch.conf} : {})}
  },

  targetInputs(inputShape) {
    return [{name: 'y', shape: [...inputShape.slice(0, -1), 3]}]
  },

  loss: poseLoss,
}

/**
 * video_views runs take window-normalised input and predict metres: each epoch is scored as
 * `motion eval --camera static` scores the finished model (whole test clips, static cameras, the
 * pipeline predict runs), and the best checkpoint is the one with the lowest N-MPJPE.
 */
function videoViewEvaluation(ctx: TrainDataContext): Promise<TaskEvaluation> {
  const {settings, config} = ctx
  const {inference, outputUnits} = checkpointDescription(config)
  return staticCameraEvaluation(ctx, {name: 'n_mpjpe', higherIsBetter: false}, async (predict, clips) => {
    const r = await evaluateVideoProtocol(predict, clips, {...videoEvalSettings(settings, config), ...(inference ? {inference} : {}), flip: Boolean(config.flip), outputUnits})
    return {...(r.mpjpe !== null ? {mpjpe: r.mpjpe} : {}), p_mpjpe: r.p_mpjpe, n_mpjpe: r.n_mpjpe, bone_cv: r.bone_cv, jump_ratio: r.jump_ratio}
  })
}

/**
 * The pose objective: on a 2D-only batch (a `conf` target) lambda_2d · loss_2d_weighted; else the
 * backbone's own objective (MixSTE / Strided, losses-literature.ts) or MotionBERT's combined loss.
 */
function poseLoss<T>(ops: Ops<T>, outputs: Readonly<Record<string, T>>, targets: Readonly<Record<string, T | undefined>>, spec: LossSpec): TaskLoss<T> {
  const gt = targets.y!
  if (targets.conf) {
    const pred = outputs.pose3d ?? outputs[Object.keys(outputs)[0]!]!
    const l2d = loss2dWeighted(ops, pred, gt, targets.conf)
    const lambda2d = spec.lambda2d ?? 1
    return {total: lambda2d === 1 ? l2d : ops.scale(l2d, lambda2d), parts: {'2d_proj': l2d}}
  }
  const own = backbonePoseLoss(ops, spec.backbone, outputs, gt, spec.lambdas)
  if (own) return own
  const pred = outputs.pose3d ?? outputs[Object.keys(outputs)[0]!]!
  const l = combinedPoseLoss(ops, pred, gt, spec.lambdas, {parts: 'weighted'})
  return {total: l.total, parts: l.parts}
}
