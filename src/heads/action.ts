/**
 * Action heads of MotionBERT (lib/model/model_action.py), both versions under one entry:
 *  - `class` (ActionHeadClassification): mean over frames, flatten joints × channels, mean over
 *    persons, fc1, BatchNorm1d, ReLU, fc2 → class logits;
 *  - `embed` (ActionHeadEmbed): the same pooling, fc1, L2-normalised → embedding (one-shot).
 * The model input is [N, M, T, J, C]; persons are folded into the batch for the backbone.
 */
import type {ConfigKeySpec} from '../config/types.js'
import {resolveConfig} from '../nn/registry/entry-config.js'
import type {BackboneInfo, HeadEntry} from '../nn/registry/head.js'

export interface ActionConfig {
  [key: string]: number | boolean | string
  model_version: 'class' | 'embed'
  hidden_dim: number
  action_classes: number
  dropout_ratio: number
}

const CONFIG_KEYS: readonly ConfigKeySpec[] = [
  {key: 'model_version', type: 'string', allowed: ['class', 'embed'], default: 'class', inferable: true,
    description: 'class: class logits with BatchNorm (ActionHeadClassification); embed: L2-normalised embedding for one-shot recognition (ActionHeadEmbed).'},
  {key: 'hidden_dim', type: 'integer', min: 1, default: 2048, inferable: true, description: 'Width of fc1, the embedding size for embed (official action configs: 2048).'},
  {key: 'action_classes', type: 'integer', min: 1, default: 60, inferable: true,
    description: "Action classes of the classification head (the official configs' name; num_classes, the ActionNet argument, is a synonym)."},
  {key: 'num_classes', type: 'integer', min: 1, inferable: true, aliasOf: 'action_classes', description: 'ActionNet argument name for action_classes.'},
  {key: 'dropout_ratio', type: 'number', min: 0, max: 1, default: 0, description: 'Dropout probability on the pooled features (training only).'},
]

function expectedParams(c: ActionConfig, backbone: BackboneInfo): Map<string, number[]> {
  const p = new Map<string, number[]>()
  p.set('fc1.weight', [c.hidden_dim, backbone.representationDim * backbone.numJoints])
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
  task: 'action',
  configKeys: CONFIG_KEYS,
  defaults: {model_version: 'class', hidden_dim: 2048, action_classes: 60, dropout_ratio: 0},
  inputLayout: ['N', 'M', 'T', 'J', 'C'],
  outputs: ['logits'],
  exposesRepresentation: false,
  needsRepresentation: true,
  poolsFramesFirst: true,
  inferConfig(weights, partial) {
    const fc1 = weights.get('fc1.weight') // [hidden, J * R]
    const fc2 = weights.get('fc2.weight') // [classes, hidden]
    const version = fc2 ? 'class' : fc1 ? 'embed' : undefined
    return resolveConfig<ActionConfig>(CONFIG_KEYS, partial, {model_version: version, hidden_dim: fc1?.[0], action_classes: fc2?.[0]}, 'action')
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
    let f = ops.reshape(features.representation!, [-1, persons, frames, J, R]) // [N, M, T, J, R]
    f = ops.dropout(f, c.dropout_ratio)
    f = ops.mean(f, [2]) // [N, M, J, R]: mean over frames
    f = ops.reshape(f, [-1, persons, J * R]) // [N, M, J*R]
    f = ops.mean(f, [1]) // [N, J*R]: mean over persons
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
