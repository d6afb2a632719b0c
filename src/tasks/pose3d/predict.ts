/**
 * `motion predict` for 3D pose: each chosen person's track through infer_wild's pipeline
 * (predictWildStream: normalise, windows, flip averaging, root depth) on the chosen engine, then
 * optional smoothing, then the writers and renderer. Nothing is written until every person is done.
 */
import {smoothPoses, type SmoothOptions} from '../../data/smooth.js'
import {type WildOptions, type WildProgress, planWindows, predictWildStream} from '../../data/wild.js'
import {predictWindowedStream, windowOverlap, type WindowedOptions} from '../../data/windowed.js'
import {rigidSkeleton} from '../../core/skeleton-fit.js'
import {reportedUnits} from '../../model/units.js'
import type {PoseUnits} from '../../formats/writers/types.js'
import {inputError, modelError} from '../../core/errors.js'
import {writePrediction} from '../../formats/writers/index.js'
import type {Prediction} from '../../formats/writers/types.js'
import type {NDArray} from '../../core/ndarray.js'
import {groupByRenderFile, personResults, shaped, writeAll} from '../outputs.js'
import {exampleInputShape} from '../../model/example-shape.js'
import {liftingStrategy, type LiftingStrategy, predictSequenceStream} from '../../model/lifting.js'
import type {TaskContext, TaskOutcome} from '../types.js'

/** One-euro smoothing and animations assume this rate when --fps is not given. */
export const DEFAULT_FPS = 30

/** The wild options predict runs with (also used to plan progress before running). */
export function wildOptions(ctx: Pick<TaskContext, 'options'>, clipLen: number, noConf: boolean): WildOptions {
  const o = ctx.options
  return {
    mode: o.pixel ? 'pixel' : 'scale',
    videoSize: o.videoSize,
    clipLen,
    flip: o.flip ?? true,
    rootrel: o.rootrel ?? false,
    overlap: o.overlap ?? 0,
    noConf,
  }
}

/** The one model output lifting reads: the others are not copied out of the onnxruntime session. */
export const LIFT_OUTPUTS: readonly string[] = ['pose3d']

export async function predictPose3d(ctx: TaskContext, clipLen: number, noConf: boolean): Promise<TaskOutcome> {
  const {options: o, tracks, engine} = ctx
  const wild = wildOptions(ctx, clipLen, noConf)
  const runModel = async (batch: NDArray): Promise<NDArray> => {
    const outputs = await engine.run(batch, {outputs: LIFT_OUTPUTS})
    const pose = outputs.pose3d
    if (!pose) throw modelError(`the model returned ${Object.keys(outputs).join(', ') || 'nothing'}, not pose3d`, {file: ctx.loaded.source.path})
    return pose
  }
  const smoothing = smoothOptions(o.smooth, o.fps)
  // MixSTE / Strided: their official windows and normalisation instead of infer_wild's.
  const windowed = windowedPlan(ctx, clipLen, noConf)
  const strategy = windowed ? null : liftingStrategy(ctx.loaded.model, ctx.loaded.outputUnits)
  const videoSize = strategy ? strategyVideoSize(ctx, strategy) : undefined
  const predictions: Prediction[] = []
  for (const [i, track] of tracks.entries()) {
    const T = track.keypoints.shape[0]!
    const stream = windowed
      ? windowedStream(track.keypoints, windowed, runModel)
      : strategy ? predictSequenceStream(strategy, track.keypoints, {videoSize: videoSize!, flip: wild.flip}, runModel) : predictWildStream(track.keypoints, wild, runModel)
    let step = await stream.next()
    while (!step.done) {
      ctx.hooks.onProgress?.({...step.value, person: track.id, personIndex: i, people: tracks.length, frames: T})
      step = await stream.next()
    }
    const smoothed = smoothing ? smoothPoses(step.value.x3d, smoothing) : step.value.x3d
    const x3d = o.skeleton === 'rigid' ? rigidSkeleton(smoothed) : smoothed
    predictions.push({
      x3d,
      units: step.value.units,
      rootRelative: strategy || windowed ? true : wild.rootrel,
      input2d: track.keypoints,
      ...(o.fps !== undefined ? {fps: o.fps} : {}),
      source: o.input,
      person: track.id,
      model: ctx.modelLabel,
      options: windowed ? windowedOptions(ctx, windowed, smoothing) : strategy ? strategyOptions(ctx, strategy, videoSize!, wild.flip, smoothing) : recordedOptions(ctx, wild, smoothing),
    })
  }

  predictions.forEach((pred, i) => ctx.hooks.onPrediction?.(pred, i))
  ctx.hooks.onWriting?.()
  const render = o.render !== undefined ? (await import('../../render/index.js')).renderPredictions : undefined
  // No out (library use): nothing is written, the arrays come back in the result.
  const writes = predictions.flatMap((pred, i) => {
    const out = ctx.outputs[i]!.out
    return out === null ? [] : [{file: out, write: () => writePrediction(pred, out)}]
  })
  // One render per file: a picture per person, or one .html page for everybody.
  if (render) {
    for (const [file, group] of groupByRenderFile(ctx, predictions)) {
      writes.push({file, write: () => render(group, file, ctx.data.imageSize ? {imageSize: ctx.data.imageSize} : {})})
    }
  }
  await writeAll(writes)

  const people = personResults(ctx).map((person, i) => ({...person, pose3d: shaped(predictions[i]!.x3d.data, [predictions[i]!.x3d.shape[0]!, 17, 3] as const)}))
  if (windowed) return {people, units: windowed.units, rootRelative: true, options: windowedOptions(ctx, windowed, smoothing)}
  if (strategy) return {people, units: strategy.units, rootRelative: true, options: strategyOptions(ctx, strategy, videoSize!, wild.flip, smoothing)}
  return {people, units: wild.mode === 'pixel' ? 'pixels' : 'normalized', rootRelative: wild.rootrel, options: recordedOptions(ctx, wild, smoothing)}
}

