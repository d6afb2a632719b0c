/**
 * `predict` for code: the options `motion predict` takes (the flags, camelCased), the results it
 * computes. The command is a thin caller of this function; from a library, leave `out` (and
 * `render`) out and nothing is written — the arrays come back in the result instead.
 */
import {loadConfig} from '../config/load.js'
import {parseKeypointFormat} from '../data/keypoints/index.js'
import {parseBackendChoice, parseEngineChoice} from '../model/engine.js'
import {explicitModelConfig} from '../model/load.js'
import type {Task} from '../config/schema.js'
import type {SmoothMethod} from '../data/smooth.js'
import type {KeypointFormat} from '../data/keypoints/types.js'
import type {PredictHooks, PredictResult} from '../tasks/types.js'
import {parseVideoSize, runPredict} from './index.js'

/** The options of `motion predict` (flag names camelCased); only `input` is required. */
export interface PredictRequest {
  /** Keypoint file, or an OpenPose folder. */
  input: string
  /** Output file (.npy/.json/.csv/.bvh; mesh: .npz/.json/.glb/folder). Omitted: nothing is written. */
  out?: string
  /** Input format, when detection is not wanted. */
  format?: KeypointFormat
  /** What to predict (default pose3d). */
  task?: Task
  /** Model: official checkpoint, native folder or .safetensors. Default: the bundled model of the task. */
  checkpoint?: string
  /** Config file (MotionBERT YAML keys, or JSON/JS). */
  config?: string
  /** Person / track id to lift; default the longest track. */
  person?: string
  /** Every person (one output per person when writing). */
  allPeople?: boolean
  /** Keep pixel scale (needs videoSize). */
  pixel?: boolean
  /** Video size, [width, height] or "WIDTHxHEIGHT". */
  videoSize?: [number, number] | string
  clipLen?: number
  /** Flip test-time augmentation; default: the config's flip, else true. */
  flip?: boolean
  rootrel?: boolean
  overlap?: number
  smooth?: SmoothMethod
  fps?: number
  /** Also draw the result (.png, .gif, .webp). */
  render?: string
  engine?: 'auto' | 'tfjs' | 'onnx'
  backend?: 'auto' | 'node-gpu' | 'node' | 'wasm' | 'cpu'
  threads?: number
}

export interface PredictOutcome extends PredictResult {
  /** Warnings from reading the config (unknown keys and the like). */
  warnings: string[]
}

export interface PredictApiHooks extends PredictHooks {
  /** Called with each config warning as soon as the config is read (before the model runs). */
  onWarning?(warning: string): void
}

export async function predict(request: PredictRequest, hooks: PredictApiHooks = {}): Promise<PredictOutcome> {
  const loaded = await loadConfig({
    configFile: request.config,
    overrides: {clip_len: request.clipLen, rootrel: request.rootrel, engine: request.engine, backend: request.backend},
  })
  for (const w of loaded.warnings) hooks.onWarning?.(w)
  const {config, sources} = loaded
  const explicit = (key: string): boolean => sources[key] !== undefined && sources[key] !== 'default'
  const videoSize = typeof request.videoSize === 'string' ? parseVideoSize(request.videoSize) : request.videoSize
  const result = await runPredict(
    {
      input: request.input,
      format: request.format === undefined ? undefined : parseKeypointFormat(request.format),
      out: request.out,
      checkpoint: request.checkpoint,
      modelConfig: explicitModelConfig(loaded),
      configFiles: loaded.files,
      task: request.task ?? 'pose3d',
      person: request.person,
      allPeople: request.allPeople ?? false,
      pixel: request.pixel ?? false,
      videoSize,
      clipLen: explicit('clip_len') ? config.clip_len : undefined,
      flip: request.flip ?? (explicit('flip') ? config.flip : true),
      rootrel: config.rootrel,
      overlap: request.overlap ?? 0,
      smooth: request.smooth,
      fps: request.fps,
      render: request.render,
      engine: {engine: parseEngineChoice(config.engine), backend: parseBackendChoice(config.backend), threads: request.threads},
    },
    hooks,
  )
  return {...result, warnings: loaded.warnings}
}
