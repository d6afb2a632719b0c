/**
 * A model is a registered backbone plus a registered head, their resolved configs and weights
 * named `backbone.<key>` / `head.<key>`. buildModel validates weights against what the config
 * expects (every problem in one message); runModel composes the forward pass against Ops<T>
 * (shared by the tfjs executor and the ONNX recorder); forwardModel runs it on tfjs.
 */
import {checkModelDimensions} from '../core/limits/model-limits.js'
// types only: tfjs is loaded (from nn/tfjs/weights.ts) when forwardModel first runs, so the onnx
// path and every command's start-up never pay for it
import type * as tf from '@tensorflow/tfjs'
import {DEFAULT_BACKBONE, getBackbone} from '../backbones/registry.js'
import type {BackboneEntry, EntryConfig, ParamShapes} from '../nn/registry/backbone.js'
import type {RawConfig} from '../config/types.js'
import {inputError, modelError} from '../core/errors.js'
import {DEFAULT_HEAD, getHead, headRegistry} from '../heads/registry.js'
import type {BackboneInfo, HeadEntry} from '../nn/registry/head.js'
import {type NDArray, shapeString, size} from '../core/ndarray.js'
import type {Ops} from '../nn/ops.js'
import type {BackendName} from '../nn/tfjs/backend-names.js'

export const BACKBONE_PREFIX = 'backbone.'
export const HEAD_PREFIX = 'head.'

export interface ModelConfig {
  backbone: string
  head: string
  backboneConfig: EntryConfig
  headConfig: EntryConfig
}

export interface Model {
  readonly backbone: BackboneEntry<EntryConfig>
  readonly head: HeadEntry<EntryConfig>
  readonly config: ModelConfig
  /** Native names (`backbone.*`, `head.*`) → values. */
  readonly weights: Map<string, NDArray>
}

/** What runModel needs; a Model satisfies it. */
export type ModelSpec = Pick<Model, 'backbone' | 'head' | 'config'>

/** Flat config (MotionBERT keys plus optional `backbone` / `head` names) → resolved ModelConfig. */
export function resolveModelConfig(shapes: ParamShapes, config: RawConfig = {}): ModelConfig {
  const backbone = getBackbone(stringKey(config, 'backbone') ?? DEFAULT_BACKBONE)
  const headName = stringKey(config, 'head') ?? (shapes.size > 0 ? detectHead(shapes, backbone, config) : undefined) ?? defaultHead(backbone)
  const head = getHead(headName)
  const backboneConfig = backbone.inferConfig(withPrefix(shapes, BACKBONE_PREFIX), config)
  const info = backboneInfo(backbone, backboneConfig)
  const headConfig = head.inferConfig(withPrefix(shapes, HEAD_PREFIX), config, info)
  return {backbone: backbone.name, head: head.name, backboneConfig, headConfig}
}

/**
 * Assemble and validate a model. Missing, unexpected and mis-shaped weights are reported together
 * in one model error (exit 3). `config` is flat (MotionBERT keys); what it leaves out is read off
 * the weights' shapes.
 */
export function buildModel(weights: Map<string, NDArray>, config: RawConfig = {}, opts: {file?: string} = {}): Model {
  const asked = checkModelDimensions(config)
  if (asked) throw modelError(`the config asks for a model too large to build: ${asked}`, {file: opts.file, hint: 'see docs/limits.md'})
  const shapes = shapesOf(weights)
  const resolved = resolveModelConfig(shapes, config)
  const model: Model = {backbone: getBackbone(resolved.backbone), head: getHead(resolved.head), config: resolved, weights}
  if (model.head.needsRepresentation && !model.backbone.outputs.includes('representation')) {
    throw modelError(`the ${model.head.name} head reads a representation, which the ${model.backbone.name} backbone does not produce`, {
      file: opts.file,
      hint: `use head: none for ${model.backbone.name} (it has its own output layers)`,
    })
  }
  const problems = checkWeights(shapes, model)
  if (problems) {
    const fromWeights = safeResolve(shapes, {backbone: resolved.backbone, head: resolved.head})
    const conflicts = fromWeights ? configConflicts(resolved, fromWeights, config) : []
    const hint = conflicts.length
      ? `the config disagrees with the weights: ${conflicts.join(', ')}; drop those keys or fix them`
      : `the weights do not fit ${resolved.backbone} + ${resolved.head}; check the config (dims are read from the weights when left out)`
    throw modelError(problems, {file: opts.file, hint})
  }
  return model
}

