/**
 * DSTformer (MotionBERT, lib/model/DSTformer.py): a joint embedding plus spatial and temporal
 * positional embeddings, then `depth` pairs of blocks run side by side — spatial-then-temporal
 * (blocks_st) and temporal-then-spatial (blocks_ts) — fused per joint by learned weights
 * (`ts_attn`, when att_fuse) or averaged, a final LayerNorm and the tanh `pre_logits` projection to
 * the representation. The `head` Linear of the official module is the pose3d head (src/heads/pose3d.ts).
 *
 * Written against Ops<T> so the tfjs executor and the ONNX recorder run this same code: the frame
 * count comes from `ops.dim` (maybe symbolic) and dynamic sizes are `-1` in reshapes.
 */
import type {ConfigKeySpec, RawConfig} from '../config/types.js'
import {modelError} from '../core/errors.js'
import {resolveConfig} from '../nn/registry/entry-config.js'
import type {Dim, Ops} from '../nn/ops.js'
import {type BackboneEntry, numberedGroups, type ParamShapes} from '../nn/registry/backbone.js'
import {ATTENTION_HEADS_DESCRIPTION, HEAD_WIDTH_HINT, MLP_RATIO_DESCRIPTION, NUM_JOINTS_DESCRIPTION, QKV_BIAS_DESCRIPTION} from './shared-keys.js'

export interface DstformerConfig {
  [key: string]: number | boolean | string
  dim_in: number
  dim_feat: number
  /** 0: no pre_logits (the representation is the normed features). */
  dim_rep: number
  depth: number
  num_heads: number
  mlp_ratio: number
  num_joints: number
  maxlen: number
  att_fuse: boolean
  qkv_bias: boolean
  drop_rate: number
  attn_drop_rate: number
  norm_eps: number
}

// Defaults are the released MotionBERT model's (configs/pretrain/MB_pretrain.yaml).
const CONFIG_KEYS: readonly ConfigKeySpec[] = [
  {key: 'dim_in', type: 'integer', min: 1, default: 3, inferable: true, description: 'Input channels per joint: 3 (x, y, confidence) or 2 (x, y, with no_conf).'},
  {key: 'dim_feat', type: 'integer', min: 1, default: 512, inferable: true, description: 'Feature width of the transformer blocks; must be divisible by num_heads.'},
  {key: 'dim_rep', type: 'integer', min: 0, default: 512, inferable: true, description: 'Width of the motion representation (pre-logits, tanh) that the task heads read; 0 for none.'},
  {key: 'depth', type: 'integer', min: 1, default: 5, inferable: true, description: 'Number of dual-stream blocks.'},
  {key: 'num_heads', type: 'integer', min: 1, default: 8, description: ATTENTION_HEADS_DESCRIPTION},
  {key: 'mlp_ratio', type: 'number', min: 0, exclusiveMin: true, default: 2, inferable: true, description: MLP_RATIO_DESCRIPTION},
  {key: 'num_joints', type: 'integer', min: 1, default: 17, inferable: true, description: NUM_JOINTS_DESCRIPTION},
  {key: 'maxlen', type: 'integer', min: 1, default: 243, inferable: true, description: 'Longest clip the temporal positional embedding covers (frames).'},
  {key: 'att_fuse', type: 'boolean', default: true, inferable: true, description: 'Fuse the spatial-temporal and temporal-spatial streams with learned adaptive weights per joint (else average them).'},
  {key: 'qkv_bias', type: 'boolean', default: true, inferable: true, description: QKV_BIAS_DESCRIPTION},
  {key: 'drop_rate', type: 'number', min: 0, max: 1, default: 0, description: 'Dropout after embeddings, attention projections and MLPs (training only).'},
  {key: 'attn_drop_rate', type: 'number', min: 0, max: 1, default: 0, description: 'Dropout on attention weights (training only).'},
  {key: 'norm_eps', type: 'number', min: 0, default: 1e-5, description: 'LayerNorm epsilon (nn.LayerNorm default; the official training scripts build with 1e-6).'},
]

const DEFAULTS = Object.fromEntries(CONFIG_KEYS.map((s) => [s.key, s.default])) as DstformerConfig

/** int(dim * mlp_ratio) as in the official Block (guarding against 2.9999… from float ratios). */
function mlpHidden(c: DstformerConfig): number {
  return Math.floor(c.dim_feat * c.mlp_ratio + 1e-6)
}

