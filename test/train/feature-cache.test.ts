/** The feature cache keeps the frame mean of each sample for heads that pool frames first (action). */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {frameMean} from '../../src/train/run.js'

test('frameMean: [B, T, J, R] → [B, 1, J, R], the mean of each sample over its frames', () => {
  // B 2, T 3, J 1, R 2
  const x = {data: Float32Array.from([1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60]), shape: [2, 3, 1, 2]}
  const m = frameMean(x)
  assert.deepEqual(m.shape, [2, 1, 1, 2])
  assert.deepEqual(Array.from(m.data), [3, 4, 30, 40])
})

test('only heads that pool frames first declare it', async () => {
  const {getHead} = await import('../../src/heads/registry.js')
  assert.equal(getHead('action').poolsFramesFirst, true)
  assert.notEqual(getHead('pose3d').poolsFramesFirst, true)
})
