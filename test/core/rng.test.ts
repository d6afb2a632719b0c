import assert from 'node:assert/strict'
import {test} from 'node:test'

import {isMotionError} from '../../src/core/errors.js'
import {Rng, type RngState} from '../../src/core/rng.js'

test('xoshiro128** matches the reference sequence for state [1, 2, 3, 4]', () => {
  const rng = Rng.fromState({kind: 'xoshiro128**', s: [1, 2, 3, 4], spare: null})
  const out = Array.from({length: 6}, () => rng.nextUint32())
  assert.deepEqual(out, [11520, 0, 5927040, 70819200, 2031721883, 1637235492])
})

test('RNG state survives a JSON round trip mid-sequence, including a pending normal', () => {
  const a = new Rng(1234)
  for (let i = 0; i < 17; i++) a.next()
  a.normal() // leaves a spare normal in the state
  const saved = JSON.parse(JSON.stringify(a.state())) as RngState
  assert.notEqual(saved.spare, null)
  const b = Rng.fromState(saved)
  const fromA = [a.normal(), a.next(), a.int(1000), a.uniform(-3, 5), a.normal(), ...a.permutation(8)]
  const fromB = [b.normal(), b.next(), b.int(1000), b.uniform(-3, 5), b.normal(), ...b.permutation(8)]
  assert.deepEqual(fromB, fromA)
})

test('the same seed gives the same sequence, different seeds differ', () => {
  const seq = (seed: number): number[] => {
    const r = new Rng(seed)
    return Array.from({length: 5}, () => r.next())
  }
  assert.deepEqual(seq(7), seq(7))
  assert.notDeepEqual(seq(7), seq(8))
})

test('uniforms lie in [0, 1) with mean near 1/2; normals have mean 0 and std 1', () => {
  const r = new Rng(99)
  let sum = 0
  let sumN = 0
  let sumN2 = 0
  const n = 20000
  for (let i = 0; i < n; i++) {
    const u = r.next()
    assert.ok(u >= 0 && u < 1)
    sum += u
    const z = r.normal()
    sumN += z
    sumN2 += z * z
  }
  assert.ok(Math.abs(sum / n - 0.5) < 0.01)
  assert.ok(Math.abs(sumN / n) < 0.03)
  assert.ok(Math.abs(Math.sqrt(sumN2 / n) - 1) < 0.03)
})

test('a malformed saved state is an input error', () => {
  assert.throws(
    () => Rng.fromState({kind: 'xoshiro128**', s: [0, 0, 0, 0], spare: null}),
    (err: unknown) => isMotionError(err) && err.exitCode === 2,
  )
})
