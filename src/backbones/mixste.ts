/**
 * MixSTE (Zhang et al., CVPR 2022), exactly as the official `MixSTE2` in
 * JinluZhang1126/MixSTE common/model_cross.py computes it in eval mode: a spatial transformer
 * block over the joints of each frame and a temporal transformer block over the frames of each
 * joint, alternated `depth` times, then a LayerNorm + Linear head giving 3D joints for every frame
 * (sequence to sequence). Input is 2D keypoints `[N, num_frame, num_joints, in_chans]`.
 *
 * Parameter names are the official state-dict keys (without `module.`) under a prefix
 * (`backbone.` by default), e.g. `backbone.STEblocks.0.attn.qkv.weight`.
 *
 * Details that matter for parity:
 *  - every block LayerNorm and the shared `Spatial_norm` / `Temporal_norm` use eps 1e-6
 *    (`partial(nn.LayerNorm, eps=1e-6)`), but the head's LayerNorm is a plain `nn.LayerNorm` (eps 1e-5);
 *  - `Spatial_norm` and `Temporal_norm` are single modules reused after every block;
 *  - the temporal positional embedding is added once, so the clip must have exactly `num_frame` frames;
 *  - dropout rates are 0 in the official setup; DropPath (stochastic depth, used in official
 *    training with drop_path_rate 0.1) is not applied: it has no op in the interface.
 */
import {inputError, modelError} from '../core/errors.js'
import {LITERATURE_LOSS_DEFAULTS, MIXSTE_JOINT_WEIGHTS, mixsteLoss} from '../nn/losses-literature.js'
import type {ConfigKeySpec, RawConfig} from '../config/types.js'
import type {Ops} from '../nn/ops.js'
import {isStaticDim} from '../nn/ops.js'
import {type BackboneEntry, type BackboneOutputs, numberedGroups} from '../nn/registry/backbone.js'
import {ATTENTION_HEADS_DESCRIPTION, HEAD_WIDTH_HINT, MLP_RATIO_DESCRIPTION, NUM_JOINTS_DESCRIPTION, QKV_BIAS_DESCRIPTION} from './shared-keys.js'

export interface MixsteConfig {
  [key: string]: number | boolean | string
  /** Frames per clip (the temporal positional embedding's length). */
  num_frame: number
  num_joints: number
  /** Channels per input joint (2: x, y). */
  in_chans: number
  /** Feature width of both the spatial and the temporal blocks. */
  embed_dim_ratio: number
  /** Number of spatial/temporal block pairs. */
  depth: number
  num_heads: number
  mlp_ratio: number
  qkv_bias: boolean
}

/**
 * The published model's settings (the official run.py defaults: `-f 243 -cs 512 -dep 8`,
 * `num_heads=8, mlp_ratio=2., qkv_bias=True`), used where neither checkpoint nor config says.
 */
export const MIXSTE_DEFAULTS: MixsteConfig = {
  num_frame: 243,
  num_joints: 17,
  in_chans: 2,
  embed_dim_ratio: 512,
  depth: 8,
  num_heads: 8,
  mlp_ratio: 2,
  qkv_bias: true,
}

