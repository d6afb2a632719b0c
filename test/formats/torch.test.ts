import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {
  buildZip,
  extractStateDict,
  isKind,
  parseTorchCheckpoint,
  pickleGet,
  readTorchCheckpoint,
  type PickleValue,
  type TorchTensor,
} from '../../src/formats/checkpoint.js'
import * as zipModule from '../../src/formats/zip.js'
import {isMotionError} from '../../src/core/errors.js'
import {fixturesDir, repoRoot} from '../helpers/paths.js'
import {readCaseJson} from '../helpers/fixtures.js'

const localDir = path.join(repoRoot, 'test', 'fixtures', 'checkpoint')
const tmp = mkdtempSync(path.join(tmpdir(), 'motion-torch-'))
after(() => rmSync(tmp, {recursive: true, force: true}))

function modelErrorMatching(re: RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(isMotionError(err), `expected a MotionError, got ${String(err)}`)
    assert.equal(err.exitCode, 3, err.message)
    assert.match(err.message, re)
    return true
  }
}

function official(name: string): string {
  return path.join(fixturesDir, name)
}

function caseConfig(name: string): Record<string, number> {
  return readCaseJson<{config: Record<string, number>}>(path.join(fixturesDir, name)).config
}

describe('official fixture checkpoints', () => {
  it('dstformer-tiny: module. keys under model_pos, AdamW state readable', async () => {
    const file = official('dstformer-tiny/checkpoint.bin')
    const ckpt = await readTorchCheckpoint(file)
    assert.equal(ckpt.format, 'zip')
    const {stateDict, foundUnder, meta, otherKeys} = extractStateDict(ckpt.root, file)
    const cfg = caseConfig('dstformer-tiny')
    assert.equal(foundUnder, 'model_pos')
    assert.equal(stateDict.size, 110)
    assert.ok([...stateDict.keys()].every((k) => !k.startsWith('module.')))
    assert.deepEqual(stateDict.get('joints_embed.weight')!.shape, [cfg.dim_feat, cfg.dim_in])
    assert.deepEqual(stateDict.get('temp_embed')!.shape, [1, cfg.maxlen, 1, cfg.dim_feat])
    assert.deepEqual(stateDict.get('pos_embed')!.shape, [1, cfg.num_joints, cfg.dim_feat])
    assert.deepEqual(stateDict.get('head.weight')!.shape, [cfg.dim_out, cfg.dim_rep])
    assert.equal(meta.epoch, 7)
    assert.deepEqual(otherKeys, ['optimizer'])
    // AdamW state: per-parameter exp_avg matches the parameter's shape.
    const expAvg = pickleGet(ckpt.root, 'optimizer', 'state', 0, 'exp_avg') as TorchTensor
    assert.ok(isKind(expAvg, 'tensor'))
    assert.deepEqual(expAvg.shape, [1, cfg.maxlen, 1, cfg.dim_feat])
    const group = pickleGet(ckpt.root, 'optimizer', 'param_groups', 0)
    assert.ok(group instanceof Map)
    assert.deepEqual(group.get('betas'), [0.9, 0.999])
    assert.ok(Array.isArray(group.get('params')))
  })

  it('action-tiny: state dict under model, BatchNorm buffers kept', async () => {
    const file = official('action-tiny/checkpoint.bin')
    const {stateDict, foundUnder, dtypes} = extractStateDict((await readTorchCheckpoint(file)).root, file)
    assert.equal(foundUnder, 'model')
    assert.equal(stateDict.size, 119)
    assert.deepEqual(stateDict.get('head.fc1.weight')!.shape, [64, 1088])
    assert.deepEqual(stateDict.get('head.bn.num_batches_tracked')!.shape, [])
    assert.equal(dtypes.get('head.bn.num_batches_tracked'), 'int64')
    assert.deepEqual(stateDict.get('backbone.joints_embed.weight')!.shape, [32, 3])
  })

  it('wild-tiny loads', async () => {
    const file = official('wild-tiny/checkpoint.bin')
    const {stateDict, foundUnder} = extractStateDict((await readTorchCheckpoint(file)).root, file)
    assert.equal(foundUnder, 'model_pos')
    assert.equal(stateDict.size, 110)
  })

  it('mesh-tiny: includes the head.smpl.* buffers (int64 faces as float32)', async () => {
    const file = official('mesh-tiny/checkpoint.bin')
    const {stateDict, dtypes} = extractStateDict((await readTorchCheckpoint(file)).root, file)
    assert.equal(stateDict.size, 143)
    assert.deepEqual(stateDict.get('head.smpl.v_template')!.shape, [400, 3])
    assert.deepEqual(stateDict.get('head.smpl.J_regressor_h36m')!.shape, [17, 400])
    const faces = stateDict.get('head.smpl.faces_tensor')!
    assert.deepEqual(faces.shape, [800, 3])
    assert.equal(dtypes.get('head.smpl.faces_tensor'), 'int64')
    assert.ok(faces.data.every((v) => Number.isInteger(v) && v >= 0 && v < 400))
    assert.deepEqual(stateDict.get('head.smpl.parents')!.shape, [24])
  })

  it('strided-tiny: a bare state dict .pth', async () => {
    const file = official('strided-tiny/checkpoint.pth')
    const {stateDict, foundUnder, meta} = extractStateDict((await readTorchCheckpoint(file)).root, file)
    assert.equal(foundUnder, null)
    assert.deepEqual(meta, {})
    assert.equal(stateDict.size, 109)
    assert.deepEqual(stateDict.get('encoder.0.weight')!.shape, [32, 34, 1])
    assert.deepEqual(stateDict.get('Transformer.pos_embedding')!.shape, [1, 27, 32])
  })

  it('mixste-tiny: the numpy RandomState tuple is read as data, Adam state present', async () => {
    const file = official('mixste-tiny/checkpoint.bin')
    const ckpt = await readTorchCheckpoint(file)
    const {stateDict, foundUnder, otherKeys, meta} = extractStateDict(ckpt.root, file)
    assert.equal(foundUnder, 'model_pos')
    assert.equal(stateDict.size, 84)
    assert.deepEqual(stateDict.get('Spatial_patch_to_embedding.weight')!.shape, [32, 2])
    assert.deepEqual(otherKeys.sort(), ['optimizer', 'random_state'])
    assert.equal(meta.epoch, 5)
    const rs = pickleGet(ckpt.root, 'random_state') as PickleValue[]
    assert.equal(rs[0], 'MT19937')
    const keys = rs[1]
    assert.ok(isKind(keys, 'ndarray'))
    assert.equal(keys.dtype, 'uint32')
    assert.deepEqual(keys.shape, [624])
    assert.deepEqual(rs.slice(2), [624, 0, 0])
    const group = pickleGet(ckpt.root, 'optimizer', 'param_groups', 0)
    assert.ok(group instanceof Map)
    assert.equal(group.get('amsgrad'), false)
  })
})

