import assert from 'node:assert/strict'
import {test} from 'node:test'

import {blockIndex, parseFreeze, trainableNames} from '../../src/train/freeze.js'
import {paramGroup, ratesAtEpoch, scheduleFor} from '../../src/train/schedule.js'
import {tinyModel} from '../helpers/train.js'

test('finetuning: the backbone learns at 0.1x the head unless lr_backbone is given; pretraining uses one rate', () => {
  assert.deepEqual(scheduleFor('finetune', {learning_rate: 1e-3, lr_decay: 0.9}), {head: 1e-3, backbone: 1e-4, decay: 0.9})
  assert.deepEqual(scheduleFor('finetune', {learning_rate: 1e-3, lr_head: 2e-3, lr_backbone: 5e-5, lr_decay: 0.9}), {head: 2e-3, backbone: 5e-5, decay: 0.9})
  assert.deepEqual(scheduleFor('pretrain', {learning_rate: 5e-4, lr_backbone: 1, lr_decay: 0.99}), {head: 5e-4, backbone: 5e-4, decay: 0.99})
  assert.throws(() => scheduleFor('pretrain', {learning_rate: 1e-3, lr_decay: 0}), /lr_decay/)
})

test('the rate of epoch e is base · lr_decay^e (train.py lr *= lr_decay after each epoch)', () => {
  const s = {head: 1e-3, backbone: 1e-4, decay: 0.5}
  assert.deepEqual(ratesAtEpoch(s, 0), {head: 1e-3, backbone: 1e-4})
  assert.deepEqual(ratesAtEpoch(s, 2), {head: 2.5e-4, backbone: 2.5e-5})
  assert.equal(paramGroup('head.fc1.weight'), 'head')
  assert.equal(paramGroup('backbone.norm.weight'), 'backbone')
})

test('--freeze parses backbone, none and a block count, and refuses anything else', () => {
  assert.deepEqual(parseFreeze('backbone'), {kind: 'backbone'})
  assert.deepEqual(parseFreeze('None'), {kind: 'none'})
  assert.deepEqual(parseFreeze('2'), {kind: 'last-blocks', blocks: 2})
  assert.throws(() => parseFreeze('half'), (e: Error & {exitCode?: number}) => e.exitCode === 2 && /--freeze/.test(e.message))
  assert.equal(blockIndex('blocks_st.1.attn_s.qkv.weight'), 1)
  assert.equal(blockIndex('ts_attn.0.weight'), 0)
  assert.equal(blockIndex('joints_embed.weight'), null)
})

test('freeze modes select the head, the last N blocks plus norm/pre_logits, or everything; buffers never train', () => {
  const names = [...tinyModel('action').weights.keys()]
  const head = trainableNames(names, {kind: 'backbone'})
  assert.ok(head.size > 0 && [...head].every((n) => n.startsWith('head.')))
  assert.ok(![...head].some((n) => /running_|num_batches/.test(n)))

  const last = trainableNames(names, {kind: 'last-blocks', blocks: 1})
  assert.ok(last.has('backbone.blocks_st.1.attn_s.qkv.weight'))
  assert.ok(last.has('backbone.blocks_ts.1.mlp_t.fc2.bias'))
  assert.ok(last.has('backbone.ts_attn.1.weight'))
  assert.ok(last.has('backbone.norm.weight') && last.has('backbone.pre_logits.fc.weight'))
  assert.ok(!last.has('backbone.blocks_st.0.attn_s.qkv.weight'))
  assert.ok(!last.has('backbone.joints_embed.weight') && !last.has('backbone.temp_embed') && !last.has('backbone.pos_embed'))
  assert.ok(last.has('head.fc1.weight'))

  const all = trainableNames(names, {kind: 'none'})
  assert.equal(all.size, names.filter((n) => !/running_|num_batches/.test(n)).length)
  assert.equal(trainableNames(names, {kind: 'last-blocks', blocks: 0}).has('backbone.blocks_st.1.attn_s.qkv.weight'), false)
  assert.throws(() => trainableNames(names, {kind: 'last-blocks', blocks: 3}), /only 2 blocks/)
  // partial_train: official substrings
  const partial = trainableNames(names, {kind: 'partial', substrings: ['blocks_st.0']})
  assert.ok(partial.size > 0 && [...partial].every((n) => n.includes('blocks_st.0')))
})
