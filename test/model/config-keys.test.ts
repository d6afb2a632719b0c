/**
 * The models' config keys come from the registries (issue 17): src/config declares only the general
 * and training keys, and the model layer hands the backbone and head entries' keys, the backbone
 * default, the task names and each backbone's rules across keys to the loader.
 */
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, describe, test} from 'node:test'

import {backboneRegistry, DEFAULT_BACKBONE} from '../../src/backbones/registry.js'
import {BUILTIN_KEYS, loadConfig} from '../../src/config/index.js'
import type {ConfigKeySpec} from '../../src/config/types.js'
import {isMotionError} from '../../src/core/errors.js'
import {headRegistry} from '../../src/heads/registry.js'
import {TASKS} from '../../src/heads/tasks.js'
import {loadMotionConfig, modelConfigKeys, motionConfigKeys, renderMotionConfigDocs} from '../../src/model/config-keys.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'motion-config-keys-'))
after(() => rmSync(dir, {recursive: true, force: true}))

function configFile(name: string, text: string): string {
  writeFileSync(path.join(dir, name), text)
  return name
}

async function rejectsInput(promise: Promise<unknown>, message: RegExp, hint?: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isMotionError(err), `expected a MotionError, got ${String(err)}`)
    assert.equal(err.exitCode, 2)
    assert.match(err.message, message)
    if (hint !== undefined) assert.equal(err.hint, hint)
    return true
  })
}

const listed = (): Map<string, ConfigKeySpec> => new Map(motionConfigKeys().map((s) => [s.key, s]))

describe('model keys come from the registries', () => {
  test('src/config declares no model key; without the registries a model key is unknown', async () => {
    assert.deepEqual(BUILTIN_KEYS.filter((s) => s.group === 'model').map((s) => s.key), [])
    const bare = await loadConfig({overrides: {dim_feat: 64}, search: false})
    assert.match(bare.warnings[0] ?? '', /^--dim-feat flag: unknown config key "dim_feat"; kept in config\.extra/)
    const loaded = await loadMotionConfig({overrides: {dim_feat: 64}, search: false})
    assert.deepEqual(loaded.warnings, [])
    assert.equal(loaded.config.dim_feat, 64)
  })

  test("every backbone's and head's keys, and the backbones' objectives' keys, are in the key listing with who reads them", () => {
    const keys = listed()
    for (const b of backboneRegistry.values()) {
      for (const spec of [...b.configKeys, ...(b.lossKeys ?? [])]) {
        const merged = keys.get(spec.key)
        assert.ok(merged, `${b.name}'s ${spec.key} is not listed`)
        assert.ok(merged.backbones?.includes(b.name), `${spec.key} should list ${b.name} as a reader`)
        assert.equal(merged.type, spec.type)
      }
    }
    for (const h of headRegistry.values()) {
      for (const spec of h.configKeys) {
        const merged = keys.get(spec.key)
        assert.ok(merged, `${h.name}'s ${spec.key} is not listed`)
        assert.ok(merged.heads?.includes(h.name), `${spec.key} should list the ${h.name} head as a reader`)
      }
    }
    const docs = renderMotionConfigDocs()
    for (const key of keys.keys()) assert.ok(docs.includes(`| \`${key}\` |`), `docs/config.md has no row for ${key}`)
  })

  test('a key several entries read is one spec: their bounds agree, each keeps its own default', () => {
    const keys = listed()
    assert.deepEqual(keys.get('depth')?.backbones, [...backboneRegistry.values()].filter((b) => b.configKeys.some((k) => k.key === 'depth')).map((b) => b.name))
    assert.equal(keys.get('depth')?.default, undefined)
    assert.deepEqual(Object.values(keys.get('depth')?.defaultByBackbone ?? {}).sort(), [5, 8])
    assert.deepEqual(Object.values(keys.get('hidden_dim')?.defaultByHead ?? {}).sort(), [1024, 2048])
    assert.equal(keys.get('num_heads')?.default, 8, 'the backbones that read num_heads agree on 8')
    assert.equal(keys.get('mlp_ratio')?.exclusiveMin, true)
    assert.equal(keys.get('num_classes')?.aliasOf, 'action_classes')
    assert.equal(keys.get('dropout_loc')?.unread, true)
    // The action head's own additions live in its entry alone.
    for (const key of ['temporal_segments', 'motion_energy', 'energy_segments']) {
      assert.equal(BUILTIN_KEYS.some((s) => s.key === key), false, `${key} is not a built-in key`)
      assert.deepEqual(keys.get(key)?.heads, ['action'])
    }
    for (const spec of keys.values()) if (spec.backbones || spec.heads) assert.ok(spec.group === 'model' || spec.group === 'loss', `${spec.key}: group ${spec.group}`)
  })

  test('the backbone default and the task names are the registries\'', async () => {
    const {config, sources} = await loadMotionConfig({search: false})
    assert.equal(config.backbone, DEFAULT_BACKBONE)
    assert.equal(sources.backbone, 'default')
    assert.deepEqual(listed().get('task')?.allowed, [...TASKS])
    await rejectsInput(loadMotionConfig({overrides: {task: 'detect'}, search: false}), new RegExp(`^--task flag: task must be one of ${TASKS.join(', ')} \\(got "detect"\\)$`))
    const bare = await loadConfig({overrides: {task: 'detect'}, search: false})
    assert.equal(bare.config.task, 'detect', 'src/config knows no task names')
  })

  test('an unknown model key is a warning naming the file, with a did-you-mean from the registries\' keys', async () => {
    const name = configFile('typos.yaml', 'hiden_dim: 64\nlambda_tc: 1\nembed_dim_rato: 32\n')
    const {warnings, config} = await loadMotionConfig({cwd: dir, configFile: name, search: false})
    assert.equal(warnings.length, 3)
    assert.match(warnings[0]!, /^typos\.yaml: unknown config key "hiden_dim" \(did you mean "hidden_dim"\?\); kept in config\.extra, not used$/)
    assert.match(warnings[1]!, /^typos\.yaml: unknown config key "lambda_tc" \(did you mean "lambda_tcl"\?\)/)
    assert.match(warnings[2]!, /^typos\.yaml: unknown config key "embed_dim_rato" \(did you mean "embed_dim_ratio"\?\)/)
    assert.deepEqual(config.extra, {hiden_dim: 64, lambda_tc: 1, embed_dim_rato: 32})
  })

  test("a bad model value names the key and the file; the hint is the entry's description", async () => {
    const normEps = backboneRegistry.get(DEFAULT_BACKBONE)!.configKeys.find((k) => k.key === 'norm_eps')!
    const name = configFile('eps.yaml', 'norm_eps: -1\n')
    await rejectsInput(loadMotionConfig({cwd: dir, configFile: name, search: false}), /^eps\.yaml: norm_eps must be a non-negative number \(got -1\)$/, normEps.description)
    await rejectsInput(loadMotionConfig({overrides: {model_version: 'cls'}, search: false}), /^--model-version flag: model_version must be one of class, embed \(got "cls"\)$/)
  })

  test("clip_len follows each backbone's window key, as its entry declares", async () => {
    const rules = modelConfigKeys().backboneRules
    for (const b of backboneRegistry.values()) {
      assert.deepEqual(rules[b.name], b.configRules)
      const frameKey = b.configRules?.frameKey
      if (!frameKey) continue
      const {config, sources} = await loadMotionConfig({overrides: {backbone: b.name, [frameKey]: 27}, search: false})
      assert.equal(config.clip_len, 27, `${b.name}: clip_len follows ${frameKey}`)
      assert.equal(sources.clip_len, 'default')
    }
  })
})

