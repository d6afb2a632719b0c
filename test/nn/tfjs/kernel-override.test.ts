/** overrideKernel replaces a backend's kernel once per process, keeping the original callable. */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import * as tf from '@tensorflow/tfjs-core'
import {selectBackend} from '../../../src/nn/tfjs/backend.js'
import {overrideKernel} from '../../../src/nn/tfjs/kernel-override.js'

test('overrideKernel wraps a kernel once: a second replacement of the same kernel is ignored; unknown kernels are left alone', async () => {
  await selectBackend({force: 'cpu'})
  let calls = 0
  overrideKernel('Neg', 'cpu', (original) => (args) => {
    calls++
    return original(args)
  })
  const wrapped = tf.getKernel('Neg', 'cpu')!.kernelFunc
  overrideKernel('Neg', 'cpu', () => () => {
    throw new Error('a second wrapper must not be installed')
  })
  assert.equal(tf.getKernel('Neg', 'cpu')!.kernelFunc, wrapped)
  assert.deepEqual(Array.from(tf.tidy(() => tf.neg(tf.tensor([1, -2])).dataSync())), [-1, 2])
  assert.equal(calls, 1)
  overrideKernel('NoSuchKernel', 'cpu', () => () => {
    throw new Error('never registered')
  })
  assert.equal(tf.getKernel('NoSuchKernel', 'cpu'), undefined)
})
