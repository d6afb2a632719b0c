/**
 * Training-step throughput of the ONNX gradient-graph engine, on the objective of the official
 * timing script (../shared/tools/bench_official.py --train): a model at a `motion bench` preset
 * size (src/bench/presets.ts; DSTformer's are the official script's) with random weights, L1 loss
 * of its pose output to a random target, AdamW(lr 1e-4), every parameter trainable. The official
 * script times the DSTformer only; MixSTE and the Strided Transformer are timed the same way.
 * For `motion bench --train`.
 */
import {benchInput, benchModel, outputFramesPerClip} from './forward.js'
import type {BenchPreset} from './presets.js'
import {DEFAULT_BACKBONE} from '../backbones/registry.js'
import {inputError} from '../core/errors.js'
import {runModel} from '../model/model.js'
import type {Ops} from '../nn/ops.js'
import {type NDArray} from '../core/ndarray.js'
import {createOnnxTrainer} from '../train/onnx-trainer.js'
import {Rng} from '../core/rng.js'

export interface TrainBenchOptions {
  /** A `motion bench` backbone (default DEFAULT_BACKBONE). */
  backbone?: string
  preset: BenchPreset
  frames: number
  batch: number
  /** onnxruntime intra-op threads (default: all cores). */
  threads?: number
  /** Time the loop for at least this long (and at least 2 steps). Default 10. */
  seconds?: number
}

export interface TrainBenchResult {
  engine: 'onnx'
  backbone: string
  preset: BenchPreset
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
  const backbone = opts.backbone ?? DEFAULT_BACKBONE
  const model = benchModel(backbone, preset, frames)
  const x = benchInput(model, batch, frames) // the backbone's own input layout and channels
  const target = [batch, outputFramesPerClip(model, frames), 17, 3] // Strided: the centre frame
  const y = randomArray(target, new Rng(0))
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
      {name: 'x', shape: x.shape},
      {name: 'y', shape: target},
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
      backbone,
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
