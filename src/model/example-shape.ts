/**
 * A valid input shape for recording a model: persons, joints and channels come from the model,
 * batch and frames are placeholders (they stay dynamic in the graph).
 */
import {modelError} from '../core/errors.js'
import type {ModelSpec} from './model.js'
import {backboneInfo, modelInputLayout} from './model.js'

/** Config keys that name the longest clip a backbone takes, in the order they are tried. */
const FRAME_KEYS = ['maxlen', 'num_frame', 'frames'] as const

export function exampleInputShape(model: ModelSpec): {shape: number[]; maxFrames: number} {
  const cfg = model.config.backboneConfig
  const frames = FRAME_KEYS.map((k) => cfg[k]).find((v): v is number => typeof v === 'number') ?? 243
  const joints = backboneInfo(model.backbone, cfg).numJoints
  for (const channels of [Number(cfg.dim_in ?? cfg.in_chans ?? 3), 3, 2]) {
    const shape = modelInputLayout(model).map((axis) => ({N: 1, M: 2, T: frames, J: joints, C: channels})[axis] ?? 1)
    const inner = model.head.backboneInputShape(shape)
    if (typeof inner !== 'string' && model.backbone.checkInput(inner, cfg) === null) return {shape, maxFrames: frames}
  }
  throw modelError(`cannot find an input shape the ${model.backbone.name} + ${model.head.name} model accepts`)
}

/**
 * Whether the model takes exactly `maxFrames` frames (MixSTE, the Strided Transformer: their
 * positional embeddings are added whole), so T cannot stay dynamic in a recorded graph.
 */
export function fixedFrames(model: ModelSpec): boolean {
  const {shape, maxFrames} = exampleInputShape(model)
  const tAxis = modelInputLayout(model).indexOf('T')
  if (tAxis < 0 || maxFrames < 2) return false
  const shorter = shape.map((d, i) => (i === tAxis ? maxFrames - 1 : d))
  const inner = model.head.backboneInputShape(shorter)
  return typeof inner === 'string' || model.backbone.checkInput(inner, model.config.backboneConfig) !== null
}
