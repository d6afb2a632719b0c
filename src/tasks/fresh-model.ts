/**
 * Fresh models for training: every weight drawn as the official modules initialise themselves
 * (src/model/init.ts), or a loaded model's backbone with a fresh head.
 */
import type {RawConfig} from '../config/types.js'
import {getBackbone} from '../backbones/registry.js'
import {getHead} from '../heads/registry.js'
import {initialWeights} from '../model/init.js'
import {BACKBONE_PREFIX, buildModel, HEAD_PREFIX, type Model, resolveModelConfig} from '../model/model.js'

/** A model built from config keys alone, its weights initialised from `seed`. */
export function freshModel(raw: RawConfig, seed: number): Model {
  const spec = modelSpec(raw)
  return buildModel(initialWeights(spec, seed), {...raw, ...spec.config.backboneConfig, ...spec.config.headConfig, backbone: spec.config.backbone, head: spec.config.head})
}

/** `base`'s backbone weights with a fresh head of `headRaw`'s keys. */
export function withFreshHead(base: Model, headRaw: RawConfig, seed: number): Model {
  const backboneWeights = new Map([...base.weights].filter(([k]) => k.startsWith(BACKBONE_PREFIX)))
  const raw: RawConfig = {...base.config.backboneConfig, backbone: base.config.backbone, ...headRaw}
  const spec = modelSpec(raw)
  const head = initialWeights(spec, seed, {prefix: HEAD_PREFIX})
  return buildModel(new Map([...backboneWeights, ...head]), {...raw, ...spec.config.headConfig})
}

/** A model with no weights yet: the config resolved from the keys alone, to ask for its params. */
function modelSpec(raw: RawConfig): Model {
  const config = resolveModelConfig(new Map(), raw)
  return {backbone: getBackbone(config.backbone), head: getHead(config.head), config, weights: new Map()}
}