export const MIXSTE_CONFIG_KEYS: readonly ConfigKeySpec[] = [
  {key: 'num_frame', type: 'integer', backbones: ['mixste'], min: 1, default: MIXSTE_DEFAULTS.num_frame, inferable: true,
    description: 'Frames per clip, the length of the temporal positional embedding (MixSTE predicts every frame of a clip of exactly this length).'},
  {key: 'num_joints', type: 'integer', backbones: ['mixste'], min: 1, default: MIXSTE_DEFAULTS.num_joints, inferable: true, description: NUM_JOINTS_DESCRIPTION},
  {key: 'in_chans', type: 'integer', backbones: ['mixste'], min: 1, default: MIXSTE_DEFAULTS.in_chans, inferable: true, description: 'Input channels per joint (2: x, y).'},
  {key: 'embed_dim_ratio', type: 'integer', backbones: ['mixste'], min: 1, default: MIXSTE_DEFAULTS.embed_dim_ratio, inferable: true,
    description: 'Feature width per joint of the spatial and temporal blocks; must be divisible by num_heads.'},
  {key: 'depth', type: 'integer', backbones: ['mixste'], min: 1, default: MIXSTE_DEFAULTS.depth, inferable: true, description: 'Number of alternating spatial/temporal block pairs.'},
  {key: 'num_heads', type: 'integer', backbones: ['mixste'], min: 1, default: MIXSTE_DEFAULTS.num_heads, description: ATTENTION_HEADS_DESCRIPTION},
  {key: 'mlp_ratio', type: 'number', backbones: ['mixste'], min: 0, exclusiveMin: true, default: MIXSTE_DEFAULTS.mlp_ratio, inferable: true, description: MLP_RATIO_DESCRIPTION},
  {key: 'qkv_bias', type: 'boolean', backbones: ['mixste'], default: MIXSTE_DEFAULTS.qkv_bias, inferable: true, description: QKV_BIAS_DESCRIPTION},
]

/** Config keys of MixSTE's objective (nn/losses-literature.ts mixsteLoss); defaults: the official values. */
export const MIXSTE_LOSS_KEYS: readonly ConfigKeySpec[] = [
  {key: 'mixste_joint_weights', type: 'number[]', length: 17, min: 0, backbones: ['mixste'], default: [...MIXSTE_JOINT_WEIGHTS], group: 'loss',
    description: "MixSTE: per-joint weights of its weighted MPJPE and temporal consistency loss (official run.py w_mpjpe for h36m)."},
  {key: 'lambda_tcl', type: 'number', min: 0, backbones: ['mixste'], default: LITERATURE_LOSS_DEFAULTS.lambda_tcl, group: 'loss',
    description: 'MixSTE: weight of the temporal consistency loss (official 0.5).'},
  {key: 'lambda_mpjve', type: 'number', min: 0, backbones: ['mixste'], default: LITERATURE_LOSS_DEFAULTS.lambda_mpjve, group: 'loss',
    description: 'MixSTE: weight of the mean per-joint velocity error (official 2.0).'},
]

/** Eps of `partial(nn.LayerNorm, eps=1e-6)`, used everywhere except the head. */
const NORM_EPS = 1e-6
/** The head's `nn.LayerNorm(embed_dim)` keeps PyTorch's default eps. */
const HEAD_NORM_EPS = 1e-5

/** Frames the model needs per prediction: a clip of exactly `num_frame` frames, all predicted. */
export function mixsteReceptiveField(cfg: MixsteConfig): number {
  return cfg.num_frame
}

/**
 * MixSTE2 forward: 2D keypoints `[N, num_frame, num_joints, in_chans]` -> 3D joints
 * `[N, num_frame, num_joints, 3]`.
 */
export function mixsteForward<T>(ops: Ops<T>, x: T, cfg: MixsteConfig, prefix = 'backbone.'): T {
  return mixsteHead(ops, mixsteFeatures(ops, x, cfg, prefix), prefix)
}

/**
 * The features the official head reads: after the last temporal block and `Temporal_norm`,
 * `[N, num_frame, num_joints, embed_dim_ratio]`.
 */
