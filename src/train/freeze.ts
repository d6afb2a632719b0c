/**
 * Which parameters a run trains (`--freeze backbone|none|N`, MotionBERT's `partial_train`):
 *  - none: everything;
 *  - backbone: only the head (the backbone's weights stay bit-for-bit as loaded);
 *  - N: the head, the last N backbone blocks, and what follows the blocks (final norm,
 *    pre_logits) — the embeddings and earlier blocks are frozen. Each backbone's registry entry
 *    says where its blocks are (`blocks`: `blocks_st.3.*`, `blocks_ts.3.*` and `ts_attn.3.*` are
 *    all block 3 of a DSTformer);
 *  - partial_train (config): official semantics — a parameter trains when its official name
 *    contains one of the substrings (native names are matched too).
 */
import {inputError} from '../core/errors.js'
import {headRegistry} from '../heads/registry.js'
import {BACKBONE_PREFIX, HEAD_PREFIX} from '../model/model.js'
import type {BlockLayout} from '../nn/registry/backbone.js'

export type FreezeSpec =
  | {kind: 'none'}
  | {kind: 'backbone'}
  | {kind: 'last-blocks'; blocks: number}
  | {kind: 'partial'; substrings: string[]}

export function parseFreeze(value: string): FreezeSpec {
  const v = value.trim().toLowerCase()
  if (v === 'none') return {kind: 'none'}
  if (v === 'backbone') return {kind: 'backbone'}
  if (/^\d+$/.test(v)) return {kind: 'last-blocks', blocks: Number(v)}
  throw inputError(`--freeze must be backbone, none or a number of blocks to train, got '${value}'`, {
    hint: '--freeze backbone trains the head only; --freeze 2 trains the last 2 blocks and the head',
  })
}

export function describeFreeze(spec: FreezeSpec): string {
  switch (spec.kind) {
    case 'none':
      return 'all parameters train'
    case 'backbone':
      return 'backbone frozen, head trains'
    case 'last-blocks':
      return `last ${spec.blocks} block(s) and the head train`
    case 'partial':
      return `parameters matching ${spec.substrings.join(', ')} train`
  }
}

/**
 * Block index of a backbone parameter (relative name) by its name alone (`<group>.<i>.*`), or null
 * when it is not in a numbered group: the layout used when no backbone entry is given.
 */
export function blockIndex(relName: string): number | null {
  const m = /^[A-Za-z_]+\.(\d+)\./.exec(relName)
  return m ? Number(m[1]) : null
}

/** Numbered groups are blocks; unnumbered parameters other than embeddings follow them. */
const NAMED_GROUPS: BlockLayout = {numbering: () => blockIndex, afterBlocks: (rel) => !/embed/i.test(rel)}

/**
 * The names that train under `spec`. `names` are native (`backbone.*`, `head.*`); `toOfficial`
 * maps a backbone-relative name to its official key, for `partial_train` substrings; `blocks` is
 * the backbone's block layout (its registry entry's `blocks`) for `--freeze N`.
 * Buffers (BatchNorm running statistics, step counters) never train.
 */
export function trainableNames(names: readonly string[], spec: FreezeSpec, toOfficial: (rel: string) => string = (k) => k, blocks: BlockLayout = NAMED_GROUPS): Set<string> {
  const params = names.filter((n) => !isBuffer(n))
  const out = new Set<string>()
  switch (spec.kind) {
    case 'none':
      params.forEach((n) => out.add(n))
      break
    case 'backbone':
      params.filter((n) => n.startsWith(HEAD_PREFIX)).forEach((n) => out.add(n))
      break
    case 'last-blocks': {
      const rel = params.filter((n) => n.startsWith(BACKBONE_PREFIX)).map((n) => n.slice(BACKBONE_PREFIX.length))
      const blockOf = blocks.numbering(rel)
      const indices = rel.map(blockOf).filter((i): i is number => i !== null)
      const depth = indices.length ? Math.max(...indices) + 1 : 0
      if (spec.blocks > depth) throw inputError(`--freeze ${spec.blocks}: the backbone has only ${depth} blocks`, {hint: `use a number from 0 to ${depth}, or none`})
      // What comes after the blocks: the final norm and pre_logits (names after the last block in
      // the forward pass); embeddings come before and stay frozen.
      for (const n of params) {
        if (n.startsWith(HEAD_PREFIX)) {
          out.add(n)
          continue
        }
        const r = n.slice(BACKBONE_PREFIX.length)
        const b = blockOf(r)
        if (b !== null ? b >= depth - spec.blocks : blocks.afterBlocks(r)) out.add(n)
      }
      break
    }
    case 'partial':
      for (const n of params) {
        const official = n.startsWith(BACKBONE_PREFIX) ? toOfficial(n.slice(BACKBONE_PREFIX.length)) : n
        if (spec.substrings.some((s) => official.includes(s) || n.includes(s))) out.add(n)
      }
      break
  }
  return out
}

function isBuffer(name: string): boolean {
  if (/(running_mean|running_var|num_batches_tracked)$/.test(name)) return true
  // Heads declare their own buffers (mesh: the SMPL body model and the mean pose/shape).
  const rel = name.startsWith(HEAD_PREFIX) ? name.slice(HEAD_PREFIX.length) : null
  return rel !== null && [...headRegistry.values()].some((h) => h.isBuffer?.(rel) ?? false)
}