function inferConfig(weights: ParamShapes, partial: RawConfig): DstformerConfig {
  const shape = (k: string): readonly number[] | undefined => weights.get(k)
  const embed = shape('joints_embed.weight') // [dim_feat, dim_in]
  const inferred: Record<string, number | boolean | undefined> = {}
  if (embed) {
    inferred.dim_feat = embed[0]
    inferred.dim_in = embed[1]
    const preLogits = shape('pre_logits.fc.weight') // [dim_rep, dim_feat]
    inferred.dim_rep = preLogits ? preLogits[0] : 0
    let depth = 0
    while (weights.has(`blocks_st.${depth}.norm1_s.weight`)) depth++
    if (depth > 0) inferred.depth = depth
    const fc1 = shape('blocks_st.0.mlp_s.fc1.weight') // [hidden, dim_feat]
    if (fc1 && embed[0]) inferred.mlp_ratio = fc1[0]! / embed[0]
    inferred.att_fuse = weights.has('ts_attn.0.weight')
    inferred.qkv_bias = weights.has('blocks_st.0.attn_s.qkv.bias')
  }
  const temp = shape('temp_embed') // [1, maxlen, 1, dim_feat]
  if (temp) inferred.maxlen = temp[1]
  const pos = shape('pos_embed') // [1, num_joints, dim_feat]
  if (pos) inferred.num_joints = pos[1]
  const config = resolveConfig<DstformerConfig>(CONFIG_KEYS, partial, inferred, 'dstformer')
  if (config.dim_feat % config.num_heads !== 0) {
    throw modelError(`dstformer: num_heads ${config.num_heads} does not divide dim_feat ${config.dim_feat}`, {
      hint: 'num_heads cannot be read from the weights; set num_heads in the config (MotionBERT models use 8)',
    })
  }
  return config
}

function expectedParams(c: DstformerConfig): Map<string, number[]> {
  const d = c.dim_feat
  const h = mlpHidden(c)
  const p = new Map<string, number[]>()
  p.set('joints_embed.weight', [d, c.dim_in])
  p.set('joints_embed.bias', [d])
  p.set('pos_embed', [1, c.num_joints, d])
  p.set('temp_embed', [1, c.maxlen, 1, d])
  for (const stream of ['blocks_st', 'blocks_ts']) {
    for (let i = 0; i < c.depth; i++) {
      const b = `${stream}.${i}`
      for (const norm of ['norm1_s', 'norm1_t', 'norm2_s', 'norm2_t']) {
        p.set(`${b}.${norm}.weight`, [d])
        p.set(`${b}.${norm}.bias`, [d])
      }
      for (const attn of ['attn_s', 'attn_t']) {
        p.set(`${b}.${attn}.qkv.weight`, [3 * d, d])
        if (c.qkv_bias) p.set(`${b}.${attn}.qkv.bias`, [3 * d])
        p.set(`${b}.${attn}.proj.weight`, [d, d])
        p.set(`${b}.${attn}.proj.bias`, [d])
      }
      for (const mlp of ['mlp_s', 'mlp_t']) {
        p.set(`${b}.${mlp}.fc1.weight`, [h, d])
        p.set(`${b}.${mlp}.fc1.bias`, [h])
        p.set(`${b}.${mlp}.fc2.weight`, [d, h])
        p.set(`${b}.${mlp}.fc2.bias`, [d])
      }
    }
  }
  p.set('norm.weight', [d])
  p.set('norm.bias', [d])
  if (c.dim_rep > 0) {
    p.set('pre_logits.fc.weight', [c.dim_rep, d])
    p.set('pre_logits.fc.bias', [c.dim_rep])
  }
  if (c.att_fuse) {
    for (let i = 0; i < c.depth; i++) {
      p.set(`ts_attn.${i}.weight`, [2, 2 * d])
      p.set(`ts_attn.${i}.bias`, [2])
    }
  }
  return p
}

function checkInput(shape: readonly number[], c: DstformerConfig): string | null {
  if (shape.length !== 4) return `expected [N, T, J, C] (rank 4), got rank ${shape.length}`
  const [n, t, j, ch] = shape as [number, number, number, number]
  if (n < 1 || t < 1) return `needs at least one clip and one frame, got N=${n}, T=${t}`
  if (j !== c.num_joints) return `has ${j} joints, the model takes ${c.num_joints}`
  if (ch !== c.dim_in) return `has ${ch} channels per joint, the model takes ${c.dim_in} (dim_in)`
  if (t > c.maxlen) return `has ${t} frames, more than the model's maxlen ${c.maxlen}`
  return null
}

/** Multi-head attention inputs split from one qkv projection. */
interface Qkv<T> {
  q: T
  k: T
  v: T
}

