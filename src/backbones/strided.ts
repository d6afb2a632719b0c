/**
 * Strided Transformer (Li et al., TMM 2022), exactly as the official `Model` in
 * Vegetebird/StridedTransformer-Pose3D model/strided_transformer.py computes it in eval mode:
 *
 *   2D keypoints [N, frames, J, 2] -> Conv1d(k=1) + BatchNorm + ReLU -> [N, frames, channel]
 *   -> vanilla transformer encoder (VTE, `Transformer`) over all frames
 *        -> BatchNorm + Conv1d head `fcn_1`: `pose3d_full` [N, frames, J, 3] (full-to-single supervision)
 *   -> strided transformer encoder (STE, `Transformer_reduce`): strided Conv1d feed-forwards shrink
 *      the sequence by `stride_num[i]` per layer down to the centre frame
 *        -> BatchNorm + Conv1d head `fcn`: `pose3d` [N, 1, J, 3]
 *
 * Parameter names are the official state-dict keys under a prefix (`backbone.` by default).
 *
 * Details that matter for parity:
 *  - its LayerNorm is its own: `a_2 * (x - mean) / (std + 1e-6) + b_2` with the unbiased std
 *    (eps added to the std, not the variance), so it is composed here rather than ops.layerNorm;
 *  - attention has 8 heads (the code's fixed default `h=8`); feed-forwards use ReLU;
 *  - the STE adds `pos_embedding_{1,2,3}[:, :L]` before its first three layers only, and its
 *    residual on a strided layer is `MaxPool1d(1, stride)`, i.e. every stride-th frame;
 *  - both encoders' final `norm` exist in the state dict but are never applied;
 *  - BatchNorms use running statistics (eps 1e-5) in eval mode.
 */
import {inputError, modelError} from '../core/errors.js'
import {LITERATURE_LOSS_DEFAULTS, stridedLoss} from '../nn/losses-literature.js'
import type {ConfigKeySpec, RawConfig} from '../config/types.js'
import type {Ops} from '../nn/ops.js'
import {isStaticDim} from '../nn/ops.js'
import type {BackboneEntry, BackboneOutputs, BlockLayout} from '../nn/registry/backbone.js'
import {type NDArray, shapeString} from '../core/ndarray.js'

export interface StridedConfig {
  [key: string]: number | boolean | string | readonly number[]
  /** Frames per window (receptive field); the output is its centre frame. */
  frames: number
  /** Temporal stride of each STE layer; their product reduces `frames` to 1. */
  stride_num: number[]
  /** Feature width of both encoders. */
  channel: number
  /** Feed-forward hidden width. */
  d_hid: number
  /** VTE layers. */
  layers: number
  n_joints: number
  out_joints: number
}

/** Attention heads: the official code never changes `Transformer(..., h=8)`. */
export const STRIDED_HEADS = 8

/** stride_num the official common/opt.py picks for each supported `frames`. */
export const STRIDED_OFFICIAL_STRIDES: Readonly<Record<number, readonly number[]>> = {
  27: [3, 3, 3],
  351: [3, 9, 13],
}

/** Defaults of the official common/opt.py (frames 351 with its stride_num). */
export const STRIDED_DEFAULTS: StridedConfig = {
  frames: 351,
  stride_num: [3, 9, 13],
  channel: 256,
  d_hid: 512,
  layers: 3,
  n_joints: 17,
  out_joints: 17,
}

