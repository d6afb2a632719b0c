/**
 * `motion predict` as plain functions: check outputs → read keypoints → choose people → load the
 * model (--checkpoint or the bundled one) → pick the engine → run the task (see tasks/registry.ts) → write.
 * Every failure is a MotionError; outputs are written only at the end, all-or-nothing.
 */
import {promises as fsp} from 'node:fs'
import path from 'node:path'

import {planOverlappedWindows, windowOverlap} from '../data/windowed.js'
import {readPredictInput} from '../data/keypoints/normalised-landmarks.js'
import {bundledModelLabel, displayPath} from '../formats/writers/display-path.js'
import {selectPeople} from '../data/people.js'
import {inputError, modelError, MotionError} from '../core/errors.js'
import {createEngine} from '../model/engine.js'
import {loadModel} from '../model/load.js'
import {resolveDefaultModel} from '../model/default-model.js'
import {DEFAULT_TASK, getTask} from '../heads/tasks.js'
import {exampleInputShape} from '../model/example-shape.js'
import {checkOutputs, personPath, rendersAllPeople} from '../tasks/outputs.js'
import {liftingStrategy} from '../model/lifting.js'
import {windowsFor} from '../tasks/pose3d/predict.js'
import {clipLength, predictTask} from '../tasks/registry.js'
import type {PredictHooks, PredictOptions, PredictResult, TaskContext} from '../tasks/types.js'
import type {Prediction} from '../formats/writers/types.js'
import {isVideoInput} from '../tasks/video/input-kind.js'
import type {VideoKeypoints} from '../tasks/video/predict-video.js'

export type {PredictHooks, PredictOptions, PredictProgress, PredictResult, PersonResult} from '../tasks/types.js'
export {defaultOutput, personPath, RENDER_OUTPUT_EXTENSIONS} from '../tasks/outputs.js'
export {defaultModelPath, MODELS_ENV, modelsDir, packageRoot} from '../model/default-model.js'
export {PREDICT_TASKS} from '../tasks/registry.js'

export async function runPredict(givenOptions: PredictOptions, hooks: PredictHooks = {}): Promise<PredictResult> {
  const started = performance.now()
  const task = givenOptions.task ?? DEFAULT_TASK
  const entry = predictTask(task)
  // Video input (src/tasks/video): 2D from the bundled detector; the task itself draws nothing (the video render comes after).
  const isVideo = givenOptions.format === undefined && (givenOptions.video !== undefined || (await isVideoInput(givenOptions.input)))
  const videoMod = isVideo ? await import('../tasks/video/predict-video.js') : undefined
  let options = isVideo ? {...givenOptions, render: undefined} : givenOptions
  checkFlags({...options, pixel: options.pixel && !isVideo})
  // No `out` (library use): nothing is written; the results carry the arrays.
  const out = options.out !== undefined ? path.resolve(options.out) : undefined
  const render = options.render !== undefined ? path.resolve(options.render) : undefined
  if (out === undefined && givenOptions.render !== undefined) throw inputError('a render needs an output file too', {hint: 'give out as well as render, or leave both out to get the arrays only'})
  if (out !== undefined) await (entry.checkOutputs ?? checkOutputs)(out, render)

  let video: VideoKeypoints | undefined
  let early: Promise<PreparedModel> | undefined
  if (isVideo) {
    if (givenOptions.render !== undefined && getTask(task).output !== 'joints') throw inputError(`--render draws 3D poses; --task ${task} on a video has none to draw`, {hint: 'drop --render'})
    await videoMod!.checkVideoOutputs({save2d: givenOptions.video?.save2d, render: givenOptions.render, out})
    // The detector runs in worker threads: meanwhile this thread loads the pose model and starts its
    // engine. Its errors wait until detection is done, so they come in the same order as before.
    const loading = prepareModel(task, options)
    loading.catch(() => undefined)
    early = loading
    try {
      video = await videoMod!.readVideoKeypoints(options.input, {...options.video, fps: options.fps, signal: options.signal, onFrame: hooks.onVideoFrame})
    } catch (err) {
      void loading.then((p) => p.engine?.dispose()).catch(() => undefined)
      throw err
    }
    const src = video.detections.source
    // the video knows its size and rate: --pixel needs no --video-size, outputs get the real fps
    options = {...options, fps: options.fps ?? src.fps, videoSize: options.videoSize ?? (options.pixel ? [src.width, src.height] : undefined)}
  }
  const detected = performance.now()
  let prepared: PreparedModel | undefined
  let engineOwned = true
  try {
    const {data, videoSizeUsed} = video ? {data: video.data, videoSizeUsed: false} : await readPredictInput(options.input, {format: options.format, videoSize: options.videoSize})
    const selection = selectPeople(data, {person: options.person, all: options.allPeople})
    prepared = await (early ?? prepareModel(task, options, {engine: false}))
    engineOwned = false
    return await runLoaded({...prepared, task, entry, options, givenOptions, hooks, isVideo, videoMod, video, data, videoSizeUsed, selection, out, render, started, detected})
  } finally {
    // an engine started but never handed to runLoaded (which disposes its own)
    if (engineOwned) void (early ?? Promise.resolve(prepared)).then((p) => p?.engine?.dispose()).catch(() => undefined)
  }
}