/**
 * qkv projection of x [B*T, J, C] split per head. `layout` 'spatial' gives [B*T, H, J, c];
 * 'temporal' gives [B, H, J, T, c] (attention over frames, per joint).
 */
function projectQkv<T>(ops: Ops<T>, x: T, name: string, c: DstformerConfig, frames: Dim, layout: 'spatial' | 'temporal'): Qkv<T> {
  const heads = c.num_heads
  const hd = c.dim_feat / heads
  const J = c.num_joints
  const qkv = ops.linear(x, `${name}.qkv.weight`, c.qkv_bias ? `${name}.qkv.bias` : null) // [BT, J, 3C]
  // One transpose puts q, k, v first; slicing the leading axis is then a contiguous copy.
  let split: T
  if (layout === 'spatial') {
    split = ops.reshape(qkv, [-1, J, 3, heads, hd]) // [BT, J, 3, H, c]
    split = ops.transpose(split, [2, 0, 3, 1, 4]) // [3, BT, H, J, c]
  } else {
    split = ops.reshape(qkv, [-1, frames, J, 3, heads, hd]) // [B, T, J, 3, H, c]
    split = ops.transpose(split, [3, 0, 4, 2, 1, 5]) // [3, B, H, J, T, c]
  }
  const pick = (i: number): T => {
    const part = ops.slice(split, 0, i, i + 1) // [1, ...]
    return layout === 'spatial'
      ? ops.reshape(part, [-1, heads, J, hd]) // [BT, H, J, c]
      : ops.reshape(part, [-1, heads, J, frames, hd]) // [B, H, J, T, c]
  }
  return {q: pick(0), k: pick(1), v: pick(2)}
}

function attention<T>(ops: Ops<T>, x: T, name: string, c: DstformerConfig, frames: Dim, layout: 'spatial' | 'temporal'): T {
  const {q, k, v} = projectQkv(ops, x, name, c, frames, layout)
  const scale = (c.dim_feat / c.num_heads) ** -0.5
  let attn = ops.scale(ops.matmul(q, k, {transposeB: true}), scale) // [.., J, J] or [.., T, T]
  attn = ops.softmax(attn, -1)
  attn = ops.dropout(attn, c.attn_drop_rate)
  const out = ops.matmul(attn, v) // [BT, H, J, c] or [B, H, J, T, c]
  // Back to [BT, J, C]: heads concatenated along channels, head-major, as the official reshape.
  const merged =
    layout === 'spatial'
      ? ops.transpose(out, [0, 2, 1, 3]) // [BT, J, H, c]
      : ops.transpose(out, [0, 3, 2, 1, 4]) // [B, T, J, H, c]
  const y = ops.reshape(merged, [-1, c.num_joints, c.dim_feat]) // [BT, J, C]
  return ops.dropout(ops.linear(y, `${name}.proj.weight`, `${name}.proj.bias`), c.drop_rate)
}

function mlp<T>(ops: Ops<T>, x: T, name: string, c: DstformerConfig): T {
  let h = ops.linear(x, `${name}.fc1.weight`, `${name}.fc1.bias`) // [BT, J, hidden]
  h = ops.dropout(ops.gelu(h), c.drop_rate)
  return ops.dropout(ops.linear(h, `${name}.fc2.weight`, `${name}.fc2.bias`), c.drop_rate) // [BT, J, C]
}

/** One Block: pre-norm residual attention + MLP, spatial then temporal ('st') or the reverse ('ts'). */
function block<T>(ops: Ops<T>, x: T, name: string, c: DstformerConfig, frames: Dim, order: 'st' | 'ts'): T {
  const spatial = (h: T): T => {
    h = ops.add(h, attention(ops, ops.layerNorm(h, `${name}.norm1_s`, c.norm_eps), `${name}.attn_s`, c, frames, 'spatial'))
    return ops.add(h, mlp(ops, ops.layerNorm(h, `${name}.norm2_s`, c.norm_eps), `${name}.mlp_s`, c))
  }
  const temporal = (h: T): T => {
    h = ops.add(h, attention(ops, ops.layerNorm(h, `${name}.norm1_t`, c.norm_eps), `${name}.attn_t`, c, frames, 'temporal'))
    return ops.add(h, mlp(ops, ops.layerNorm(h, `${name}.norm2_t`, c.norm_eps), `${name}.mlp_t`, c))
  }
  return order === 'st' ? temporal(spatial(x)) : spatial(temporal(x))
}