export function mixsteFeatures<T>(ops: Ops<T>, x: T, cfg: MixsteConfig, prefix = 'backbone.'): T {
  checkInputDims(ops, x, cfg)
  const p = (name: string): string => prefix + name
  const F = cfg.num_frame
  const J = cfg.num_joints
  const C = cfg.embed_dim_ratio

  // Spatial stage of the first pair: joints of each frame are the tokens.
  let h = ops.reshape(x, [-1, J, cfg.in_chans]) // [N*F, J, in]
  h = ops.linear(h, p('Spatial_patch_to_embedding.weight'), p('Spatial_patch_to_embedding.bias')) // [N*F, J, C]
  h = ops.add(h, ops.param(p('Spatial_pos_embed'))) // + [1, J, C]
  h = block(ops, h, p('STEblocks.0.'), cfg, J)
  h = ops.layerNorm(h, p('Spatial_norm'), NORM_EPS)
  h = framesToJoints(ops, h, F, J, C) // [N*J, F, C]

  // Temporal stage of the first pair: frames of each joint are the tokens.
  h = ops.add(h, ops.param(p('Temporal_pos_embed'))) // + [1, F, C]
  h = block(ops, h, p('TTEblocks.0.'), cfg, F)
  h = ops.layerNorm(h, p('Temporal_norm'), NORM_EPS)

  for (let i = 1; i < cfg.depth; i++) {
    h = jointsToFrames(ops, h, F, J, C) // [N*F, J, C]
    h = block(ops, h, p(`STEblocks.${i}.`), cfg, J)
    h = ops.layerNorm(h, p('Spatial_norm'), NORM_EPS)
    h = framesToJoints(ops, h, F, J, C) // [N*J, F, C]
    h = block(ops, h, p(`TTEblocks.${i}.`), cfg, F)
    h = ops.layerNorm(h, p('Temporal_norm'), NORM_EPS)
  }

  h = ops.reshape(h, [-1, J, F, C]) // [N, J, F, C]
  return ops.transpose(h, [0, 2, 1, 3]) // [N, F, J, C]
}

/** The official `head`: LayerNorm (eps 1e-5) + Linear(C, 3), features `[N, F, J, C]` -> `[N, F, J, 3]`. */
export function mixsteHead<T>(ops: Ops<T>, features: T, prefix = 'backbone.'): T {
  const h = ops.layerNorm(features, `${prefix}head.0`, HEAD_NORM_EPS)
  return ops.linear(h, `${prefix}head.1.weight`, `${prefix}head.1.bias`)
}

/** `(b f) n c -> (b n) f c` */
function framesToJoints<T>(ops: Ops<T>, h: T, F: number, J: number, C: number): T {
  const t = ops.transpose(ops.reshape(h, [-1, F, J, C]), [0, 2, 1, 3]) // [N, J, F, C]
  return ops.reshape(t, [-1, F, C])
}

/** `(b n) f c -> (b f) n c` */
function jointsToFrames<T>(ops: Ops<T>, h: T, F: number, J: number, C: number): T {
  const t = ops.transpose(ops.reshape(h, [-1, J, F, C]), [0, 2, 1, 3]) // [N, F, J, C]
  return ops.reshape(t, [-1, J, C])
}

/**
 * Pre-norm transformer block (`Block` with changedim=False) over `[B, L, C]`:
 * x + attn(norm1 x), then x + mlp(norm2 x).
 */
function block<T>(ops: Ops<T>, x: T, p: string, cfg: MixsteConfig, L: number): T {
  let h = ops.add(x, attention(ops, ops.layerNorm(x, `${p}norm1`, NORM_EPS), `${p}attn.`, cfg, L))
  let m = ops.layerNorm(h, `${p}norm2`, NORM_EPS)
  m = ops.gelu(ops.linear(m, `${p}mlp.fc1.weight`, `${p}mlp.fc1.bias`))
  m = ops.linear(m, `${p}mlp.fc2.weight`, `${p}mlp.fc2.bias`)
  h = ops.add(h, m)
  return h
}

/** Multi-head self-attention over the middle axis of `[B, L, C]` with a fused qkv projection. */
function attention<T>(ops: Ops<T>, x: T, p: string, cfg: MixsteConfig, L: number): T {
  const C = cfg.embed_dim_ratio
  const H = cfg.num_heads
  const d = C / H
  const qkv = ops.linear(x, `${p}qkv.weight`, cfg.qkv_bias ? `${p}qkv.bias` : null) // [B, L, 3C], laid out as (3, H, d)
  const heads = (t: T): T => ops.transpose(ops.reshape(t, [-1, L, H, d]), [0, 2, 1, 3]) // [B, H, L, d]
  const q = heads(ops.slice(qkv, -1, 0, C))
  const k = heads(ops.slice(qkv, -1, C, 2 * C))
  const v = heads(ops.slice(qkv, -1, 2 * C, 3 * C))
  let attn = ops.scale(ops.matmul(q, k, {transposeB: true}), d ** -0.5) // [B, H, L, L]
  attn = ops.softmax(attn, -1)
  let o = ops.matmul(attn, v) // [B, H, L, d]
  o = ops.reshape(ops.transpose(o, [0, 2, 1, 3]), [-1, L, C]) // [B, L, C]
  return ops.linear(o, `${p}proj.weight`, `${p}proj.bias`)
}

