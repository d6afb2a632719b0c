/** Tiny models and batches for training tests (the size of the official tiny fixtures, fewer frames). */
import {getBackbone} from '../../src/backbones/registry.js'
import {getHead} from '../../src/heads/registry.js'
import {buildModel, type Model, resolveModelConfig} from '../../src/model/model.js'
import type {NDArray} from '../../src/core/ndarray.js'
import {initialWeights} from '../../src/train/init.js'
import {Rng} from '../../src/core/rng.js'

export const TINY = {backbone: 'dstformer', maxlen: 9, dim_feat: 16, dim_rep: 24, depth: 2, num_heads: 2, mlp_ratio: 2, att_fuse: true, num_joints: 17}

export function tinyModel(head: 'pose3d' | 'action' = 'pose3d', seed = 1): Model {
  const raw = {...TINY, head, ...(head === 'action' ? {action_classes: 3, hidden_dim: 8} : {})}
  const config = resolveModelConfig(new Map(), raw)
  const spec = {backbone: getBackbone(config.backbone), head: getHead(config.head), config}
  return buildModel(initialWeights(spec, seed), {...raw, ...config.backboneConfig, ...config.headConfig})
}

export function randomArray(shape: number[], seed: number, scale = 0.5): NDArray {
  const rng = new Rng(seed)
  const n = shape.reduce((a, b) => a * b, 1)
  const data = new Float32Array(n)
  for (let i = 0; i < n; i++) data[i] = rng.normal(0, scale)
  return {data, shape}
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!))
  return m
}
