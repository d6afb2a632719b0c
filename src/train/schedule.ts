/**
 * Learning rates as MotionBERT schedules them: AdamW with one rate per parameter group (backbone,
 * head) multiplied by `lr_decay` after every epoch (train.py: `lr *= lr_decay`; train_action.py:
 * StepLR(step_size=1, gamma=lr_decay)). The rate of epoch e (0-based) is base · decay^e, so a
 * resumed run recomputes exactly the rates the killed run would have used.
 */
import {inputError} from '../core/errors.js'

export type ParamGroup = 'backbone' | 'head'

export interface LrSchedule {
  /** Base rate of the head group (and of everything in pretraining). */
  head: number
  /** Base rate of the backbone group. */
  backbone: number
  /** Factor applied after each epoch (MotionBERT `lr_decay`). */
  decay: number
}

export interface LearningRates {
  head: number
  backbone: number
}

/** Rates in effect during `epoch` (0-based). */
export function ratesAtEpoch(schedule: LrSchedule, epoch: number): LearningRates {
  const f = schedule.decay ** epoch
  return {head: schedule.head * f, backbone: schedule.backbone * f}
}

export interface ScheduleInput {
  learning_rate: number
  lr_backbone?: number
  lr_head?: number
  lr_decay: number
}

/**
 * The schedule of a run:
 *  - pretraining: one rate for the whole model (`learning_rate`), as train.py;
 *  - finetuning: the head at `lr_head` (else `learning_rate`), the backbone at `lr_backbone`
 *    (else 0.1× the head's rate, the usual finetuning ratio of MotionBERT's action configs).
 */
export function scheduleFor(kind: 'pretrain' | 'finetune', c: ScheduleInput): LrSchedule {
  const check = (key: string, v: number | undefined): void => {
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw inputError(`${key} must be a non-negative number, got ${v}`)
  }
  check('learning_rate', c.learning_rate)
  check('lr_backbone', c.lr_backbone)
  check('lr_head', c.lr_head)
  if (!(c.lr_decay > 0 && c.lr_decay <= 1)) throw inputError(`lr_decay must be in (0, 1], got ${c.lr_decay}`)
  if (kind === 'pretrain') return {head: c.learning_rate, backbone: c.learning_rate, decay: c.lr_decay}
  const head = c.lr_head ?? c.learning_rate
  return {head, backbone: c.lr_backbone ?? head * 0.1, decay: c.lr_decay}
}

/** Which group a native parameter name belongs to. */
export function paramGroup(name: string): ParamGroup {
  return name.startsWith('head.') ? 'head' : 'backbone'
}
