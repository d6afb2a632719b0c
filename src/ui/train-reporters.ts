/**
 * Reporters for the training event stream (src/train/events.ts): one JSON object per line
 * (--json), plain lines at a sensible rate (no TTY: CI logs), or the Ink dashboard (TTY, see
 * train-dashboard.tsx). Each is a listener; the command subscribes exactly one.
 */
import type {TrainEvent, TrainEventListener} from '../train/events.js'
import {fmtDuration, fmtMetrics, fmtNumber} from './train-format.js'

export type Write = (line: string) => void

/** Every event as one JSON line (`type`, `epoch`, `step`, and loss/lr/path/metrics where they apply). */
export function jsonReporter(write: Write): TrainEventListener {
  return (e) => write(`${JSON.stringify(e, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))}\n`)
}

export interface PlainReporterOptions {
  /** At most one step line per this many ms (epoch ends, evals, checkpoints always print). */
  intervalMs?: number
  now?: () => number
}

/** Human lines without a TTY: step lines at most every `intervalMs` (default 10 s), everything else as it happens. */
export function plainReporter(write: Write, opts: PlainReporterOptions = {}): TrainEventListener {
  const interval = opts.intervalMs ?? 10_000
  const now = opts.now ?? Date.now
  let lastStepLine = -Infinity
  return (e: TrainEvent) => {
    switch (e.type) {
      case 'start':
        write(`engine: ${e.engine}${e.backend ? ` (${e.backend})` : ''} — ${e.reason ?? ''}\n`)
        if (e.message) write(`${e.message}\n`)
        write(`run: ${e.path}; ${e.epochs} epochs × ${e.stepsPerEpoch} steps; lr ${fmtNumber(e.lr, 6)}${e.lrBackbone !== undefined && e.lrBackbone !== e.lr ? ` (backbone ${fmtNumber(e.lrBackbone, 6)})` : ''}\n`)
        break
      case 'step': {
        const t = now()
        const last = e.epochStep === e.stepsPerEpoch
        if (t - lastStepLine < interval && !last && e.step !== 1) return
        lastStepLine = t
        write(
          `epoch ${e.epoch}/${e.epochs} step ${e.epochStep}/${e.stepsPerEpoch} (global ${e.step}) loss ${fmtNumber(e.loss)} lr ${fmtNumber(e.lr, 6)}` +
            `${e.throughput !== undefined ? ` ${e.throughput.toFixed(1)} clips/s` : ''}${e.eta !== undefined ? ` eta ${fmtDuration(e.eta)}` : ''}\n`,
        )
        break
      }
      case 'epoch_end':
        write(`epoch ${e.epoch} done: mean loss ${fmtNumber(e.loss)}\n`)
        break
      case 'eval':
        write(`eval after epoch ${e.epoch}: ${fmtMetrics(e.metrics)}\n`)
        break
      case 'checkpoint':
        write(`saved ${e.checkpoint} at step ${e.step}: ${e.path}\n`)
        break
      case 'done':
        write(`${e.interrupted ? 'interrupted' : 'done'} at epoch ${e.epoch}, step ${e.step}${e.message ? `: ${e.message}` : ''}\n`)
        break
    }
  }
}
