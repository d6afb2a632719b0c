/**
 * Action heads of MotionBERT (lib/model/model_action.py), both versions under one entry:
 *  - `class` (ActionHeadClassification): mean over frames, flatten joints × channels, mean over
 *    persons, fc1, BatchNorm1d, ReLU, fc2 → class logits;
 *  - `embed` (ActionHeadEmbed): the same pooling, fc1, L2-normalised → embedding (one-shot).
 * Our additions, both off in the official head:
 *  - `temporal_segments` K > 1: the mean over each of K equal stretches of frames instead of over
 *    all, kept in order, so the head sees the order of the motion (a turn to the left against one
 *    to the right);
 *  - `motion_energy`: more slots, the mean absolute frame-to-frame change of the representation
 *    over each of `energy_segments` E equal stretches, so it sees how fast features move and
 *    when (a hand waving throughout against one raised and then held still).
 * The P = K (+E) pooled slots are concatenated before fc1 (fc1 reads P·J·R).
 * The model input is [N, M, T, J, C]; persons are folded into the batch for the backbone.
 */
import type {ConfigKeySpec} from '../config/types.js'
import {modelError} from '../core/errors.js'
import type {NDArray} from '../core/ndarray.js'
import {type Ops, isStaticDim} from '../nn/ops.js'
import {resolveConfig} from '../nn/registry/entry-config.js'
import type {BackboneInfo, HeadEntry} from '../nn/registry/head.js'

export interface ActionConfig {
  [key: string]: number | boolean | string
  model_version: 'class' | 'embed'
  hidden_dim: number
  action_classes: number
  dropout_ratio: number
  temporal_segments: number
  motion_energy: boolean
  energy_segments: number
}

const CONFIG_KEYS: readonly ConfigKeySpec[] = [
  {key: 'model_version', type: 'string', allowed: ['class', 'embed'], default: 'class', inferable: true,
    description: 'class: class logits with BatchNorm (ActionHeadClassification); embed: L2-normalised embedding for one-shot recognition (ActionHeadEmbed).'},
  {key: 'hidden_dim', type: 'integer', min: 1, default: 2048, inferable: true, description: 'Width of fc1, the embedding size for embed (official action configs: 2048).'},
  {key: 'action_classes', type: 'integer', min: 1, default: 60, inferable: true,
    description: "Action classes of the classification head (the official configs' name; num_classes, the ActionNet argument, is a synonym)."},
  {key: 'num_classes', type: 'integer', min: 1, inferable: true, aliasOf: 'action_classes', description: 'ActionNet argument name for action_classes.'},
  {key: 'dropout_ratio', type: 'number', min: 0, max: 1, default: 0, description: 'Dropout probability on the pooled features (training only).'},
  {key: 'temporal_segments', type: 'integer', min: 1, default: 1, inferable: true,
    description: 'Average frames over this many equal stretches, kept in order, before fc1 (1: over all frames, the official head); clips must be a multiple of it long.'},
  {key: 'motion_energy', type: 'boolean', default: false,
    description: 'Also pool the mean absolute frame-to-frame change of the features before fc1 (false: the official head).'},
  {key: 'energy_segments', type: 'integer', min: 1, default: 1,
    description: 'With motion_energy, pool the frame-to-frame change over this many equal stretches, kept in order (1: over all frames); clips must be a multiple of it long.'},
]

/** Stretches the motion energy is pooled over (0: no energy slots). */
function energyStretches(c: Pick<ActionConfig, 'motion_energy' | 'energy_segments'>): number {
  return c.motion_energy ? c.energy_segments : 0
}

/** Pooled slots per joint before fc1: the stretch means, then the motion energies. */
function pooledSlots(c: ActionConfig): number {
  return c.temporal_segments + energyStretches(c)
}

