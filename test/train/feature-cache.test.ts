/** The feature cache keeps the pooled slots of each sample for heads that pool frames first (action). */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {getHead} from '../../src/heads/registry.js'

test('only heads that pool frames first offer their pooling to the cache', () => {
  const action = getHead('action')
  const rep = {data: Float32Array.from([1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60]), shape: [2, 3, 1, 2]} // [B 2, T 3, J 1, R 2]
  const official = action.poolFrames!(rep, {...action.defaults})
  assert.deepEqual(official.shape, [2, 1, 1, 2], 'the official head: one mean over frames')
  assert.deepEqual(Array.from(official.data), [3, 4, 30, 40])
  assert.equal(getHead('pose3d').poolFrames, undefined)
})
