import assert from 'node:assert/strict'
import {test} from 'node:test'

import {smoothPoses, type SmoothOptions} from '../../src/data/smooth.js'
import {isMotionError} from '../../src/core/errors.js'
import type {NDArray} from '../../src/core/ndarray.js'
import {Rng} from '../../src/core/rng.js'

const T = 200
const C = 17 * 3

function sequence(f: (t: number, c: number) => number): NDArray {
  const data = new Float32Array(T * C)
  for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) data[t * C + c] = f(t, c)
  return {data, shape: [T, 17, 3]}
}

const METHODS: SmoothOptions[] = [
  {method: 'one-euro', fps: 30},
  {method: 'savgol', fps: 30},
]

test('a constant signal is unchanged by both filters', () => {
  const x = sequence((_, c) => c * 10 - 7)
  for (const m of METHODS) {
    const y = smoothPoses(x, m)
    assert.deepEqual(y.shape, [T, 17, 3])
    for (let i = 0; i < x.data.length; i++) assert.ok(Math.abs(y.data[i]! - x.data[i]!) < 1e-4, `${m.method} changed a constant`)
  }
})

test('noise variance is reduced by both filters', () => {
  const rng = new Rng(7)
  const x = sequence(() => rng.normal())
  for (const m of METHODS) {
    const y = smoothPoses(x, m)
    const variance = (d: Float32Array): number => d.reduce((s, v) => s + v * v, 0) / d.length
    assert.ok(variance(y.data) < 0.5 * variance(x.data), `${m.method}: ${variance(y.data)} vs ${variance(x.data)}`)
  }
})

test('Savitzky-Golay keeps a linear ramp and a parabola exactly, ends included (no shift)', () => {
  const ramp = sequence((t, c) => 3 * t - c)
  const parabola = sequence((t, c) => 0.01 * (t - 50) ** 2 + c)
  for (const x of [ramp, parabola]) {
    const y = smoothPoses(x, {method: 'savgol'})
    let err = 0
    for (let i = 0; i < x.data.length; i++) err = Math.max(err, Math.abs(y.data[i]! - x.data[i]!))
    assert.ok(err < 1e-3, `max deviation ${err}`)
  }
  // Order 2 flattens a peak less than a moving average would, but it does smooth a spike.
  const spike = sequence((t) => (t === 100 ? 1 : 0))
  const y = smoothPoses(spike, {method: 'savgol', window: 9, order: 2})
  assert.ok(y.data[100 * C]! < 0.5 && y.data[100 * C]! > 0)
})

test('short sequences: Savitzky-Golay shrinks its window, one frame passes through', () => {
  const x: NDArray = {data: new Float32Array([1, 2, 3, 4, 5].flatMap((v) => Array<number>(C).fill(v))), shape: [5, 17, 3]}
  const y = smoothPoses(x, {method: 'savgol'})
  assert.ok(Math.abs(y.data[0]! - 1) < 1e-5 && Math.abs(y.data[4 * C]! - 5) < 1e-5)
  const one: NDArray = {data: new Float32Array(C).fill(2), shape: [1, 17, 3]}
  assert.deepEqual(Array.from(smoothPoses(one, {method: 'savgol'}).data), Array.from(one.data))
  assert.deepEqual(Array.from(smoothPoses(one, {method: 'one-euro', fps: 25}).data), Array.from(one.data))
})

test('one-euro follows fast motion more closely with a larger beta', () => {
  const x = sequence((t) => (t < 100 ? 0 : 1000)) // a step of 1000 units
  const lag = (beta: number): number => 1000 - smoothPoses(x, {method: 'one-euro', fps: 30, beta}).data[103 * C]!
  assert.ok(lag(0.05) < lag(0), `${lag(0.05)} vs ${lag(0)}`)
})

test('invalid parameters are input errors', () => {
  const x = sequence(() => 0)
  const bad: SmoothOptions[] = [
    {method: 'savgol', window: 8},
    {method: 'savgol', window: 5, order: 5},
    {method: 'one-euro', fps: 0},
    {method: 'one-euro', fps: 30, minCutoff: -1},
  ]
  for (const opts of bad) assert.throws(() => smoothPoses(x, opts), (e: unknown) => isMotionError(e) && e.exitCode === 2)
})
