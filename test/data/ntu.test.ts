/**
 * MotionBERT's NTU action pickles: test/fixtures/ntu/tiny.pkl (made by make_ntu_pkl.py: one and
 * two people, landscape and portrait images, float16 scores, an undetected joint) read by the
 * restricted unpickler and prepared as the official NTURGBD dataset; val_expected.npy is the
 * official dataset's output on the val split (make_expected.py), matched to 1e-4.
 */
import assert from 'node:assert/strict'
import path from 'node:path'
import {test} from 'node:test'

import {cropScaleAction, ntuSamples, ntuSplitNames, randomMove, readNtuPickle} from '../../src/data/ntu.js'
import {isMotionError} from '../../src/core/errors.js'
import {readNpyFloat32} from '../../src/formats/npy.js'
import {NtuBatchSource} from '../../src/tasks/action/ntu.js'
import {Rng} from '../../src/core/rng.js'
import {repoRoot} from '../helpers/paths.js'

const dir = path.join(repoRoot, 'test', 'fixtures', 'ntu')

test('the tiny NTU pickle reads with its splits and annotations', async () => {
  const pkl = await readNtuPickle(path.join(dir, 'tiny.pkl'))
  assert.deepEqual([...pkl.splits.keys()], ['xsub_train', 'xsub_val'])
  assert.equal(pkl.annotations.length, 9)
  assert.deepEqual(pkl.annotations.map((a) => a.label), [0, 1, 2, 0, 1, 2, 0, 1, 2])
  assert.equal(pkl.annotations[1]!.keypoint.shape[0], 2)
  assert.deepEqual(pkl.annotations[4]!.imgShape, [1920, 1080])
  assert.deepEqual(ntuSplitNames(pkl), {train: 'xsub_train', test: 'xsub_val'})
  assert.throws(() => ntuSplitNames(pkl, 'xview'), (e: unknown) => isMotionError(e) && /no split xview_train/.test(e.message))
})

test('val samples equal the official NTURGBD output (make_cam, human_tracking, coco2h36m, resample, zero person, crop_scale [2, 2])', async () => {
  const pkl = await readNtuPickle(path.join(dir, 'tiny.pkl'))
  const expected = await readNpyFloat32(path.join(dir, 'val_expected.npy')) // [3, 2, 16, 17, 3]
  const samples = ntuSamples(pkl, 'xsub_val', {clipLen: 16, persons: 2})
  assert.equal(samples.length, 3)
  const per = expected.data.length / 3
  samples.forEach((s, i) => {
    const ours = cropScaleAction(s.motion, [2, 2])
    assert.deepEqual(ours.shape, [2, 16, 17, 3])
    let maxDiff = 0
    for (let k = 0; k < per; k++) maxDiff = Math.max(maxDiff, Math.abs(ours.data[k]! - expected.data[i * per + k]!))
    assert.ok(maxDiff <= 1e-4, `sample ${i}: max diff ${maxDiff}`)
  })
})

test('training batches: random_move moves every person, crop_scale keeps x, y in [-1, 1], labels follow the samples', async () => {
  const pkl = await readNtuPickle(path.join(dir, 'tiny.pkl'))
  const samples = ntuSamples(pkl, 'xsub_train', {clipLen: 16, persons: 2, rng: new Rng(1)})
  const moved = randomMove(samples[0]!.motion, new Rng(3))
  assert.notDeepEqual(moved.data, samples[0]!.motion.data)
  const source = new NtuBatchSource(samples, {batchSize: 4, randomMove: true, scaleRange: [1, 3]})
  const b = source.batch([0, 1, 2, 3], new Rng(2))
  assert.deepEqual(b.input.shape, [4, 2, 16, 17, 3])
  assert.deepEqual(Array.from(b.labels!), [0, 1, 2, 0])
  assert.ok(b.input.data.every((v) => v >= -1 && v <= 1))
})
