import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, describe, test} from 'node:test'

import {describeConfigKeys, loadConfig} from '../../src/config/index.js'
import {loadMotionConfig, motionConfigKeys} from '../../src/model/config-keys.js'
import type {ConfigKeySpec} from '../../src/config/types.js'
import {isMotionError} from '../../src/core/errors.js'
import {repoRoot} from '../helpers/paths.js'

const configsDir = path.join(repoRoot, 'configs')
const tempDirs: string[] = []
after(() => {
  for (const dir of tempDirs) rmSync(dir, {recursive: true, force: true})
})

/** A fresh directory holding the given files (paths relative to it). */
function tempProject(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'motion-config-'))
  tempDirs.push(dir)
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), {recursive: true})
    writeFileSync(path.join(dir, name), content)
  }
  return dir
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name)
    if (statSync(full).isDirectory()) return yamlFiles(full)
    return name.endsWith('.yaml') ? [full] : []
  })
}

/** Expect an inputError (exit code 2) whose message matches. */
async function rejectsInput(promise: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isMotionError(err), `expected a MotionError, got ${String(err)}`)
    assert.equal(err.exitCode, 2)
    assert.match(err.message, message)
    return true
  })
}

describe('shipped configs', () => {
  const files = yamlFiles(configsDir)

  test('the official presets and the tiny test configs are all there', () => {
    const names = files.map((f) => path.relative(configsDir, f)).sort()
    for (const expected of [
      'pretrain/MB_pretrain.yaml', 'pretrain/MB_lite.yaml',
      'pose3d/MB_ft_h36m.yaml', 'pose3d/MB_ft_h36m_global.yaml', 'pose3d/MB_ft_h36m_global_lite.yaml', 'pose3d/MB_train_h36m.yaml',
      'action/MB_ft_NTU60_xsub.yaml', 'action/MB_ft_NTU60_xview.yaml', 'action/MB_train_NTU60_xsub.yaml', 'action/MB_train_NTU60_xview.yaml',
      'action/MB_ft_NTU120_oneshot.yaml', 'action/MB_train_NTU120_oneshot.yaml',
      'mesh/MB_ft_pw3d.yaml', 'mesh/MB_ft_h36m.yaml', 'mesh/MB_train_pw3d.yaml', 'mesh/MB_train_h36m.yaml',
      'test/tiny.yaml', 'test/tiny-action.yaml', 'test/tiny-mixste.yaml', 'test/tiny-strided.yaml',
    ]) {
      assert.ok(names.includes(expected), `configs/${expected} is missing`)
    }
  })

  for (const file of files) {
    const name = path.relative(repoRoot, file)
    test(`${name} loads without warnings`, async () => {
      const {warnings, sources, config} = await loadMotionConfig({configFile: name, cwd: repoRoot, search: false})
      assert.deepEqual(warnings, [])
      assert.deepEqual(config.extra, {})
      assert.ok(Object.values(sources).includes(name), 'some key should come from the file')
    })
  }

  test('official values come through under their own names', async () => {
    const {config, sources} = await loadMotionConfig({configFile: 'configs/pose3d/MB_ft_h36m_global_lite.yaml', cwd: repoRoot, search: false})
    assert.equal(config.dim_feat, 256)
    assert.equal(config.mlp_ratio, 4)
    assert.equal(config.learning_rate, 0.0005)
    assert.equal(config.rootrel, false)
    assert.equal(config.flip, true)
    assert.equal(config.mask_ratio, 0)
    assert.equal(config.partial_train, null)
    assert.deepEqual(config.subset_list, ['H36M-SH'])
    assert.equal(sources.dim_feat, 'configs/pose3d/MB_ft_h36m_global_lite.yaml')

    const action = await loadMotionConfig({configFile: 'configs/action/MB_ft_NTU60_xsub.yaml', cwd: repoRoot, search: false})
    assert.equal(action.config.action_classes, 60)
    assert.equal(action.config.num_classes, 60, 'action_classes is a synonym of num_classes')
    assert.deepEqual(action.config.scale_range_train, [1, 3])
    assert.equal(action.config.lr_head, 0.001)
    assert.equal(action.config.model_version, 'class')

    const mesh = await loadMotionConfig({configFile: 'configs/mesh/MB_ft_pw3d.yaml', cwd: repoRoot, search: false})
    assert.equal(mesh.config.loss_type, 'L1')
    assert.equal(mesh.config.lambda_pose, 1000)
    assert.equal(mesh.config.dt_file_coco, 'mesh_det_coco.pkl')
    assert.equal(mesh.config.hidden_dim, 1024)
  })

  test('tiny configs hold the fixture sizes', async () => {
    const tiny = (await loadMotionConfig({configFile: 'configs/test/tiny.yaml', cwd: repoRoot, search: false})).config
    assert.deepEqual([tiny.dim_feat, tiny.dim_rep, tiny.depth, tiny.num_heads, tiny.mlp_ratio, tiny.maxlen, tiny.att_fuse], [32, 64, 2, 4, 2, 27, true])
    const action = (await loadMotionConfig({configFile: 'configs/test/tiny-action.yaml', cwd: repoRoot, search: false})).config
    assert.deepEqual([action.num_classes, action.action_classes, action.hidden_dim, action.task], [5, 5, 64, 'action'])
    const mixste = (await loadMotionConfig({configFile: 'configs/test/tiny-mixste.yaml', cwd: repoRoot, search: false})).config
    assert.deepEqual([mixste.backbone, mixste.num_frame, mixste.embed_dim_ratio, mixste.depth, mixste.num_heads, mixste.mlp_ratio], ['mixste', 27, 32, 3, 4, 2])
    assert.equal(mixste.clip_len, 27, 'clip_len follows num_frame when unset')
    const strided = (await loadMotionConfig({configFile: 'configs/test/tiny-strided.yaml', cwd: repoRoot, search: false})).config
    assert.deepEqual([strided.backbone, strided.frames, strided.stride_num, strided.channel, strided.d_hid, strided.layers], ['strided', 27, [3, 3, 3], 32, 64, 2])
  })
})