describe('the loader applies the rules it is handed (and names no backbone itself)', () => {
  const keys: ConfigKeySpec[] = [
    {key: 'window', type: 'integer', min: 1, group: 'model', description: 'frames the toy backbone takes'},
    {key: 'width', type: 'integer', min: 1, group: 'model', description: 'toy width'},
    {key: 'heads', type: 'integer', min: 1, default: 4, group: 'model', description: 'toy attention heads'},
  ]
  const backboneRules = {toy: {frameKey: 'window', divisible: [{key: 'width', by: 'heads', hint: 'heads split the width'}], clipLenWithinFrames: 'the toy embeds window frames only'}}

  test('clip_len takes the window, divisibility and the clip limit are checked for the selected backbone only', async () => {
    const {config} = await loadConfig({overrides: {backbone: 'toy', window: 9}, extraKeys: keys, backboneRules, search: false})
    assert.equal(config.clip_len, 9)
    await rejectsInput(
      loadConfig({overrides: {backbone: 'toy', width: 10}, extraKeys: keys, backboneRules, search: false}),
      /^--width flag: width \(10, from --width flag\) must be divisible by heads \(4, model default\)$/,
      'heads split the width',
    )
    await rejectsInput(
      loadConfig({overrides: {backbone: 'toy', window: 9, clip_len: 12}, extraKeys: keys, backboneRules, search: false}),
      /^--window flag: clip_len \(12, from --clip-len flag\) must not exceed window \(9, from --window flag\)$/,
      'the toy embeds window frames only',
    )
    const other = await loadConfig({overrides: {backbone: 'other', width: 10, window: 9}, extraKeys: keys, backboneRules, search: false})
    assert.equal(other.config.clip_len, 243, 'another backbone: no rules, the plain default')
  })
})