/** A window-normalised model's run (native config inference.inputNorm 'window'), or null. */
interface WindowedPlan extends WindowedOptions {
  units: PoseUnits
  /** Model units → written units. */
  scale: number
}

function windowedPlan(ctx: TaskContext, clipLen: number, noConf: boolean): WindowedPlan | null {
  const inference = ctx.loaded.inference
  if (inference?.inputNorm !== 'window') return null
  const o = ctx.options
  if (o.pixel) throw inputError('--pixel is MotionBERT\'s pixel mode; this model gives root-relative 3D in millimetres', {hint: 'drop --pixel'})
  const len = o.clipLen ?? inference.clipLen ?? clipLen
  const overlap = windowOverlap(len, o.overlap, inference.overlap)
  if (!Number.isInteger(overlap) || overlap < 0 || overlap >= len) {
    throw inputError(`overlap ${overlap} must be a whole number from 0 to clip length - 1 (${len - 1})`)
  }
  const {units, scale} = reportedUnits(ctx.loaded.outputUnits ?? 'normalized')
  return {clipLen: len, overlap, flip: o.flip ?? true, noConf, units, scale}
}

async function* windowedStream(keypoints: NDArray, plan: WindowedPlan, runModel: (batch: NDArray) => Promise<NDArray>): AsyncGenerator<WildProgress, {x3d: NDArray; units: PoseUnits}, void> {
  const result = yield* predictWindowedStream(keypoints, plan, runModel)
  const data = result.x3d.data
  if (plan.scale !== 1) for (let k = 0; k < data.length; k++) data[k] = data[k]! * plan.scale
  return {x3d: result.x3d, units: plan.units}
}

function windowedOptions(ctx: TaskContext, plan: WindowedPlan, smoothing: SmoothOptions | undefined): Record<string, unknown> {
  return {
    mode: 'window',
    normalisation: 'each window scaled to its own box',
    clipLen: plan.clipLen,
    overlap: plan.overlap,
    flip: plan.flip,
    rootrel: true,
    smooth: smoothing ? {...smoothing} : null,
    skeleton: ctx.options.skeleton ?? 'raw',
    fps: ctx.options.fps ?? null,
    engine: ctx.engine.name,
  }
}

/**
 * The video size a strategy normalises by (--video-size, else the keypoint file's image size), and
 * the infer_wild options it has no use for refused by name.
 */
function strategyVideoSize(ctx: TaskContext, strategy: LiftingStrategy): [number, number] {
  const o = ctx.options
  const name = ctx.loaded.model.backbone.name
  if (o.pixel) throw inputError(`--pixel is MotionBERT's pixel mode; the ${name} model gives root-relative 3D in ${strategy.units}`, {hint: 'drop --pixel (keep --video-size: it normalises the keypoints)'})
  if ((o.overlap ?? 0) > 0) throw inputError(`--overlap is not used by the ${name} model (it runs its official windows)`, {hint: 'drop --overlap'})
  const frames = exampleInputShape(ctx.loaded.model).maxFrames
  if (o.clipLen !== undefined && o.clipLen !== frames) {
    throw inputError(`the ${name} model takes windows of exactly ${frames} frames, not --clip-len ${o.clipLen}`, {hint: 'drop --clip-len (and clip_len from the config): predict cuts the sequence into the windows the model takes'})
  }
  const size = o.videoSize ?? ctx.data.imageSize
  if (!size) {
    throw inputError(`the ${name} model normalises keypoints by the video size, as its official code does (normalize_screen_coordinates), and ${ctx.data.file} does not say it`, {
      hint: 'pass --video-size WIDTHxHEIGHT (e.g. 1920x1080)',
    })
  }
  return size
}

function strategyOptions(ctx: TaskContext, strategy: LiftingStrategy, videoSize: [number, number], flip: boolean, smoothing: SmoothOptions | undefined): Record<string, unknown> {
  return {
    mode: 'screen',
    normalisation: strategy.normalisation,
    outputs: `${strategy.outputUnits}; written x ${strategy.outputScale} as ${strategy.units}`,
    videoSize,
    windows: ctx.loaded.model.backbone.screenWindows?.description,
    flip,
    rootrel: true,
    smooth: smoothing ? {...smoothing} : null,
    skeleton: ctx.options.skeleton ?? 'raw',
    fps: ctx.options.fps ?? null,
    engine: ctx.engine.name,
  }
}

/** Windows each track will run (for progress planning). */
export function windowsFor(frames: number, clipLen: number, overlap: number): number {
  return planWindows(frames, clipLen, overlap).length
}

function smoothOptions(method: TaskContext['options']['smooth'], fps: number | undefined): SmoothOptions | undefined {
  if (method === undefined) return undefined
  if (method === 'one-euro') return {method, fps: fps ?? DEFAULT_FPS}
  if (method === 'savgol') return {method}
  throw inputError(`unknown smoothing "${String(method)}"`, {hint: 'use one-euro or savgol'})
}

function recordedOptions(ctx: TaskContext, wild: WildOptions, smoothing: SmoothOptions | undefined): Record<string, unknown> {
  return {
    mode: wild.mode,
    videoSize: wild.videoSize ?? null,
    clipLen: wild.clipLen,
    flip: wild.flip,
    rootrel: wild.rootrel,
    overlap: wild.overlap ?? 0,
    noConf: wild.noConf ?? false,
    smooth: smoothing ? {...smoothing} : null,
    skeleton: ctx.options.skeleton ?? 'raw',
    fps: ctx.options.fps ?? null,
    engine: ctx.engine.name,
  }
}

