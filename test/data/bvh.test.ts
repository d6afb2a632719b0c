import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {test} from 'node:test'

import {bvhFps, bvhPositions, bvhToH36m, CMU_ASF_MM_PER_UNIT, parseBvh, readBvh} from '../../src/data/bvh.js'
import {H36M_JOINTS} from '../../src/core/h36m.js'
import {isMotionError} from '../../src/core/errors.js'
import {dataDir} from '../helpers/paths.js'

const CMU_FILES = ['131_01.bvh', '131_02.bvh', '131_03.bvh'].map((f) => path.join(dataDir, 'bvh-cmu', f))
const J = (name: string): number => H36M_JOINTS.indexOf(name as (typeof H36M_JOINTS)[number])

function dist(x: Float32Array, t: number, a: number, b: number, P = 17): number {
  const o = (t * P + a) * 3
  const p = (t * P + b) * 3
  return Math.hypot(x[o]! - x[p]!, x[o + 1]! - x[p + 1]!, x[o + 2]! - x[p + 2]!)
}

for (const file of CMU_FILES) {
  test(`CMU ${path.basename(file)}: header, units, rigid bones, left on the left`, async () => {
    const text = readFileSync(file, 'utf8')
    const frames = Number(/Frames:\s*(\d+)/.exec(text)![1])
    const frameTime = Number(/Frame Time:\s*([\d.]+)/.exec(text)![1])
    const bvh = await readBvh(file)
    assert.equal(bvh.frameCount, frames)
    assert.equal(bvh.frameTime, frameTime)
    assert.equal(bvh.joints[0]!.name, 'Hips')
    assert.equal(bvhFps(bvh), 120)

    const h = bvhToH36m(bvh)
    assert.equal(h.skeleton, 'cmu')
    assert.equal(h.mmPerUnit, CMU_ASF_MM_PER_UNIT)
    assert.deepEqual(h.x3d.shape, [frames, 17, 3])
    assert.ok(h.x3d.data.every(Number.isFinite), 'finite positions')

    // Bones with no joint in between in the CMU skeleton keep their length to float precision.
    const rigid: [string, string][] = [['r_hip', 'r_knee'], ['r_knee', 'r_ankle'], ['l_hip', 'l_knee'], ['l_knee', 'l_ankle'], ['l_shoulder', 'l_elbow'], ['l_elbow', 'l_wrist'], ['r_shoulder', 'r_elbow'], ['neck', 'head'], ['pelvis', 'spine']]
    for (const [a, b] of rigid) {
      const lengths = Array.from({length: frames}, (_, t) => dist(h.x3d.data, t, J(a), J(b)))
      const lo = Math.min(...lengths)
      const hi = Math.max(...lengths)
      assert.ok(hi - lo < 0.01, `${a}-${b} varies by ${hi - lo} mm`)
      assert.ok(lo > 50 && hi < 600, `${a}-${b} is ${lo} mm: not millimetres of a human`)
    }
    const thigh = dist(h.x3d.data, 0, J('l_hip'), J('l_knee'))
    assert.ok(thigh > 350 && thigh < 480, `thigh ${thigh} mm`)

    // Left is on the character's left: with y up and the toes showing where it faces,
    // (l_hip - r_hip) points along up x forward.
    const pts = bvhPositions(bvh)
    const P = pts.names.length
    const idx = (n: string): number => pts.names.indexOf(n)
    let agree = 0
    for (let t = 0; t < frames; t++) {
      const p = (j: number, c: number): number => pts.positions.data[(t * P + j) * 3 + c]!
      const fwd = [0, 2].map((c) => p(idx('LeftToe'), c) - p(idx('LeftAnkle'), c) + p(idx('RightToe'), c) - p(idx('RightAnkle'), c))
      const leftDir = [0, 2].map((c) => p(idx('LeftHip'), c) - p(idx('RightHip'), c))
      // up x forward with up = +y: (fz, -fx) in the x-z plane.
      const side = fwd[1]! * leftDir[0]! - fwd[0]! * leftDir[1]!
      if (side > 0) agree++
    }
    assert.ok(agree / frames > 0.95, `left hip on the left in ${agree}/${frames} frames`)
  })
}

test('the CMU map gives the proportions of the cmu-mocap-h36m17 training data', async () => {
  const h = bvhToH36m(await readBvh(CMU_FILES[0]!))
  // Same skeleton definition: pelvis-spine ~112-116 mm, thorax-neck ~88-90 mm, neck-head ~92 mm.
  assert.ok(Math.abs(dist(h.x3d.data, 0, J('pelvis'), J('spine')) - 116) < 8)
  assert.ok(Math.abs(dist(h.x3d.data, 0, J('thorax'), J('neck')) - 88) < 6)
  assert.ok(Math.abs(dist(h.x3d.data, 0, J('neck'), J('head')) - 92) < 6)
  assert.ok(Math.abs(dist(h.x3d.data, 0, J('spine'), J('thorax')) - 203) < 8)
})

