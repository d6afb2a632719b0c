/**
 * `motion predict --stream` as a library function: NDJSON 2D frames in (any async source of lines),
 * one NDJSON line out per frame through a callback. The model is loaded, checked and run exactly
 * as `motion predict` does (bundled default or --checkpoint; engine choice; the task's input
 * channels; infer_wild's normalisation, flip averaging and root handling through
 * predictWildStream, or the backbone's own lifting strategy), with each window being one
 * person's recent frames (see lifter.ts). Nothing is printed here.
 */
import {inputError, isMotionError, modelError} from '../../core/errors.js'
import type {PoseUnits} from '../../formats/writers/types.js'
import {createEngine, type EngineOptions} from '../../model/engine.js'
import {loadModel} from '../../model/load.js'
import type {RawConfig} from '../../config/types.js'
import type {NDArray} from '../../core/ndarray.js'
import {predictWildStream} from '../../data/wild.js'
import {liftWindowBatch} from '../../data/windowed.js'
import {reportedUnits} from '../../model/units.js'
import {liftingStrategy, predictSequenceStream} from '../../model/lifting.js'
import {resolveDefaultModel} from '../../model/default-model.js'
import {DEFAULT_TASK, getTask} from '../../heads/tasks.js'
import {LIFT_OUTPUTS, wildOptions} from '../../tasks/pose3d/predict.js'
import {inputChannels, modelMaxFrames} from '../../tasks/registry.js'
import {type LiftWindow, type LiftWindows, StreamLifter, type StreamOutputFrame} from './lifter.js'
import {parseFrameLine, StreamLineError, type StreamFrame, type StreamLayout} from './messages.js'

export interface StreamOptions {
  /** Model file or folder; default: the bundled pose3d model. */
  checkpoint?: string
  modelConfig?: RawConfig
  /** Frames of look-ahead (default 0). */
  latency?: number
  /** Frames per model window, look-ahead included (default DEFAULT_STREAM_WINDOW, at most the model's longest clip). */
  window?: number
  /** Joint layout of the input keypoints (default auto: by count, 17 = COCO-17). */
  layout?: StreamLayout
  pixel?: boolean
  videoSize?: [number, number]
  /** Flip test-time augmentation (default true; off halves the model's work). */
  flip?: boolean
  rootrel?: boolean
  engine?: EngineOptions
}

/** What each output line carries besides the frame (stated once per line, so any line stands alone). */
export interface StreamInfo {
  units: PoseUnits
  window: number
  latency: number
  model: string
  engine: string
}

export interface StreamSummary extends StreamInfo {
  /** Frames read and answered. */
  frames: number
  /** Lines answered with an error line. */
  errors: number
  /** Every person id seen. */
  people: string[]
}

export interface StreamHooks {
  /** Called once the model is ready, before the first line is read. */
  onReady?(info: StreamInfo): void
}

/** The model side of a stream: predict's model, engine and lifting pipeline for one window. */
export interface StreamModel {
  info: StreamInfo
  liftWindow: LiftWindow
  /** Every window of a push in one model call per window length (window-normalised models); absent: one call per window. */
  liftWindows?: LiftWindows
  /** Errors that skip one person in one frame (too few confident keypoints in the window). */
  isPersonError: (err: unknown) => boolean
  dispose(): Promise<void>
}

/** Default window of the stream, for every model: short, so each frame costs little (the trade-off is measured in docs/streaming.md). */
export const DEFAULT_STREAM_WINDOW = 27

/** onnxruntime threads of the stream's engine unless --threads says otherwise. */
export const STREAM_THREADS = 1