export const STRIDED_CONFIG_KEYS: readonly ConfigKeySpec[] = [
  {key: 'frames', type: 'integer', backbones: ['strided'], min: 1, default: STRIDED_DEFAULTS.frames, inferable: true, description: 'Frames per input window (odd); the model predicts its centre frame.'},
  {key: 'stride_num', type: 'integer[]', backbones: ['strided'], min: 1, default: STRIDED_DEFAULTS.stride_num,
    description: 'Temporal stride of each strided-encoder layer; their product reduces frames to 1 (unset: the official choice for frames 27 and 351).'},
  {key: 'channel', type: 'integer', backbones: ['strided'], min: 8, default: STRIDED_DEFAULTS.channel, inferable: true, description: 'Model width of both encoders (divisible by its 8 attention heads).'},
  {key: 'd_hid', type: 'integer', backbones: ['strided'], min: 1, default: STRIDED_DEFAULTS.d_hid, inferable: true, description: 'Hidden width of the feed-forward layers.'},
  {key: 'layers', type: 'integer', backbones: ['strided'], min: 1, default: STRIDED_DEFAULTS.layers, inferable: true, description: 'Layers of the vanilla (full-sequence) transformer encoder.'},
  {key: 'n_joints', type: 'integer', backbones: ['strided'], min: 1, default: STRIDED_DEFAULTS.n_joints, inferable: true, description: 'Input joints per frame.'},
  {key: 'out_joints', type: 'integer', backbones: ['strided'], min: 1, default: STRIDED_DEFAULTS.out_joints, inferable: true, description: 'Output joints per frame.'},
]

/** Config keys of the Strided Transformer's objective (nn/losses-literature.ts stridedLoss); defaults: the official values. */
export const STRIDED_LOSS_KEYS: readonly ConfigKeySpec[] = [
  {key: 'lambda_full', type: 'number', min: 0, backbones: ['strided'], default: LITERATURE_LOSS_DEFAULTS.lambda_full, group: 'loss',
    description: "Strided Transformer: weight of MPJPE on the full-sequence (VTE) output (full-to-single supervision; official 1)."},
  {key: 'lambda_single', type: 'number', min: 0, backbones: ['strided'], default: LITERATURE_LOSS_DEFAULTS.lambda_single, group: 'loss',
    description: 'Strided Transformer: weight of MPJPE on the centre-frame (STE) output (official 1).'},
]

/** Benchmark strides: the official ones where they exist; others shrink 3, 3, then the rest. */
const BENCH_STRIDES: Readonly<Record<number, readonly number[]>> = {27: [3, 3, 3], 81: [3, 3, 9], 243: [3, 9, 9], 351: [3, 9, 13]}

/** stride_num for a benchmark window of `frames`: reduces any window to its centre frame. */
export function stridesFor(frames: number): number[] {
  const known = BENCH_STRIDES[frames]
  if (known) return [...known]
  const after = (len: number, s: number): number => Math.floor((len - 1) / s) + 1
  const rest = after(after(frames, 3), 3)
  return [3, 3, Math.max(rest, 1)]
}

const NORM_EPS = 1e-6
const BN_EPS = 1e-5
/** Official dropout rates (identity in eval mode). */
const ENCODER_DROPOUT = 0.25
const DROPOUT = 0.1

export interface StridedOutputs<T> {
  /** The STE's centre-frame prediction `[N, 1, out_joints, 3]`. */
  pose3d: T
  /** The VTE's full-sequence prediction `[N, frames, out_joints, 3]`. */
  pose3d_full: T
}

/** Frames the model needs per prediction: a window of exactly `frames`, predicting its centre. */
export function stridedReceptiveField(cfg: StridedConfig): number {
  return cfg.frames
}

/** Sequence length after each STE layer (conv k=3, pad 1, stride s: floor((L-1)/s)+1). */
export function stridedLengths(cfg: Pick<StridedConfig, 'frames' | 'stride_num'>): number[] {
  const lengths = [cfg.frames]
  for (const s of cfg.stride_num) lengths.push(Math.floor((lengths[lengths.length - 1]! - 1) / s) + 1)
  return lengths
}

