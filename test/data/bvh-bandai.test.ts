/** Bandai Namco BVH (6 channels on every joint, ZXY, cm): read, mapped to H36M-17 as the shared data was made, converted by the CLI. */
import assert from 'node:assert/strict'
import {existsSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'
import {bvhToH36m, readBvh} from '../../src/data/bvh.js'
import {readNpyFloat32} from '../../src/formats/npy.js'
import {runCli} from '../helpers/cli.js'
import {dataDir} from '../helpers/paths.js'
import {tmpDirForTests} from '../helpers/tmp.js'

const tmp = tmpDirForTests('motion-bandai-bvh-')
const BVH_DIR = path.join(dataDir, 'bvh-bandai')
// The same takes in the converted set (../shared/data/bandai2-h36m17, made by shared/tools/bandai_bvh_to_h36m.py).
const CASES = [
  ['dataset-2_walk_normal_001', 'train/walk'],
  ['dataset-2_run_active_004', 'train/run'],
  ['dataset-2_wave-left-hand_elderly_002', 'train/wave-left-hand'],
] as const

function converted(name: string, folder: string): string {
  for (const split of ['train', 'test']) {
    const f = path.join(dataDir, 'bandai2-h36m17', split, folder.split('/')[1]!, `${name}.npy`)
    if (existsSync(f)) return f
  }
  throw new Error(`no converted clip for ${name}`)
}

describe('Bandai BVH', () => {
  for (const [name, folder] of CASES) {
    it(`${name}: H36M-17 in mm equals the converted data set to 0.01 mm`, async () => {
      const clip = bvhToH36m(await readBvh(path.join(BVH_DIR, `${name}.bvh`)))
      assert.equal(clip.skeleton, 'bandai')
      assert.equal(clip.mmPerUnit, 10)
      assert.equal(clip.fps, 30)
      const want = await readNpyFloat32(converted(name, folder))
      assert.deepEqual(clip.x3d.shape, want.shape)
      let max = 0
      for (let i = 0; i < want.data.length; i++) max = Math.max(max, Math.abs(clip.x3d.data[i]! - want.data[i]!))
      assert.ok(max < 0.01, `max difference ${max} mm`)
    })
  }

  it('motion data convert writes the 3D clip; other extensions are refused', async () => {
    const out = path.join(tmp, 'walk.npy')
    const r = await runCli(['data', 'convert', path.join(BVH_DIR, 'dataset-2_walk_normal_001.bvh'), '--out', out, '--json'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal((JSON.parse(r.stdout) as {skeleton: string}).skeleton, 'bandai')
    assert.deepEqual((await readNpyFloat32(out)).shape, [273, 17, 3])
    const bad = await runCli(['data', 'convert', path.join(BVH_DIR, 'dataset-2_walk_normal_001.bvh'), '--out', path.join(tmp, 'walk.csv')])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /write \.npy/)
    assert.ok(!existsSync(path.join(tmp, 'walk.csv')))
  })
})