/** Every parameter the model expects with its shape (native names), and the optional ones. */
export function modelParams(spec: ModelSpec): {required: Map<string, number[]>; optional: Map<string, number[]>} {
  const {backbone, head, config} = spec
  const info = backboneInfo(backbone, config.backboneConfig)
  const required = new Map<string, number[]>()
  const optional = new Map<string, number[]>()
  for (const [k, s] of backbone.expectedParams(config.backboneConfig)) required.set(BACKBONE_PREFIX + k, s)
  for (const [k, s] of head.expectedParams(config.headConfig, info)) required.set(HEAD_PREFIX + k, s)
  for (const [k, s] of backbone.optionalParams?.(config.backboneConfig) ?? []) optional.set(BACKBONE_PREFIX + k, s)
  for (const [k, s] of head.optionalParams?.(config.headConfig, info) ?? []) optional.set(HEAD_PREFIX + k, s)
  return {required, optional}
}

/** "missing: a, b; unexpected: c; shape mismatch: d is [64, 32], expected [32, 32]" or null. */
function checkWeights(shapes: ParamShapes, spec: ModelSpec): string | null {
  const {required, optional} = modelParams(spec)
  const missing: string[] = []
  const mismatched: string[] = []
  for (const [name, expected] of required) {
    const got = shapes.get(name)
    if (!got) missing.push(name)
    else if (!sameShape(got, expected)) mismatched.push(`${name} is ${shapeString(got)}, expected ${shapeString(expected)}`)
  }
  const unexpected: string[] = []
  for (const [name, got] of shapes) {
    if (required.has(name)) continue
    const opt = optional.get(name)
    if (!opt) unexpected.push(name)
    else if (!sameShape(got, opt)) mismatched.push(`${name} is ${shapeString(got)}, expected ${shapeString(opt)}`)
  }
  const parts: string[] = []
  if (missing.length) parts.push(`missing: ${abbreviate(missing)}`)
  if (unexpected.length) parts.push(`unexpected: ${abbreviate(unexpected)}`)
  if (mismatched.length) parts.push(`shape mismatch: ${abbreviate(mismatched)}`)
  return parts.length ? parts.join('; ') : null
}

/** Random weights of the right shapes for a config (tests, fresh training runs). */
export function randomWeights(spec: ModelSpec, seed = 1, std = 0.1): Map<string, NDArray> {
  let state = seed >>> 0 || 1
  const next = (): number => {
    // xorshift32 → uniform in (0, 1)
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return ((state >>> 0) + 0.5) / 4294967296
  }
  const {required} = modelParams(spec)
  const out = new Map<string, NDArray>()
  for (const [name, shape] of required) {
    const data = new Float32Array(size(shape))
    const isVariance = name.endsWith('running_var')
    for (let i = 0; i < data.length; i++) data[i] = isVariance ? 0.5 + next() : (next() * 2 - 1) * std * Math.sqrt(3)
    out.set(name, {data, shape: [...shape]})
  }
  return out
}

/**
 * The forward pass of backbone + head against any executor. `x` is the model input
 * ([N, T, J, C] for pose, [N, M, T, J, C] for action). Returns the head's outputs, plus
 * `representation` when the head exposes it.
 */
