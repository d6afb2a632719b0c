/** Rigid skeleton fit, bone-length steadiness and seam jump figures. */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {H36M_PARENTS, NUM_JOINTS} from '../../src/core/h36m.js'
import {boneLengthCv, fitBoneLengths, jumpRatio, rigidSkeleton} from '../../src/core/skeleton-fit.js'
import type {NDArray} from '../../src/core/ndarray.js'
import {Rng} from '../../src/core/rng.js'

/** A skeleton with bone k of length 100 + 10·k (left/right equal), moving smoothly, with noise. */
function track(T: number, noise: number, seed = 1): NDArray {
  const rng = new Rng(seed)
  const data = new Float32Array(T * NUM_JOINTS * 3)
  const sym = [0, 1, 2, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 8, 9, 10] // right and left bones share a length
  for (let t = 0; t < T; t++) {
    const base = t * NUM_JOINTS * 3
    data[base] = t * 10
    for (let j = 1; j < NUM_JOINTS; j++) {
      const p = H36M_PARENTS[j]!
      const a = j * 0.7 + t / 20
      const dir = [Math.cos(a) * Math.sin(j), Math.sin(a) * Math.sin(j), Math.cos(j)]
      const n = Math.hypot(dir[0]!, dir[1]!, dir[2]!)
      const len = (100 + 10 * sym[j]!) * (1 + rng.normal(0, noise))
      for (let c = 0; c < 3; c++) data[base + j * 3 + c] = data[base + p * 3 + c]! + (dir[c]! / n) * len
    }
  }
  return {data, shape: [T, NUM_JOINTS, 3]}
}

function boneLength(x: NDArray, t: number, j: number): number {
  const p = H36M_PARENTS[j]!
  const a = (t * NUM_JOINTS + j) * 3
  const b = (t * NUM_JOINTS + p) * 3
  return Math.hypot(x.data[a]! - x.data[b]!, x.data[a + 1]! - x.data[b + 1]!, x.data[a + 2]! - x.data[b + 2]!)
}

describe('fitBoneLengths / rigidSkeleton', () => {
  it('recovers the true lengths from noisy bones and makes every frame use them', () => {
    const x = track(200, 0.08)
    const lengths = fitBoneLengths(x)
    assert.equal(lengths[0], 0)
    assert.ok(Math.abs(lengths[2]! - 120) < 4, `r_knee bone ${lengths[2]}`)
    assert.ok(Math.abs(lengths[2]! - lengths[5]!) < 4) // left and right fitted alike
    const rigid = rigidSkeleton(x, lengths)
    for (const t of [0, 77, 199]) for (let j = 1; j < NUM_JOINTS; j++) assert.ok(Math.abs(boneLength(rigid, t, j) - lengths[j]!) < 1e-3)
    // the root does not move, bone directions are kept
    assert.equal(rigid.data[77 * 51], x.data[77 * 51])
    assert.ok(boneLengthCv(rigid) < 1e-6)
    assert.ok(boneLengthCv(x) > 0.05)
  })

  it('a rigid track is left as it is', () => {
    const x = track(50, 0)
    const rigid = rigidSkeleton(x)
    for (let i = 0; i < x.data.length; i++) assert.ok(Math.abs(rigid.data[i]! - x.data[i]!) < 1e-2)
  })

  it('refuses a wrong shape', () => {
    assert.throws(() => fitBoneLengths({data: new Float32Array(6), shape: [1, 2, 3]}), /\[T, 17, 3\]/)
  })
})

describe('jumpRatio', () => {
  it('is large when one step jumps and near 1 for steady motion', () => {
    const x = track(100, 0)
    const steady = jumpRatio(x)
    assert.ok(steady < 2, `steady ${steady}`)
    const jumped = {data: Float32Array.from(x.data), shape: x.shape}
    for (let t = 50; t < 100; t++) for (let j = 1; j < NUM_JOINTS; j++) jumped.data[(t * NUM_JOINTS + j) * 3] += 300
    assert.ok(jumpRatio(jumped) > 5 * steady)
  })
})