describe('keys', () => {
  test('every key of the official MotionBERT configs is known', () => {
    const known = new Set(motionConfigKeys().map((s) => s.key))
    const official = [
      'finetune', 'partial_train', 'train_2d', 'no_eval', 'train_pw3d', 'warmup_h36m', 'warmup_coco', 'epochs', 'checkpoint_frequency',
      'batch_size', 'batch_size_img', 'dropout', 'dropout_loc', 'learning_rate', 'lr_backbone', 'lr_head', 'weight_decay', 'lr_decay',
      'pretrain_3d_curriculum', 'n_views', 'temp', 'model_version', 'maxlen', 'dim_feat', 'mlp_ratio', 'depth', 'dim_rep', 'num_heads',
      'att_fuse', 'num_joints', 'hidden_dim', 'dropout_ratio', 'data_root', 'subset_list', 'dt_file', 'dt_file_h36m', 'dt_file_coco',
      'dt_file_pw3d', 'dataset', 'data_split', 'clip_len', 'data_stride', 'sample_stride', 'rootrel', 'no_conf', 'gt_2d', 'action_classes',
      'lambda_3d', 'lambda_3d_velocity', 'lambda_3dv', 'lambda_scale', 'lambda_lv', 'lambda_lg', 'lambda_a', 'lambda_av', 'lambda_pose',
      'lambda_shape', 'lambda_norm', 'loss_type', 'synthetic', 'flip', 'mask_ratio', 'mask_T_ratio', 'noise', 'noise_path',
      'd2c_params_path', 'random_move', 'scale_range_train', 'scale_range_test', 'scale_range_pretrain',
      // ours, MixSTE2's and the Strided Transformer's
      'backbone', 'task', 'engine', 'backend', 'num_frame', 'embed_dim_ratio', 'qkv_bias', 'frames', 'stride_num', 'channel', 'd_hid',
      'layers', 'n_joints', 'out_joints', 'num_classes',
    ]
    for (const key of official) assert.ok(known.has(key), `${key} should be a known config key`)
  })

  test('every spec is documented and its default passes its own checks', async () => {
    for (const spec of motionConfigKeys()) {
      assert.ok(spec.description.length > 10, `${spec.key} needs a description`)
      if (spec.default !== undefined) {
        await loadMotionConfig({overrides: {[spec.aliasOf ?? spec.key]: spec.default}, search: false})
      }
    }
  })
})

