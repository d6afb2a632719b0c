/** The feature cache keeps the frame mean of each sample for heads that pool frames first (action). */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {frameMean, segmentMeans} from '../../src/train/run.js'

test('frameMean: [B, T, J, R] → [B, 1, J, R], the mean of each sample over its frames', () => {
  // B 2, T 3, J 1, R 2
  const x = {data: Float32Array.from([1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60]), shape: [2, 3, 1, 2]}
  const m = frameMean(x)
  assert.deepEqual(m.shape, [2, 1, 1, 2])
  assert.deepEqual(Array.from(m.data), [3, 4, 30, 40])
})

test('segmentMeans: [B, T, J, R] → [B, K, J, R], the mean over each of K equal stretches, in order', () => {
  // B 1, T 4, J 1, R 1
  const m = segmentMeans({data: Float32Array.from([1, 3, 10, 30]), shape: [1, 4, 1, 1]}, 2)
  assert.deepEqual(m.shape, [1, 2, 1, 1])
  assert.deepEqual(Array.from(m.data), [2, 20])
  assert.throws(() => segmentMeans({data: new Float32Array(3), shape: [1, 3, 1, 1]}, 2), /3 frames over 2/)
})

test('only heads that pool frames first declare it, with their number of stretches', async () => {
  const {getHead} = await import('../../src/heads/registry.js')
  const action = getHead('action')
  assert.equal(action.framePools?.({...action.defaults}), 1)
  assert.equal(action.framePools?.({...action.defaults, temporal_segments: 4}), 4)
  assert.equal(getHead('pose3d').framePools, undefined)
})
