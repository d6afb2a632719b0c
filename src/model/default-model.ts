/**
 * The bundled default models: native model folders under `models/<task>` in the package (e.g.
 * models/pose3d), found relative to the package root so an installed copy finds its own. The
 * MOTION_MODELS environment variable points at another models folder (tests, custom installs).
 */
import {existsSync, promises as fsp} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {getTask, isTask, type Task} from '../heads/tasks.js'
import {modelError} from '../core/errors.js'
import {NATIVE_CONFIG_FILE} from './native.js'

export const MODELS_ENV = 'MOTION_MODELS'


/** The package root: the nearest folder above this module holding package.json. */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return dir
    const parent = path.dirname(dir)
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`)
    dir = parent
  }
}

/** The folder bundled models live in. */
export function modelsDir(env: NodeJS.ProcessEnv = process.env): string {
  const override = env[MODELS_ENV]
  return override ? path.resolve(override) : path.join(packageRoot(), 'models')
}

/** Where the bundled model for `task` is (whether or not it exists). */
export function defaultModelPath(task: Task, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(modelsDir(env), task)
}

/** The bundled model folder for `task`, or a model error (exit 3) saying it is missing and what to do. */
export async function resolveDefaultModel(task: Task, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const dir = defaultModelPath(task, env)
  const st = await fsp.stat(path.join(dir, NATIVE_CONFIG_FILE)).catch(() => undefined)
  if (st?.isFile()) return dir
  if (!isTask(task) || !getTask(task).bundled) {
    // Nothing to reinstall: motion ships no model for this task.
    throw modelError(`no ${task} model is bundled with motion`, {
      hint: `pass --checkpoint with a ${task} model (a folder from \`motion finetune --task ${task}\` or \`motion import\`, or an official MotionBERT ${task} .bin with --config)`,
    })
  }
  throw modelError(`the bundled ${task} model is missing (${dir} has no ${NATIVE_CONFIG_FILE})`, {
    hint: `pass a model with --checkpoint (an official MotionBERT .bin with --config, or a folder from \`motion import\`), or reinstall motion to get its bundled models`,
  })
}
