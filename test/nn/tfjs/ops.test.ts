/** The tfjs executor's ops against hand-computed PyTorch semantics. */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import * as tf from '@tensorflow/tfjs-core'
import {TfjsOps, indexRuns} from '../../../src/nn/tfjs/ops.js'
import {selectBackend} from '../../../src/nn/tfjs/backend.js'

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5): void {
  assert.equal(actual.length, expected.length)
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i]! - expected[i]!) <= tol, `index ${i}: ${actual[i]} vs ${expected[i]}`)
}

const t = (values: number[], shape: number[]): tf.Tensor => tf.tensor(values, shape, 'float32')

test('gelu is the exact erf form (torch.nn.GELU default), not the tanh approximation', async () => {
  await selectBackend({force: 'cpu'})
  const ops = new TfjsOps(new Map())
  // torch.nn.GELU()(torch.tensor([-3, -1, 0, 0.5, 2])) values
  const y = tf.tidy(() => ops.gelu(t([-3, -1, 0, 0.5, 2], [5])).dataSync())
  close(y, [-0.0040496, -0.1586553, 0, 0.3457312, 1.9544998], 2e-6)
})

test('layerNorm uses the biased variance and eps inside the root', async () => {
  await selectBackend({force: 'cpu'})
  const ops = new TfjsOps(new Map([['ln.weight', t([1, 2, 1], [3])], ['ln.bias', t([0, 0, 1], [3])]]))
  const y = tf.tidy(() => ops.layerNorm(t([1, 2, 6], [1, 3]), 'ln', 1e-5).dataSync())
  const mean = 3
  const variance = (4 + 1 + 9) / 3 // biased
  const s = Math.sqrt(variance + 1e-5)
  close(y, [(1 - mean) / s, (2 * (2 - mean)) / s, (6 - mean) / s + 1])
})

test('softmax works along any axis', async () => {
  await selectBackend({force: 'cpu'})
  const ops = new TfjsOps(new Map())
  const y = tf.tidy(() => ops.softmax(t([0, 1, Math.log(3), 2], [2, 2]), 0).dataSync())
  close(y, [1 / 4, Math.exp(1) / (Math.exp(1) + Math.exp(2)), 3 / 4, Math.exp(2) / (Math.exp(1) + Math.exp(2))])
})

test('conv1d matches PyTorch Conv1d (weight [Cout, Cin, K]) with stride, padding and dilation', async () => {
  await selectBackend({force: 'cpu'})
  const x = Array.from({length: 2 * 2 * 9}, (_, i) => Math.sin(i)) // [N=2, Cin=2, L=9]
  const w = Array.from({length: 3 * 2 * 3}, (_, i) => Math.cos(i)) // [Cout=3, Cin=2, K=3]
  const b = [0.1, -0.2, 0.3]
  const ops = new TfjsOps(new Map([['c.weight', t(w, [3, 2, 3])], ['c.bias', t(b, [3])]]))
  for (const [stride, padding, dilation] of [[1, 0, 1], [2, 1, 1], [1, 2, 2], [2, 1, 2]] as const) {
    const lout = Math.floor((9 + 2 * padding - dilation * 2 - 1) / stride) + 1
    const expected: number[] = []
    for (let n = 0; n < 2; n++) {
      for (let co = 0; co < 3; co++) {
        for (let o = 0; o < lout; o++) {
          let acc = b[co]!
          for (let ci = 0; ci < 2; ci++) {
            for (let k = 0; k < 3; k++) {
              const pos = o * stride - padding + k * dilation
              if (pos >= 0 && pos < 9) acc += x[n * 18 + ci * 9 + pos]! * w[co * 6 + ci * 3 + k]!
            }
          }
          expected.push(acc)
        }
      }
    }
    const y = tf.tidy(() => {
      const out = ops.conv1d(t(x, [2, 2, 9]), 'c.weight', 'c.bias', {stride, padding, dilation})
      assert.deepEqual(out.shape, [2, 3, lout])
      return out.dataSync()
    })
    close(y, expected, 1e-5)
  }
})

