/**
 * The feature cache of a frozen backbone: every training sample once (augmentation drawn once from
 * the run's seed), with the backbone's representation computed by the inference engine; the head
 * then trains on the cache. Task-agnostic: a sample keeps whatever targets its batch carried.
 */
import {stack} from '../data/augment/index.js'
import {modelError} from '../core/errors.js'
import type {NDArray} from '../core/ndarray.js'
import {Rng} from '../core/rng.js'
import {createEngine, type EngineOptions} from '../model/engine.js'
import {BACKBONE_PREFIX, buildModel, type Model} from '../model/model.js'
import type {BatchSource} from '../tasks/batches.js'
import type {MeshBatchTarget, TrainBatch, TrainTask} from '../tasks/train-types.js'

interface CachedSample {
  input: NDArray
  target?: NDArray
  label?: number
  /** mesh targets (rotmat, betas, kp_3d, verts), each without the batch axis. */
  mesh?: Record<string, NDArray>
  features: NDArray
}

export class CachedBatchSource implements BatchSource {
  constructor(
    readonly task: TrainTask,
    private readonly samples: CachedSample[],
    readonly batchSize: number,
  ) {}

  get size(): number {
    return this.samples.length
  }

  batch(indices: readonly number[]): TrainBatch {
    const picked = indices.map((i) => this.samples[i]!)
    const first = picked[0]!
    const features = stack(picked.map((s) => s.features))
    const f: NDArray = {data: features.data, shape: [features.shape[0]! * features.shape[1]!, ...features.shape.slice(2)]}
    return {
      task: this.task,
      input: stack(picked.map((s) => s.input)),
      ...(first.label !== undefined ? {labels: Int32Array.from(picked.map((s) => s.label!))} : {}),
      ...(first.mesh ? {mesh: Object.fromEntries(Object.keys(first.mesh).map((k) => [k, stack(picked.map((s) => s.mesh![k]!))])) as unknown as MeshBatchTarget} : {}),
      ...(first.target ? {target: stack(picked.map((s) => s.target!))} : {}),
      features: f,
    }
  }
}

/**
 * Every sample of `source` once, with the frozen backbone's representation computed by the
 * inference engine (`engine`: the run's choice, backend and threads).
 */
export async function buildFeatureCache(model: Model, source: BatchSource, seed: number, engineOptions: EngineOptions): Promise<{source: BatchSource; engine: string}> {
  const backboneOnly = buildModel(new Map([...model.weights].filter(([k]) => k.startsWith(BACKBONE_PREFIX))), {...model.config.backboneConfig, backbone: model.config.backbone, head: 'none'})
  const engine = await createEngine(backboneOnly, engineOptions)
  const rng = new Rng(seed ^ 0x5eed)
  const samples: CachedSample[] = []
  // Inputs with more axes than the backbone reads carry people: [N, M, T, J, C].
  const backboneRank = model.backbone.inputLayout.length
  try {
    for (let start = 0; start < source.size; start += source.batchSize) {
      const indices = Array.from({length: Math.min(source.batchSize, source.size - start)}, (_, k) => start + k)
      const batch = source.batch(indices, rng)
      // Persons fold into the batch for the backbone: [N, M, T, J, C] → [N·M, T, J, C].
      const x = batch.input.shape.length > backboneRank ? {data: batch.input.data, shape: [batch.input.shape[0]! * batch.input.shape[1]!, ...batch.input.shape.slice(2)]} : batch.input
      const out = await engine.run(x)
      const rep = out.representation
      if (!rep) throw modelError(`the ${model.backbone.name} backbone gives no representation to cache`)
      // [N·M, T, J, R], or the head's pooled slots [N·M, P, J, R] when it pools frames first
      // (the stored input then keeps its first frame only: the head reads persons off it).
      const pooled = model.head.poolFrames !== undefined
      const features = pooled ? model.head.poolFrames!(rep, model.config.headConfig) : rep
      const input = pooled ? firstFrames(batch.input) : batch.input
      const per = features.data.length / indices.length
      const inPer = input.data.length / indices.length
      const repShape = [features.shape[0]! / indices.length, ...features.shape.slice(1)]
      indices.forEach((_, k) => {
        samples.push({
          input: {data: input.data.slice(k * inPer, (k + 1) * inPer), shape: input.shape.slice(1)},
          features: {data: features.data.slice(k * per, (k + 1) * per), shape: repShape},
          ...(batch.labels ? {label: batch.labels[k]!} : {}),
          ...(batch.mesh ? {mesh: Object.fromEntries(Object.entries(batch.mesh).filter(([, v]) => v).map(([name, v]) => [name, sampleOf(v as NDArray, k, indices.length)]))} : {}),
          ...(batch.target ? {target: sampleOf(batch.target, k, indices.length)} : {}),
        })
      })
    }
  } finally {
    await engine.dispose()
  }
  return {source: new CachedBatchSource(source.task, samples, source.batchSize), engine: engine.summary}
}

/** [N, M, T, J, C] → [N, M, 1, J, C]: each person's first frame. */
function firstFrames(x: NDArray): NDArray {
  const [n, m, t, ...rest] = x.shape as [number, number, number, ...number[]]
  const row = rest.reduce((a, d) => a * d, 1)
  const out = new Float32Array(n * m * row)
  for (let i = 0; i < n * m; i++) out.set(x.data.subarray(i * t * row, i * t * row + row), i * row)
  return {data: out, shape: [n, m, 1, ...rest]}
}

/** Sample k of a batch array [N, ...] → [...]. */
function sampleOf(x: NDArray, k: number, n: number): NDArray {
  const per = x.data.length / n
  return {data: x.data.slice(k * per, (k + 1) * per), shape: x.shape.slice(1)}
}
