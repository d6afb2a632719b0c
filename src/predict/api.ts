/**
 * `predict` for code: the options `motion predict` takes (the flags, camelCased), the results it
 * computes. The command is a thin caller of these functions; from a library, leave `out` (and
 * `render`) out and nothing is written — the arrays come back in the result instead.
 *
 * - `predict(request)`: a keypoint file, an OpenPose folder, or a video / folder of images (2D
 *   from the bundled detector; `detector`, `saveTwoD`, `maxFrames`, `ffmpeg`), lifted (or scored,
 *   or meshed) per person. Windowed models, `skeleton: 'rigid'`, `render` (.png/.gif/.webp/.html,
 *   a video render for video input) and `smooth` work as in the command.
 * - `predictStream(request, lines, write)`: `motion predict --stream` on any async source of NDJSON
 *   lines, one output line per frame through `write`.
 * - `serve(request)`: the same stream on a local WebSocket endpoint (`motion serve`), one stream per
 *   connection; `close()` shuts it down.
 */
import {loadMotionConfig} from '../model/config-keys.js'
import {parseKeypointFormat} from '../data/keypoints/index.js'
import {type EngineOptions, parseBackendChoice, parseEngineChoice} from '../model/engine.js'
import {explicitModelConfig} from '../model/load.js'
import type {RawConfig} from '../config/types.js'
import type {LoadedConfig} from '../config/schema.js'
import {DEFAULT_TASK, type Task} from '../heads/tasks.js'
import type {SmoothMethod} from '../data/smooth.js'
import type {KeypointFormat} from '../data/keypoints/types.js'
import type {PredictHooks, PredictResult} from '../tasks/types.js'
import type {DetectorName} from '../tasks/video/detectors.js'
import type {VideoInputOptions} from '../tasks/video/predict-video.js'
import {parseVideoSize, runPredict} from './index.js'
import type {StreamLayout} from './stream/messages.js'
import {runStream, type StreamInfo, type StreamOptions, type StreamSummary} from './stream/run.js'
// types only: the WebSocket server (and ws) loads in serve()
import type {ServeHooks, ServeOptions, StreamServer} from './stream/serve.js'

/** The model and engine options shared by `predict` and `predictStream`. */
export interface ModelRequest {
  /** Model: official checkpoint, native folder or .safetensors. Default: the bundled model of the task. */
  checkpoint?: string
  /** Config file (MotionBERT YAML keys, or JSON/JS). */
  config?: string
  /** Keep pixel scale (needs videoSize, except for video input). */
  pixel?: boolean
  /** Video size, [width, height] or "WIDTHxHEIGHT". */
  videoSize?: [number, number] | string
  /** Frames per model call (with predictStream: the stream window). */
  clipLen?: number
  /** Flip test-time augmentation; default: the config's flip, else true. */
  flip?: boolean
  rootrel?: boolean
  engine?: 'auto' | 'tfjs' | 'onnx'
  backend?: 'auto' | 'node-gpu' | 'node' | 'wasm' | 'cpu'
  threads?: number
}

/** The options of `motion predict` (flag names camelCased); only `input` is required. */
export interface PredictRequest extends ModelRequest {
  /** Keypoint file, an OpenPose folder, or a video file (mp4, mov, avi, webm, mkv) / folder of images. */
  input: string
  /** Output file (.npy/.json/.csv/.bvh; mesh: .npz/.json/.glb/.obj/folder). Omitted: nothing is written. */
  out?: string
  /** Input format, when detection is not wanted (a format also means the input is not a video). */
  format?: KeypointFormat
  /** What to predict (default pose3d). */
  task?: Task
  /** Person / track id to lift; default the longest track. */
  person?: string
  /** Every person (one output per person when writing). */
  allPeople?: boolean
  /** Frames shared (and cross-faded) by consecutive windows. */
  overlap?: number
  smooth?: SmoothMethod
  /** 'rigid': one set of bone lengths per person, fitted over the track (default 'raw'). */
  skeleton?: 'raw' | 'rigid'
  fps?: number
  /** Also draw the result: .png, .gif, .webp, or .html (3D viewer); for video input .mp4/.gif/.webp. Needs `out`. */
  render?: string
  /** Video input: the bundled detector (default multipose). */
  detector?: DetectorName
  /** Video input, multipose: the longer side of the detector input in pixels. */
  detectorSize?: number
  /** Video input: also write the tracked 2D as AlphaPose JSON. */
  saveTwoD?: string
  /** Video input: decode at most this many frames. */
  maxFrames?: number
  /** Video input: the ffmpeg binary. */
  ffmpeg?: string
  /** Stops the run: nothing is written, or what was written is removed. */
  signal?: AbortSignal
}

export interface PredictOutcome extends PredictResult {
  /** Warnings from reading the config (unknown keys and the like). */
  warnings: string[]
}

export interface PredictApiHooks extends PredictHooks {
  /** Called with each config warning as soon as the config is read (before the model runs). */
  onWarning?(warning: string): void
}