/** Strided Transformer forward: 2D keypoints `[N, frames, n_joints, 2]` -> both predictions. */
export function stridedForward<T>(ops: Ops<T>, x: T, cfg: StridedConfig, prefix = 'backbone.'): StridedOutputs<T> {
  checkInputDims(ops, x, cfg)
  const p = (name: string): string => prefix + name
  const F = cfg.frames
  const J = cfg.n_joints
  const C = cfg.channel

  // 'b f j c -> b (j c) f'
  let h = ops.transpose(ops.reshape(x, [-1, F, J * 2]), [0, 2, 1]) // [N, 2J, F]
  h = ops.conv1d(h, p('encoder.0.weight'), p('encoder.0.bias'), {}) // [N, C, F]
  h = ops.relu(ops.batchNorm(h, p('encoder.1'), BN_EPS))
  h = ops.dropout(h, ENCODER_DROPOUT)
  h = ops.transpose(h, [0, 2, 1]) // [N, F, C]

  // Vanilla transformer encoder over the whole window.
  h = ops.add(h, ops.param(p('Transformer.pos_embedding'))) // + [1, F, C]
  for (let i = 0; i < cfg.layers; i++) {
    const l = p(`Transformer.model.layers.${i}.`)
    h = ops.add(h, ops.dropout(attention(ops, norm(ops, h, `${l}sublayer.0.norm`), `${l}self_attn.`, F, C), DROPOUT))
    let ff = norm(ops, h, `${l}sublayer.1.norm`)
    ff = ops.dropout(ops.relu(ops.linear(ff, `${l}feed_forward.w_1.weight`, `${l}feed_forward.w_1.bias`)), DROPOUT)
    ff = ops.linear(ff, `${l}feed_forward.w_2.weight`, `${l}feed_forward.w_2.bias`)
    h = ops.add(h, ops.dropout(ff, DROPOUT))
  }
  const full = outputHead(ops, h, p('fcn_1'), cfg, F) // [N, F, J, 3]

  // Strided transformer encoder: layer i maps length L to floor((L-1)/s_i)+1.
  const lengths = stridedLengths(cfg)
  for (let i = 0; i < cfg.stride_num.length; i++) {
    const L = lengths[i]!
    const s = cfg.stride_num[i]!
    const l = p(`Transformer_reduce.model.layers.${i}.`)
    if (i < 3) {
      // pos_embedding_{i+1}[:, :L]
      let pos = ops.param(p(`Transformer_reduce.model.pos_embedding_${i + 1}`)) // [1, F, C]
      if (L !== F) pos = ops.slice(pos, 1, 0, L)
      h = ops.add(h, pos)
    }
    h = ops.add(h, ops.dropout(attention(ops, norm(ops, h, `${l}sublayer.0.norm`), `${l}self_attn.`, L, C), DROPOUT))
    let ff = ops.transpose(norm(ops, h, `${l}sublayer.1.norm`), [0, 2, 1]) // [N, C, L]
    ff = ops.relu(ops.conv1d(ff, `${l}feed_forward.w_1.weight`, `${l}feed_forward.w_1.bias`, {}))
    ff = ops.dropout(ff, DROPOUT)
    ff = ops.conv1d(ff, `${l}feed_forward.w_2.weight`, `${l}feed_forward.w_2.bias`, {stride: s, padding: 1}) // [N, C, L']
    ff = ops.transpose(ff, [0, 2, 1]) // [N, L', C]
    // Residual: MaxPool1d(kernel 1, stride s) keeps frames 0, s, 2s, ...
    const residual = s === 1 ? h : ops.gather(h, everyNth(L, s), 1)
    h = ops.add(residual, ops.dropout(ff, DROPOUT))
  }
  const centre = outputHead(ops, h, p('fcn'), cfg, lengths[lengths.length - 1]!) // [N, 1, J, 3]
  return {pose3d: centre, pose3d_full: full}
}

/** BatchNorm + Conv1d(k=1) over `[N, L, C]`, then `'b (j c) f -> b f j c'` with j = n_joints. */
function outputHead<T>(ops: Ops<T>, h: T, p: string, cfg: StridedConfig, L: number): T {
  let y = ops.transpose(h, [0, 2, 1]) // [N, C, L]
  y = ops.batchNorm(y, `${p}.0`, BN_EPS)
  y = ops.conv1d(y, `${p}.1.weight`, `${p}.1.bias`, {}) // [N, 3*out_joints, L]
  const J = cfg.n_joints
  y = ops.reshape(y, [-1, J, (3 * cfg.out_joints) / J, L]) // [N, J, c, L]
  return ops.transpose(y, [0, 3, 1, 2]) // [N, L, J, c]
}

