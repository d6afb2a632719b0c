import assert from 'node:assert/strict'
import {test} from 'node:test'

import {eulerToMatrix, matrixToEuler, type Axis, type EulerOrder} from '../../src/formats/bvh-rotation.js'

const ORDERS: EulerOrder[] = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]].map((o) => o as [Axis, Axis, Axis])

function maxDiff(a: number[], b: number[]): number {
  return Math.max(...a.map((v, i) => Math.abs(v - b[i]!)))
}

test('matrixToEuler reproduces the rotation in every order, including gimbal lock', () => {
  const samples = [
    [10, 20, 30],
    [-170, 80, 45],
    [33, 90, -12],
    [33, -90, 70],
    [179, -5, -179],
  ]
  for (const order of ORDERS) {
    for (const angles of samples) {
      const m = eulerToMatrix(order, angles)
      const back = matrixToEuler(m, order)
      assert.ok(maxDiff(eulerToMatrix(order, back), m) < 1e-9, `order ${order} angles ${angles} -> ${back}`)
    }
  }
})

test('matrixToEuler picks the solution nearest the previous frame (no flips, no 360 jumps)', () => {
  const order: EulerOrder = [2, 1, 0]
  const prev = [190, 10, -200]
  const m = eulerToMatrix(order, [192, 11, -199])
  const got = matrixToEuler(m, order, prev)
  assert.ok(maxDiff(got, [192, 11, -199]) < 1e-9, `got ${got}`)
})