function checkInputDims<T>(ops: Ops<T>, x: T, cfg: MixsteConfig): void {
  if (ops.rank(x) !== 4) {
    throw inputError(`MixSTE expects 2D keypoints [N, frames, joints, ${cfg.in_chans}], got a rank-${ops.rank(x)} input`)
  }
  const want: [number, number, string][] = [
    [1, cfg.num_frame, 'frames (num_frame)'],
    [2, cfg.num_joints, 'joints (num_joints)'],
    [3, cfg.in_chans, 'channels (in_chans)'],
  ]
  for (const [axis, size, what] of want) {
    const got = ops.dim(x, axis)
    if (isStaticDim(got) && got !== size) {
      throw inputError(`MixSTE expects ${size} ${what} on axis ${axis}, got ${got}`, {
        hint: axis === 1 ? `MixSTE predicts clips of exactly num_frame=${cfg.num_frame} frames; split or pad the sequence into clips of that length` : undefined,
      })
    }
  }
}

// ---- configuration ------------------------------------------------------------------------------

/** Parameter shapes by name (including the prefix given to the functions below). */
export type ParamShapes = ReadonlyMap<string, readonly number[]>

/**
 * Build the MixSTE config from the checkpoint's tensor shapes (what they pin down) and the given
 * config (the rest, e.g. `num_heads`). A given value that contradicts the checkpoint is an error.
 */
export function inferMixsteConfig(shapes: ParamShapes, given: RawConfig = {}, opts: {prefix?: string; file?: string} = {}): MixsteConfig {
  const prefix = opts.prefix ?? 'backbone.'
  const file = opts.file
  const shapeOf = (name: string): readonly number[] => {
    const s = shapes.get(prefix + name)
    if (!s) throw modelError(`not a MixSTE checkpoint: no tensor ${prefix + name}`, {file, hint: 'MixSTE checkpoints (MixSTE2) hold Spatial_patch_to_embedding, STEblocks.*, TTEblocks.* and head.* under model_pos'})
    return s
  }
  const embed = shapeOf('Spatial_patch_to_embedding.weight') // [C, in]
  const spatialPos = shapeOf('Spatial_pos_embed') // [1, J, C]
  const temporalPos = shapeOf('Temporal_pos_embed') // [1, F, C]
  const fc1 = shapeOf('STEblocks.0.mlp.fc1.weight') // [hidden, C]
  let depth = 0
  while (shapes.has(`${prefix}STEblocks.${depth}.attn.qkv.weight`)) depth++

  const inferred: Record<string, number | boolean | undefined> = {
    embed_dim_ratio: embed[0],
    in_chans: embed[1],
    num_joints: spatialPos[1],
    num_frame: temporalPos[1],
    depth,
    mlp_ratio: fc1[0]! / embed[0]!,
    qkv_bias: shapes.has(`${prefix}STEblocks.0.attn.qkv.bias`),
  }
  const cfg = resolveConfig(inferred, given, file)
  if (cfg.embed_dim_ratio % cfg.num_heads !== 0) {
    throw modelError(`MixSTE embed_dim_ratio ${cfg.embed_dim_ratio} is not divisible by num_heads ${cfg.num_heads}`, {file, hint: 'set num_heads to a divisor of embed_dim_ratio (the official run.py uses 8)'})
  }
  return cfg
}

