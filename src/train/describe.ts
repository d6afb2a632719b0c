/** What a training run's checkpoints record about how to run the model they hold. */
import type {MotionConfig} from '../config/schema.js'
import {TRAINED_OUTPUT_UNITS} from '../model/units.js'
import type {CheckpointDescription} from './checkpoint.js'

/**
 * video_views models take window-normalised inputs (predict must run them so) and predict metres;
 * others predict normalised units with the official inference.
 */
export function checkpointDescription(config: MotionConfig): CheckpointDescription {
  if (!config.video_views) return {outputUnits: TRAINED_OUTPUT_UNITS}
  return {outputUnits: 'metres', inference: {inputNorm: 'window', clipLen: Number(config.clip_len)}}
}