describe('precedence', () => {
  test('defaults < rc file < --config < flags, with sources recorded', async () => {
    const dir = tempProject({
      '.motionrc.yaml': 'dim_feat: 64\ndepth: 3\nepochs: 7\n',
      'run.yaml': 'depth: 4\nbatch_size: 16\n',
    })
    const {config, sources, files} = await loadMotionConfig({cwd: dir, configFile: 'run.yaml', overrides: {batch_size: 8, flip: undefined}})
    assert.equal(config.dim_feat, 64)
    assert.equal(sources.dim_feat, '.motionrc.yaml')
    assert.equal(config.epochs, 7)
    assert.equal(config.depth, 4)
    assert.equal(sources.depth, 'run.yaml')
    assert.equal(config.batch_size, 8)
    assert.equal(sources.batch_size, 'flag')
    assert.equal(config.weight_decay, 0.01)
    assert.equal(sources.weight_decay, 'default')
    assert.equal(config.flip, false, 'an undefined flag does not override')
    assert.deepEqual(files, ['.motionrc.yaml', 'run.yaml'])
  })

  test('model sizes are left unset unless given, so checkpoint shapes decide', async () => {
    const {config, sources} = await loadMotionConfig({search: false})
    assert.equal(config.dim_feat, undefined)
    assert.equal(sources.dim_feat, undefined)
    assert.equal(config.num_heads, undefined, 'the model registry applies its default')
    assert.equal(config.stride_num, undefined)
    assert.equal(config.backbone, 'dstformer')
    assert.equal(config.engine, 'auto')
    assert.equal(config.clip_len, 243)
  })

  test('search: false ignores discovered files', async () => {
    const dir = tempProject({'.motionrc.yaml': 'epochs: 7\n'})
    const {config} = await loadMotionConfig({cwd: dir, search: false})
    assert.equal(config.epochs, 60)
  })
})

describe('discovery', () => {
  test('motion.config.json', async () => {
    const dir = tempProject({'motion.config.json': '{"dim_rep": 128, "engine": "onnx"}'})
    const {config, sources} = await loadMotionConfig({cwd: dir})
    assert.equal(config.dim_rep, 128)
    assert.equal(config.engine, 'onnx')
    assert.equal(sources.dim_rep, 'motion.config.json')
  })

  test('.motionrc.yaml, found from a subdirectory', async () => {
    const dir = tempProject({'.motionrc.yaml': 'rootrel: true\n', 'deep/er/keep.txt': ''})
    const {config, sources} = await loadMotionConfig({cwd: path.join(dir, 'deep', 'er')})
    assert.equal(config.rootrel, true)
    assert.equal(sources.rootrel, path.join(dir, '.motionrc.yaml'))
  })

  test('"motion" key of package.json', async () => {
    const dir = tempProject({'package.json': JSON.stringify({name: 'x', motion: {backbone: 'mixste', num_frame: 81}})})
    const {config, sources} = await loadMotionConfig({cwd: dir})
    assert.equal(config.backbone, 'mixste')
    assert.equal(config.num_frame, 81)
    assert.equal(sources.num_frame, 'package.json')
  })

  test('a package.json without the key is passed over for a .motionrc above it', async () => {
    const dir = tempProject({'.motionrc': 'maxlen: 81\n', 'app/package.json': '{"name": "app"}'})
    const {config} = await loadMotionConfig({cwd: path.join(dir, 'app')})
    assert.equal(config.maxlen, 81)
  })

  test('motion.config.mjs default export', async () => {
    const dir = tempProject({'motion.config.mjs': 'export default {dim_feat: 96, num_heads: 12}\n'})
    const {config} = await loadMotionConfig({cwd: dir})
    assert.equal(config.dim_feat, 96)
  })

  test('errors in a discovered file name it', async () => {
    const dir = tempProject({'.motionrc.yaml': 'dim_feat: -3\n'})
    await rejectsInput(loadMotionConfig({cwd: dir}), /^\.motionrc\.yaml: dim_feat must be a positive integer \(got -3\)$/)
  })
})

