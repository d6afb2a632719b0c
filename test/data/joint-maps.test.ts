/** Joint maps to H36M-17: MotionBERT's halpe2h36m / coco2h36m reproduced exactly; our maps documented and sane. */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {H36M_JOINTS} from '../../src/core/h36m.js'
import {JOINT_MAPS, mapToH36m} from '../../src/data/joint-maps.js'

/** Deterministic pseudo-random source joints (x, y, c). */
function sourceValues(joints: number): number[] {
  return Array.from({length: joints * 3}, (_, i) => (i % 3 === 2 ? 0.2 + ((i * 37) % 70) / 100 : ((i * 7919) % 1000) + 0.25))
}

/** MotionBERT lib/data/dataset_wild.py halpe2h36m, written out as there (y[:, j] = ...). */
function halpe2h36m(x: number[]): number[] {
  const at = (j: number): number[] => x.slice(j * 3, j * 3 + 3)
  const mid = (a: number, b: number): number[] => at(a).map((v, c) => (v + at(b)[c]!) * 0.5)
  return [at(19), at(12), at(14), at(16), at(11), at(13), at(15), mid(18, 19), at(18), at(0), at(17), at(5), at(7), at(9), at(6), at(8), at(10)].flat()
}

/** MotionBERT lib/data/dataset_action.py coco2h36m, in its order of steps. */
function coco2h36m(x: number[]): number[] {
  const at = (j: number): number[] => x.slice(j * 3, j * 3 + 3)
  const mid = (a: number[], b: number[]): number[] => a.map((v, c) => (v + b[c]!) * 0.5)
  const root = mid(at(11), at(12))
  const thorax = mid(at(5), at(6))
  return [root, at(12), at(14), at(16), at(11), at(13), at(15), mid(root, thorax), thorax, at(0), mid(at(1), at(2)), at(5), at(7), at(9), at(6), at(8), at(10)].flat()
}

function close(actual: Float32Array, expected: number[], tol: number): void {
  assert.equal(actual.length, expected.length)
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i]! - expected[i]!) <= tol * Math.max(1, Math.abs(expected[i]!)), `index ${i}: ${actual[i]} vs ${expected[i]}`)
}

describe('joint maps', () => {
  it('halpe26 is MotionBERT halpe2h36m', () => {
    const x = sourceValues(26)
    close(mapToH36m(JOINT_MAPS.halpe26, x), halpe2h36m(x), 1e-7)
  })

  it('coco17 is MotionBERT coco2h36m (pelvis, spine, thorax, head synthesised)', () => {
    const x = sourceValues(17)
    close(mapToH36m(JOINT_MAPS.coco17, x), coco2h36m(x), 1e-7)
  })

  it('every map names its source joints and gives 17 valid source lists', () => {
    for (const map of Object.values(JOINT_MAPS)) {
      assert.equal(map.sources.length, H36M_JOINTS.length, map.layout)
      for (const ids of map.sources) {
        assert.ok(ids.length >= 1)
        for (const id of ids) assert.ok(id >= 0 && id < map.sourceJoints.length, `${map.layout}: source ${id}`)
      }
    }
  })

  it('limbs map to the same-named source joints (left stays left)', () => {
    const limbs: Record<string, string[]> = {
      body25: ['RHip', 'RKnee', 'RAnkle', 'LHip', 'LKnee', 'LAnkle'],
      coco18: ['RHip', 'RKnee', 'RAnkle', 'LHip', 'LKnee', 'LAnkle'],
      blazepose33: ['right_hip', 'right_knee', 'right_ankle', 'left_hip', 'left_knee', 'left_ankle'],
    }
    for (const [layout, names] of Object.entries(limbs)) {
      const map = JOINT_MAPS[layout as keyof typeof JOINT_MAPS]
      names.forEach((name, k) => assert.equal(map.sourceJoints[map.sources[k + 1]![0]!], name, `${layout} H36M joint ${k + 1}`))
      assert.equal(map.sourceJoints[map.sources[13]![0]!]!.toLowerCase().replace('_', ''), layout === 'blazepose33' ? 'leftwrist' : 'lwrist')
      assert.equal(map.sourceJoints[map.sources[16]![0]!]!.toLowerCase().replace('_', ''), layout === 'blazepose33' ? 'rightwrist' : 'rwrist')
    }
  })

  it('BODY_25: a missing source (confidence 0 at 0,0) makes the synthesised joint invalid, not dragged to the corner', () => {
    const x = sourceValues(25)
    // MidHip (8) and Neck (1) give the spine; make the neck undetected
    x[3] = 0
    x[4] = 0
    x[5] = 0
    const h = mapToH36m(JOINT_MAPS.body25, x)
    const spine = 7
    assert.equal(h[spine * 3 + 2], 0)
    assert.equal(h[spine * 3], Math.fround(x[8 * 3]!)) // the mean of the present source only
    assert.equal(h[8 * 3 + 2], 0) // thorax = the neck itself
    // pelvis = MidHip, untouched
    assert.equal(h[0], Math.fround(x[24]!))
  })
})
