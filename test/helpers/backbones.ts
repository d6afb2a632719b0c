/**
 * Shared by the MixSTE / Strided Transformer tests: official fixture checkpoints loaded through
 * the library's torch reader and the registry entry's key map, and one forward pass on either
 * executor (tfjs eagerly, or a recorded ONNX graph in onnxruntime).
 */
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import {getBackbone} from '../../src/backbones/registry.js'
import type {BackboneEntry, EntryConfig} from '../../src/nn/registry/backbone.js'
import {extractStateDict, type StateDictResult} from '../../src/formats/state-dict.js'
import {readTorchCheckpoint} from '../../src/formats/torch.js'
import type {RawConfig} from '../../src/config/types.js'
import {BACKBONE_PREFIX, shapesOf, withPrefix} from '../../src/model/model.js'
import {toTfParams} from '../../src/nn/tfjs/weights.js'
import {createOnnxRunner, recordGraph} from '../../src/nn/onnx/index.js'
import {selectBackend} from '../../src/nn/tfjs/backend.js'
import {TfjsOps} from '../../src/nn/tfjs/ops.js'
import type {NDArray} from '../../src/core/ndarray.js'
import {readCaseJson} from './fixtures.js'

export interface FixtureCase {
  kind: string
  checkpoint: string
  config: RawConfig
  cases: Array<Record<string, string | number[]>>
}

/** What a forward pass needs. */
export interface BackboneModel {
  entry: BackboneEntry<EntryConfig>
  config: EntryConfig
  /** Native names (`backbone.<official key>`). */
  weights: Map<string, NDArray>
}

export interface LoadedBackbone extends BackboneModel {
  spec: FixtureCase
  extracted: StateDictResult
}

/** Read a fixture's official checkpoint and resolve its config the way a loader would. */
export async function loadFixture(dir: string, configFromCase: (cfg: RawConfig) => RawConfig): Promise<LoadedBackbone> {
  const spec = readCaseJson<FixtureCase>(dir)
  const file = path.join(dir, spec.checkpoint)
  const ckpt = await readTorchCheckpoint(file)
  const extracted = extractStateDict(ckpt.root, file)
  const entry = getBackbone(spec.kind)
  const weights = new Map<string, NDArray>()
  for (const [key, value] of extracted.stateDict) {
    const native = entry.official.toNative(key)
    if (native !== null) weights.set(BACKBONE_PREFIX + native, value)
  }
  const config = entry.inferConfig(withPrefix(shapesOf(weights), BACKBONE_PREFIX), configFromCase(spec.config))
  return {entry, config, weights, spec, extracted}
}

/** forwardFeatures on the tfjs executor (given backend), outputs as NDArrays. */
export async function runTfjs(loaded: BackboneModel, input: NDArray, backend: 'cpu' | 'wasm' = 'cpu'): Promise<Record<string, NDArray>> {
  await selectBackend({force: backend})
  const params = toTfParams(loaded.weights)
  try {
    const outputs = tf.tidy(() => {
      const ops = new TfjsOps(params, {mode: 'eval'})
      return loaded.entry.forwardFeatures(ops, tf.tensor(input.data, input.shape, 'float32'), loaded.config, BACKBONE_PREFIX)
    })
    const result: Record<string, NDArray> = {}
    for (const [name, t] of Object.entries(outputs)) {
      result[name] = {data: Float32Array.from(t.dataSync() as Float32Array), shape: [...t.shape]}
      t.dispose()
    }
    return result
  } finally {
    for (const t of params.values()) t.dispose()
  }
}

/** forwardFeatures recorded as an ONNX graph (dynamic batch) and run in onnxruntime. */
export async function runOnnx(loaded: BackboneModel, input: NDArray): Promise<Record<string, NDArray>> {
  const [, ...rest] = input.shape
  const graph = recordGraph((ops, inputs) => loaded.entry.forwardFeatures(ops, inputs.x!, loaded.config, BACKBONE_PREFIX), {
    inputs: [{name: 'x', shape: ['N', ...rest]}],
    weights: loaded.weights,
    mode: 'eval',
  })
  const runner = await createOnnxRunner(graph, {threads: 2})
  try {
    return await runner.run({x: input})
  } finally {
    await runner.dispose()
  }
}

