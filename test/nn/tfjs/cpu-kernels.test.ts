/**
 * The cpu backend's broadcasting binary ops and Softmax (src/nn/tfjs/cpu-kernels.ts) give exactly
 * what tfjs's own kernels give: each is compared, bit for bit, with the same op on operands
 * broadcast to equal shapes first (which the replacements hand to tfjs's original kernels); the
 * transpose against values moved by hand.
 */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import * as tf from '@tensorflow/tfjs-core'
import {broadcastShape, softmaxRows, transposeValues} from '../../../src/nn/tfjs/cpu-kernels.js'
import {selectBackend} from '../../../src/nn/tfjs/backend.js'
import {randomArray} from '../../helpers/train.js'

const random = (shape: number[], seed: number): tf.Tensor => {
  const r = randomArray(shape, seed)
  return tf.tensor(r.data, shape, 'float32')
}

const OPS = {
  Add: (a: tf.Tensor, b: tf.Tensor) => tf.add(a, b),
  Sub: (a: tf.Tensor, b: tf.Tensor) => tf.sub(a, b),
  Multiply: (a: tf.Tensor, b: tf.Tensor) => tf.mul(a, b),
  RealDiv: (a: tf.Tensor, b: tf.Tensor) => tf.div(a, b),
}

const PAIRS: [number[], number[]][] = [
  [[2, 5, 3], [3]], // a bias
  [[4, 3, 7], [4, 3, 1]], // a keep-dims mean or max
  [[3, 1], [1, 4]], // both sides broadcast
  [[2, 1, 3, 4], [5, 1, 1]], // ranks differ, middle axes
  [[6], []], // a scalar
  [[], [2, 3]],
  [[0, 3], [3]], // empty
]

test('the cpu backend runs the fast kernels: broadcasting Add, Sub, Multiply, RealDiv equal tfjs\'s own, bit for bit', async () => {
  await selectBackend({force: 'cpu'})
  assert.equal(tf.getBackend(), 'cpu')
  PAIRS.forEach(([sa, sb], i) => {
    const a = random(sa, 10 + i)
    const b = tf.add(random(sb, 20 + i), 3) // away from zero for RealDiv
    const shape = broadcastShape(sa, sb)!
    for (const [name, op] of Object.entries(OPS)) {
      const fast = op(a, b)
      const reference = op(tf.broadcastTo(a, shape), tf.broadcastTo(b, shape))
      assert.deepEqual(fast.shape, shape, `${name} ${sa} ${sb}`)
      assert.deepEqual(fast.dataSync(), reference.dataSync(), `${name} ${JSON.stringify(sa)} with ${JSON.stringify(sb)}`)
      tf.dispose([fast, reference])
    }
    tf.dispose([a, b])
  })
})

test('what the fast kernels do not take goes to tfjs: int32 broadcasts, and shapes that do not broadcast fail as before', async () => {
  await selectBackend({force: 'cpu'})
  const sum = tf.add(tf.tensor([1, 2, 3, 4], [2, 2], 'int32'), tf.tensor([10, 20], [2], 'int32'))
  assert.equal(sum.dtype, 'int32')
  assert.deepEqual(Array.from(sum.dataSync()), [11, 22, 13, 24])
  assert.throws(() => tf.add(tf.zeros([2, 3]), tf.zeros([4])), /Operands could not be broadcast together/)
  assert.equal(broadcastShape([2, 3], [4]), undefined)
  tf.dispose(sum)
})

test('Softmax on the cpu backend equals max, sub, exp, sum and div done one by one, bit for bit; NaN and -Infinity as tfjs has them', async () => {
  await selectBackend({force: 'cpu'})
  const x = tf.mul(random([5, 4, 7, 9], 3), 4)
  const fast = tf.softmax(x)
  const reference = tf.tidy(() => {
    const shape = x.shape
    const shifted = tf.sub(x, tf.broadcastTo(tf.max(x, -1, true), shape))
    const e = tf.exp(shifted)
    return tf.div(e, tf.broadcastTo(tf.sum(e, -1, true), shape))
  })
  assert.deepEqual(fast.dataSync(), reference.dataSync())
  tf.dispose([x, fast, reference])

  const rows = softmaxRows(new Float32Array([0, Number.NaN, 1, -Infinity, 0, 0, 1, 2, 3]), 3)
  assert.ok([0, 1, 2].every((k) => Number.isNaN(rows[k]!)), 'a NaN makes its row NaN')
  assert.deepEqual(Array.from(rows.slice(3, 6)), [0, 0.5, 0.5])
  const e = [1, Math.fround(Math.exp(-1)), Math.fround(Math.exp(-2))].map(Math.fround)
  const total = Math.fround(e[0]! + e[1]! + e[2]!)
  assert.deepEqual(Array.from(rows.slice(6)), [e[2]! / total, e[1]! / total, e[0]! / total].map(Math.fround))
})

test('Transpose on the cpu backend moves every value where the permutation says, for float32, int32 and bool', async () => {
  await selectBackend({force: 'cpu'})
  const shape = [2, 3, 4, 5]
  const x = randomArray(shape, 7).data
  for (const perm of [[0, 1, 2, 3], [3, 2, 1, 0], [0, 2, 1, 3], [1, 3, 0, 2]]) {
    const got = tf.tidy(() => tf.transpose(tf.tensor(x, shape), perm).dataSync())
    const outShape = perm.map((p) => shape[p]!)
    const expected = new Float32Array(x.length)
    // by coordinates: out[i0, i1, i2, i3] = x[the same coordinates read through perm]
    for (let o = 0; o < x.length; o++) {
      const at = [0, 0, 0, 0]
      let rest = o
      for (let d = 3; d >= 0; d--) {
        at[d] = rest % outShape[d]!
        rest = Math.floor(rest / outShape[d]!)
      }
      const src = [0, 0, 0, 0]
      perm.forEach((p, d) => (src[p] = at[d]!))
      expected[o] = x[((src[0]! * 3 + src[1]!) * 4 + src[2]!) * 5 + src[3]!]!
    }
    assert.deepEqual(got, expected, `perm ${perm}`)
  }
  const ints = tf.tensor([1, 2, 3, 4, 5, 6], [2, 3], 'int32')
  const flipped = tf.transpose(ints)
  assert.equal(flipped.dtype, 'int32')
  assert.deepEqual(Array.from(flipped.dataSync()), [1, 4, 2, 5, 3, 6])
  const bools = tf.transpose(tf.tensor([true, false, false, true, true, false], [3, 2], 'bool'))
  assert.deepEqual(Array.from(bools.dataSync()), [1, 0, 1, 0, 1, 0])
  assert.deepEqual(Array.from(transposeValues(new Int32Array([7]), [], [])), [7])
  tf.dispose([ints, flipped, bools])
})
