/**
 * Training-step throughput of the ONNX gradient-graph engine, on the same model and objective as
 * the official timing script (../shared/tools/bench_official.py --train): a DSTformer preset with
 * random weights, maxlen max(243, frames), L1 loss to a random target, AdamW(lr 1e-4), every
 * parameter trainable. For `motion bench --train`.
 */
import {getBackbone} from '../backbone/registry.js'
import {inputError} from '../errors.js'
import {getHead} from '../heads/registry.js'
import {type Model, randomWeights, resolveModelConfig, runModel} from '../model/model.js'
import type {Ops} from '../model/ops.js'
import {type NDArray} from '../ndarray.js'
import {createOnnxTrainer} from './onnx-trainer.js'
import {Rng} from './rng.js'

/** The official script's presets (DSTformer sizes). */
export const TRAIN_BENCH_PRESETS = {
  tiny: {dim_feat: 32, dim_rep: 64, depth: 2, num_heads: 4, mlp_ratio: 2},
  lite: {dim_feat: 256, dim_rep: 512, depth: 5, num_heads: 8, mlp_ratio: 4},
  full: {dim_feat: 512, dim_rep: 512, depth: 5, num_heads: 8, mlp_ratio: 2},
} as const

export type TrainBenchPreset = keyof typeof TRAIN_BENCH_PRESETS

export interface TrainBenchOptions {
  preset: TrainBenchPreset
  frames: number
  batch: number
  /** onnxruntime intra-op threads (default: all cores). */
  threads?: number
  /** Time the loop for at least this long (and at least 2 steps). Default 10. */
  seconds?: number
}

export interface TrainBenchResult {
  engine: 'onnx'
  preset: TrainBenchPreset
  frames: number
  batch: number
  threads: number | null
  /** Training frames per second: batch * frames / step time. */
  fps: number
  msPerStep: number
  steps: number
  /** Recording, differentiating and session creation, once per run. */
  setupMs: number
  /** Nodes in the training graph (forward + loss + backward) before onnxruntime's own fusions. */
  graphNodes: number
  /** Peak resident set size of the process so far, in MB. */
  peakRssMb: number
}

function benchModel(preset: TrainBenchPreset, frames: number): Model {
  const sizes = TRAIN_BENCH_PRESETS[preset]
  if (!sizes) throw inputError(`unknown preset ${String(preset)}`, {hint: `one of ${Object.keys(TRAIN_BENCH_PRESETS).join(', ')}`})
  const config = resolveModelConfig(new Map(), {...sizes, maxlen: Math.max(243, frames), backbone: 'dstformer', head: 'pose3d'})
  const spec = {backbone: getBackbone(config.backbone), head: getHead(config.head), config}
  return {...spec, weights: randomWeights(spec, 1, 0.05)}
}

function randomArray(shape: number[], rng: Rng): NDArray {
  const data = new Float32Array(shape.reduce((p, q) => p * q, 1))
  for (let i = 0; i < data.length; i++) data[i] = rng.normal()
  return {data, shape}
}

export async function benchTrainStep(opts: TrainBenchOptions): Promise<TrainBenchResult> {
  const {preset, frames, batch} = opts
  if (!Number.isInteger(frames) || frames < 1 || !Number.isInteger(batch) || batch < 1) {
    throw inputError(`bench needs positive integer frames and batch, got frames=${frames}, batch=${batch}`)
  }
  const seconds = opts.seconds ?? 10
  const model = benchModel(preset, frames)
  const rng = new Rng(0)
  const shape = [batch, frames, 17, 3]
  const x = randomArray(shape, rng)
  const y = randomArray(shape, rng)
  const t0 = performance.now()
  const trainer = await createOnnxTrainer({
    buildModel: <T>(ops: Ops<T>, inputs: Readonly<Record<string, T>>) => runModel(ops, model, inputs.x!),
    // The official bench's objective: (m(x) - y).abs().mean().
    buildLoss: <T>(ops: Ops<T>, outs: Readonly<Record<string, T>>, inputs: Readonly<Record<string, T>>) => ({
      total: ops.mean(ops.abs(ops.sub(outs.pose3d!, inputs.y!)), [0, 1, 2, 3]),
    }),
    weights: model.weights,
    trainable: () => true,
    inputs: [
      {name: 'x', shape},
      {name: 'y', shape},
    ],
    optimizer: {lr: 1e-4},
    threads: opts.threads,
  })
  try {
    await trainer.step({x, y}) // warm-up: first run allocates onnxruntime's buffers
    const setupMs = performance.now() - t0
    let steps = 0
    const start = performance.now()
    while (performance.now() - start < seconds * 1000 || steps < 2) {
      await trainer.step({x, y})
      steps++
    }
    const msPerStep = (performance.now() - start) / steps
    return {
      engine: 'onnx',
      preset,
      frames,
      batch,
      threads: opts.threads ?? null,
      fps: Math.round(((batch * frames) / msPerStep) * 1000 * 10) / 10,
      msPerStep: Math.round(msPerStep * 100) / 100,
      steps,
      setupMs: Math.round(setupMs),
      graphNodes: trainer.graph.nodes.length,
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    }
  } finally {
    await trainer.dispose()
  }
}
