/**
 * Body models from every source: the official checkpoint's head.smpl.* buffers, SMPL_NEUTRAL.npz, the
 * official-style .pkl (chumpy arrays, scipy sparse J_regressor) read as data, and the errors for
 * missing files and hostile pickles.
 */
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, rmSync, writeFileSync, copyFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {test} from 'node:test'
import {MotionError} from '../../../src/core/errors.js'
import {
  bodyModelFromWeights,
  bodyModelSearchDirs,
  bodyModelWeights,
  loadBodyModel,
  readSmplPickle,
} from '../../../src/tasks/mesh/body-model.js'
import {SMPL_PARENTS} from '../../../src/nn/smpl.js'
import {loadOfficialCheckpoint} from '../../../src/model/official.js'
import {meshTiny, smplPklDir} from '../../helpers/mesh.js'

/** The generator's value formula (test/fixtures/mesh/make_smpl_pkl.py). */
const pattern = (k: number, salt: number): number => (((k * 37 + salt) % 101) / 101) - 0.5

test('the npz body model equals the checkpoint head.smpl.* buffers it was built into', async () => {
  const files = await loadBodyModel({dir: path.join(meshTiny, 'body_model'), needMeanParams: true})
  const {model} = await loadOfficialCheckpoint(path.join(meshTiny, 'checkpoint.bin'), {num_heads: 4})
  const fromCkpt = bodyModelFromWeights(model.weights)
  for (const key of ['vTemplate', 'shapedirs', 'posedirs', 'jRegressor', 'lbsWeights', 'jRegressorH36m', 'jRegressorExtra', 'meanPose', 'meanShape'] as const) {
    assert.deepEqual(files[key]!.shape, fromCkpt[key]!.shape, key)
    assert.deepEqual(Array.from(files[key]!.data), Array.from(fromCkpt[key]!.data), key)
  }
  assert.deepEqual(Array.from(files.faces), Array.from(fromCkpt.faces))
  // And back to weights: the same names and shapes the checkpoint uses.
  const weights = bodyModelWeights(files)
  for (const [k, v] of weights) assert.deepEqual(v.shape, model.weights.get(k)!.shape, k)
  assert.deepEqual(Array.from(weights.get('head.smpl.parents')!.data), Array.from(model.weights.get('head.smpl.parents')!.data))
})

test('the official-style SMPL .pkl reads as data: chumpy arrays, dense J_regressor from csc, first 10 betas, posedirs transposed', async () => {
  const smpl = await readSmplPickle(path.join(smplPklDir, 'SMPL_NEUTRAL.pkl'))
  const V = 30
  assert.deepEqual(smpl.vTemplate.shape, [V, 3])
  assert.ok(Math.abs(smpl.vTemplate.data[7]! - pattern(7, 1)) < 1e-6)
  // shapedirs [V, 3, 12] in the file; the reader keeps components 0..9 of each row.
  assert.deepEqual(smpl.shapedirs.shape, [V, 3, 10])
  const row = 5
  const comp = 9
  assert.ok(Math.abs(smpl.shapedirs.data[row * 10 + comp]! - pattern(row * 12 + comp, 2) * 0.1) < 1e-6)
  // posedirs [V, 3, 207] → [207, V*3]
  assert.deepEqual(smpl.posedirs.shape, [207, V * 3])
  const r = 17
  const k = 100
  assert.ok(Math.abs(smpl.posedirs.data[k * V * 3 + r]! - pattern(r * 207 + k, 3) * 0.01) < 1e-6)
  // J_regressor[j, v] = 1 / count for v % 24 == j
  assert.deepEqual(smpl.jRegressor.shape, [24, V])
  assert.equal(smpl.jRegressor.data[0 * V + 24], 0.5)
  assert.equal(smpl.jRegressor.data[5 * V + 29], 0.5)
  assert.equal(smpl.jRegressor.data[10 * V + 10], 1)
  assert.equal(smpl.jRegressor.data[10 * V + 11], 0)
  assert.deepEqual(smpl.lbsWeights.shape, [V, 24])
  assert.equal(smpl.faces.length, 40 * 3)
  assert.equal(smpl.faces[4], (4 * 7) % V)
})

test('loadBodyModel finds the .pkl and its companion files in a folder', async () => {
  const body = await loadBodyModel({dir: smplPklDir, needMeanParams: true})
  assert.deepEqual(body.jRegressorH36m.shape, [17, 30])
  assert.deepEqual(body.meanPose!.shape, [1, 144])
  assert.equal(body.jRegressorExtra, undefined)
})

function expectMotionError(err: unknown, exitCode: number, pattern: RegExp): true {
  assert.ok(err instanceof MotionError, String(err))
  assert.equal(err.exitCode, exitCode)
  assert.match(`${err.message} ${err.hint ?? ''}`, pattern)
  return true
}

