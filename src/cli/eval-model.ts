/**
 * Which model `motion eval` scores when neither --checkpoint nor --run is given: the bundled one
 * for the task (models/pose3d, models/action), as `motion predict` does, with the bundled action
 * model's class names. Mesh has no bundled model: that is a model error naming what to pass.
 */
import {DEFAULT_TASK, getTask, type Task} from '../heads/tasks.js'
import {actionClassNames} from '../tasks/action/predict.js'
import {resolveDefaultModel} from '../model/default-model.js'

export interface EvalModelChoice {
  checkpoint?: string
  run?: string
  /** Class names read beside a bundled action model. */
  classes?: string[]
  /** True when the bundled model was chosen. */
  bundled: boolean
}

export async function chooseEvalModel(opts: {task?: Task; checkpoint?: string; run?: string}): Promise<EvalModelChoice> {
  if (opts.checkpoint !== undefined || opts.run !== undefined) return {checkpoint: opts.checkpoint, run: opts.run, bundled: false}
  const task = opts.task ?? DEFAULT_TASK
  const checkpoint = await resolveDefaultModel(task)
  // Class names lie beside a bundled classifier.
  if (getTask(task).output !== 'classes') return {checkpoint, bundled: true}
  const {readFile} = await import('node:fs/promises')
  const path = await import('node:path')
  const config = JSON.parse(await readFile(path.join(checkpoint, 'config.json'), 'utf8')) as {headConfig?: {action_classes?: number}}
  const numClasses = Number(config.headConfig?.action_classes)
  return {checkpoint, classes: await actionClassNames(checkpoint, numClasses), bundled: true}
}
