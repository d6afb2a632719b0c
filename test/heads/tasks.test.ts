/**
 * The task registry and the entries' properties that replaced decisions by name elsewhere (issue 17:
 * only the registries spell out backbone and task names).
 */
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {test} from 'node:test'

import {backboneRegistry} from '../../src/backbones/registry.js'
import {headRegistry} from '../../src/heads/registry.js'
import {DEFAULT_TASK, getTask, isTask, taskRegistry, TASKS} from '../../src/heads/tasks.js'
import {PREDICT_TASKS} from '../../src/tasks/registry.js'
import {TRAIN_TASKS} from '../../src/tasks/train-registry.js'
import {SIZE_PRESETS} from '../../src/nn/registry/backbone.js'
import {repoRoot} from '../helpers/paths.js'

test('every task has an entry, a head of its name, a predict runner and a training side', () => {
  assert.deepEqual([...taskRegistry.keys()], [...TASKS])
  assert.ok(isTask(DEFAULT_TASK))
  for (const task of TASKS) {
    assert.equal(getTask(task).name, task)
    assert.equal(headRegistry.get(task)?.task, task, `the ${task} head serves ${task}`)
    assert.ok(PREDICT_TASKS[task], `predict --task ${task}`)
    assert.ok(TRAIN_TASKS.has(task), `finetune --task ${task}`)
  }
  assert.equal(isTask('detect'), false)
})

test('every head serves a registered task', () => {
  for (const head of headRegistry.values()) assert.ok(isTask(head.task), `${head.name} serves ${head.task}`)
})

test("a backbone's poses come from head none exactly when it gives them itself", () => {
  for (const b of backboneRegistry.values()) {
    assert.ok(headRegistry.has(b.poseHead), `${b.name}: ${b.poseHead} is a head`)
    assert.equal(b.poseHead === 'none', b.outputs.includes('pose3d'), b.name)
  }
})

test('bench sizes and clips use the keys each backbone reads', () => {
  for (const b of backboneRegistry.values()) {
    const own = new Set(b.configKeys.map((k) => k.key))
    for (const preset of SIZE_PRESETS) for (const key of Object.keys(b.benchSizes[preset])) assert.ok(own.has(key), `${b.name} ${preset}: ${key}`)
    for (const key of Object.keys(b.benchClip(27))) assert.ok(own.has(key), `${b.name} bench clip: ${key}`)
    if (b.configRules?.frameKey) assert.equal(b.benchClip(300)[b.configRules.frameKey], 300, `${b.name}: a bench clip of 300 frames`)
  }
})

test('the task registry imports nothing, so command files can offer its names at start-up', () => {
  const source = readFileSync(path.join(repoRoot, 'src', 'heads', 'tasks.ts'), 'utf8')
  assert.deepEqual([...source.matchAll(/^import /gm)], [])
})
