/**
 * What `motion pretrain|finetune --task T` trains: each task's data, model, loss and evaluation
 * (train-task.ts). src/train asks here and nowhere else; a new task plugs in by adding an entry.
 */
import {inputError} from '../core/errors.js'
import {actionTraining} from './action/training.js'
import {meshTraining} from './mesh/training.js'
import {pose3dTraining} from './pose3d/training.js'
import type {TrainTaskEntry} from './train-task.js'

export const TRAIN_TASKS: ReadonlyMap<string, TrainTaskEntry> = new Map([pose3dTraining, actionTraining, meshTraining].map((e) => [e.name, e]))

export function trainTask(task: string): TrainTaskEntry {
  const entry = TRAIN_TASKS.get(task)
  if (!entry) throw inputError(`training --task ${task} is not available`, {hint: `trainable tasks: ${[...TRAIN_TASKS.keys()].join(', ')}`})
  return entry
}