/** Loads and checks the model as predict does, and returns the function that lifts one person's window. */
export async function openStreamModel(options: StreamOptions): Promise<StreamModel> {
  const latency = options.latency ?? 0
  if (!Number.isInteger(latency) || latency < 0) throw inputError(`--latency must be a whole number of frames >= 0, got ${latency}`)
  if (options.pixel && !options.videoSize) throw inputError('--pixel needs the video size', {hint: 'add --video-size WIDTHxHEIGHT (e.g. 1920x1080)'})
  // The lifting task's bundled model (the default task).
  const checkpoint = options.checkpoint ?? (await resolveDefaultModel(DEFAULT_TASK))
  const loaded = await loadModel(checkpoint, {config: options.modelConfig})
  if (getTask(loaded.task).output !== 'joints') throw modelError(`is a ${loaded.task} model; predict --stream lifts 2D to 3D and needs a pose3d model`, {file: checkpoint})
  const maxFrames = modelMaxFrames({loaded})
  // A window-normalised model (native config inference.inputNorm 'window') scales each window to
  // its own box. The stream's default window is DEFAULT_STREAM_WINDOW for it too, not the model's
  // training clip (60): 2.5x less work per frame for 0.5-1.4 mm N-MPJPE (docs/streaming.md).
  const windowModel = loaded.inference?.inputNorm === 'window'
  const window = options.window ?? Math.max(latency + 1, Math.min(DEFAULT_STREAM_WINDOW, maxFrames))
  if (!Number.isInteger(window) || window < latency + 1 || window > maxFrames) {
    throw inputError(`the stream window (--clip-len ${window}) must be from --latency + 1 (${latency + 1}) to the model's longest clip (${maxFrames})`, {hint: latency >= maxFrames ? `use --latency ${maxFrames - 1} or less` : undefined})
  }
  if (windowModel && options.pixel) throw inputError('--pixel is MotionBERT\'s pixel mode; this model gives root-relative 3D in millimetres', {hint: 'drop --pixel'})
  const strategy = windowModel ? null : liftingStrategy(loaded.model, loaded.outputUnits)
  const predictOptions = {input: '(stream)', out: '(stream)', pixel: options.pixel, videoSize: options.videoSize, flip: options.flip ?? true, rootrel: options.rootrel}
  if (options.videoSize && !options.pixel && !strategy && !windowModel) throw inputError('--video-size is only used with --pixel (or by MixSTE / Strided models)', {hint: 'add --pixel, or drop --video-size'})
  if (strategy && !options.videoSize) throw inputError(`the ${loaded.model.backbone.name} model normalises keypoints by the video size`, {hint: 'pass --video-size WIDTHxHEIGHT'})
  const wild = wildOptions({options: predictOptions}, window, inputChannels({loaded}) === 2)
  const windowUnits = windowModel ? reportedUnits(loaded.outputUnits ?? 'normalized') : null
  const units: PoseUnits = windowUnits ? windowUnits.units : strategy ? strategy.units : wild.mode === 'pixel' ? 'pixels' : 'normalized'

  // One thread by default: a stream's model calls are small (one window per person), and on a
  // shared machine a second onnxruntime thread waits for a core more than it helps (measured in
  // docs/benchmarks.md); --threads overrides.
  const engine = await createEngine(loaded.model, {...options.engine, threads: options.engine?.threads ?? STREAM_THREADS, file: '(stream)'})
  const runModel = async (batch: NDArray): Promise<NDArray> => {
    const pose = (await engine.run(batch, {outputs: LIFT_OUTPUTS})).pose3d
    if (!pose) throw modelError('the model returned no pose3d', {file: loaded.source.path})
    return pose
  }
  // Window models: all windows of the same length (every person of a frame) in one model call,
  // each scaled to its own box as predict lifts each of its windows.
  const liftWindows: LiftWindows | undefined = windowUnits
    ? async (tracks) => {
        const results: Array<NDArray | {error: unknown}> = new Array(tracks.length)
        const byLength = new Map<number, number[]>()
        for (const [i, track] of tracks.entries()) byLength.set(track.shape[0]!, [...(byLength.get(track.shape[0]!) ?? []), i])
        for (const indices of byLength.values()) {
          const lifted = await liftWindowBatch(indices.map((i) => tracks[i]!), {flip: wild.flip, noConf: inputChannels({loaded}) === 2}, runModel)
          for (const [k, i] of indices.entries()) {
            const r = lifted[k]!
            if ('data' in r && windowUnits.scale !== 1) for (let m = 0; m < r.data.length; m++) r.data[m] = r.data[m]! * windowUnits.scale
            results[i] = r
          }
        }
        return results
      }
    : undefined
  // One person's window through predict's own pipeline.
  const liftWindow = async (track: NDArray): Promise<NDArray> => {
    if (liftWindows) {
      const [r] = await liftWindows([track])
      if (!('data' in r!)) throw r!.error
      return r
    }
    const stream = strategy ? predictSequenceStream(strategy, track, {videoSize: options.videoSize!, flip: wild.flip}, runModel) : predictWildStream(track, {...wild, clipLen: track.shape[0]!}, runModel)
    for (;;) {
      const step = await stream.next()
      if (step.done) return step.value.x3d
    }
  }
  // Warm-up: the first model call builds the engine's session (seconds on a busy machine); do it
  // now, so the first frames are not held up by it. A standing figure, every joint confident.
  const warm = new Float32Array(window * 51)
  for (let i = 0; i < warm.length; i += 3) [warm[i], warm[i + 1], warm[i + 2]] = [100 + ((i / 3) % 17) * 7, 100 + ((i / 3) % 17) * 13, 1]
  await liftWindow({data: warm, shape: [window, 17, 3]}).catch(async (err: unknown) => {
    await engine.dispose()
    throw err
  })
  return {
    info: {units, window, latency, model: options.checkpoint === undefined ? 'bundled models/pose3d' : loaded.source.path, engine: engine.summary},
    liftWindow,
    liftWindows,
    isPersonError: (err) => isMotionError(err) && err.kind === 'dataQuality',
    dispose: () => engine.dispose(),
  }
}

