/**
 * 3D pose head: the DSTformer's own `head` Linear (dim_rep → dim_out) applied per joint and frame.
 * Official pose checkpoints store it as top-level `head.weight` / `head.bias` beside the backbone keys.
 */
import type {ConfigKeySpec} from '../config/types.js'
import {resolveConfig} from '../nn/registry/entry-config.js'
import type {HeadEntry} from '../nn/registry/head.js'

export interface Pose3dConfig {
  [key: string]: number | boolean | string
  dim_out: number
}

const CONFIG_KEYS: readonly ConfigKeySpec[] = [
  {key: 'dim_out', type: 'integer', min: 1, default: 3, inferable: true, description: 'Output channels per joint of the pose head (3 for x, y, z).'},
]

export const pose3d: HeadEntry<Pose3dConfig> = {
  name: 'pose3d',
  description: '3D pose per frame and joint: Linear(dim_rep → dim_out) on the representation (DSTformer head)',
  task: 'pose3d',
  configKeys: CONFIG_KEYS,
  // The official DSTformer's own `head` Linear: DSTformer._init_weights initialises it.
  initByBackbone: true,
  defaults: {dim_out: 3},
  inputLayout: ['N', 'T', 'J', 'C'],
  outputs: ['pose3d'],
  exposesRepresentation: true,
  needsRepresentation: true,
  inferConfig(weights, partial) {
    const w = weights.get('weight') // [dim_out, dim_rep]
    return resolveConfig<Pose3dConfig>(CONFIG_KEYS, partial, {dim_out: w?.[0]}, 'pose3d')
  },
  expectedParams(c, backbone) {
    return new Map([
      ['weight', [c.dim_out, backbone.representationDim]],
      ['bias', [c.dim_out]],
    ])
  },
  backboneInputShape: (shape) => (shape.length === 4 ? [...shape] : `expected [N, T, J, C] (rank 4), got rank ${shape.length}`),
  prepareInput: (_ops, x) => x,
  forward(ops, features, _c, ctx) {
    const rep = features.representation! // [N, T, J, R]
    return {pose3d: ops.linear(rep, `${ctx.prefix}weight`, `${ctx.prefix}bias`)} // [N, T, J, dim_out]
  },
}
