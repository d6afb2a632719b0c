/**
 * The model a run trains: RUN/latest with its optimiser state and loop state (--resume), else the
 * task's initial model (fresh for pretraining; --from, with a fresh head when needed, for
 * finetuning); and the window length that fits it.
 */
import type {MotionConfig} from '../config/schema.js'
import {inputError} from '../core/errors.js'
import {modelInputChannels} from '../model/lifting.js'
import {loadModel} from '../model/load.js'
import type {Model} from '../model/model.js'
import type {TrainTaskEntry} from '../tasks/train-task.js'
import {readTrainState, type RunSettings, type TrainState} from './checkpoint.js'

export interface PreparedModel {
  model: Model
  /** The loop state to continue (resume), else null. */
  state: TrainState | null
  optimiserState: Awaited<ReturnType<typeof readTrainState>>['optimiser']
}

export async function prepareModel(task: TrainTaskEntry, settings: RunSettings, resumeDir: string | null): Promise<PreparedModel> {
  if (resumeDir) {
    const loaded = await loadModel(resumeDir)
    const ts = await readTrainState(resumeDir)
    return {model: loaded.model, state: ts.state, optimiserState: ts.optimiser}
  }
  return {model: await task.initialModel(settings), state: null, optimiserState: null}
}

/**
 * Fits the config to the model: MixSTE / Strided read x, y only (in_chans 2), so their batches
 * drop the confidence channel; clip_len becomes the model's own maximum when it was left at its
 * default and the model takes fewer frames.
 */
export function fitConfigToModel(config: MotionConfig, model: Model, clipLenGiven: boolean): void {
  if (modelInputChannels(model) === 2) config.no_conf = true
  config.clip_len = fitClipLen(model, Number(config.clip_len), clipLenGiven)
}

/**
 * The window length: clip_len, or the model's own maximum (DSTformer maxlen) when clip_len was
 * left at its default and the model takes fewer frames.
 */
function fitClipLen(model: Model, clipLen: number, given: boolean): number {
  const problem = model.backbone.checkInput([1, clipLen, model.backbone.describeOutput(model.config.backboneConfig).numJoints, modelInputChannels(model)], model.config.backboneConfig)
  if (!problem) return clipLen
  const maxlen = model.config.backboneConfig.maxlen ?? model.config.backboneConfig.num_frame ?? model.config.backboneConfig.frames
  if (!given && typeof maxlen === 'number') return maxlen
  throw inputError(`clip_len ${clipLen} does not fit the model: ${problem}`, {hint: typeof maxlen === 'number' ? `use clip_len ${maxlen} or less` : 'set clip_len to what the model takes'})
}