export function runModel<T>(ops: Ops<T>, spec: ModelSpec, x: T): Record<string, T> {
  const {backbone, head, config} = spec
  const info = backboneInfo(backbone, config.backboneConfig)
  const backboneInput = head.prepareInput(ops, x)
  const features = backbone.forwardFeatures(ops, backboneInput, config.backboneConfig, BACKBONE_PREFIX)
  const outputs = head.forward(ops, features, config.headConfig, {input: x, backbone: info, prefix: HEAD_PREFIX})
  if (head.exposesRepresentation && features.representation) return {...outputs, representation: features.representation}
  return outputs
}

/** Names of the arrays forwardModel returns for this model (after the head's finishOutputs). */
export function outputNames(spec: ModelSpec): string[] {
  if (spec.head.outputs.length === 0) return [...spec.backbone.outputs]
  return [...(spec.head.finishedOutputs ?? spec.head.outputs), ...(spec.head.exposesRepresentation ? ['representation'] : [])]
}

/** Names of the recorded graph's outputs (an exported ONNX file's), before finishOutputs. */
export function graphOutputNames(spec: ModelSpec): string[] {
  if (spec.head.outputs.length === 0) return [...spec.backbone.outputs]
  return [...spec.head.outputs, ...(spec.head.exposesRepresentation ? ['representation'] : [])]
}

/** Axis names of the model input: the head's layout, or the backbone's when the head has none. */
export function modelInputLayout(spec: ModelSpec): string[] {
  return [...(spec.head.inputLayout.length ? spec.head.inputLayout : spec.backbone.inputLayout)]
}

/** Check a model input's shape and values; throws an input error (exit 2) naming the problem. */
export function checkModelInput(spec: ModelSpec, input: NDArray, opts: {file?: string} = {}): void {
  const layout = modelInputLayout(spec).join(', ')
  const inner = spec.head.backboneInputShape(input.shape)
  const problem = typeof inner === 'string' ? inner : spec.backbone.checkInput(inner, spec.config.backboneConfig)
  if (problem) {
    throw inputError(`input ${shapeString(input.shape)} does not fit the ${spec.backbone.name} + ${spec.head.name} model: ${problem}`, {
      file: opts.file,
      hint: `the model takes [${layout}]`,
    })
  }
  for (let i = 0; i < input.data.length; i++) {
    if (!Number.isFinite(input.data[i]!)) {
      throw inputError(`input has a non-finite value (${input.data[i]}) at flat index ${i}`, {file: opts.file, hint: 'fill missing joints (e.g. with 0 and confidence 0) before running the model'})
    }
  }
}

export interface ForwardOptions {
  /** tfjs backend; default: the first that loads (see selectBackend). */
  backend?: BackendName | 'auto'
  /** Name of the input file, for error messages. */
  file?: string
}

interface TfParamCache {
  backend: string
  params: Map<string, tf.Tensor>
}
const tfParamCache = new WeakMap<Model, TfParamCache>()

/**
 * Run the model on tfjs. The weights are uploaded once per model and backend and kept until
 * disposeModel; every intermediate tensor is released before this returns.
 */
export async function forwardModel(model: Model, input: NDArray, opts: ForwardOptions = {}): Promise<Record<string, NDArray>> {
  checkModelInput(model, input, {file: opts.file})
  const [{selectBackend}, tfjs] = await Promise.all([import('../nn/tfjs/backend.js'), import('../nn/tfjs/weights.js')])
  const selection = await selectBackend({force: opts.backend})
  const params = tfParams(model, selection.tfName, tfjs.toTfParams)
  return finishOutputs(model, await tfjs.forwardOnTfjs(params, input, (ops, x) => runModel(ops, model, x)))
}

/** The head's JS post-processing of computed outputs (e.g. mesh: theta from rotation matrices), if any. */
export function finishOutputs(spec: ModelSpec, outputs: Record<string, NDArray>): Record<string, NDArray> {
  return spec.head.finishOutputs ? spec.head.finishOutputs(outputs, spec.config.headConfig) : outputs
}

