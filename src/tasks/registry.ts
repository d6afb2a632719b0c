/**
 * What `motion predict --task T` runs. The shared steps (read keypoints, choose people, load the
 * model, pick the engine, check outputs) are done once in index.ts; each task adds its own model
 * run and outputs here. Action recognition and mesh recovery plug in by adding an entry.
 */
import type {Task} from '../heads/tasks.js'
import {inputError} from '../core/errors.js'
import {exampleInputShape} from '../model/example-shape.js'
import {checkMeshOutputs, predictMesh} from './mesh/predict.js'
import {checkActionOutputs, predictAction} from './action/predict.js'
import {predictPose3d} from './pose3d/predict.js'
import type {PredictTaskRunner, TaskContext} from './types.js'

export interface PredictTaskEntry {
  /** One line for --help and errors. */
  description: string
  run: PredictTaskRunner
  /** The task's own output check (extensions it writes); default: the pose writers' check. */
  checkOutputs?: (out: string, render: string | undefined) => Promise<void>
}

export const PREDICT_TASKS: Readonly<Partial<Record<Task, PredictTaskEntry>>> = {
  pose3d: {
    description: '2D keypoints to 3D joints (infer_wild)',
    run: (ctx) => predictPose3d(ctx, clipLength(ctx), inputChannels(ctx) === 2),
  },
  action: {
    description: '2D keypoints to an action label with class scores (per window and per track); writes JSON',
    run: (ctx) => predictAction(ctx, clipLength(ctx), inputChannels(ctx)),
    checkOutputs: checkActionOutputs,
  },
  mesh: {
    description: '2D keypoints to SMPL meshes per frame (infer_wild_mesh): parameters .npz/.json, .glb, or a folder of .obj',
    run: (ctx) => predictMesh(ctx, clipLength(ctx), inputChannels(ctx)),
    checkOutputs: checkMeshOutputs,
  },
}

export function predictTask(task: Task): PredictTaskEntry {
  const entry = PREDICT_TASKS[task]
  if (!entry) {
    throw inputError(`predict --task ${task} is not available yet`, {hint: `available: ${Object.keys(PREDICT_TASKS).join(', ')}`})
  }
  return entry
}

/** The longest clip the model takes (its maxlen / num_frame / frames). */
export function modelMaxFrames(ctx: Pick<TaskContext, 'loaded'>): number {
  return exampleInputShape(ctx.loaded.model).maxFrames
}

/** --clip-len, else the config's clip_len, else the model's longest clip; never longer than that. */
export function clipLength(ctx: Pick<TaskContext, 'loaded' | 'options'>): number {
  const max = modelMaxFrames(ctx)
  const clipLen = ctx.options.clipLen ?? ctx.loaded.inference?.clipLen ?? max
  if (clipLen > max) {
    throw inputError(`clip length ${clipLen} is longer than the model takes (${max} frames)`, {hint: `use --clip-len ${max} or less`})
  }
  return clipLen
}

/** Channels per joint the model reads: 3 (x, y, confidence) or 2 (no_conf models). */
export function inputChannels(ctx: Pick<TaskContext, 'loaded'>): number {
  const shape = exampleInputShape(ctx.loaded.model).shape
  return shape[shape.length - 1]!
}