/** The official LayerNorm: a_2 * (x - mean) / (unbiased std + eps) + b_2 over the last axis. */
function norm<T>(ops: Ops<T>, x: T, p: string): T {
  const C = ops.dim(x, -1)
  if (!isStaticDim(C)) throw new Error('strided LayerNorm needs a static feature axis')
  const centred = ops.sub(x, ops.mean(x, [-1], true))
  const variance = ops.scale(ops.sum(ops.mul(centred, centred), [-1], true), 1 / (C - 1))
  const normalised = ops.div(centred, ops.addScalar(ops.sqrt(variance), NORM_EPS))
  return ops.add(ops.mul(normalised, ops.param(`${p}.a_2`)), ops.param(`${p}.b_2`))
}

/** MultiHeadedAttention: separate q/k/v projections (linears.0-2), output projection linears.3. */
function attention<T>(ops: Ops<T>, x: T, p: string, L: number, C: number): T {
  const d = C / STRIDED_HEADS
  const heads = (i: number): T => {
    const t = ops.linear(x, `${p}linears.${i}.weight`, `${p}linears.${i}.bias`) // [B, L, C]
    return ops.transpose(ops.reshape(t, [-1, L, STRIDED_HEADS, d]), [0, 2, 1, 3]) // [B, H, L, d]
  }
  const q = heads(0)
  const k = heads(1)
  const v = heads(2)
  let attn = ops.scale(ops.matmul(q, k, {transposeB: true}), 1 / Math.sqrt(d)) // [B, H, L, L]
  attn = ops.dropout(ops.softmax(attn, -1), DROPOUT)
  const o = ops.reshape(ops.transpose(ops.matmul(attn, v), [0, 2, 1, 3]), [-1, L, C]) // [B, L, C]
  return ops.linear(o, `${p}linears.3.weight`, `${p}linears.3.bias`)
}

function everyNth(length: number, step: number): number[] {
  const out: number[] = []
  for (let i = 0; i < length; i += step) out.push(i)
  return out
}

function checkInputDims<T>(ops: Ops<T>, x: T, cfg: StridedConfig): void {
  if (ops.rank(x) !== 4) {
    throw inputError(`the Strided Transformer expects 2D keypoints [N, frames, joints, 2], got a rank-${ops.rank(x)} input`)
  }
  const want: [number, number, string][] = [
    [1, cfg.frames, 'frames'],
    [2, cfg.n_joints, 'joints (n_joints)'],
    [3, 2, 'channels (x, y)'],
  ]
  for (const [axis, size, what] of want) {
    const got = ops.dim(x, axis)
    if (isStaticDim(got) && got !== size) {
      throw inputError(`the Strided Transformer expects ${size} ${what} on axis ${axis}, got ${got}`, {
        hint: axis === 1 ? `it predicts the centre frame of windows of exactly frames=${cfg.frames}; predict slides such a window over the sequence` : undefined,
      })
    }
  }
}

// ---- configuration ------------------------------------------------------------------------------

export type ParamShapes = ReadonlyMap<string, readonly number[]>

/**
 * Build the config from the checkpoint's tensor shapes and the given config. Shapes pin down
 * everything but the stride values; those come from `stride_num` in the config or, for frames
 * 27 and 351, the official common/opt.py choice. A given value contradicting the checkpoint is an error.
 */
export function inferStridedConfig(shapes: ParamShapes, given: RawConfig = {}, opts: {prefix?: string; file?: string} = {}): StridedConfig {
  const prefix = opts.prefix ?? 'backbone.'
  const file = opts.file
  const shapeOf = (name: string): readonly number[] => {
    const s = shapes.get(prefix + name)
    if (!s) throw modelError(`not a Strided Transformer checkpoint: no tensor ${prefix + name}`, {file, hint: 'Strided Transformer checkpoints hold encoder.*, Transformer.*, Transformer_reduce.*, fcn.* and fcn_1.*'})
    return s
  }
  const count = (stem: string): number => {
    let n = 0
    while (shapes.has(`${prefix}${stem}.${n}.self_attn.linears.0.weight`)) n++
    return n
  }
  const encoder = shapeOf('encoder.0.weight') // [C, 2J, 1]
  const inferred: Record<string, number | undefined> = {
    channel: encoder[0],
    n_joints: encoder[1]! / 2,
    frames: shapeOf('Transformer.pos_embedding')[1],
    d_hid: shapeOf('Transformer.model.layers.0.feed_forward.w_1.weight')[0],
    layers: count('Transformer.model.layers'),
    out_joints: shapeOf('fcn.1.weight')[0]! / 3,
  }
  const steLayers = count('Transformer_reduce.model.layers')
  const cfg = resolveConfig(inferred, given, file, steLayers)
  validate(cfg, file, modelError)
  return cfg
}

