/** copyStrided: strided views (transposes, Fortran order, offsets, torch views) copied out in C order. */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {copyStrided, strides} from '../../src/core/ndarray.js'

test('copyStrided reads a transpose, a Fortran-order array and an offset view in C order', () => {
  // [[0, 1, 2], [3, 4, 5]] transposed: shape [3, 2], strides [1, 3]
  const m = Float32Array.from([0, 1, 2, 3, 4, 5])
  assert.deepEqual(Array.from(copyStrided(m, 0, [3, 2], [1, 3], new Float32Array(6))), [0, 3, 1, 4, 2, 5])
  // a [2, 3, 2] array stored column-major: element (i, j, k) at i + 2j + 6k
  const shape = [2, 3, 2]
  const fortran = new Float64Array(12)
  for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 2; k++) fortran[i + 2 * j + 6 * k] = 100 * i + 10 * j + k
  const c = copyStrided(fortran, 0, shape, [1, 2, 6], new Float64Array(12))
  assert.deepEqual(Array.from(c), [0, 1, 10, 11, 20, 21, 100, 101, 110, 111, 120, 121])
  // every other element from offset 1, as a [2, 2] view of a longer storage
  const storage = Int32Array.from([9, 1, 9, 2, 9, 3, 9, 4])
  assert.deepEqual(Array.from(copyStrided(storage, 1, [2, 2], [4, 2], new Int32Array(4))), [1, 2, 3, 4])
  assert.deepEqual(strides([2, 3, 4]), [12, 4, 1])
})

test('copyStrided handles a scalar, an empty shape and bigint elements', () => {
  assert.deepEqual(Array.from(copyStrided(Float32Array.from([7, 8]), 1, [], [], new Float32Array(1))), [8])
  assert.deepEqual(Array.from(copyStrided(new Float32Array(0), 0, [0, 3], [3, 1], new Float32Array(0))), [])
  const big = BigInt64Array.from([1n, 2n, 3n, 4n])
  assert.deepEqual(Array.from(copyStrided(big, 0, [2, 2], [1, 2], new BigInt64Array(4))), [1n, 3n, 2n, 4n])
})