test('any channel order: rotations compose in listed order, position channels set the root', () => {
  const text = [
    'HIERARCHY',
    'ROOT A',
    '{',
    '  OFFSET 5 5 5',
    '  CHANNELS 6 Zrotation Xposition Xrotation Yposition Zposition Yrotation',
    '  JOINT B',
    '  {',
    '    OFFSET 0 10 0',
    '    CHANNELS 3 Xrotation Yrotation Zrotation',
    '    End Site',
    '    {',
    '      OFFSET 1 0 0',
    '    }',
    '  }',
    '}',
    'MOTION',
    'Frames: 1',
    'Frame Time: 0.04',
    '90 1 90 2 3 0 0 0 90',
  ].join('\n')
  const bvh = parseBvh(text, 'mem.bvh')
  assert.equal(bvh.channelCount, 9)
  const pts = bvhPositions(bvh)
  assert.deepEqual(pts.names, ['A', 'B', 'B_end'])
  const p = Array.from(pts.positions.data).map((v) => Math.round(v * 1e4) / 1e4 + 0)
  // Root at its position channels (1, 2, 3), the offset replaced.
  assert.deepEqual(p.slice(0, 3), [1, 2, 3])
  // Root rotation Rz(90) Rx(90): (0, 10, 0) -> Rx: (0, 0, 10) -> Rz: (0, 0, 10).
  assert.deepEqual(p.slice(3, 6), [1, 2, 13])
  // B's rotation Rz(90) in B's local frame: end (1,0,0) -> (0,1,0) -> root Rx: (0,0,1) -> Rz: (0,0,1).
  assert.deepEqual(p.slice(6, 9), [1, 2, 14])
  assert.equal(bvhFps(bvh), 25)
})

function malformed(text: string, pattern: RegExp): void {
  assert.throws(
    () => parseBvh(text, 'bad.bvh'),
    (err: unknown) => isMotionError(err) && err.exitCode === 2 && err.message.startsWith('bad.bvh: ') && pattern.test(err.message),
  )
}

const GOOD = ['HIERARCHY', 'ROOT R', '{', 'OFFSET 0 0 0', 'CHANNELS 3 Xposition Yposition Zposition', 'End Site', '{', 'OFFSET 0 1 0', '}', '}', 'MOTION', 'Frames: 2', 'Frame Time: 0.1', '1 2 3', '4 5 6']

test('a well-formed minimal BVH parses', () => {
  const bvh = parseBvh(GOOD.join('\n'), 'ok.bvh')
  assert.equal(bvh.frameCount, 2)
  assert.deepEqual(Array.from(bvh.motion), [1, 2, 3, 4, 5, 6])
})

test('malformed BVH: each problem names the file and the line', () => {
  malformed('', /empty BVH/)
  malformed(['HIERARCHIE', ...GOOD.slice(1)].join('\n'), /line 1: expected 'HIERARCHY'/)
  malformed(GOOD.slice(0, 14).join('\n'), /file ends after 1 of the 2 frames/)
  malformed([...GOOD.slice(0, 14), '4 5'].join('\n'), /line 15: frame 1 has 2 values, the hierarchy has 3 channels/)
  malformed([...GOOD.slice(0, 14), '4 x 6'].join('\n'), /line 15: value 2 'x' is not a finite number/)
  malformed([...GOOD, '7 8 9'].join('\n'), /line 16: more motion lines than the 2 frames/)
  malformed(GOOD.map((l) => l.replace('Yposition', 'Wposition')).join('\n'), /line 5: unknown channel 'Wposition'/)
  malformed(GOOD.map((l) => l.replace('OFFSET 0 0 0', 'OFFSET 0 zero 0')).join('\n'), /line 4: expected a number for OFFSET y/)
  malformed(GOOD.slice(0, 9).join('\n'), /unexpected end of file, expected '}' closing joint R/)
  malformed(GOOD.map((l) => (l === 'Frame Time: 0.1' ? 'Frame Time: 0' : l)).join('\n'), /line 13: frame time must be positive/)
})

test('an unknown skeleton is refused with the supported ones named', () => {
  const bvh = parseBvh(GOOD.join('\n'), 'odd.bvh')
  assert.throws(() => bvhToH36m(bvh), (err: unknown) => isMotionError(err) && err.exitCode === 2 && /not recognised/.test(err.message) && /cmu/.test(err.hint ?? ''))
})

test('a missing file is an input error', async () => {
  await assert.rejects(readBvh('/nonexistent/x.bvh'), (err: unknown) => isMotionError(err) && /x\.bvh: no such BVH file/.test(err.message))
})
