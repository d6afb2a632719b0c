/**
 * Action heads of MotionBERT (lib/model/model_action.py), both versions under one entry:
 *  - `class` (ActionHeadClassification): mean over frames, flatten joints × channels, mean over
 *    persons, fc1, BatchNorm1d, ReLU, fc2 → class logits;
 *  - `embed` (ActionHeadEmbed): the same pooling, fc1, L2-normalised → embedding (one-shot).
 * Our addition, `temporal_segments` K > 1: the mean over each of K equal stretches of frames
 * instead of over all, concatenated before fc1 (fc1 reads K·J·R), so the head sees the order of
 * the motion (a turn to the left against one to the right, a raised hand against a wave). K = 1
 * is the official head.
 * The model input is [N, M, T, J, C]; persons are folded into the batch for the backbone.
 */
import type {ConfigKeySpec} from '../config/types.js'
import {modelError} from '../core/errors.js'
import {isStaticDim} from '../nn/ops.js'
import {resolveConfig} from '../nn/registry/entry-config.js'
import type {BackboneInfo, HeadEntry} from '../nn/registry/head.js'

export interface ActionConfig {
  [key: string]: number | boolean | string
  model_version: 'class' | 'embed'
  hidden_dim: number
  action_classes: number
  dropout_ratio: number
  temporal_segments: number
}

const CONFIG_KEYS: readonly ConfigKeySpec[] = [
  {key: 'model_version', type: 'string', allowed: ['class', 'embed'], default: 'class', inferable: true, description: 'class: logits with BatchNorm (ActionHeadClassification); embed: L2-normalised embedding (ActionHeadEmbed)'},
  {key: 'hidden_dim', type: 'integer', min: 1, default: 2048, inferable: true, description: 'size of fc1 (the embedding size for embed)'},
  {key: 'action_classes', type: 'integer', min: 1, default: 60, inferable: true, description: 'number of classes (class version)'},
  {key: 'dropout_ratio', type: 'number', min: 0, max: 1, default: 0, description: 'dropout on the pooled features (training only)'},
  {key: 'temporal_segments', type: 'integer', min: 1, default: 1, inferable: true, description: 'frames are averaged over this many equal stretches, kept in order (1: over all frames, the official head); clips must be a multiple of it long'},
]

function expectedParams(c: ActionConfig, backbone: BackboneInfo): Map<string, number[]> {
  const p = new Map<string, number[]>()
  p.set('fc1.weight', [c.hidden_dim, c.temporal_segments * backbone.representationDim * backbone.numJoints])
  p.set('fc1.bias', [c.hidden_dim])
  if (c.model_version === 'class') {
    for (const k of ['weight', 'bias', 'running_mean', 'running_var']) p.set(`bn.${k}`, [c.hidden_dim])
    p.set('fc2.weight', [c.action_classes, c.hidden_dim])
    p.set('fc2.bias', [c.action_classes])
  }
  return p
}

export const action: HeadEntry<ActionConfig> = {
  name: 'action',
  description: 'action recognition on [N, M persons, T, J, C]: class logits (BatchNorm head) or normalised embedding',
  configKeys: CONFIG_KEYS,
  defaults: {model_version: 'class', hidden_dim: 2048, action_classes: 60, dropout_ratio: 0, temporal_segments: 1},
  inputLayout: ['N', 'M', 'T', 'J', 'C'],
  outputs: ['logits'],
  exposesRepresentation: false,
  needsRepresentation: true,
  framePools: (c) => c.temporal_segments,
  inferConfig(weights, partial, backbone) {
    const fc1 = weights.get('fc1.weight') // [hidden, K * J * R]
    const fc2 = weights.get('fc2.weight') // [classes, hidden]
    const version = fc2 ? 'class' : fc1 ? 'embed' : undefined
    const perSegment = backbone.representationDim * backbone.numJoints
    const segments = fc1 && fc1[1]! % perSegment === 0 ? fc1[1]! / perSegment : undefined
    return resolveConfig<ActionConfig>(CONFIG_KEYS, partial, {model_version: version, hidden_dim: fc1?.[0], action_classes: fc2?.[0], temporal_segments: segments}, 'action')
  },
  expectedParams,
  optionalParams(c) {
    // nn.BatchNorm1d's step counter: saved by PyTorch, unused in eval (momentum is set).
    return c.model_version === 'class' ? new Map([['bn.num_batches_tracked', []]]) : new Map()
  },
  backboneInputShape(shape) {
    if (shape.length !== 5) return `expected [N, M, T, J, C] (rank 5: clips, persons, frames, joints, channels), got rank ${shape.length}`
    const [n, m, t, j, ch] = shape as [number, number, number, number, number]
    return [n * m, t, j, ch]
  },
  prepareInput(ops, x) {
    // [N, M, T, J, C] → [N*M, T, J, C]
    return ops.reshape(x, [-1, ops.dim(x, 2), ops.dim(x, 3), ops.dim(x, 4)])
  },
  forward(ops, features, c, ctx) {
    const p = ctx.prefix
    const {representationDim: R, numJoints: J} = ctx.backbone
    const persons = ops.dim(ctx.input, 1)
    const frames = ops.dim(ctx.input, 2)
    const K = c.temporal_segments
    let f = ops.reshape(features.representation!, [-1, persons, frames, J, R]) // [N, M, T, J, R]
    f = ops.dropout(f, c.dropout_ratio)
    if (K === 1) {
      f = ops.mean(f, [2]) // [N, M, J, R]: mean over frames
    } else {
      if (isStaticDim(frames) && frames % K !== 0) throw modelError(`the action head averages ${K} equal stretches of frames (temporal_segments ${K}), so a clip must be a multiple of ${K} frames long; got ${frames} frames`)
      f = ops.reshape(f, [ops.dim(f, 0), persons, K, -1, J, R]) // [N, M, K, T/K, J, R]
      f = ops.mean(f, [3]) // [N, M, K, J, R]: mean over each stretch, in order
    }
    f = ops.reshape(f, [-1, persons, K * J * R]) // [N, M, K*J*R]
    f = ops.mean(f, [1]) // [N, K*J*R]: mean over persons
    f = ops.linear(f, `${p}fc1.weight`, `${p}fc1.bias`) // [N, hidden]
    if (c.model_version === 'embed') {
      // F.normalize(dim=-1): x / max(‖x‖₂, 1e-12)
      const norm = ops.maximumScalar(ops.sqrt(ops.sum(ops.mul(f, f), [-1], true)), 1e-12) // [N, 1]
      return {logits: ops.div(f, norm)}
    }
    f = ops.relu(ops.batchNorm(f, `${p}bn`, 1e-5)) // [N, hidden]
    return {logits: ops.linear(f, `${p}fc2.weight`, `${p}fc2.bias`)} // [N, classes]
  },
}