describe('tensor views, dtypes and the legacy format', () => {
  for (const name of ['views.pt', 'views_legacy.pt']) {
    it(`${name}: offsets, strides, shared storage, float16/bfloat16, ints`, async () => {
      const file = path.join(localDir, name)
      const ckpt = await readTorchCheckpoint(file)
      assert.equal(ckpt.format, name.includes('legacy') ? 'legacy' : 'zip')
      const model = pickleGet(ckpt.root, 'model') as Map<PickleValue, PickleValue>
      const t = (k: string): TorchTensor => model.get(`module.${k}`) as TorchTensor
      const base = Array.from({length: 12}, (_, i) => i)
      assert.deepEqual([...t('base').data], base)
      // base.t(): element [i, j] = base[j, i]
      assert.deepEqual(t('transposed').shape, [4, 3])
      assert.deepEqual([...t('transposed').data], [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11])
      // base[1:, ::2]
      assert.deepEqual([...t('sliced').data], [4, 6, 8, 10])
      assert.equal(t('half').dtype, 'float16')
      assert.deepEqual([...t('half').data], [0, 0.25, 0.5, 0.75, 1, 1.25])
      assert.ok(t('bfloat').data instanceof Float32Array)
      assert.deepEqual([...t('bfloat').data], [0, 0.5, 1, 1.5, 2, 2.5])
      assert.deepEqual([...t('double').data], [0, 1 / 3, 2 / 3, 1])
      assert.deepEqual([...t('long').data], [0n, 1n, 2n, 3n, 4n].map((v) => v * 10n ** 12n))
      assert.deepEqual([...t('int').data], [-2, -1, 0, 1])
      assert.deepEqual([...t('flag').data], [1, 0, 1])
      assert.equal(t('param').requiresGrad, true)
      assert.deepEqual(t('scalar').shape, [])
      assert.deepEqual([...t('scalar').data], [3.5])
      const {stateDict} = extractStateDict(ckpt.root, file)
      assert.deepEqual([...stateDict.get('long')!.data], [0, 1e12, 2e12, 3e12, 4e12].map(Math.fround))
      assert.ok(stateDict.get('half')!.data instanceof Float32Array)
    })
  }

  it('honours a big-endian byteorder entry', () => {
    const bytes = new Uint8Array(readFileSync(path.join(localDir, 'views.pt')))
    const {ZipArchive} = zipModule
    const zip = ZipArchive.open(bytes, (p) => new Error(p) as never)
    const prefix = zip.names()[0]!.split('/')[0]!
    // torch 2.x writes a byteorder entry; older files (like this one) mean little-endian.
    const entries = zip.names().map((name) => ({name, data: Uint8Array.from(zip.read(name))}))
    entries.push({name: `${prefix}/byteorder`, data: new TextEncoder().encode('big')})
    // Byte-swap the float32 storage holding `base` (the first float32 storage, key '0').
    const key = `${prefix}/data/0`
    const swapped = entries.find((e) => e.name === key)!
    for (let i = 0; i < swapped.data.length; i += 4) swapped.data.subarray(i, i + 4).reverse()
    const root = parseTorchCheckpoint(new Uint8Array(Buffer.concat(buildZip(entries))), 'big.pt').root
    const base = pickleGet(root, 'model', 'module.base') as TorchTensor
    assert.deepEqual([...base.data], Array.from({length: 12}, (_, i) => i))
  })
})