/** What the config and the request settle together: the model keys, the engine, the flip and the window. */
interface ResolvedModel {
  loaded: LoadedConfig & {files: string[]}
  modelConfig: RawConfig | undefined
  engine: EngineOptions
  videoSize: [number, number] | undefined
  clipLen: number | undefined
  flip: boolean
  rootrel: boolean
}

async function resolveModel(request: ModelRequest, hooks: {onWarning?(warning: string): void}): Promise<ResolvedModel> {
  const loaded = await loadMotionConfig({
    configFile: request.config,
    overrides: {clip_len: request.clipLen, rootrel: request.rootrel, engine: request.engine, backend: request.backend},
  })
  for (const w of loaded.warnings) hooks.onWarning?.(w)
  const {config, sources} = loaded
  const explicit = (key: string): boolean => sources[key] !== undefined && sources[key] !== 'default'
  return {
    loaded,
    modelConfig: explicitModelConfig(loaded),
    engine: {engine: parseEngineChoice(config.engine), backend: parseBackendChoice(config.backend), threads: request.threads},
    videoSize: typeof request.videoSize === 'string' ? parseVideoSize(request.videoSize) : request.videoSize,
    clipLen: explicit('clip_len') ? config.clip_len : undefined,
    flip: request.flip ?? (explicit('flip') ? config.flip : true),
    rootrel: config.rootrel,
  }
}

export async function predict(request: PredictRequest, hooks: PredictApiHooks = {}): Promise<PredictOutcome> {
  const m = await resolveModel(request, hooks)
  const videoOptions: VideoInputOptions = {detector: request.detector, save2d: request.saveTwoD, maxFrames: request.maxFrames, ffmpeg: request.ffmpeg, inputSize: request.detectorSize}
  // Any video option marks the input as a video (a folder of images included), as the flags do.
  const video = Object.values(videoOptions).some((v) => v !== undefined) ? videoOptions : undefined
  const result = await runPredict(
    {
      input: request.input,
      format: request.format === undefined ? undefined : parseKeypointFormat(request.format),
      out: request.out,
      checkpoint: request.checkpoint,
      modelConfig: m.modelConfig,
      configFiles: m.loaded.files,
      task: request.task ?? DEFAULT_TASK,
      person: request.person,
      allPeople: request.allPeople ?? false,
      pixel: request.pixel ?? false,
      videoSize: m.videoSize,
      clipLen: m.clipLen,
      flip: m.flip,
      rootrel: m.rootrel,
      overlap: request.overlap,
      smooth: request.smooth,
      skeleton: request.skeleton ?? 'raw',
      fps: request.fps,
      render: request.render,
      engine: m.engine,
      video,
      signal: request.signal,
    },
    hooks,
  )
  return {...result, warnings: m.loaded.warnings}
}

/** The options of `motion predict --stream`: the model options, the look-ahead and the input layout. */
export interface StreamRequest extends ModelRequest {
  /** Frames of look-ahead (default 0). */
  latency?: number
  /** Joint layout of the input keypoints (default auto: by count, 17 = COCO-17, 26 = Halpe-26). */
  layout?: StreamLayout
}

export interface PredictStreamHooks {
  onWarning?(warning: string): void
  /** Called once the model is ready, before the first line is read. */
  onReady?(info: StreamInfo): void
}

/**
 * `motion predict --stream` for code: NDJSON 2D frames from `lines` (any source of lines, async or not),
 * one NDJSON line per frame (no newline) through `write`, in order; the summary at the end.
 */
export async function predictStream(
  request: StreamRequest,
  lines: AsyncIterable<string> | Iterable<string>,
  write: (line: string) => void | Promise<void>,
  hooks: PredictStreamHooks = {},
): Promise<StreamSummary> {
  return runStream(await streamOptions(request, hooks), lines, write, {onReady: hooks.onReady})
}

/** The options of `motion serve`: the stream's, and where to listen. */
export interface ServeRequest extends StreamRequest, ServeOptions {}

/**
 * `motion serve` for code: `predictStream` on a local WebSocket endpoint (127.0.0.1 by default).
 * Resolves once it listens; `close()` on the result shuts it down and returns the totals.
 */
export async function serve(request: ServeRequest, hooks: PredictStreamHooks & ServeHooks = {}): Promise<StreamServer> {
  const {serveStream} = await import('./stream/serve.js')
  const server = await serveStream(await streamOptions(request, hooks), {host: request.host, port: request.port, maxMessageBytes: request.maxMessageBytes}, hooks)
  hooks.onReady?.(server.info)
  return server
}

async function streamOptions(request: StreamRequest, hooks: PredictStreamHooks): Promise<StreamOptions> {
  const m = await resolveModel(request, hooks)
  return {
    checkpoint: request.checkpoint,
    modelConfig: m.modelConfig,
    latency: request.latency,
    window: m.clipLen,
    layout: request.layout,
    pixel: request.pixel,
    videoSize: m.videoSize,
    flip: m.flip,
    rootrel: m.rootrel,
    engine: m.engine,
  }
}