interface PreparedModel {
  checkpoint: string
  loaded: Awaited<ReturnType<typeof loadModel>>
  /** Started here for a video (during detection); otherwise by runLoaded, after the plan, as before. */
  engine?: Awaited<ReturnType<typeof createEngine>>
  /** Milliseconds from the start of loading until the engine was ready. */
  loadMs: number
}

/** Loads the model (--checkpoint or the bundled one) and starts its engine; pose3d also prepares its first session. */
async function prepareModel(task: NonNullable<PredictOptions['task']>, options: PredictOptions, o: {engine?: boolean} = {}): Promise<PreparedModel> {
  const t = performance.now()
  const checkpoint = options.checkpoint ?? (await resolveDefaultModel(task))
  const loaded = await loadModel(checkpoint, {config: options.modelConfig})
  if (loaded.task !== task) {
    throw modelError(`is a ${loaded.task} model; predict --task ${task} needs a ${task} model`, {file: checkpoint, hint: `use --task ${loaded.task}, or a ${task} checkpoint`})
  }
  if (o.engine === false) return {checkpoint, loaded, loadMs: performance.now() - t}
  const engine = await createEngine(loaded.model, {...options.engine, file: options.input})
  if (getTask(task).output === 'joints') {
    // the graph and session the first window needs (N and T stay dynamic, so any clip fits)
    await engine.prepare(exampleInputShape(loaded.model).shape).catch(async (err: unknown) => {
      await engine.dispose()
      throw err
    })
  }
  return {checkpoint, loaded, engine, loadMs: performance.now() - t}
}

async function runLoaded(r: PreparedModel & {
  task: NonNullable<PredictOptions['task']>
  entry: ReturnType<typeof predictTask>
  options: PredictOptions
  givenOptions: PredictOptions
  hooks: PredictHooks
  isVideo: boolean
  videoMod: typeof import('../tasks/video/predict-video.js') | undefined
  video: VideoKeypoints | undefined
  data: Awaited<ReturnType<typeof readPredictInput>>['data']
  videoSizeUsed: boolean
  selection: ReturnType<typeof selectPeople>
  out: string | undefined
  render: string | undefined
  started: number
  detected: number
}): Promise<PredictResult> {
  let engine = r.engine
  try {
    return await runLoadedModel(r, (e) => (engine = e))
  } finally {
    await engine?.dispose()
  }
}