test('a missing SMPL file names the file, every folder looked in, the licence and the flag', async () => {
  const empty = mkdtempSync(path.join(os.tmpdir(), 'smpl-missing-'))
  try {
    const dirs = bodyModelSearchDirs({dir: empty, cwd: empty})
    assert.equal(dirs[0], empty)
    await assert.rejects(loadBodyModel({dir: empty, cwd: empty}), (err) => {
      expectMotionError(err, 2, /SMPL_NEUTRAL\.pkl/)
      const e = err as MotionError
      for (const d of dirs) assert.ok(e.message.includes(d), `message names ${d}`)
      assert.match(e.hint!, /licensed/)
      assert.match(e.hint!, /smpl\.is\.tue\.mpg\.de/)
      assert.match(e.hint!, /--smpl-dir/)
      assert.match(e.hint!, /data_root/)
      return true
    })
    // The model present but not MotionBERT's regressor: that file is named.
    copyFileSync(path.join(smplPklDir, 'SMPL_NEUTRAL.pkl'), path.join(empty, 'SMPL_NEUTRAL.pkl'))
    await assert.rejects(loadBodyModel({dir: empty, cwd: empty}), (err) => expectMotionError(err, 2, /J_regressor_h36m_correct\.npy not found; looked in: .*smpl-missing-/))
    copyFileSync(path.join(smplPklDir, 'J_regressor_h36m_correct.npy'), path.join(empty, 'J_regressor_h36m_correct.npy'))
    await assert.rejects(loadBodyModel({dir: empty, cwd: empty, needMeanParams: true}), (err) => expectMotionError(err, 2, /smpl_mean_params\.npz not found/))
    // Without the mean parameters (an official checkpoint brings its own) it loads.
    const body = await loadBodyModel({dir: empty, cwd: empty})
    assert.equal(body.meanPose, undefined)
  } finally {
    rmSync(empty, {recursive: true, force: true})
  }
  await assert.rejects(loadBodyModel({dir: '/no/such/folder'}), (err) => expectMotionError(err, 2, /\/no\/such\/folder does not exist/))
})

/** A protocol-2 pickle: a dict {'v_template': <global>(arg)} built from raw opcodes. */
function pickleCalling(module: string, name: string, arg: string): Buffer {
  const str = (s: string): Buffer => Buffer.concat([Buffer.from([0x58]), u32(s.length), Buffer.from(s, 'latin1')]) // BINUNICODE
  return Buffer.concat([
    Buffer.from([0x80, 0x02, 0x7d]), // PROTO 2, EMPTY_DICT
    str('v_template'),
    Buffer.from(`c${module}\n${name}\n`, 'latin1'), // GLOBAL
    str(arg),
    Buffer.from([0x85, 0x52, 0x73, 0x2e]), // TUPLE1, REDUCE, SETITEM, STOP
  ])
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(n)
  return b
}

test('a hostile SMPL .pkl is refused (exit 3) and never runs', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'smpl-hostile-'))
  const marker = path.join(dir, 'pwned')
  try {
    for (const [module, name] of [['posix', 'system'], ['os', 'system'], ['builtins', 'eval'], ['subprocess', 'Popen'], ['chumpy.ch', 'Ch.__init__'], ['scipy.sparse', 'load_npz']]) {
      const file = path.join(dir, 'SMPL_NEUTRAL.pkl')
      writeFileSync(file, pickleCalling(module!, name!, `touch ${marker}`))
      await assert.rejects(readSmplPickle(file), (err) => expectMotionError(err, 3, new RegExp(`${module!.replace('.', '\\.')}`)))
      assert.equal(existsSync(marker), false)
    }
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
})

test('a body model with another kinematic tree or mismatched arrays is refused with what is wrong', async () => {
  const {model} = await loadOfficialCheckpoint(path.join(meshTiny, 'checkpoint.bin'), {num_heads: 4})
  const weights = new Map(model.weights)
  const parents = Float32Array.from(SMPL_PARENTS)
  parents[5] = 3
  weights.set('head.smpl.parents', {data: parents, shape: [24]})
  assert.throws(() => bodyModelFromWeights(weights), (err) => expectMotionError(err, 3, /kinematic tree is not SMPL's/))
  const weights2 = new Map(model.weights)
  weights2.set('head.smpl.J_regressor_h36m', {data: new Float32Array(17 * 10), shape: [17, 10]})
  assert.throws(() => bodyModelFromWeights(weights2), (err) => expectMotionError(err, 3, /J_regressor_h36m_correct\.npy is \[17, 10\], expected \[17, 400\]/))
  const weights3 = new Map(model.weights)
  weights3.delete('head.smpl.v_template')
  assert.throws(() => bodyModelFromWeights(weights3), (err) => expectMotionError(err, 3, /head\.smpl\.v_template/))
})