/** A config from a plain config alone (no checkpoint), e.g. to train from scratch. */
export function stridedConfigFrom(given: RawConfig = {}, file?: string): StridedConfig {
  const cfg = resolveConfig({}, given, file, undefined)
  validate(cfg, file, inputError)
  return cfg
}

function resolveConfig(inferred: Readonly<Record<string, number | undefined>>, given: RawConfig, file: string | undefined, steLayers: number | undefined): StridedConfig {
  const out: Record<string, number | number[]> = {}
  for (const spec of STRIDED_CONFIG_KEYS) {
    const key = spec.key
    if (key === 'stride_num') continue
    const fromCkpt = inferred[key]
    const raw = given[key]
    if (raw === undefined || raw === null) {
      out[key] = fromCkpt ?? (STRIDED_DEFAULTS[key] as number)
      continue
    }
    const value = positiveInteger(raw, spec, file)
    if (fromCkpt !== undefined && fromCkpt !== value) {
      throw modelError(`Strided Transformer config says ${key}=${value} but the checkpoint has ${key}=${fromCkpt}`, {
        file,
        hint: `remove ${key} from the config (it is read from the checkpoint) or use a matching checkpoint`,
      })
    }
    out[key] = value
  }
  const frames = out.frames as number
  const strideSpec = STRIDED_CONFIG_KEYS.find((k) => k.key === 'stride_num')!
  const raw = given.stride_num
  let strides: number[]
  if (raw !== undefined && raw !== null) {
    if (!Array.isArray(raw) || raw.length === 0) {
      throw inputError(`Strided Transformer config key stride_num must be a list of positive integers, got ${JSON.stringify(raw)}`, {file})
    }
    strides = raw.map((v) => positiveInteger(v, strideSpec, file))
  } else if (STRIDED_OFFICIAL_STRIDES[frames]) {
    strides = [...STRIDED_OFFICIAL_STRIDES[frames]!]
  } else {
    throw inputError(`Strided Transformer config needs stride_num for frames=${frames}`, {
      file,
      hint: `give stride_num (one stride per strided-encoder layer${steLayers ? `, ${steLayers} here` : ''}) whose strides reduce ${frames} frames to 1, e.g. [3, 3, 3] for 27`,
    })
  }
  if (steLayers !== undefined && strides.length !== steLayers) {
    throw modelError(`Strided Transformer stride_num has ${strides.length} entries but the checkpoint has ${steLayers} strided-encoder layers`, {
      file,
      hint: `give ${steLayers} strides in stride_num`,
    })
  }
  out.stride_num = strides
  return out as StridedConfig
}

function positiveInteger(raw: unknown, spec: ConfigKeySpec, file: string | undefined): number {
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN
  if (!Number.isInteger(value) || value < (spec.min ?? 1)) {
    throw inputError(`Strided Transformer config key ${spec.key} must be ${spec.type === 'integer[]' ? 'a list of positive integers' : `an integer >= ${spec.min ?? 1}`}, got ${JSON.stringify(raw)} (${spec.description})`, {file})
  }
  return value
}

function validate(cfg: StridedConfig, file: string | undefined, fail: typeof modelError): void {
  if (cfg.channel % STRIDED_HEADS !== 0) throw fail(`Strided Transformer channel ${cfg.channel} is not divisible by its ${STRIDED_HEADS} attention heads`, {file})
  if (!Number.isInteger(cfg.n_joints) || !Number.isInteger(cfg.out_joints) || (3 * cfg.out_joints) % cfg.n_joints !== 0) {
    throw fail(`Strided Transformer n_joints=${cfg.n_joints} and out_joints=${cfg.out_joints} do not fit its output layout`, {file})
  }
  const lengths = stridedLengths(cfg)
  if (lengths[lengths.length - 1] !== 1) {
    throw fail(`Strided Transformer stride_num [${cfg.stride_num.join(', ')}] reduces frames=${cfg.frames} to ${lengths[lengths.length - 1]} frames, not 1`, {
      file,
      hint: 'the strides must shrink the window to its centre frame, e.g. [3, 3, 3] for 27 frames, [3, 3, 9] for 81, [3, 9, 13] for 351',
    })
  }
}