describe('broken checkpoints each get their own message (exit 3)', () => {
  const good = new Uint8Array(readFileSync(official('dstformer-tiny/checkpoint.bin')))

  it('empty file', () => {
    assert.throws(() => parseTorchCheckpoint(new Uint8Array(0), 'e.bin'), modelErrorMatching(/^e\.bin: empty file \(0 bytes\)/))
  })
  it('text file (not a zip)', () => {
    assert.throws(
      () => parseTorchCheckpoint(new TextEncoder().encode('model_pos: hello\n'), 't.bin'),
      modelErrorMatching(/^t\.bin: not a PyTorch checkpoint: it is a text file/),
    )
  })
  it('random bytes', () => {
    let x = 12345
    const random = Uint8Array.from({length: 4096}, () => ((x = (x * 1103515245 + 12345) & 0x7fffffff), x >> 16 & 0xff))
    random[0] = 0x07
    assert.throws(() => parseTorchCheckpoint(random, 'r.bin'), modelErrorMatching(/neither a zip archive .* nor a pickle \(first bytes: 07/))
  })
  it('a .npy given as a checkpoint', () => {
    const npy = new Uint8Array(readFileSync(official('dstformer-tiny/input_0.npy')))
    assert.throws(() => parseTorchCheckpoint(npy, 'x.bin'), modelErrorMatching(/NumPy \.npy file/))
  })
  it('truncated zip', () => {
    assert.throws(() => parseTorchCheckpoint(good.subarray(0, Math.floor(good.length / 2)), 'cut.bin'), modelErrorMatching(/^cut\.bin: truncated zip archive/))
  })
  it('missing data.pkl', () => {
    const zip = buildZip([{name: 'archive/version', data: new TextEncoder().encode('3\n')}])
    assert.throws(() => parseTorchCheckpoint(new Uint8Array(Buffer.concat(zip)), 'z.bin'), modelErrorMatching(/zip archive without data\.pkl.*entries: archive\/version/))
  })
  it('missing storage entry', () => {
    const zip = zipModule.ZipArchive.open(good, (p) => new Error(p) as never)
    const entries = zip.names().filter((n) => n !== 'checkpoint/data/5').map((name) => ({name, data: zip.read(name)}))
    assert.throws(
      () => parseTorchCheckpoint(new Uint8Array(Buffer.concat(buildZip(entries))), 'm.bin'),
      modelErrorMatching(/storage 'checkpoint\/data\/5' named by data\.pkl is missing/),
    )
  })
  it('a root without a state dict lists its keys', async () => {
    // mixste's optimizer dict alone: {state, param_groups}
    const file = official('mixste-tiny/checkpoint.bin')
    const root = pickleGet((await readTorchCheckpoint(file)).root, 'optimizer')!
    assert.throws(
      () => extractStateDict(root, 'opt.bin'),
      modelErrorMatching(/no state dict found under model_pos, model or state_dict; top-level keys: state, param_groups/),
    )
  })
  it('missing file is an input error', async () => {
    await assert.rejects(readTorchCheckpoint(path.join(tmp, 'nope.bin')), (err: unknown) => isMotionError(err) && err.exitCode === 2 && /no such checkpoint file/.test(err.message))
  })
  it('a file on disk gets the same messages', async () => {
    const f = path.join(tmp, 'empty.bin')
    writeFileSync(f, '')
    await assert.rejects(readTorchCheckpoint(f), modelErrorMatching(/empty\.bin: empty file/))
  })
})
