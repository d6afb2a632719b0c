/**
 * The training loop shared by pretrain and finetune, whatever the engine: shuffled batches from a
 * seeded Rng, one optimiser step each at the epoch's decayed rates, checkpoints every N steps and
 * at each epoch end (latest; best when the evaluation improves), and one event stream for the
 * reporters. Everything that decides the next step (weights, AdamW moments, epoch, step, the Rng
 * and the epoch's shuffle) is in the checkpoint, so a resumed run continues the same sequence.
 */
import {inputError} from '../core/errors.js'
import type {Model} from '../model/model.js'
import type {NDArray} from '../core/ndarray.js'
import {type CheckpointDescription, type CheckpointKind, type TrainState, writeCheckpoint} from './checkpoint.js'
import {type BatchSource, stepsPerEpoch} from '../tasks/batches.js'
import {type TrainEvent, type TrainEvents, ThroughputMeter} from './events.js'
import {Rng} from '../core/rng.js'
import {ratesAtEpoch} from './schedule.js'
import type {Trainer} from '../tasks/train-types.js'

export interface LoopOptions {
  trainer: Trainer
  /** What the checkpoints' config.json records about the model's output and inference. */
  describe?: CheckpointDescription
  source: BatchSource
  /**
   * 2D-only samples (--data-2d): after each 3D step, one step on a 2D batch drawn from the same
   * Rng; its weighted loss adds to the step's loss and its unweighted part is reported as 2d_proj.
   */
  source2d?: BatchSource
  /** The model being trained (backbone/head/config; weights come from the trainer). */
  model: Model
  runDir: string
  /** Fresh (epoch 0, step 0) or read from RUN/latest. */
  state: TrainState
  /** Save latest every this many steps (0: only at epoch ends). */
  checkpointEvery: number
  events: TrainEvents
  /** Evaluation at each epoch end: metrics by name (the best metric among them). */
  evaluate?: (weights: Map<string, NDArray>) => Promise<Record<string, number>>
  /** Polled after every step; true stops the run after saving latest (Ctrl-C). */
  shouldStop?: () => boolean
  /** Milliseconds clock (tests). */
  now?: () => number
}

export interface LoopResult {
  state: TrainState
  interrupted: boolean
  /** Folder of the last checkpoint written. */
  lastCheckpoint: string | null
  /** Metrics of the last evaluation (null when none ran). */
  lastEval: Record<string, number> | null
  /** Seconds spent in optimiser steps (batch building included) in this session, and how many steps. */
  stepSeconds: number
  steps: number
}

