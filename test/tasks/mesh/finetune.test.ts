/**
 * Mesh finetuning at library level on tfjs: mesh data folders (src/tasks/mesh/data.ts) read back what
 * synth-mesh style clips hold, MeshBatchSource builds MeshLoss targets, and TfjsTrainer steps on the
 * official objective lower it. The config loader leaves the mesh-only lambdas unset, so a loaded
 * config gives the official mesh objective.
 */
import assert from 'node:assert/strict'
import {mkdirSync} from 'node:fs'
import path from 'node:path'
import {test} from 'node:test'

import {loadMotionConfig} from '../../../src/model/config-keys.js'
import {isMotionError} from '../../../src/core/errors.js'
import {writeNpz} from '../../../src/formats/npy.js'
import {loadBodyModel} from '../../../src/tasks/mesh/body-model.js'
import {MeshBatchSource, readMeshClip, readMeshData} from '../../../src/tasks/mesh/data.js'
import {evaluateMeshClips} from '../../../src/tasks/mesh/evaluate.js'
import {DEFAULT_MESH_LOSS, meshLossConfig} from '../../../src/tasks/mesh/losses.js'
import {meshModel, synthMeshData} from '../../../src/tasks/mesh/train.js'
import {forwardModel, HEAD_PREFIX} from '../../../src/model/model.js'
import {loadOfficialCheckpoint} from '../../../src/model/official.js'
import {selectBackend} from '../../../src/nn/tfjs/backend.js'
import {AdamW} from '../../../src/train/optim.js'
import {Rng} from '../../../src/core/rng.js'
import {TfjsTrainer} from '../../../src/train/engine-tfjs.js'
import {trainableNames} from '../../../src/train/freeze.js'
import {fixturesDir, repoRoot} from '../../helpers/paths.js'
import {meshTiny} from '../../helpers/mesh.js'
import {tmpDirForTests} from '../../helpers/tmp.js'

const tmp = tmpDirForTests('motion-mesh-ft-')

test('a loaded config without mesh lambdas gives the official mesh objective (MB_ft_pw3d.yaml), pose weights stay 0', async () => {
  const {config} = await loadMotionConfig({search: false})
  assert.equal(config.lambda_pose, undefined)
  assert.equal(config.lambda_norm, undefined)
  assert.equal(config.lambda_3d_velocity, 0)
  assert.deepEqual(meshLossConfig(config as unknown as Record<string, unknown>), DEFAULT_MESH_LOSS)
  assert.equal(DEFAULT_MESH_LOSS.lambda_norm, 20)
  assert.equal(DEFAULT_MESH_LOSS.loss_type, 'L1')
  const set = await loadMotionConfig({search: false, overrides: {lambda_pose: 5, loss_type: 'MSE'}})
  assert.deepEqual(meshLossConfig(set.config as unknown as Record<string, unknown>), {...DEFAULT_MESH_LOSS, lambda_pose: 5, loss_type: 'MSE'})
})

test('mesh clips: pixels with image_size are normalised as DataReaderMesh, a clip without theta is an input error', async () => {
  const file = path.join(tmp, 'px.npz')
  const kp = new Float32Array(2 * 17 * 3)
  for (let i = 0; i < 34; i++) (kp[i * 3] = 960), (kp[i * 3 + 1] = 540), (kp[i * 3 + 2] = 1.5)
  await writeNpz(file, {keypoints2d: {data: kp, shape: [2, 17, 3]}, theta: {data: new Float32Array(2 * 82), shape: [2, 82]}, image_size: {data: Float32Array.from([1920, 1080]), shape: [2]}})
  const clip = await readMeshClip(file, 'px.npz', 'train')
  assert.deepEqual(Array.from(clip.keypoints2d.data.subarray(0, 3)), [0, 540 / 960 - 1080 / 1920, 1])
  const bad = path.join(tmp, 'bad.npz')
  await writeNpz(bad, {keypoints2d: {data: kp, shape: [2, 17, 3]}})
  await assert.rejects(readMeshClip(bad, 'bad.npz', 'train'), (e: unknown) => isMotionError(e) && /needs keypoints2d and theta/.test(e.message))
})