/**
 * Every float tensor of an official state dict (BatchNorm `num_batches_tracked` counters are
 * int64 and left out), by name with prefix, for initialisation and missing/unexpected-key checks.
 */
export function stridedParamShapes(cfg: StridedConfig, prefix = 'backbone.'): Map<string, number[]> {
  const C = cfg.channel
  const m = new Map<string, number[]>()
  const put = (name: string, shape: number[]): void => void m.set(prefix + name, shape)
  const withBias = (name: string, weight: number[]): void => {
    put(`${name}.weight`, weight)
    put(`${name}.bias`, [weight[0]!])
  }
  const batchNorm = (name: string): void => {
    for (const t of ['weight', 'bias', 'running_mean', 'running_var']) put(`${name}.${t}`, [C])
  }
  const layerNorm = (name: string): void => {
    put(`${name}.a_2`, [C])
    put(`${name}.b_2`, [C])
  }
  const layer = (stem: string, conv: boolean): void => {
    for (let k = 0; k < 4; k++) withBias(`${stem}.self_attn.linears.${k}`, [C, C])
    withBias(`${stem}.feed_forward.w_1`, conv ? [cfg.d_hid, C, 1] : [cfg.d_hid, C])
    withBias(`${stem}.feed_forward.w_2`, conv ? [C, cfg.d_hid, 3] : [C, cfg.d_hid])
    layerNorm(`${stem}.sublayer.0.norm`)
    layerNorm(`${stem}.sublayer.1.norm`)
  }
  withBias('encoder.0', [C, 2 * cfg.n_joints, 1])
  batchNorm('encoder.1')
  put('Transformer.pos_embedding', [1, cfg.frames, C])
  for (let i = 0; i < cfg.layers; i++) layer(`Transformer.model.layers.${i}`, false)
  layerNorm('Transformer.model.norm')
  for (let k = 1; k <= 3; k++) put(`Transformer_reduce.model.pos_embedding_${k}`, [1, cfg.frames, C])
  for (let i = 0; i < cfg.stride_num.length; i++) layer(`Transformer_reduce.model.layers.${i}`, true)
  layerNorm('Transformer_reduce.model.norm')
  batchNorm('fcn.0')
  withBias('fcn.1', [3 * cfg.out_joints, C, 1])
  batchNorm('fcn_1.0')
  withBias('fcn_1.1', [3 * cfg.out_joints, C, 1])
  return m
}

/** Problem with a backbone input shape `[N, T, J, 2]`, in words, or null. */
export function stridedInputProblem(shape: readonly number[], cfg: StridedConfig): string | null {
  if (shape.length !== 4) return `expected [N, T, J, 2] (rank 4), got rank ${shape.length}`
  const [n, t, j, c] = shape as [number, number, number, number]
  if (n < 1) return `needs at least one window, got N=${n}`
  if (t !== cfg.frames) return `has ${t} frames; the Strided Transformer takes windows of exactly frames=${cfg.frames} and predicts the centre one`
  if (j !== cfg.n_joints) return `has ${j} joints, the model takes ${cfg.n_joints}`
  if (c !== 2) return `has ${c} channels per joint, the model takes 2 (x, y)`
  return null
}
/**
 * The Strided Transformer's blocks: the vanilla encoder's layers (0..layers-1), then the strided
 * encoder's (layers..). The convolutional embedding (encoder.*) and the positional embeddings come
 * before; the norms and output convolutions (fcn, fcn_1) after.
 */
const STRIDED_BLOCKS: BlockLayout = {
  numbering(relNames) {
    const vanilla = /^Transformer\.model\.layers\.(\d+)\./
    const reduce = /^Transformer_reduce\.model\.layers\.(\d+)\./
    let layers = 0
    for (const n of relNames) {
      const m = vanilla.exec(n)
      if (m) layers = Math.max(layers, Number(m[1]) + 1)
    }
    return (rel) => {
      const v = vanilla.exec(rel)
      if (v) return Number(v[1])
      const r = reduce.exec(rel)
      return r ? layers + Number(r[1]) : null
    }
  },
  afterBlocks: (rel) => !/^encoder\.|pos_embedding/.test(rel),
}


