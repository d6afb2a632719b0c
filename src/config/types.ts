/**
 * Shared description of a configuration key, used by the config loader (validation, docs/config.md)
 * and by the backbone/head registries (each declares the keys it reads; the model layer hands them
 * to the loader, which names no model itself).
 */
export type ConfigValueType = 'number' | 'integer' | 'boolean' | 'string' | 'number[]' | 'integer[]' | 'string[]'

export interface ConfigKeySpec {
  /** Key as written in configs (MotionBERT's snake_case names are kept as they are). */
  key: string
  type: ConfigValueType
  description: string
  default?: unknown
  /** Allowed values for strings/numbers (strings match case-insensitively and are stored as spelled here). */
  allowed?: readonly (string | number | boolean)[]
  /** Inclusive bounds for numbers, and for each element of number arrays. */
  min?: number
  max?: number
  /** `min` itself is not allowed (a strictly positive learning rate). */
  exclusiveMin?: boolean
  /** True when the value can be read off checkpoint tensor shapes. */
  inferable?: boolean
  /** `null` is a valid value (MotionBERT writes `partial_train: null` for "none"). */
  nullable?: boolean
  /** Exact element count for array keys (e.g. 2 for `[low, high]` ranges). */
  length?: number
  /** Strings are lower-cased before checking (`backbone: DSTformer` as the official code spells it). */
  lowercase?: boolean
  /** Backbones that read this key (documentation, and scoping of defaults from registries). */
  backbones?: readonly string[]
  /** Default per selected backbone, overriding `default` (e.g. `depth`: 5 for one backbone, 8 for another). */
  defaultByBackbone?: Readonly<Record<string, unknown>>
  /** Heads that read this key (documentation). */
  heads?: readonly string[]
  /** Default per head (documentation: the head applies it itself). */
  defaultByHead?: Readonly<Record<string, unknown>>
  /** Another key this one is a synonym of (`num_classes` for `action_classes`); both end up set. */
  aliasOf?: string
  /** Accepted (the official configs carry it) but read by nothing: a model entry does not resolve it. */
  unread?: boolean
  /** Section for documentation: model, data, training, loss, augmentation, runtime. */
  group?: ConfigKeyGroup
}

export type ConfigKeyGroup = 'general' | 'model' | 'data' | 'training' | 'loss' | 'augmentation' | 'runtime'

/**
 * What the config loader checks across one backbone's keys, as its registry entry declares it (the
 * loader is handed these per backbone name and names no backbone itself).
 */
export interface BackboneConfigRules {
  /** The key holding the most frames a clip may have (the positional embedding's length): clip_len follows it when unset. */
  readonly frameKey?: string
  /** Widths split across attention heads: `key` must be divisible by `by` (its model default when unset). */
  readonly divisible?: readonly {readonly key: string; readonly by: string; readonly hint: string}[]
  /** When set, clip_len may not exceed frameKey; the hint says why. */
  readonly clipLenWithinFrames?: string
}

/** A plain config object as read from YAML/JSON; values validated against ConfigKeySpecs. */
export type RawConfig = Record<string, unknown>
