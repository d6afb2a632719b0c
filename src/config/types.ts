/**
 * Shared description of a configuration key, used by the config loader (validation, `motion models`)
 * and by the backbone/head registries (each declares the keys it reads).
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
  /** Default per selected backbone, overriding `default` (e.g. `depth`: 5 for dstformer, 8 for mixste). */
  defaultByBackbone?: Readonly<Record<string, unknown>>
  /** Another key this one is a synonym of (`action_classes` for `num_classes`); both end up set. */
  aliasOf?: string
  /** Section for documentation: model, data, training, loss, augmentation, runtime. */
  group?: ConfigKeyGroup
}

export type ConfigKeyGroup = 'general' | 'model' | 'data' | 'training' | 'loss' | 'augmentation' | 'runtime'

/** A plain config object as read from YAML/JSON; values validated against ConfigKeySpecs. */
export type RawConfig = Record<string, unknown>
