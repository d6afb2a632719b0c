/**
 * MixSTE / Strided Transformer configs: what checkpoint shapes say, what only the config can say,
 * and the errors (with exit codes) for settings that cannot work.
 */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import * as tf from '@tensorflow/tfjs-core'
import {ExitCode, isMotionError} from '../../src/core/errors.js'
import {inferMixsteConfig, mixste, mixsteConfigFrom, mixsteForward, mixsteParamShapes, mixsteReceptiveField} from '../../src/backbones/mixste.js'
import {
  inferStridedConfig,
  strided,
  stridedConfigFrom,
  stridedLengths,
  stridedParamShapes,
  stridedReceptiveField,
  stridedWindows,
} from '../../src/backbones/strided.js'
import {selectBackend} from '../../src/nn/tfjs/backend.js'
import {TfjsOps} from '../../src/nn/tfjs/ops.js'

function expectError(fn: () => unknown, exitCode: number, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isMotionError(err), `expected a MotionError, got ${String(err)}`)
    assert.equal(err.exitCode, exitCode, err.message)
    assert.match(err.message, pattern)
    return true
  })
}

const mixsteTiny = mixsteConfigFrom({num_frame: 27, embed_dim_ratio: 32, depth: 3, num_heads: 4})
const stridedTiny = stridedConfigFrom({frames: 27, channel: 32, d_hid: 64, layers: 2})

test('MixSTE: defaults are the published model (243 frames, width 512, depth 8, 8 heads)', () => {
  const c = mixste.inferConfig(new Map(), {})
  assert.deepEqual([c.num_frame, c.embed_dim_ratio, c.depth, c.num_heads, c.in_chans], [243, 512, 8, 8, 2])
  assert.equal(mixsteReceptiveField(c), 243)
})

test('MixSTE: every size but num_heads is read off the shapes; num_heads comes from the config', () => {
  const shapes = mixsteParamShapes(mixsteTiny, '')
  const inferred = inferMixsteConfig(shapes, {num_heads: 4}, {prefix: ''})
  assert.deepEqual(inferred, mixsteTiny)
  assert.equal(inferMixsteConfig(shapes, {}, {prefix: ''}).num_heads, 8)
  const noBias = mixsteParamShapes({...mixsteTiny, qkv_bias: false}, '')
  assert.equal(inferMixsteConfig(noBias, {num_heads: 4}, {prefix: ''}).qkv_bias, false)
})

test('MixSTE: a config contradicting the checkpoint, or heads not dividing the width, is a model error', () => {
  const shapes = mixsteParamShapes(mixsteTiny, '')
  expectError(() => inferMixsteConfig(shapes, {num_frame: 243}, {prefix: '', file: 'ckpt.bin'}), ExitCode.model, /ckpt\.bin: .*num_frame=243 .*num_frame=27/)
  expectError(() => inferMixsteConfig(shapes, {num_heads: 5}, {prefix: ''}), ExitCode.model, /not divisible by num_heads 5/)
  expectError(() => mixsteConfigFrom({num_heads: 'eight'}), ExitCode.input, /num_heads must be a number/)
  expectError(() => inferMixsteConfig(new Map([['x', [1]]]), {}, {prefix: ''}), ExitCode.model, /not a MixSTE checkpoint/)
})

test('MixSTE: a clip of the wrong length is an input error that says how long clips must be', async () => {
  await selectBackend({force: 'cpu'})
  const params = new Map([...mixsteParamShapes(mixsteTiny)].map(([k, s]) => [k, tf.zeros(s)]))
  const ops = new TfjsOps(params)
  expectError(() => mixsteForward(ops, tf.zeros([1, 20, 17, 2]), mixsteTiny), ExitCode.input, /27 frames/)
  for (const t of params.values()) t.dispose()
})

test('Strided: sequence lengths through the strided encoder end at the centre frame', () => {
  assert.deepEqual(stridedLengths({frames: 27, stride_num: [3, 3, 3]}), [27, 9, 3, 1])
  assert.deepEqual(stridedLengths({frames: 81, stride_num: [3, 3, 9]}), [81, 27, 9, 1])
  assert.deepEqual(stridedLengths({frames: 351, stride_num: [3, 9, 13]}), [351, 117, 13, 1])
  assert.deepEqual(stridedLengths({frames: 243, stride_num: [3, 3, 3, 3, 3]}), [243, 81, 27, 9, 3, 1])
  assert.equal(stridedReceptiveField(stridedTiny), 27)
})

test('Strided: stride_num defaults to the official choice for 27 and 351 frames', () => {
  assert.deepEqual(stridedTiny.stride_num, [3, 3, 3])
  assert.deepEqual(strided.inferConfig(new Map(), {}).stride_num, [3, 9, 13])
  const shapes = stridedParamShapes(stridedTiny, '')
  assert.deepEqual(inferStridedConfig(shapes, {}, {prefix: ''}), stridedTiny)
})

test('Strided: strides that do not reach one frame, or do not match the checkpoint, are refused', () => {
  expectError(() => stridedConfigFrom({frames: 81}), ExitCode.input, /needs stride_num for frames=81/)
  expectError(() => stridedConfigFrom({frames: 27, stride_num: [3, 3]}), ExitCode.input, /reduces frames=27 to 3 frames, not 1/)
  expectError(() => stridedConfigFrom({frames: 27, stride_num: [3, 0, 3]}), ExitCode.input, /stride_num/)
  expectError(() => stridedConfigFrom({channel: 20, frames: 27}), ExitCode.input, /not divisible by its 8 attention heads/)
  const shapes = stridedParamShapes(stridedTiny, '')
  expectError(() => inferStridedConfig(shapes, {stride_num: [27]}, {prefix: ''}), ExitCode.model, /1 entries but the checkpoint has 3/)
  expectError(() => inferStridedConfig(shapes, {channel: 64}, {prefix: ''}), ExitCode.model, /channel=64 but the checkpoint has channel=32/)
})

test('Strided: official key map drops only the int64 BatchNorm counters', () => {
  assert.equal(strided.official.toNative('encoder.1.num_batches_tracked'), null)
  assert.equal(strided.official.toNative('encoder.1.running_var'), 'encoder.1.running_var')
  assert.equal(mixste.official.toNative('head.1.weight'), 'head.1.weight')
})

test('Strided: per-frame windows repeat the edge frames, centred on each frame', () => {
  // 4 frames of 1 joint x 1 channel holding the frame index.
  const seq = {data: Float32Array.from([0, 1, 2, 3]), shape: [4, 1, 1]}
  const w = stridedWindows(seq, 5)
  assert.deepEqual(w.shape, [4, 5, 1, 1])
  assert.deepEqual([...w.data], [0, 0, 0, 1, 2, 0, 0, 1, 2, 3, 0, 1, 2, 3, 3, 1, 2, 3, 3, 3])
  expectError(() => stridedWindows({data: new Float32Array(4), shape: [4, 1]}, 5), ExitCode.input, /\[T, J, C\]/)
})
