/**
 * The one event stream of a training or evaluation run. The loop emits; the Ink dashboard, the
 * plain-text reporter and the --json reporter (src/ui) all subscribe to the same stream, so what a
 * user sees on a terminal, in a CI log and in a JSON consumer never disagrees.
 *
 * `step` is global: it counts optimiser steps from 1 over the whole run and keeps counting after a
 * `--resume`. `epoch` counts from 1 as well (the epoch the event belongs to).
 */

export const TRAIN_EVENT_TYPES = ['start', 'step', 'epoch_end', 'eval', 'checkpoint', 'done'] as const
export type TrainEventType = (typeof TRAIN_EVENT_TYPES)[number]

export interface TrainEvent {
  type: TrainEventType
  /** 1-based epoch the event belongs to (0 in `start` of a fresh run). */
  epoch: number
  /** Global optimiser step (from 1; the last completed step for non-step events). */
  step: number
  /** Training loss: of this step (`step`), the epoch mean (`epoch_end`, `done`). */
  loss?: number
  /** Loss parts (unweighted), e.g. mpjpe, velocity. */
  parts?: Record<string, number>
  /** Head learning rate in effect (the backbone's is `lrBackbone`). */
  lr?: number
  lrBackbone?: number
  /** Checkpoint folder (`checkpoint`), run folder (`start`, `done`). */
  path?: string
  /** Which checkpoint was written (`checkpoint`): latest or best. */
  checkpoint?: 'latest' | 'best'
  /** Evaluation metrics (`eval`, `done`): mpjpe etc. in mm, top1/top5 in percent. */
  metrics?: Record<string, number>
  /** Training samples (clips) per second over the recent steps. */
  throughput?: number
  /** Estimated seconds to the end of the run. */
  eta?: number
  /** Steps per epoch and epochs of the run (`start`, `step`), for progress bars. */
  stepsPerEpoch?: number
  epochs?: number
  /** 1-based step within the epoch (`step`). */
  epochStep?: number
  /** Engine and tfjs backend (`start`), and why (`reason`). */
  engine?: string
  backend?: string
  reason?: string
  /** A one-line note for humans (resume, feature cache, interruption). */
  message?: string
  /** Seconds since the run (this process) started. */
  elapsed?: number
  /** Anything else the event carries (done: summary fields). */
  [key: string]: unknown
}

export type TrainEventListener = (event: TrainEvent) => void

/** A synchronous broadcast of TrainEvents to every subscriber, in order. */
export class TrainEvents {
  private readonly listeners = new Set<TrainEventListener>()

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: TrainEventListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  emit(event: TrainEvent): void {
    for (const l of this.listeners) l(event)
  }
}

/** Rolling throughput and ETA from step timings (samples per second over the last `window` steps). */
export class ThroughputMeter {
  private readonly times: number[] = []
  private readonly samples: number[] = []

  constructor(private readonly window = 20) {}

  /** Records one step of `samples` clips finished at `now` (ms). */
  record(now: number, samples: number): void {
    this.times.push(now)
    this.samples.push(samples)
    if (this.times.length > this.window + 1) {
      this.times.shift()
      this.samples.shift()
    }
  }

  /** Samples per second, or undefined before two steps. */
  perSecond(): number | undefined {
    if (this.times.length < 2) return undefined
    const dt = (this.times[this.times.length - 1]! - this.times[0]!) / 1000
    if (dt <= 0) return undefined
    const n = this.samples.slice(1).reduce((a, b) => a + b, 0)
    return n / dt
  }

  /** Seconds per step, or undefined before two steps. */
  secondsPerStep(): number | undefined {
    if (this.times.length < 2) return undefined
    return (this.times[this.times.length - 1]! - this.times[0]!) / 1000 / (this.times.length - 1)
  }
}
