/**
 * `motion bench` forward timing: a backbone at a preset size with random weights, one input of
 * `[batch, frames, joints, channels]`, run through the chosen engine as predict runs it
 * (forwardModelOnnx: one recorded graph, one kept session; forwardModel on tfjs).
 */
import {getBackbone} from '../backbones/registry.js'
import {modelError} from '../core/errors.js'
import {getHead} from '../heads/registry.js'
import {type Model, type ModelSpec, backboneInfo, buildModel, disposeModel, forwardModel, modelInputLayout, randomWeights, resolveModelConfig} from '../model/model.js'
import {disposeOnnxModel, forwardModelOnnx} from '../model/onnx-model.js'
import {defaultOnnxThreads} from '../nn/onnx/session.js'
import type {BackendName} from '../nn/tfjs/backend.js'
import {selectBackend} from '../nn/tfjs/backend.js'
import type {NDArray} from '../core/ndarray.js'
import {type BenchPreset, benchModelConfig} from './presets.js'
import {timeSteps} from './timing.js'

export type BenchEngine = 'onnx' | 'tfjs'

export interface ForwardBenchOptions {
  backbone: string
  preset: BenchPreset
  frames: number
  batch: number
  engine: BenchEngine
  /** onnx intra-op threads (default: physical cores). */
  threads?: number
  /** tfjs backend (default: the first that loads). */
  backend?: BackendName | 'auto'
  seconds: number
}

/** What `motion bench --json` prints (the first nine keys are the issue's). */
export interface BenchResult {
  engine: string
  backbone: string
  preset: string
  frames: number
  batch: number
  threads: number
  /** Output frames per second: batch x frames per forward pass (batch for the Strided Transformer, which predicts the centre frame). */
  fps: number
  /** Milliseconds per clip: forward-pass time / batch. */
  ms_per_clip: number
  mode: 'infer' | 'train'
  /** Milliseconds per forward pass of the whole batch (bench_official.py's ms_per_clip). */
  ms_per_step: number
  median_ms_per_step: number
  runs: number
  /** First-run cost (graph recording, session creation, weight upload), excluded from the figures above. */
  warmup_ms: number
  /** tfjs backend, or 'onnxruntime' for onnx. */
  backend: string
}

/** A model of the preset's size with random weights. */
export function benchModel(backbone: string, preset: BenchPreset, frames: number): Model {
  const config = benchModelConfig(backbone, preset, frames)
  const resolved = resolveModelConfig(new Map(), config)
  const spec: ModelSpec = {backbone: getBackbone(resolved.backbone), head: getHead(resolved.head), config: resolved}
  return buildModel(randomWeights(spec, 7, 0.05), config)
}

/** A deterministic input the model accepts: coordinates in [-1, 1], confidences in [0.5, 1]. */
export function benchInput(model: Model, batch: number, frames: number): NDArray {
  const cfg = model.config.backboneConfig
  const channels = Number(cfg.dim_in ?? cfg.in_chans ?? 2)
  const joints = Number(cfg.num_joints ?? cfg.n_joints ?? backboneInfo(model.backbone, cfg).numJoints)
  const shape = modelInputLayout(model).map((axis) => ({N: batch, M: 1, T: frames, J: joints, C: channels})[axis] ?? 1)
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1))
  let state = 12345
  for (let i = 0; i < data.length; i++) {
    state = (state * 1103515245 + 12345) >>> 0
    const u = state / 4294967296
    data[i] = channels === 3 && i % 3 === 2 ? 0.5 + u / 2 : u * 2 - 1
  }
  return {data, shape}
}

/** Frames of output per forward pass (the Strided Transformer predicts one centre frame per window). */
export function outputFramesPerClip(model: Model, frames: number): number {
  return model.backbone.screenWindows?.kind === 'centre-frame' ? 1 : frames
}

export async function benchForward(opts: ForwardBenchOptions): Promise<BenchResult> {
  const model = benchModel(opts.backbone, opts.preset, opts.frames)
  const input = benchInput(model, opts.batch, opts.frames)
  let threads: number
  let backend: string
  let step: () => Promise<unknown>
  if (opts.engine === 'onnx') {
    threads = opts.threads && opts.threads > 0 ? opts.threads : defaultOnnxThreads()
    backend = 'onnxruntime'
    step = () => forwardModelOnnx(model, input, {threads})
  } else {
    const selection = await selectBackend({force: opts.backend ?? 'auto'})
    backend = selection.backend
    // tfjs-wasm in Node has no threads; tfjs-node uses TensorFlow's own pool.
    threads = selection.backend === 'wasm' || selection.backend === 'cpu' ? 1 : defaultOnnxThreads()
    step = async () => {
      try {
        return await forwardModel(model, input, {backend: selection.backend})
      } catch (err) {
        // Emscripten's abort: the wasm heap (at most 4 GB) cannot hold the activations.
        if (err instanceof Error && /^Aborted\(/.test(err.message)) {
          throw modelError(`tfjs (${selection.backend}) ran out of memory on ${opts.backbone} ${opts.preset} at ${opts.batch} x ${opts.frames} frames`, {
            hint: 'use --engine onnx, or fewer --frames / a smaller --preset on tfjs',
          })
        }
        throw err
      }
    }
  }
  try {
    const t = await timeSteps(step, {seconds: opts.seconds})
    const outFrames = opts.batch * outputFramesPerClip(model, opts.frames)
    return {
      engine: opts.engine,
      backbone: model.backbone.name,
      preset: opts.preset,
      frames: opts.frames,
      batch: opts.batch,
      threads,
      fps: round((outFrames * 1000) / t.meanMs, 1),
      ms_per_clip: round(t.meanMs / opts.batch, 2),
      mode: 'infer',
      ms_per_step: round(t.meanMs, 2),
      median_ms_per_step: round(t.medianMs, 2),
      runs: t.runs,
      warmup_ms: round(t.warmupMs, 0),
      backend,
    }
  } finally {
    if (opts.engine === 'onnx') await disposeOnnxModel(model)
    else disposeModel(model)
  }
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}