describe('validation', () => {
  test('wrong type in a file names the key and the file', async () => {
    const dir = tempProject({'x.yaml': 'dim_feat: abc\n'})
    await rejectsInput(loadMotionConfig({cwd: dir, configFile: 'x.yaml', search: false}), /^x\.yaml: dim_feat must be a positive integer \(got "abc"\)$/)
  })

  test('wrong value from a flag names the flag', async () => {
    await rejectsInput(loadMotionConfig({overrides: {dim_feat: 'abc'}, search: false}), /^--dim-feat flag: dim_feat must be a positive integer \(got "abc"\)$/)
  })

  test('flag strings are coerced to the key type', async () => {
    const {config} = await loadMotionConfig({overrides: {dim_feat: '64', flip: 'false', stride_num: '3,3,3', mask_ratio: '0.1', partial_train: 'null'}, search: false})
    assert.equal(config.dim_feat, 64)
    assert.equal(config.flip, false)
    assert.deepEqual(config.stride_num, [3, 3, 3])
    assert.equal(config.mask_ratio, 0.1)
    assert.equal(config.partial_train, null)
  })

  test('file values are not coerced', async () => {
    const dir = tempProject({'x.yaml': 'flip: "true"\n'})
    await rejectsInput(loadMotionConfig({cwd: dir, configFile: 'x.yaml', search: false}), /flip must be true or false \(got "true"\)/)
  })

  const cases: [string, RegExp][] = [
    ['mask_ratio: 1.5', /mask_ratio must be a number from 0 to 1 \(got 1\.5\)/],
    ['learning_rate: 0', /learning_rate must be a positive number \(got 0\)/],
    ['depth: 2.5', /depth must be a positive integer \(got 2\.5\)/],
    ['engine: gpu', /engine must be one of auto, tfjs, onnx \(got "gpu"\)/],
    ['task: detect', /task must be one of pose3d, action, mesh/],
    ['backend: gpu', /backend must be one of auto, node-gpu, node, wasm, cpu \(got "gpu"\)/],
    ['scale_range_train: [1, 2, 3]', /scale_range_train must be a list of 2 non-negative numbers/],
    ['scale_range_train: [3, 1]', /scale_range_train must be \[low, high\] with low <= high/],
    ['subset_list: H36M-SH', /subset_list must be a list of strings \(got "H36M-SH"\)/],
    ['stride_num: [3, 0]', /stride_num must be a list of positive integers/],
    ['dim_feat:', /dim_feat must be a positive integer \(got null\)/],
    ['partial_train: 3', /partial_train must be a list of strings or null/],
  ]
  for (const [line, message] of cases) {
    test(`rejects "${line}"`, async () => {
      const dir = tempProject({'bad.yaml': `${line}\n`})
      await rejectsInput(loadMotionConfig({cwd: dir, configFile: 'bad.yaml', search: false}), new RegExp(`^bad\\.yaml: ${message.source}`))
    })
  }

  test('allowed strings match case-insensitively and are stored as spelled in the spec', async () => {
    const {config} = await loadMotionConfig({overrides: {engine: 'ONNX', loss_type: 'l1', backbone: 'DSTformer'}, search: false})
    assert.equal(config.engine, 'onnx')
    assert.equal(config.loss_type, 'L1')
    assert.equal(config.backbone, 'dstformer')
  })

  test('dim_feat must be divisible by num_heads; the message names both and their sources', async () => {
    const dir = tempProject({'x.yaml': 'dim_feat: 30\nnum_heads: 8\n'})
    await rejectsInput(
      loadMotionConfig({cwd: dir, configFile: 'x.yaml', search: false}),
      /^x\.yaml: dim_feat \(30, from x\.yaml\) must be divisible by num_heads \(8, from x\.yaml\)/,
    )
  })

  test('a width given alone is checked against the model default of num_heads', async () => {
    await rejectsInput(loadMotionConfig({overrides: {dim_feat: 36}, search: false}), /^--dim-feat flag: dim_feat \(36, from --dim-feat flag\) must be divisible by num_heads \(8, model default\)/)
    await rejectsInput(loadMotionConfig({overrides: {backbone: 'mixste', embed_dim_ratio: 30, num_heads: 4}, search: false}), /embed_dim_ratio \(30/)
  })

  test('clip_len beyond maxlen is refused for DSTformer', async () => {
    await rejectsInput(loadMotionConfig({overrides: {maxlen: 27, clip_len: 81}, search: false}), /clip_len \(81, from --clip-len flag\) must not exceed maxlen \(27/)
  })

  test('synonyms in one file must agree', async () => {
    const dir = tempProject({'x.yaml': 'num_classes: 5\naction_classes: 60\n'})
    await rejectsInput(loadMotionConfig({cwd: dir, configFile: 'x.yaml', search: false}), /num_classes and action_classes mean the same thing/)
  })
})

describe('unknown keys', () => {
  test('are warned about with a suggestion and kept in config.extra', async () => {
    const dir = tempProject({'x.yaml': 'dim_fet: 64\nmy_note: hello\n'})
    const {warnings, config, sources} = await loadMotionConfig({cwd: dir, configFile: 'x.yaml', search: false})
    assert.equal(warnings.length, 2)
    assert.match(warnings[0], /^x\.yaml: unknown config key "dim_fet" \(did you mean "dim_feat"\?\)/)
    assert.match(warnings[1], /^x\.yaml: unknown config key "my_note"; kept in config\.extra/)
    assert.deepEqual(config.extra, {dim_fet: 64, my_note: 'hello'})
    assert.equal(config.dim_feat, undefined)
    assert.equal(sources.dim_fet, 'x.yaml')
  })

  test('a __proto__ key is refused (docs/limits.md) and pollutes nothing', async () => {
    const dir = tempProject({'p.json': '{"__proto__": {"polluted": 1}}'})
    await assert.rejects(
      loadMotionConfig({cwd: dir, configFile: 'p.json', search: false}),
      (err: unknown) => isMotionError(err) && err.exitCode === 2 && /p\.json: refused config: the key '__proto__' is not allowed/.test(err.message),
    )
    assert.equal(({} as Record<string, unknown>).polluted, undefined)
  })

  test('from flags name the flag; kebab-case typos still get a suggestion', async () => {
    const {warnings} = await loadMotionConfig({overrides: {'lr-backbone': 0.1}, search: false})
    assert.match(warnings[0], /^--lr-backbone flag: unknown config key "lr-backbone" \(did you mean "lr_backbone"\?\)/)
  })
})

describe('file errors', () => {
  test('malformed YAML names the file and the line', async () => {
    const dir = tempProject({'broken.yaml': 'dim_feat: 32\ndepth: [1,\nmaxlen: 27\n'})
    await rejectsInput(loadMotionConfig({cwd: dir, configFile: 'broken.yaml', search: false}), /^broken\.yaml: malformed YAML at line \d+, column \d+/)
  })

  test('duplicate YAML keys are malformed', async () => {
    const dir = tempProject({'dup.yaml': 'depth: 2\ndepth: 3\n'})
    await rejectsInput(loadMotionConfig({cwd: dir, configFile: 'dup.yaml', search: false}), /^dup\.yaml: malformed YAML at line 2/)
  })

  test('malformed JSON (discovered) names the file and the line', async () => {
    const dir = tempProject({'motion.config.json': '{\n  "depth": 2,\n}\n'})
    await rejectsInput(loadMotionConfig({cwd: dir}), /^motion\.config\.json: malformed JSON at line 3/)
  })

  test('a missing --config file', async () => {
    const dir = tempProject({})
    await rejectsInput(loadMotionConfig({cwd: dir, configFile: 'nope.yaml', search: false}), /^nope\.yaml: config file not found/)
  })

  test('a YAML whose top level is not a mapping', async () => {
    const dir = tempProject({'list.yaml': '- dim_feat: 32\n', 'empty.yaml': '# nothing\n', 'scalar.yaml': 'hello\n'})
    await rejectsInput(loadMotionConfig({cwd: dir, configFile: 'list.yaml', search: false}), /^list\.yaml: top level is a list; expected a mapping/)
    await rejectsInput(loadMotionConfig({cwd: dir, configFile: 'empty.yaml', search: false}), /^empty\.yaml: is empty/)
    await rejectsInput(loadMotionConfig({cwd: dir, configFile: 'scalar.yaml', search: false}), /^scalar\.yaml: top level is a string/)
  })

  test('YAML 1.1 scalars as PyYAML reads them', async () => {
    const dir = tempProject({'old.yaml': 'flip: yes\nrootrel: Off\nfinetune: True\nlearning_rate: 1e-4\nmask_ratio: 0.\n'})
    const {config} = await loadMotionConfig({cwd: dir, configFile: 'old.yaml', search: false})
    assert.deepEqual([config.flip, config.rootrel, config.finetune, config.learning_rate, config.mask_ratio], [true, false, true, 0.0001, 0])
  })

  test('a JS config that throws names the file', async () => {
    const dir = tempProject({'motion.config.mjs': 'throw new Error("boom")\n'})
    await rejectsInput(loadMotionConfig({cwd: dir}), /^motion\.config\.mjs: could not load the config: boom/)
    await rejectsInput(loadMotionConfig({cwd: dir, configFile: 'motion.config.mjs', search: false}), /^motion\.config\.mjs: could not load the config module: boom/)
  })

  test("MotionBERT's !include tag and YAML merge keys work", async () => {
    const dir = tempProject({
      'base.yaml': 'dim_feat: 64\nnum_heads: 8\n',
      'run.yaml': 'model: &m\n  depth: 3\nsizes: !include base.yaml\n<<: *m\n',
    })
    const {config, warnings} = await loadMotionConfig({cwd: dir, configFile: 'run.yaml', search: false})
    assert.equal(config.depth, 3)
    assert.deepEqual(config.extra.sizes, {dim_feat: 64, num_heads: 8})
    assert.equal(warnings.length, 2, 'model and sizes are unknown keys')
  })
})

describe('extraKeys from the registries', () => {
  const registryKeys: ConfigKeySpec[] = [
    {key: 'backbone', type: 'string', description: 'backbone', allowed: ['dstformer', 'mixste', 'strided']},
    {key: 'norm_eps', type: 'number', min: 0, default: 1e-5, description: 'LayerNorm epsilon of the model'},
    {key: 'dim_rep', type: 'integer', min: 0, default: 512, inferable: true, description: 'representation size; 0 for none'},
    {key: 'num_heads', type: 'integer', min: 1, default: 6, backbones: ['mixste'], description: 'heads'},
  ]

  test('allowed backbones come from the caller', async () => {
    await rejectsInput(
      loadConfig({overrides: {backbone: 'resnet'}, extraKeys: registryKeys, search: false}),
      /^--backbone flag: backbone must be one of dstformer, mixste, strided \(got "resnet"\)/,
    )
    const {config} = await loadConfig({overrides: {backbone: 'Strided'}, extraKeys: registryKeys, search: false})
    assert.equal(config.backbone, 'strided')
  })

  test('without extraKeys any backbone name passes the config step', async () => {
    const {config} = await loadConfig({overrides: {backbone: 'resnet'}, search: false})
    assert.equal(config.backbone, 'resnet')
  })

  test('new keys are validated and defaulted; narrowed bounds apply; inferable keys stay unset', async () => {
    const {config, sources, warnings} = await loadConfig({overrides: {dim_rep: 0}, extraKeys: registryKeys, search: false})
    assert.deepEqual(warnings, [])
    assert.equal(config.norm_eps, 1e-5)
    assert.equal(sources.norm_eps, 'default')
    assert.equal(config.dim_rep, 0, 'the registry allows dim_rep 0')
    await rejectsInput(loadConfig({overrides: {norm_eps: -1}, extraKeys: registryKeys, search: false}), /norm_eps must be a non-negative number/)
    const unset = await loadConfig({extraKeys: registryKeys, search: false})
    assert.equal(unset.config.dim_rep, undefined)
  })

  test('a default declared for some backbones applies only to them', async () => {
    const keys: ConfigKeySpec[] = [
      {key: 'fps_hint', type: 'integer', min: 1, default: 30, description: 'frames per second'},
      {key: 'fps_hint', type: 'integer', min: 1, default: 50, backbones: ['mixste'], description: 'frames per second'},
    ]
    const mixste = await loadConfig({overrides: {backbone: 'mixste'}, extraKeys: keys, search: false})
    assert.equal(mixste.config.fps_hint, 50)
    const dst = await loadConfig({extraKeys: keys, search: false})
    assert.equal(dst.config.fps_hint, 30)
  })

  test('model keys keep registry defaults out of the config (the registry applies them itself)', async () => {
    const {config} = await loadMotionConfig({overrides: {backbone: 'mixste'}, extraKeys: registryKeys, search: false})
    assert.equal(config.num_heads, undefined)
  })

  test('describeConfigKeys lists the merged specs', () => {
    const specs = describeConfigKeys(registryKeys)
    assert.deepEqual(specs.find((s) => s.key === 'backbone')?.allowed, ['dstformer', 'mixste', 'strided'])
    assert.ok(specs.some((s) => s.key === 'norm_eps'))
    assert.equal(specs.filter((s) => s.key === 'dim_rep').length, 1)
  })
})