/** A MixSTE config from a plain config alone (no checkpoint), e.g. to train from scratch. */
export function mixsteConfigFrom(given: RawConfig = {}, file?: string): MixsteConfig {
  const cfg = resolveConfig({}, given, file)
  if (cfg.embed_dim_ratio % cfg.num_heads !== 0) {
    throw inputError(`MixSTE embed_dim_ratio ${cfg.embed_dim_ratio} is not divisible by num_heads ${cfg.num_heads}`, {file})
  }
  return cfg
}

function resolveConfig(inferred: Readonly<Record<string, number | boolean | undefined>>, given: RawConfig, file: string | undefined): MixsteConfig {
  const out: Record<string, number | boolean> = {}
  for (const spec of MIXSTE_CONFIG_KEYS) {
    const key = spec.key
    const fromCkpt = inferred[key]
    const raw = given[key]
    if (raw === undefined || raw === null) {
      out[key] = fromCkpt ?? (MIXSTE_DEFAULTS[key] as number | boolean)
      continue
    }
    const value = checkValue(spec, raw, file)
    if (fromCkpt !== undefined && !sameValue(fromCkpt, value)) {
      throw modelError(`MixSTE config says ${key}=${String(value)} but the checkpoint has ${key}=${String(fromCkpt)}`, {
        file,
        hint: `remove ${key} from the config (it is read from the checkpoint) or use a matching checkpoint`,
      })
    }
    out[key] = value
  }
  return out as MixsteConfig
}

function checkValue(spec: ConfigKeySpec, raw: unknown, file: string | undefined): number | boolean {
  const bad = (what: string): never => {
    throw inputError(`MixSTE config key ${spec.key} ${what}, got ${JSON.stringify(raw)} (${spec.description})`, {file})
  }
  if (spec.type === 'boolean') return typeof raw === 'boolean' ? raw : bad('must be true or false')
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN
  if (!Number.isFinite(value)) return bad('must be a number')
  if (spec.type === 'integer' && !Number.isInteger(value)) bad('must be an integer')
  if (spec.min !== undefined && value < spec.min) bad(`must be >= ${spec.min}`)
  return value
}

function sameValue(a: number | boolean, b: number | boolean): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a))
  return a === b
}

/**
 * Every tensor of an official MixSTE2 state dict, by name (with prefix) and shape, for random
 * initialisation and missing/unexpected-key checks.
 */
export function mixsteParamShapes(cfg: MixsteConfig, prefix = 'backbone.'): Map<string, number[]> {
  const C = cfg.embed_dim_ratio
  const hidden = Math.floor(C * cfg.mlp_ratio + 1e-6) // int(dim * mlp_ratio), guarding 2.9999…
  const m = new Map<string, number[]>()
  const put = (name: string, shape: number[]): void => void m.set(prefix + name, shape)
  const linear = (name: string, out: number, inp: number, bias = true): void => {
    put(`${name}.weight`, [out, inp])
    if (bias) put(`${name}.bias`, [out])
  }
  const norm = (name: string): void => {
    put(`${name}.weight`, [C])
    put(`${name}.bias`, [C])
  }
  linear('Spatial_patch_to_embedding', C, cfg.in_chans)
  put('Spatial_pos_embed', [1, cfg.num_joints, C])
  put('Temporal_pos_embed', [1, cfg.num_frame, C])
  for (const stage of ['STEblocks', 'TTEblocks']) {
    for (let i = 0; i < cfg.depth; i++) {
      const b = `${stage}.${i}`
      norm(`${b}.norm1`)
      linear(`${b}.attn.qkv`, 3 * C, C, cfg.qkv_bias)
      linear(`${b}.attn.proj`, C, C)
      norm(`${b}.norm2`)
      linear(`${b}.mlp.fc1`, hidden, C)
      linear(`${b}.mlp.fc2`, C, hidden)
    }
  }
  norm('Spatial_norm')
  norm('Temporal_norm')
  norm('head.0')
  linear('head.1', 3, C)
  return m
}