function expectedParams(c: ActionConfig, backbone: BackboneInfo): Map<string, number[]> {
  const p = new Map<string, number[]>()
  p.set('fc1.weight', [c.hidden_dim, pooledSlots(c) * backbone.representationDim * backbone.numJoints])
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
  defaults: {model_version: 'class', hidden_dim: 2048, action_classes: 60, dropout_ratio: 0, temporal_segments: 1, motion_energy: false, energy_segments: 1},
  inputLayout: ['N', 'M', 'T', 'J', 'C'],
  outputs: ['logits'],
  exposesRepresentation: false,
  needsRepresentation: true,
  poolFrames: (rep, c) => poolFramesArray(rep, c.temporal_segments, energyStretches(c)),
  inferConfig(weights, partial, backbone) {
    const fc1 = weights.get('fc1.weight') // [hidden, P * J * R]
    const fc2 = weights.get('fc2.weight') // [classes, hidden]
    const version = fc2 ? 'class' : fc1 ? 'embed' : undefined
    // P = K (+E with motion_energy, which the weights cannot tell: E comes from the config)
    const perSlot = backbone.representationDim * backbone.numJoints
    const energy = partial.motion_energy === true ? (typeof partial.energy_segments === 'number' ? partial.energy_segments : 1) : 0
    const segments = fc1 && fc1[1]! % perSlot === 0 && fc1[1]! / perSlot > energy ? fc1[1]! / perSlot - energy : undefined
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
    const P = pooledSlots(c)
    let f: typeof features.representation
    if (features.pooledRepresentation !== undefined) {
      // A feature cache's slots (poolFrames below), [N·M, P, J, R]; dropout acts on them.
      f = ops.dropout(ops.reshape(features.pooledRepresentation, [-1, persons, P, J, R]), c.dropout_ratio) // [N, M, P, J, R]
    } else {
      const frames = ops.dim(ctx.input, 2)
      f = ops.reshape(features.representation!, [-1, persons, frames, J, R]) // [N, M, T, J, R]
      f = poolFramesOps(ops, f, c) // [N, M, P, J, R], dropout applied
    }
    f = ops.reshape(f, [-1, persons, P * J * R]) // [N, M, P*J*R]
    f = ops.mean(f, [1]) // [N, P*J*R]: mean over persons
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

/**
 * [N, M, T, J, R] → [N, M, P, J, R]: the stretch means in order, then the motion energies, with
 * dropout (training). The means are taken of dropped-out frames, as the official head does. The
 * energies are taken of the features themselves and dropped out once pooled: with a fresh mask on
 * every frame, |f[t]·m[t] − f[t−1]·m[t−1]| measures the masks rather than the motion, so the head
 * would learn from an energy in training that inference never shows it.
 */
export function poolFramesOps<T>(ops: Ops<T>, f: T, c: ActionConfig): T {
  const frames = ops.dim(f, 2)
  const pooled = stretchMeans(ops, ops.dropout(f, c.dropout_ratio), c.temporal_segments, 'temporal_segments') // [N, M, K, J, R]
  const E = energyStretches(c)
  if (E === 0) return pooled
  // |f[t] - f[t-1]| with f[-1] = f[0] (the first change is 0), averaged over each of E stretches
  const previous = ops.slice(ops.concat([ops.slice(f, 2, 0, 1), f], 2), 2, 0, frames) // [N, M, T, J, R]
  const energy = stretchMeans(ops, ops.abs(ops.sub(f, previous)), E, 'energy_segments') // [N, M, E, J, R]
  return ops.concat([pooled, ops.dropout(energy, c.dropout_ratio)], 2)
}

/** [N, M, T, J, R] → [N, M, K, J, R]: the mean of each of K equal stretches of frames, in order. */
function stretchMeans<T>(ops: Ops<T>, f: T, K: number, key: string): T {
  if (K === 1) return ops.mean(f, [2], true) // mean over all frames (official)
  const frames = ops.dim(f, 2)
  if (isStaticDim(frames) && frames % K !== 0) throw modelError(`the action head averages ${K} equal stretches of frames (${key} ${K}), so a clip must be a multiple of ${K} frames long; got ${frames} frames`)
  const stretches = ops.reshape(f, [ops.dim(f, 0), ops.dim(f, 1), K, -1, ops.dim(f, 3), ops.dim(f, 4)]) // [N, M, K, T/K, J, R]
  return ops.mean(stretches, [3])
}

/**
 * poolFramesOps on plain arrays, for a feature cache: [B, T, J, R] → [B, P, J, R], with
 * `energySegments` E energy slots after the K stretch means (0: no motion energy).
 */
export function poolFramesArray(x: NDArray, segments: number, energySegments: number): NDArray {
  const [b, t, ...rest] = x.shape as [number, number, ...number[]]
  if (t % segments !== 0) throw modelError(`cannot average ${t} frames over ${segments} equal stretches (temporal_segments ${segments})`)
  if (energySegments > 0 && t % energySegments !== 0) throw modelError(`cannot average the motion energy of ${t} frames over ${energySegments} equal stretches (energy_segments ${energySegments})`)
  const row = rest.reduce((a, d) => a * d, 1)
  const len = t / segments
  const energyLen = t / Math.max(energySegments, 1)
  const slots = segments + energySegments
  const out = new Float32Array(b * slots * row)
  for (let i = 0; i < b; i++) {
    for (let f = 0; f < t; f++) {
      const src = (i * t + f) * row
      const dst = (i * slots + Math.floor(f / len)) * row
      for (let k = 0; k < row; k++) out[dst + k] = out[dst + k]! + x.data[src + k]! / len
      if (energySegments > 0 && f > 0) {
        const e = (i * slots + segments + Math.floor(f / energyLen)) * row
        for (let k = 0; k < row; k++) out[e + k] = out[e + k]! + Math.abs(x.data[src + k]! - x.data[src - row + k]!) / energyLen
      }
    }
  }
  return {data: out, shape: [b, slots, ...rest]}
}