/** x [N, T, J, dim_in] → {representation: [N, T, J, dim_rep or dim_feat]}. */
function forwardFeatures<T>(ops: Ops<T>, x: T, c: DstformerConfig, prefix: string): {representation: T} {
  const J = c.num_joints
  const d = c.dim_feat
  const frames = ops.dim(x, 1)
  let h = ops.reshape(x, [-1, J, c.dim_in]) // [NT, J, Cin]
  h = ops.linear(h, `${prefix}joints_embed.weight`, `${prefix}joints_embed.bias`) // [NT, J, C]
  h = ops.add(h, ops.param(`${prefix}pos_embed`)) // + [1, J, C]
  h = ops.reshape(h, [-1, frames, J, d]) // [N, T, J, C]
  h = ops.add(h, ops.slice(ops.param(`${prefix}temp_embed`), 1, 0, frames)) // + [1, T, 1, C]
  h = ops.reshape(h, [-1, J, d]) // [NT, J, C]
  h = ops.dropout(h, c.drop_rate)
  for (let i = 0; i < c.depth; i++) {
    const xSt = block(ops, h, `${prefix}blocks_st.${i}`, c, frames, 'st') // [NT, J, C]
    const xTs = block(ops, h, `${prefix}blocks_ts.${i}`, c, frames, 'ts') // [NT, J, C]
    if (c.att_fuse) {
      const both = ops.concat([xSt, xTs], -1) // [NT, J, 2C]
      const alpha = ops.softmax(ops.linear(both, `${prefix}ts_attn.${i}.weight`, `${prefix}ts_attn.${i}.bias`), -1) // [NT, J, 2]
      h = ops.add(ops.mul(xSt, ops.slice(alpha, -1, 0, 1)), ops.mul(xTs, ops.slice(alpha, -1, 1, 2)))
    } else {
      h = ops.scale(ops.add(xSt, xTs), 0.5)
    }
  }
  h = ops.layerNorm(h, `${prefix}norm`, c.norm_eps)
  h = ops.reshape(h, [-1, frames, J, d]) // [N, T, J, C]
  if (c.dim_rep > 0) h = ops.tanh(ops.linear(h, `${prefix}pre_logits.fc.weight`, `${prefix}pre_logits.fc.bias`)) // [N, T, J, R]
  return {representation: h}
}

export const dstformer: BackboneEntry<DstformerConfig> = {
  name: 'dstformer',
  description: 'MotionBERT DSTformer: dual-stream spatio-temporal transformer encoder (lib/model/DSTformer.py)',
  configKeys: CONFIG_KEYS,
  defaults: DEFAULTS,
  inputLayout: ['N', 'T', 'J', 'C'],
  outputs: ['representation'],
  // An encoder: its 3D poses come from the pose head on the representation.
  poseHead: 'pose3d',
  configRules: {
    frameKey: 'maxlen',
    divisible: [{key: 'dim_feat', by: 'num_heads', hint: HEAD_WIDTH_HINT}],
    clipLenWithinFrames: 'DSTformer has temporal positional embeddings for maxlen frames only.',
  },
  // tiny: test-sized; lite and full: MotionBERT-Lite and MotionBERT as the official bench_official.py builds them.
  benchSizes: {
    tiny: {dim_feat: 32, depth: 2, num_heads: 4, mlp_ratio: 2, dim_rep: 64},
    lite: {dim_feat: 256, depth: 5, num_heads: 8, mlp_ratio: 4, dim_rep: 512},
    full: {dim_feat: 512, depth: 5, num_heads: 8, mlp_ratio: 2, dim_rep: 512},
  },
  // maxlen covers at least the official 243 frames.
  benchClip: (frames) => ({maxlen: Math.max(243, frames), dim_in: 3}),
  // The dual-stream blocks: blocks_st.i, blocks_ts.i and their fusion ts_attn.i are block i; the
  // final norm and pre_logits follow them.
  blocks: numberedGroups(['blocks_st', 'blocks_ts', 'ts_attn'], (rel) => !/embed/i.test(rel)),
  official: {
    signature: 'joints_embed.weight',
    toNative: (key) => key,
    toOfficial: (key) => key,
    bareHead: {prefix: 'head.', head: 'pose3d'},
    droppedWhenWrapped: (key) => key.startsWith('head.'),
  },
  inferConfig,
  expectedParams,
  describeOutput: (c) => ({representationDim: c.dim_rep > 0 ? c.dim_rep : c.dim_feat, numJoints: c.num_joints}),
  checkInput,
  forwardFeatures,
}