/** Runs the stream until `lines` ends; each output line (no newline) goes to `write`, in order. */
export async function runStream(options: StreamOptions, lines: AsyncIterable<string> | Iterable<string>, write: (line: string) => void | Promise<void>, hooks: StreamHooks = {}): Promise<StreamSummary> {
  const model = await openStreamModel(options)
  try {
    return await runStreamOn(model, options.layout ?? 'auto', lines, write, hooks)
  } finally {
    await model.dispose()
  }
}

/**
 * One stream on a model that is already open (`motion serve` shares one model between its
 * connections): its own people and history, lines in, lines out, the summary at the end. The
 * model is not disposed.
 */
export async function runStreamOn(model: StreamModel, layout: StreamLayout, lines: AsyncIterable<string> | Iterable<string>, write: (line: string) => void | Promise<void>, hooks: StreamHooks = {}): Promise<StreamSummary> {
  const {info} = model
  const {units, latency, window} = info
  const lifter = new StreamLifter({latency, window, liftWindow: model.liftWindow, liftWindows: model.liftWindows, isPersonError: model.isPersonError})
  const decimals = units === 'normalized' ? 5 : 2
  const seen = new Set<string>()
  let frames = 0
  let errors = 0
  let previous = -1
  let lineNo = 0
  const emit = async (outs: StreamOutputFrame[]): Promise<void> => {
    for (const o of outs) {
      frames++
      await write(formatFrame(o, units, decimals))
    }
  }
  const backlog = new LineBacklog(lines)
  try {
    hooks.onReady?.(info)
    for (;;) {
      // every line that has arrived: one batch, so a backlog shares model windows
      const batch = await backlog.take()
      if (batch === undefined) break
      const parsed: StreamFrame[] = []
      for (const raw of batch) {
        lineNo++
        const line = raw.trim()
        if (line === '') continue
        try {
          const frame = parseFrameLine(line, previous, layout)
          previous = frame.frame
          for (const p of frame.people) seen.add(p.id)
          parsed.push(frame)
        } catch (err) {
          if (!(err instanceof StreamLineError)) throw err
          errors++
          await write(JSON.stringify({error: `line ${lineNo}: ${err.message}`, line: lineNo}))
        }
      }
      if (parsed.length > 0) await emit(await lifter.push(parsed))
    }
    await emit(await lifter.finish())
  } finally {
    backlog.stop()
  }
  return {...info, frames, errors, people: [...seen]}
}

/** One output line: {"frame", "people": [{"id", "pose3d": [[x, y, z] × 17]}], "lookahead", "units"}. */
export function formatFrame(o: StreamOutputFrame, units: PoseUnits, decimals: number): string {
  const f = 10 ** decimals
  const people = o.people.map((p) => {
    if (!p.pose3d) return {id: p.rawId, pose3d: null, error: p.error}
    const joints: number[][] = []
    for (let j = 0; j < p.pose3d.length; j += 3) joints.push([Math.round(p.pose3d[j]! * f) / f, Math.round(p.pose3d[j + 1]! * f) / f, Math.round(p.pose3d[j + 2]! * f) / f])
    return {id: p.rawId, pose3d: joints}
  })
  return JSON.stringify({frame: o.frame, people, lookahead: o.lookahead, units})
}

/** Reads an async source of lines in the background; take() returns every line that has arrived (waiting for one), or undefined at the end. */
class LineBacklog {
  private lines: string[] = []
  private done = false
  private failure: unknown
  private wake: (() => void) | undefined
  private stopped = false

  constructor(source: AsyncIterable<string> | Iterable<string>) {
    void (async () => {
      try {
        for await (const line of source) {
          if (this.stopped) break
          this.lines.push(line)
          this.wake?.()
        }
      } catch (err) {
        this.failure = err
      }
      this.done = true
      this.wake?.()
    })()
  }

  async take(): Promise<string[] | undefined> {
    while (this.lines.length === 0 && !this.done) await new Promise<void>((resolve) => (this.wake = resolve))
    this.wake = undefined
    if (this.failure !== undefined) throw this.failure
    if (this.lines.length === 0) return undefined
    return this.lines.splice(0, this.lines.length)
  }

  stop(): void {
    this.stopped = true
  }
}
