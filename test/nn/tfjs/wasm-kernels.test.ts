/**
 * The wasm backend's replaced Transpose and Slice (src/nn/tfjs/wasm-kernels.ts) give exactly the
 * values a plain strided copy gives, for every dtype they take, and leave no data behind.
 */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import * as tf from '@tensorflow/tfjs-core'
import {copyStrided, size, strides} from '../../../src/core/ndarray.js'
import {selectBackend} from '../../../src/nn/tfjs/backend.js'
import {blockSwaps, reducePermutation} from '../../../src/nn/tfjs/wasm-kernels.js'
import {Rng} from '../../../src/core/rng.js'

/** A seeded source of numbers in [0, 1). */
function uniform(seed: number): () => number {
  const r = new Rng(seed)
  return () => r.next()
}

/** The transpose by definition: out axis i is x's axis perm[i]. */
function reference(values: Float32Array, shape: number[], perm: number[]): Float32Array {
  const s = strides(shape)
  return copyStrided(values, 0, perm.map((p) => shape[p]!), perm.map((p) => s[p]!), new Float32Array(values.length))
}

function permutation(n: number, next: () => number): number[] {
  const p = Array.from({length: n}, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1))
    ;[p[i], p[j]] = [p[j]!, p[i]!]
  }
  return p
}

test('reducePermutation drops size-1 axes and merges axes that stay neighbours', () => {
  assert.deepEqual(reducePermutation([2, 81, 17, 3, 8, 8], [3, 0, 4, 2, 1, 5]), {shape: [2, 81, 17, 3, 8, 8], perm: [3, 0, 4, 2, 1, 5]})
  assert.deepEqual(reducePermutation([4, 5, 6, 7, 8], [0, 1, 3, 2, 4]), {shape: [20, 6, 7, 8], perm: [0, 2, 1, 3]})
  assert.deepEqual(reducePermutation([1, 5, 6], [1, 0, 2]), {shape: [30], perm: [0]})
  assert.deepEqual(reducePermutation([3, 1, 4], [2, 1, 0]), {shape: [3, 4], perm: [1, 0]})
})

test('blockSwaps: the rank-4 swaps, applied in turn, are the permutation (every rank 2-6, random permutations)', () => {
  const next = uniform(5)
  for (let trial = 0; trial < 60; trial++) {
    const rank = 2 + (trial % 5)
    const shape = Array.from({length: rank}, () => 1 + Math.floor(next() * 4))
    const perm = permutation(rank, next)
    const x = Float32Array.from({length: size(shape)}, (_, i) => i)
    let y: Float32Array = x
    for (const [a, b, c, d] of blockSwaps(shape, perm)) y = reference(y, [a, b, c, d], [0, 2, 1, 3])
    assert.deepEqual(y, reference(x, shape, perm), `shape ${shape} perm ${perm}`)
  }
})

test('on wasm, Transpose of rank 5 and 6 (the qkv splits, size-1 axes, random permutations) equals the strided copy, and frees its steps', async () => {
  await selectBackend({force: 'wasm'})
  assert.equal(tf.getBackend(), 'wasm')
  const next = uniform(11)
  const cases: [number[], number[]][] = [
    [[2, 9, 17, 3, 4, 2], [3, 0, 4, 2, 1, 5]], // [B, T, J, 3, H, c] → [3, B, H, J, T, c]
    [[18, 17, 3, 4, 2], [2, 0, 3, 1, 4]], // [BT, J, 3, H, c] → [3, BT, H, J, c]
    [[2, 4, 17, 9, 2], [0, 3, 2, 1, 4]], // back: [B, H, J, T, c] → [B, T, J, H, c]
    [[3, 1, 5, 2, 4], [4, 3, 2, 1, 0]],
  ]
  for (let k = 0; k < 8; k++) cases.push([[2, 3, 4, 2, 3, 2].slice(0, 5 + (k % 2)), permutation(5 + (k % 2), next)])
  for (const [shape, perm] of cases) {
    const values = Float32Array.from({length: size(shape)}, () => next() - 0.5)
    const x = tf.tensor(values, shape)
    const ids = tf.engine().backend.numDataIds()
    const y = tf.transpose(x, perm)
    assert.deepEqual(y.shape, perm.map((p) => shape[p]!))
    assert.deepEqual(y.dataSync(), reference(values, shape, perm), `shape ${shape} perm ${perm}`)
    assert.equal(tf.engine().backend.numDataIds(), ids + 1, 'only the output is kept')
    tf.dispose([x, y])
  }
  const ints = tf.tensor(Int32Array.from({length: 2 * 3 * 2 * 2 * 2}, (_, i) => i), [2, 3, 2, 2, 2], 'int32')
  const t = tf.transpose(ints, [4, 2, 0, 3, 1])
  assert.equal(t.dtype, 'int32')
  assert.deepEqual(Array.from(t.dataSync()), Array.from(reference(Float32Array.from(ints.dataSync()), [2, 3, 2, 2, 2], [4, 2, 0, 3, 1])))
  tf.dispose([ints, t])
  // an empty tensor keeps its shape through either path
  const empty = tf.tidy(() => tf.transpose(tf.zeros([2, 0, 3, 2, 2]), [4, 2, 0, 3, 1]))
  assert.deepEqual(empty.shape, [2, 3, 2, 2, 0])
  empty.dispose()
})

test('on wasm, Slice (contiguous and strided, ranks 1-6, float32/int32/bool) equals the strided copy, also after the heap grows', async () => {
  await selectBackend({force: 'wasm'})
  const next = uniform(3)
  for (let rank = 1; rank <= 6; rank++) {
    for (let trial = 0; trial < 6; trial++) {
      const shape = Array.from({length: rank}, () => 1 + Math.floor(next() * 4))
      const begin = shape.map((d) => Math.floor(next() * d))
      const extent = shape.map((d, i) => 1 + Math.floor(next() * (d - begin[i]!)))
      const values = Float32Array.from({length: size(shape)}, (_, i) => i)
      const s = strides(shape)
      const offset = begin.reduce((o, b, i) => o + b * s[i]!, 0)
      const expected = copyStrided(values, offset, extent, s, new Float32Array(size(extent)))
      for (const dtype of ['float32', 'int32'] as const) {
        const y = tf.tidy(() => tf.slice(tf.tensor(values, shape, dtype), begin, extent))
        assert.deepEqual(y.shape, extent)
        assert.deepEqual(Array.from(y.dataSync()), Array.from(expected), `${dtype} ${shape} from ${begin} size ${extent}`)
        y.dispose()
      }
    }
  }
  const bools = tf.tensor([true, false, true, true, false, false], [3, 2], 'bool')
  const part = tf.slice(bools, [1, 0], [2, 1])
  assert.equal(part.dtype, 'bool')
  assert.deepEqual(Array.from(part.dataSync()), [1, 0])
  tf.dispose([bools, part])
  const none = tf.tidy(() => tf.slice(tf.zeros([3, 4]), [1, 0], [0, 4]))
  assert.deepEqual(none.shape, [0, 4])
  none.dispose()
  // a 64 MB input: the output's allocation may grow the heap, which detaches views made before it
  const big = tf.fill([4, 4_194_304], 2)
  const first = tf.slice(big, [3, 0], [1, 8])
  assert.deepEqual(Array.from(first.dataSync()), new Array(8).fill(2))
  tf.dispose([big, first])
})