/** Problem with a backbone input shape `[N, T, J, C]`, in words, or null. */
export function mixsteInputProblem(shape: readonly number[], cfg: MixsteConfig): string | null {
  if (shape.length !== 4) return `expected [N, T, J, C] (rank 4), got rank ${shape.length}`
  const [n, t, j, c] = shape as [number, number, number, number]
  if (n < 1) return `needs at least one clip, got N=${n}`
  if (t !== cfg.num_frame) return `has ${t} frames; MixSTE takes clips of exactly num_frame=${cfg.num_frame} frames`
  if (j !== cfg.num_joints) return `has ${j} joints, the model takes ${cfg.num_joints}`
  if (c !== cfg.in_chans) return `has ${c} channels per joint, the model takes ${cfg.in_chans} (in_chans; MixSTE reads x, y only)`
  return null
}

/**
 * Registry entry. The official head is part of the backbone (`backbone.head.*`), so
 * forwardFeatures returns the finished `pose3d` together with the features it reads
 * (`representation`, `[N, T, J, embed_dim_ratio]`) for heads that attach there.
 */
export const mixste: BackboneEntry<MixsteConfig> = {
  name: 'mixste',
  description: 'MixSTE (MixSTE2, common/model_cross.py): alternating spatial/temporal transformer blocks, seq2seq 2D-to-3D lifting with its own head',
  configKeys: MIXSTE_CONFIG_KEYS,
  defaults: MIXSTE_DEFAULTS,
  inputLayout: ['N', 'T', 'J', 'C'],
  outputs: ['pose3d', 'representation'],
  // Spatial (STEblocks.i) and temporal (TTEblocks.i) transformer blocks; the norms and the output
  // head (LayerNorm + Linear) follow them.
  blocks: numberedGroups(['STEblocks', 'TTEblocks'], (rel) => !/embed/i.test(rel)),
  // Its official objective on its pose3d output.
  poseLoss: (ops, outputs, gt, weights) => mixsteLoss(ops, outputs.pose3d!, gt, weights),
  lossKeys: MIXSTE_LOSS_KEYS,
  // Its own output head gives the 3D poses.
  poseHead: 'none',
  configRules: {frameKey: 'num_frame', divisible: [{key: 'embed_dim_ratio', by: 'num_heads', hint: HEAD_WIDTH_HINT}]},
  // full: the published model; lite: half its width; tiny: test-sized.
  benchSizes: {
    tiny: {embed_dim_ratio: 32, depth: 2, num_heads: 4, mlp_ratio: 2},
    lite: {embed_dim_ratio: 256, depth: 8, num_heads: 8, mlp_ratio: 2},
    full: {embed_dim_ratio: 512, depth: 8, num_heads: 8, mlp_ratio: 2},
  },
  // Clips of exactly num_frame frames, x and y only.
  benchClip: (frames) => ({num_frame: frames, in_chans: 2}),
  screenWindows: {kind: 'clips', description: 'clips of num_frame, the last one the final num_frame frames'},
  official: {
    signature: 'Spatial_patch_to_embedding.weight',
    // Trained on Human3.6M camera coordinates in metres.
    outputUnits: 'metres',
    toNative: (key) => key,
    toOfficial: (key) => key,
  },
  inferConfig(weights, partial) {
    return weights.has('Spatial_patch_to_embedding.weight') ? inferMixsteConfig(weights, partial, {prefix: ''}) : mixsteConfigFrom(partial)
  },
  expectedParams: (cfg) => mixsteParamShapes(cfg, ''),
  describeOutput: (cfg) => ({representationDim: cfg.embed_dim_ratio, numJoints: cfg.num_joints}),
  checkInput: mixsteInputProblem,
  forwardFeatures<T>(ops: Ops<T>, x: T, cfg: MixsteConfig, prefix: string): BackboneOutputs<T> {
    const representation = mixsteFeatures(ops, x, cfg, prefix)
    return {pose3d: mixsteHead(ops, representation, prefix), representation}
  },
}