export async function runTrainingLoop(opts: LoopOptions): Promise<LoopResult> {
  const {trainer, source, events} = opts
  const now = opts.now ?? Date.now
  const state: TrainState = structuredClone(opts.state)
  const perEpoch = stepsPerEpoch(source)
  const batchSize = Math.min(source.batchSize, source.size)
  state.stepsPerEpoch = perEpoch
  const totalSteps = perEpoch * state.epochs
  const meter = new ThroughputMeter()
  const sessionStart = now()
  const trainSecondsBase = state.trainSeconds
  let lastCheckpoint: string | null = null
  let lastEval: Record<string, number> | null = null
  let stepSeconds = 0
  let steps = 0
  let rng = Rng.fromState(state.rng)

  const emit = (e: TrainEvent): void => events.emit({...e, elapsed: (now() - sessionStart) / 1000})
  const save = async (kind: CheckpointKind): Promise<string> => {
    state.trainSeconds = trainSecondsBase + (now() - sessionStart) / 1000
    const dir = await writeCheckpoint(opts.runDir, kind, {model: opts.model, weights: trainer.weights(), optimiser: trainer.optimiserState(), state, ...(opts.describe ? {describe: opts.describe} : {})})
    lastCheckpoint = dir
    emit({type: 'checkpoint', epoch: state.epoch + (state.epochStep > 0 ? 1 : 0), step: state.step, path: dir, checkpoint: kind})
    return dir
  }

  for (; state.epoch < state.epochs; ) {
    const epochIndex = state.epoch // 0-based
    // The shuffle of this epoch comes from the Rng as it was when the epoch began.
    let order: number[]
    if (state.epochStep === 0) {
      state.epochRng = rng.state()
      order = rng.permutation(source.size)
    } else {
      order = Rng.fromState(state.epochRng).permutation(source.size) // rng itself is already mid-epoch
    }
    const rates = ratesAtEpoch(state.schedule, epochIndex)
    const lrScale = state.schedule.decay ** epochIndex
    let lossSum = 0
    let lossCount = 0

    for (let b = state.epochStep; b < perEpoch; b++) {
      const indices = batchIndices(order, b, batchSize)
      const t0 = now()
      const batch = source.batch(indices, rng)
      const result = await trainer.step(batch, lrScale)
      if (opts.source2d) {
        const s2 = opts.source2d
        const picks = Array.from({length: Math.min(s2.batchSize, s2.size)}, () => Math.floor(rng.next() * s2.size))
        const r2 = await trainer.step(s2.batch(picks, rng), lrScale)
        result.loss += r2.loss
        result.parts = {...result.parts, ...r2.parts}
      }
      stepSeconds += (now() - t0) / 1000
      steps++
      if (!Number.isFinite(result.loss)) {
        throw inputError(`the training loss became ${result.loss} at step ${state.step + 1}`, {hint: 'lower the learning rate (--lr / learning_rate) or check the data; the last checkpoint is intact'})
      }
      state.step++
      state.epochStep = b + 1
      state.rng = rng.state()
      lossSum += result.loss * indices.length
      lossCount += indices.length
      meter.record(now(), indices.length)
      const secondsPerStep = meter.secondsPerStep()
      emit({
        type: 'step',
        epoch: epochIndex + 1,
        step: state.step,
        epochStep: b + 1,
        stepsPerEpoch: perEpoch,
        epochs: state.epochs,
        loss: result.loss,
        parts: result.parts,
        lr: rates.head,
        lrBackbone: rates.backbone,
        throughput: meter.perSecond(),
        eta: secondsPerStep === undefined ? undefined : secondsPerStep * (totalSteps - state.step),
      })
      const stopping = opts.shouldStop?.() ?? false
      const lastOfEpoch = b + 1 === perEpoch
      if (!lastOfEpoch && (stopping || (opts.checkpointEvery > 0 && state.step % opts.checkpointEvery === 0))) await save('latest')
      if (stopping && !lastOfEpoch) return {state, interrupted: true, lastCheckpoint, lastEval, stepSeconds, steps}
    }

    // Epoch end: the epoch is complete in the state before anything is saved.
    const meanLoss = lossCount > 0 ? lossSum / lossCount : Number.NaN
    state.epoch = epochIndex + 1
    state.epochStep = 0
    if (lossCount > 0) state.epochLosses.push(meanLoss)
    emit({type: 'epoch_end', epoch: state.epoch, step: state.step, loss: lossCount > 0 ? meanLoss : undefined, lr: rates.head, lrBackbone: rates.backbone})
    let improved = false
    if (opts.evaluate) {
      const metrics = await opts.evaluate(trainer.weights())
      lastEval = metrics
      emit({type: 'eval', epoch: state.epoch, step: state.step, metrics})
      improved = updateBest(state, metrics[state.best.name])
    } else if (state.best.name === 'loss' && lossCount > 0) {
      improved = updateBest(state, meanLoss)
    }
    await save('latest')
    if (improved) await save('best')
    if (opts.shouldStop?.()) return {state, interrupted: state.epoch < state.epochs, lastCheckpoint, lastEval, stepSeconds, steps}
  }
  return {state, interrupted: false, lastCheckpoint, lastEval, stepSeconds, steps}
}

function updateBest(state: TrainState, value: number | undefined): boolean {
  if (value === undefined || !Number.isFinite(value)) return false
  const best = state.best
  const better = best.value === null || (best.higherIsBetter ? value > best.value : value < best.value)
  if (better) {
    best.value = value
    best.epoch = state.epoch
  }
  return better
}

/**
 * The sample indices of batch `b`: always a full batch (static shapes for the gradient graphs); the
 * last batch of an epoch is completed from the start of the shuffle.
 */
export function batchIndices(order: readonly number[], b: number, batchSize: number): number[] {
  const out = order.slice(b * batchSize, (b + 1) * batchSize)
  for (let i = 0; out.length < batchSize; i++) out.push(order[i % order.length]!)
  return out
}