/** Release the model's tfjs weights (forwardModel uploads them again when needed). */
export function disposeModel(model: Model): void {
  const cached = tfParamCache.get(model)
  if (!cached) return
  for (const t of cached.params.values()) t.dispose()
  tfParamCache.delete(model)
}

function tfParams(model: Model, backend: string, toTfParams: (weights: ReadonlyMap<string, NDArray>) => Map<string, tf.Tensor>): Map<string, tf.Tensor> {
  const cached = tfParamCache.get(model)
  if (cached && cached.backend === backend) return cached.params
  disposeModel(model)
  const params = toTfParams(model.weights)
  tfParamCache.set(model, {backend, params})
  return params
}

// ---- helpers ---------------------------------------------------------------------------------

export function backboneInfo(backbone: BackboneEntry<EntryConfig>, config: EntryConfig): BackboneInfo {
  return {...backbone.describeOutput(config), config}
}

export function shapesOf(weights: ReadonlyMap<string, NDArray>): Map<string, number[]> {
  return new Map([...weights].map(([k, v]) => [k, v.shape]))
}

/** Names under `prefix`, with the prefix removed. */
export function withPrefix(shapes: ParamShapes, prefix: string): Map<string, readonly number[]> {
  const out = new Map<string, readonly number[]>()
  for (const [k, s] of shapes) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), s)
  return out
}

/**
 * The head whose parameters are exactly the `head.*` weights present (no switch on names: each
 * registered head is asked what it would expect; with no head weights that is `none`).
 */
export function detectHead(shapes: ParamShapes, backbone: BackboneEntry<EntryConfig>, config: RawConfig): string | undefined {
  const present = withPrefix(shapes, HEAD_PREFIX)
  let info: BackboneInfo
  try {
    info = backboneInfo(backbone, backbone.inferConfig(withPrefix(shapes, BACKBONE_PREFIX), config))
  } catch {
    return undefined
  }
  for (const head of headRegistry.values()) {
    if (head.needsRepresentation && !backbone.outputs.includes('representation')) continue
    try {
      const c = head.inferConfig(present, config, info)
      const required = head.expectedParams(c, info)
      const optional = head.optionalParams?.(c, info) ?? new Map<string, number[]>()
      const allPresent = [...required.keys()].every((k) => present.has(k))
      const nothingElse = [...present.keys()].every((k) => required.has(k) || optional.has(k))
      if (allPresent && nothingElse) return head.name
    } catch {
      // this head cannot describe these weights; try the next
    }
  }
  return undefined
}

/** pose3d for encoders; `none` for backbones that end in their own output layers. */
function defaultHead(backbone: BackboneEntry<EntryConfig>): string {
  return backbone.outputs.includes('representation') ? DEFAULT_HEAD : 'none'
}

function safeResolve(shapes: ParamShapes, config: RawConfig): ModelConfig | undefined {
  try {
    return resolveModelConfig(shapes, config)
  } catch {
    return undefined
  }
}

/** Keys the user's config set to something other than what the weights say. */
function configConflicts(given: ModelConfig, fromWeights: ModelConfig, raw: RawConfig): string[] {
  const out: string[] = []
  const compare = (a: EntryConfig, b: EntryConfig): void => {
    for (const [k, v] of Object.entries(a)) {
      if (raw[k] !== undefined && raw[k] !== null && b[k] !== v) out.push(`${k} is ${v} in the config, ${b[k]} in the weights`)
    }
  }
  compare(given.backboneConfig, fromWeights.backboneConfig)
  compare(given.headConfig, fromWeights.headConfig)
  return out
}

function stringKey(config: RawConfig, key: string): string | undefined {
  const v = config[key]
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string') throw inputError(`config key ${key} must be a name, got ${JSON.stringify(v)}`)
  return v
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i])
}

function abbreviate(items: string[], max = 8): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`
}