/**
 * Registry entry. The official output layers (`fcn`, `fcn_1`) are part of the backbone, so
 * forwardFeatures returns the finished predictions: `pose3d` (centre frame) and `pose3d_full`.
 */
export const strided: BackboneEntry<StridedConfig> = {
  name: 'strided',
  description: 'Strided Transformer (model/strided_transformer.py): full-sequence VTE plus strided STE to the centre frame, 2D-to-3D lifting with its own heads',
  configKeys: STRIDED_CONFIG_KEYS,
  defaults: STRIDED_DEFAULTS,
  inputLayout: ['N', 'T', 'J', 'C'],
  outputs: ['pose3d', 'pose3d_full'],
  blocks: STRIDED_BLOCKS,
  // Its official full-to-single objective on the centre frame and the full window.
  poseLoss: (ops, outputs, gt, weights) => stridedLoss(ops, outputs.pose3d!, outputs.pose3d_full!, gt, weights),
  lossKeys: STRIDED_LOSS_KEYS,
  // Its own output layers give the 3D poses.
  poseHead: 'none',
  configRules: {frameKey: 'frames'},
  // full: the published model; lite: half its width; tiny: test-sized.
  benchSizes: {
    tiny: {channel: 32, d_hid: 64, layers: 2},
    lite: {channel: 128, d_hid: 256, layers: 3},
    full: {channel: 256, d_hid: 512, layers: 3},
  },
  benchClip: (frames) => ({frames, stride_num: stridesFor(frames)}),
  screenWindows: {kind: 'centre-frame', description: 'one centred window per frame, edge-padded'},
  official: {
    signature: 'Transformer_reduce.model.pos_embedding_1',
    // Trained on Human3.6M camera coordinates in metres.
    outputUnits: 'metres',
    // BatchNorm's int64 step counters play no part in eval or training here.
    toNative: (key) => (key.endsWith('.num_batches_tracked') ? null : key),
    toOfficial: (key) => key,
  },
  inferConfig(weights, partial) {
    return weights.has('encoder.0.weight') ? inferStridedConfig(weights, partial, {prefix: ''}) : stridedConfigFrom(partial)
  },
  expectedParams: (cfg) => stridedParamShapes(cfg, ''),
  describeOutput: (cfg) => ({representationDim: cfg.channel, numJoints: cfg.out_joints}),
  checkInput: stridedInputProblem,
  forwardFeatures<T>(ops: Ops<T>, x: T, cfg: StridedConfig, prefix: string): BackboneOutputs<T> {
    const {pose3d, pose3d_full} = stridedForward(ops, x, cfg, prefix)
    return {pose3d, pose3d_full}
  },
}

/**
 * The windows the official evaluation feeds the model to predict every frame of a sequence:
 * window t is frames t-pad .. t+pad (pad = (frames-1)/2) of the sequence padded by repeating its
 * first and last frame ('edge'), so `pose3d` of window t is frame t's prediction.
 * `sequence` is `[T, J, C]`; the result is `[T, frames, J, C]`.
 */
export function stridedWindows(sequence: NDArray, frames: number): NDArray {
  if (sequence.shape.length !== 3) throw inputError(`stridedWindows expects a [T, J, C] sequence, got ${shapeString(sequence.shape)}`)
  const [T, J, C] = sequence.shape as [number, number, number]
  if (T < 1) throw inputError('the sequence has no frames')
  const pad = Math.floor((frames - 1) / 2)
  const frameSize = J * C
  const out = new Float32Array(T * frames * frameSize)
  for (let t = 0; t < T; t++) {
    for (let k = 0; k < frames; k++) {
      const source = Math.min(T - 1, Math.max(0, t - pad + k))
      out.set(sequence.data.subarray(source * frameSize, (source + 1) * frameSize), (t * frames + k) * frameSize)
    }
  }
  return {data: out, shape: [T, frames, J, C]}
}

