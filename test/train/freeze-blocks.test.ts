/**
 * --freeze N takes each backbone's blocks from its registry entry (issue 17): the DSTformer's as
 * before (the numbered groups), MixSTE's spatial/temporal blocks with its output head after them,
 * and the Strided Transformer's vanilla then strided encoder layers.
 */
import assert from 'node:assert/strict'
import {test} from 'node:test'

import {backboneRegistry, getBackbone} from '../../src/backbones/registry.js'
import {BACKBONE_PREFIX} from '../../src/model/model.js'
import {blockIndex, trainableNames} from '../../src/train/freeze.js'

const CONFIGS: Record<string, Record<string, unknown>> = {
  dstformer: {dim_feat: 32, dim_rep: 32, depth: 3, num_heads: 2},
  mixste: {num_frame: 9, embed_dim_ratio: 32, depth: 3, num_heads: 2},
  strided: {frames: 27, stride_num: [3, 3, 3], channel: 32, d_hid: 64, layers: 2},
}

function backboneNames(name: string): string[] {
  const entry = getBackbone(name)
  const cfg = entry.inferConfig(new Map(), CONFIGS[name] as never)
  return [...entry.expectedParams(cfg).keys()]
}

test('the DSTformer blocks are the numbered groups, as --freeze read them before', () => {
  const rel = backboneNames('dstformer')
  const blockOf = getBackbone('dstformer').blocks.numbering(rel)
  for (const n of rel) assert.equal(blockOf(n), blockIndex(n), n)
  const names = [...rel.map((n) => BACKBONE_PREFIX + n), 'head.fc.weight']
  for (const blocks of [0, 1, 3]) {
    const spec = {kind: 'last-blocks', blocks} as const
    assert.deepEqual([...trainableNames(names, spec, (k) => k, getBackbone('dstformer').blocks)].sort(), [...trainableNames(names, spec)].sort())
  }
})

test('MixSTE: STE/TTE blocks; the output head and norms follow them, the embeddings precede them', () => {
  const rel = backboneNames('mixste')
  const layout = getBackbone('mixste').blocks
  const blockOf = layout.numbering(rel)
  assert.equal(blockOf('STEblocks.2.attn.qkv.weight'), 2)
  assert.equal(blockOf('TTEblocks.0.mlp.fc1.weight'), 0)
  assert.equal(blockOf('head.1.weight'), null)
  const trained = trainableNames(rel.map((n) => BACKBONE_PREFIX + n), {kind: 'last-blocks', blocks: 1}, (k) => k, layout)
  assert.ok(trained.has('backbone.head.1.weight'))
  assert.ok(trained.has('backbone.Spatial_norm.weight'))
  assert.ok(trained.has('backbone.STEblocks.2.attn.qkv.weight'))
  assert.ok(!trained.has('backbone.STEblocks.1.attn.qkv.weight'))
  assert.ok(!trained.has('backbone.Spatial_patch_to_embedding.weight'))
  assert.throws(() => trainableNames(rel.map((n) => BACKBONE_PREFIX + n), {kind: 'last-blocks', blocks: 4}, (k) => k, layout), /only 3 blocks/)
})

test('Strided: the vanilla layers then the strided layers are the blocks; the convolutional embedding is frozen', () => {
  const rel = backboneNames('strided')
  const layout = getBackbone('strided').blocks
  const blockOf = layout.numbering(rel)
  assert.equal(blockOf('Transformer.model.layers.1.feed_forward.w_1.weight'), 1)
  assert.equal(blockOf('Transformer_reduce.model.layers.0.feed_forward.w_1.weight'), 2)
  assert.equal(blockOf('encoder.0.weight'), null)
  const names = rel.map((n) => BACKBONE_PREFIX + n)
  const trained = trainableNames(names, {kind: 'last-blocks', blocks: 3}, (k) => k, layout)
  assert.ok(trained.has('backbone.Transformer_reduce.model.layers.2.feed_forward.w_1.weight'))
  assert.ok(!trained.has('backbone.Transformer.model.layers.1.feed_forward.w_1.weight'))
  assert.ok(!trained.has('backbone.encoder.0.weight'))
  assert.ok([...trained].some((n) => n.startsWith('backbone.fcn_1.')))
  assert.throws(() => trainableNames(names, {kind: 'last-blocks', blocks: 6}, (k) => k, layout), /only 5 blocks/)
})

test('lifting strategies follow the entries\' screen windows, not their names', () => {
  assert.equal(getBackbone('dstformer').screenWindows, undefined)
  assert.equal(getBackbone('mixste').screenWindows?.kind, 'clips')
  assert.equal(getBackbone('strided').screenWindows?.kind, 'centre-frame')
  for (const entry of backboneRegistry.values()) {
    if (entry.screenWindows) assert.ok(entry.configRules?.frameKey, `${entry.name}: screen windows take their length from configRules.frameKey`)
  }
})