test('tfjs-wasm: finetuning a fresh mesh head on synthetic clips lowers the official loss; evaluation gives MPVE, MPJPE, PA-MPJPE', async () => {
  // wasm has no tf.gather gradient kernel; the executor's gather (slices + concat) needs none.
  await selectBackend({force: 'wasm'})
  const body = await loadBodyModel({dir: path.join(meshTiny, 'body_model'), needMeanParams: true})
  const pose = await loadOfficialCheckpoint(path.join(fixturesDir, 'dstformer-tiny', 'checkpoint.bin'), {num_heads: 4})
  const model = meshModel(pose.model.weights, body, {num_heads: 4, hidden_dim: 16}, 3)

  // A data folder as synth-mesh writes it.
  const dir = path.join(tmp, 'mesh')
  const synth = await synthMeshData(body, {clips: 3, frames: 8, seed: 5})
  for (const split of ['train', 'test']) mkdirSync(path.join(dir, split), {recursive: true})
  for (let n = 0; n < 3; n++) {
    const part = (a: {data: Float32Array; shape: number[]}) => ({data: a.data.slice((n * a.data.length) / 3, ((n + 1) * a.data.length) / 3), shape: a.shape.slice(1)})
    await writeNpz(path.join(dir, n < 2 ? 'train' : 'test', `c${n}.npz`), {keypoints2d: part(synth.input), theta: part(synth.theta)})
  }
  const data = await readMeshData(dir)
  assert.deepEqual(data.clips.map((c) => c.split), ['test', 'train', 'train'])
  const train = data.clips.filter((c) => c.split === 'train')

  const config = meshLossConfig({})
  const source = await MeshBatchSource.create(train, body, {batchSize: 2, clipLen: 4, stride: 4, flip: true, withVerts: false})
  assert.equal(source.size, 4)
  const b = source.batch([0, 1], new Rng(1))
  assert.deepEqual(b.input.shape, [2, 4, 17, 3])
  assert.deepEqual(b.mesh!.rotmat.shape, [2, 4, 24, 3, 3])
  assert.deepEqual(b.mesh!.kp_3d.shape, [2, 4, 17, 3])
  // Unflipped windows' joints are the body model posed by the clip's theta.
  const plain = await MeshBatchSource.create(train, body, {batchSize: 1, clipLen: 4, stride: 4, flip: false, withVerts: false})
  const first = plain.batch([0], new Rng(0)).mesh!.kp_3d.data
  for (let i = 0; i < first.length; i++) assert.ok(Math.abs(first[i]! - synth.kp_3d.data[i]!) < 1e-3)

  const names = [...model.weights.keys()]
  const trainable = trainableNames(names, {kind: 'backbone'}, (n) => n)
  assert.ok([...trainable].every((n) => n.startsWith(HEAD_PREFIX) && !n.includes('smpl.')))
  const trainer = new TfjsTrainer({model, trainable, optimiser: new AdamW({lr: 0.01, weightDecay: 0.01}), meshLoss: config, backend: 'wasm'})
  const losses: number[] = []
  const rng = new Rng(2)
  try {
    for (let step = 0; step < 8; step++) {
      const r = await trainer.step(source.batch([step % 4, (step + 1) % 4], rng), 1)
      assert.ok(r.parts.loss_pose !== undefined && r.parts.loss_norm !== undefined)
      losses.push(r.loss)
    }
  } finally {
    trainer.dispose()
  }
  const start = (losses[0]! + losses[1]!) / 2
  const end = (losses[6]! + losses[7]!) / 2
  assert.ok(end < 0.9 * start, `loss ${losses.map((l) => l.toFixed(1)).join(' → ')}`)

  const trained = {...model, weights: trainer.weights()}
  const m = await evaluateMeshClips((x) => forwardModel(trained, x, {backend: 'wasm'}), data.clips.filter((c) => c.split === 'test'), body, {clipLen: 4, batchSize: 2, flip: true})
  assert.equal(m.frames, 8)
  assert.ok(m.mpve > 0 && m.mpjpe > 0 && m.pa_mpjpe > 0 && m.pa_mpjpe <= m.mpjpe + 1e-9, JSON.stringify(m))
})

test("MotionBERT's mesh detection pickle: one clip per video run, normalised as DataReaderMesh / DataReaderH36M", async () => {
  // test/fixtures/mesh/mesh_det_tiny.pkl, made by make_mesh_det_pkl.py; values below printed by numpy from it.
  const data = await readMeshData(path.join(repoRoot, 'test', 'fixtures', 'mesh', 'mesh_det_tiny.pkl'))
  assert.deepEqual(data.clips.map((c) => [c.name, c.split, c.keypoints2d.shape[0]]), [['train/courtyard_a', 'train', 5], ['train/downtown_b', 'train', 3], ['test/s_09_walking', 'test', 4]])
  const close = (a: number, b: number): void => assert.ok(Math.abs(a - b) < 1e-5, `${a} vs ${b}`)
  const [x, y, c] = data.clips[0]!.keypoints2d.data
  close(x!, (328.47375 / 1920) * 2 - 1)
  close(y!, (555.21576 / 1920) * 2 - 1)
  assert.equal(c, 1) // confidence 1.084 clipped as MotionSMPL does
  close(data.clips[0]!.theta.data[0]!, 0.03167885)
  close(data.clips[0]!.theta.data[72]!, -0.59427243)
  // The test split names H36M cameras: 54138969 is 1000 x 1002, 55011271 1000 x 1000.
  const t = data.clips[2]!.keypoints2d.data
  close(t[0]!, (1496.8384 / 1000) * 2 - 1)
  close(t[1]!, (443.49872 / 1000) * 2 - 1002 / 1000)
  close(t[2 * 17 * 3]!, (1613.7944 / 1000) * 2 - 1)
  close(t[2 * 17 * 3 + 1]!, (486.20547 / 1000) * 2 - 1)
})