async function runLoadedModel(r: Parameters<typeof runLoaded>[0], started_: (engine: NonNullable<PreparedModel['engine']>) => void): Promise<PredictResult> {
  const {task, entry, options, givenOptions, hooks, isVideo, videoMod, video, data, videoSizeUsed, selection, out, render, started, detected, checkpoint, loaded} = r
  const bundled = options.checkpoint === undefined
  const modelLabel = bundled ? bundledModelLabel(task) : displayPath(checkpoint)

  const many = selection.tracks.length > 1 || options.allPeople === true
  const outputs = selection.tracks.map((t) => ({
    out: out === undefined ? null : many ? personPath(out, t.id) : out,
    render: render === undefined ? null : many && !rendersAllPeople(render) ? personPath(render, t.id) : render,
  }))
  const ctxBase = {options, loaded}
  const clipLen = clipLength(ctxBase)
  const strategy = liftingStrategy(loaded.model, loaded.outputUnits)
  if (options.videoSize && !options.pixel && !strategy && !videoSizeUsed) throw inputError('--video-size is only used with --pixel', {hint: 'add --pixel, or drop --video-size'})
  const windowModel = loaded.inference?.inputNorm === 'window'
  const windows = (frames: number): number =>
    windowModel
      ? planOverlappedWindows(frames, clipLen, windowOverlap(clipLen, options.overlap, loaded.inference?.overlap)).length
      : strategy ? strategy.calls(frames) : windowsFor(frames, clipLen, options.overlap ?? 0)
  hooks.onPlan?.({data, selection, windowsPerPerson: selection.tracks.map((t) => windows(t.keypoints.shape[0]!)), video: isVideo})
  let engine = r.engine
  if (!engine) {
    engine = await createEngine(loaded.model, {...options.engine, file: options.input})
    started_(engine)
  }
  {

    const predictions: Prediction[] = []
    let writing: number | undefined
    const existed = await Promise.all(outputs.map((o) => (o.out === null ? true : pathExists(o.out))))
    const aborted = (): void => {
      if (options.signal?.aborted) throw new MotionError('interrupted', 'interrupted; nothing was written')
    }
    const taskHooks: PredictHooks = {
      ...hooks,
      onProgress: (p) => {
        aborted()
        hooks.onProgress?.(p)
      },
      onPrediction: (pred, i) => {
        predictions[i] = pred
        hooks.onPrediction?.(pred, i)
      },
      onWriting: () => {
        aborted()
        writing = performance.now()
        hooks.onWriting?.()
      },
    }
    const ctx: TaskContext = {options, data, selection, tracks: selection.tracks, loaded, modelLabel, engine, outputs, hooks: taskHooks}
    const lifting = performance.now()
    const outcome = await entry.run(ctx)
    if (!video && options.signal?.aborted) {
      // Ctrl-C while the outputs were being written: take back what this run created
      await Promise.all(outputs.filter((_, i) => !existed[i]).flatMap((o) => [o.out, o.render]).map((f) => (f ? fsp.rm(f, {force: true}).catch(() => undefined) : undefined)))
      aborted()
    }
    const extras = video
      ? await videoMod!.writeVideoExtras({video, options: {...options.video, render: givenOptions.render, signal: options.signal}, predictions, created: outputs.filter((_, i) => !existed[i]).flatMap((o) => (o.out === null ? [] : [o.out]))})
      : undefined
    if (extras?.render) outcome.people.forEach((p) => (p.render = extras.render))
    const done = performance.now()
    const videoReport = video && extras ? {source: video.detections.source, detector: video.detections.detector, people: video.detections.people, droppedTracks: video.detections.droppedTracks, ...extras} : undefined
    const vt = video?.detections.times
    const times = vt
      ? {...vt, lift_ms: Math.round((writing ?? done) - lifting), write_ms: Math.round(done - (writing ?? done)), total_ms: Math.round(done - started), setup_ms: Math.round(lifting - detected), model_load_ms: Math.round(r.loadMs)}
      : undefined
    return {
      task,
      input: path.resolve(options.input),
      format: data.format,
      frames: data.frameCount,
      reason: selection.reason,
      people: outcome.people,
      others: selection.others,
      skipped: selection.skipped,
      units: outcome.units,
      rootRelative: outcome.rootRelative,
      model: {path: loaded.source.path, bundled, kind: loaded.source.kind, backbone: loaded.model.backbone.name, head: loaded.model.head.name, ...(loaded.outputUnits ? {outputUnits: loaded.outputUnits} : {})},
      engine: {name: engine.name, reason: engine.reason, backend: engine.backend ?? null, threads: engine.threads ?? null},
      options: outcome.options,
      ...(videoReport ? {video: videoReport} : {}),
      ...(times ? {times} : {}),
    }
  }
}

async function pathExists(file: string): Promise<boolean> {
  return Boolean(await fsp.stat(file).catch(() => undefined))
}

/** Flag combinations that cannot work, caught before anything is read. */
function checkFlags(o: PredictOptions): void {
  if (o.pixel && !o.videoSize) {
    throw inputError('--pixel needs the video size to keep pixel scale', {file: o.input, hint: 'add --video-size WIDTHxHEIGHT (e.g. 1920x1080), or drop --pixel to scale to [-1, 1]'})
  }
  // --video-size without --pixel: refused after the model is known (MixSTE / Strided normalise by it).
  if (o.person !== undefined && o.allPeople) throw inputError('--person and --all-people cannot be combined', {hint: 'choose one person, or all of them'})
  if (o.clipLen !== undefined && !(Number.isInteger(o.clipLen) && o.clipLen >= 1)) throw inputError(`--clip-len must be a whole number >= 1, got ${o.clipLen}`)
  if (o.fps !== undefined && !(o.fps > 0 && Number.isFinite(o.fps))) throw inputError(`--fps must be a positive number, got ${o.fps}`)
}

/** Parses `--video-size WIDTHxHEIGHT` (also `W,H`). */
export function parseVideoSize(text: string): [number, number] {
  const m = /^\s*(\d+(?:\.\d+)?)\s*[x×,]\s*(\d+(?:\.\d+)?)\s*$/i.exec(text)
  const w = m ? Number(m[1]) : NaN
  const h = m ? Number(m[2]) : NaN
  if (!(w > 0 && h > 0)) throw inputError(`--video-size "${text}" is not WIDTHxHEIGHT with positive numbers`, {hint: 'e.g. --video-size 1920x1080'})
  return [w, h]
}
