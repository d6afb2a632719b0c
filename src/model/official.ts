/**
 * Official checkpoint layouts → native names. Official MotionBERT state dicts come in two layouts:
 *  - bare DSTformer (pose checkpoints, `model_pos`): backbone keys at the top level and the pose
 *    head as `head.weight` / `head.bias`;
 *  - wrapped (ActionNet / MeshRegressor, `model`): `backbone.*` and `head.*`, where the backbone
 *    still carries the DSTformer's own, unused `head` Linear (dropped here).
 * Native names are `backbone.<key>` and `head.<key>`. Which backbone and head a checkpoint holds is
 * decided by asking the registries, not by a switch on names.
 */
import {backboneRegistry, getBackbone} from '../backbones/registry.js'
import type {BackboneEntry, EntryConfig} from '../nn/registry/backbone.js'
import type {RawConfig} from '../config/types.js'
import {modelError} from '../core/errors.js'
import {type NDArray} from '../core/ndarray.js'
import {extractStateDict} from '../formats/state-dict.js'
import {readTorchCheckpoint} from '../formats/torch.js'
import {BACKBONE_PREFIX, HEAD_PREFIX, type Model, type ModelConfig, buildModel, detectHead, resolveModelConfig, shapesOf, withPrefix} from './model.js'

export interface OfficialImport {
  /** Native names → values (the official tensors, not copied). */
  weights: Map<string, NDArray>
  /** Backbone, head and every config key, resolved from the weights and the given config. */
  config: ModelConfig
  /** The flat config to pass to buildModel (the given one plus the backbone and head names). */
  rawConfig: RawConfig
  /** Official keys that have no place in the native model (e.g. ActionNet's `backbone.head.*`). */
  ignored: string[]
  layout: 'bare' | 'wrapped'
}

/**
 * Map an official state dict (keys already found under model_pos/model; a leftover `module.`
 * prefix is stripped here too) to native names and an inferred config.
 */
export function fromOfficialStateDict(stateDict: ReadonlyMap<string, NDArray>, config: RawConfig = {}, opts: {file?: string} = {}): OfficialImport {
  const sd = new Map<string, NDArray>()
  for (const [k, v] of stateDict) sd.set(k.startsWith('module.') ? k.slice('module.'.length) : k, v)
  const wrapped = [...sd.keys()].some((k) => k.startsWith(BACKBONE_PREFIX))
  const candidates = typeof config.backbone === 'string' ? [getBackbone(config.backbone)] : [...backboneRegistry.values()]

  for (const backbone of candidates) {
    const mapped = wrapped ? mapWrapped(sd, backbone) : mapBare(sd, backbone)
    if (!mapped) continue
    const shapes = shapesOf(mapped.weights)
    // What the backbone cannot resolve (e.g. a Strided stride_num its shapes do not tell) is the
    // problem to report, before head detection (which needs that config) fails less clearly.
    backbone.inferConfig(withPrefix(shapes, BACKBONE_PREFIX), config)
    const head = typeof config.head === 'string' ? config.head : (mapped.head ?? detectHead(shapes, backbone, config))
    if (!head) {
      const headKeys = [...mapped.weights.keys()].filter((k) => k.startsWith(HEAD_PREFIX))
      throw modelError(
        headKeys.length ? `no registered head matches the checkpoint's head weights (${headKeys.slice(0, 6).join(', ')})` : 'the checkpoint has no head weights',
        {file: opts.file, hint: 'set `head` in the config (see `motion models`) to say which head it is'},
      )
    }
    const rawConfig: RawConfig = {...config, backbone: backbone.name, head}
    return {
      weights: mapped.weights,
      config: resolveModelConfig(shapes, rawConfig),
      rawConfig,
      ignored: mapped.ignored,
      layout: wrapped ? 'wrapped' : 'bare',
    }
  }
  const sample = [...sd.keys()].slice(0, 5).join(', ')
  throw modelError(`not a checkpoint of a known model: no backbone recognises its keys (${sample}${sd.size > 5 ? ', …' : ''})`, {
    file: opts.file,
    hint: `known backbones: ${[...backboneRegistry.keys()].join(', ')}; official MotionBERT checkpoints keep the model under model_pos or model`,
  })
}

/** Native weights → the official bare/wrapped layout (for exporting back to PyTorch). */
export function toOfficialStateDict(weights: ReadonlyMap<string, NDArray>, backboneName: string, layout: 'bare' | 'wrapped'): Map<string, NDArray> {
  const backbone = getBackbone(backboneName)
  const out = new Map<string, NDArray>()
  for (const [k, v] of weights) {
    if (k.startsWith(BACKBONE_PREFIX)) {
      const official = backbone.official.toOfficial(k.slice(BACKBONE_PREFIX.length))
      out.set(layout === 'wrapped' ? BACKBONE_PREFIX + official : official, v)
    } else {
      out.set(k, v)
    }
  }
  return out
}

interface Mapped {
  weights: Map<string, NDArray>
  ignored: string[]
  /** Head implied by the layout (bare DSTformer: pose3d). */
  head?: string
}

function mapWrapped(sd: ReadonlyMap<string, NDArray>, backbone: BackboneEntry<EntryConfig>): Mapped | null {
  if (!sd.has(BACKBONE_PREFIX + backbone.official.signature)) return null
  const weights = new Map<string, NDArray>()
  const ignored: string[] = []
  for (const [k, v] of sd) {
    if (!k.startsWith(BACKBONE_PREFIX)) {
      weights.set(k, v) // head.* stay; anything else is reported as unexpected by buildModel
      continue
    }
    const key = k.slice(BACKBONE_PREFIX.length)
    const native = backbone.official.droppedWhenWrapped?.(key) ? null : backbone.official.toNative(key)
    if (native === null) ignored.push(k)
    else weights.set(BACKBONE_PREFIX + native, v)
  }
  return {weights, ignored}
}

function mapBare(sd: ReadonlyMap<string, NDArray>, backbone: BackboneEntry<EntryConfig>): Mapped | null {
  if (!sd.has(backbone.official.signature)) return null
  const bareHead = backbone.official.bareHead
  const weights = new Map<string, NDArray>()
  const ignored: string[] = []
  let headSeen = false
  for (const [k, v] of sd) {
    if (bareHead && k.startsWith(bareHead.prefix)) {
      weights.set(HEAD_PREFIX + k.slice(bareHead.prefix.length), v)
      headSeen = true
      continue
    }
    const native = backbone.official.toNative(k)
    if (native === null) ignored.push(k)
    else weights.set(BACKBONE_PREFIX + native, v)
  }
  return {weights, ignored, head: headSeen ? bareHead?.head : undefined}
}

export interface LoadedOfficialModel {
  model: Model
  imported: OfficialImport
  /** The top-level key the state dict was under (model_pos, model, ...), or null for a bare one. */
  foundUnder: string | null
}

/** Read an official PyTorch checkpoint file and build the model it holds (config keys given win). */
export async function loadOfficialCheckpoint(file: string, config: RawConfig = {}): Promise<LoadedOfficialModel> {
  const ckpt = await readTorchCheckpoint(file)
  const {stateDict, foundUnder} = extractStateDict(ckpt.root, file)
  const imported = fromOfficialStateDict(stateDict, config, {file})
  const model = buildModel(imported.weights, imported.rawConfig, {file})
  return {model, imported, foundUnder}
}