test('batchNorm uses running statistics in eval and batch statistics in train', async () => {
  await selectBackend({force: 'cpu'})
  const params = new Map([
    ['bn.weight', t([2, 1], [2])],
    ['bn.bias', t([0, 1], [2])],
    ['bn.running_mean', t([1, -1], [2])],
    ['bn.running_var', t([4, 1], [2])],
  ])
  const x = [1, 2, 3, 4] // [N=2, C=2]
  const evalY = tf.tidy(() => new TfjsOps(params, {mode: 'eval'}).batchNorm(t(x, [2, 2]), 'bn', 0).dataSync())
  close(evalY, [0, 4, 2, 6])
  const trainY = tf.tidy(() => new TfjsOps(params, {mode: 'train'}).batchNorm(t(x, [2, 2]), 'bn', 0).dataSync())
  // per channel: mean (1+3)/2=2, biased var 1 → ±1
  close(trainY, [-2, 0, 2, 2])
})

test('dropout is the identity in eval mode and zeroes or rescales in train mode', async () => {
  await selectBackend({force: 'cpu'})
  const x = t(Array.from({length: 1000}, () => 1), [1000])
  const evalY = new TfjsOps(new Map(), {mode: 'eval'}).dropout(x, 0.5)
  assert.equal(evalY, x)
  const trainY = tf.tidy(() => new TfjsOps(new Map(), {mode: 'train'}).dropout(x, 0.5).dataSync())
  assert.ok(trainY.every((v) => v === 0 || Math.abs(v - 2) < 1e-6))
  assert.ok(trainY.some((v) => v === 0) && trainY.some((v) => v === 2))
  x.dispose()
})

test('slice, gather, linear and transposed matmul follow PyTorch', async () => {
  await selectBackend({force: 'cpu'})
  const ops = new TfjsOps(new Map([['l.weight', t([1, 0, 0, 1, 1, 1], [3, 2])], ['l.bias', t([0, 0, 10], [3])]]))
  tf.tidy(() => {
    const x = t([1, 2, 3, 4, 5, 6], [1, 3, 2])
    assert.deepEqual([...ops.slice(x, 1, 1, 3).dataSync()], [3, 4, 5, 6])
    assert.deepEqual([...ops.slice(x, -1, 0, 1).dataSync()], [1, 3, 5])
    assert.deepEqual([...ops.gather(x, [2, 0], 1).dataSync()], [5, 6, 1, 2])
    assert.deepEqual([...ops.linear(x, 'l.weight', 'l.bias').dataSync()], [1, 2, 13, 3, 4, 17, 5, 6, 21])
    const m = ops.matmul(t([1, 2, 3, 4], [1, 2, 2]), t([1, 0, 0, 1, 2, 2, 0, 1], [2, 2, 2]), {transposeB: true}) // batch broadcast
    assert.deepEqual(m.shape, [2, 2, 2])
  })
})

test('gather by slices equals tf.gather for runs, strided runs with and without a tail, repeats and any axis', async () => {
  await selectBackend({force: 'cpu'})
  assert.deepEqual(indexRuns([0, 3, 6, 9, 1, 2, 2, 5, 4]), [
    {start: 0, count: 4, step: 3},
    {start: 1, count: 2, step: 1},
    {start: 2, count: 1, step: 1},
    {start: 5, count: 1, step: 1},
    {start: 4, count: 1, step: 1},
  ])
  const ops = new TfjsOps(new Map())
  const lists = [[0, 3, 6, 9], [1, 4, 7, 10], [0, 2, 4], [9, 8, 7, 0, 0, 11, 1, 2, 3], [5], [2, 6, 10, 3, 4]]
  tf.tidy(() => {
    const x = tf.tensor(Float32Array.from({length: 2 * 12 * 3}, (_, i) => i), [2, 12, 3])
    for (const idx of lists) {
      const ref = tf.gather(x, tf.tensor1d(idx, 'int32'), 1)
      const ours = ops.gather(x, idx, 1)
      assert.deepEqual(ours.shape, ref.shape, idx.join())
      assert.deepEqual([...ours.dataSync()], [...ref.dataSync()], idx.join())
    }
    assert.deepEqual([...ops.gather(x, [2, 0, 2], -1).dataSync()], [...tf.gather(x, tf.tensor1d([2, 0, 2], 'int32'), 2).dataSync()])
    assert.deepEqual([...ops.gather(x, [1, 0], 0).dataSync()], [...tf.gather(x, tf.tensor1d([1, 0], 'int32'), 0).dataSync()])
    assert.throws(() => ops.gather(x, [12], 1), /out of range/)
  })
})
