/**
 * What pretrain and finetune share after parsing flags: pick the reporter (--json lines, Ink on a
 * TTY, plain lines otherwise), turn Ctrl-C into "save latest and stop", run the training, print the
 * summary, and exit 130 when interrupted. Only this module and the commands print.
 */
import {ExitCode} from '../core/errors.js'
import {TrainEvents, type TrainEvent} from '../train/events.js'
import type {TrainRunOptions, TrainSummary} from '../train/run.js'
import {fmtMetrics, fmtNumber} from '../ui/train-format.js'
import {jsonReporter, plainReporter} from '../ui/train-reporters.js'

export type ReporterMode = 'json' | 'ink' | 'plain'

export function chooseReporter(json: boolean, stream: NodeJS.WriteStream = process.stderr): ReporterMode {
  if (json) return 'json'
  return stream.isTTY && process.env.CI === undefined ? 'ink' : 'plain'
}

export interface TrainSessionResult {
  summary: TrainSummary
  /** The final `done` event (what --json prints last). */
  done: TrainEvent
  exitCode: number
}

export async function runTrainSession(options: Omit<TrainRunOptions, 'events' | 'shouldStop'>, mode: ReporterMode): Promise<TrainSessionResult> {
  const {runTraining} = await import('../train/run.js')
  const events = new TrainEvents()
  let close: (() => Promise<void>) | undefined
  if (mode === 'json') events.subscribe(jsonReporter((l) => process.stdout.write(l)))
  else if (mode === 'plain') events.subscribe(plainReporter((l) => process.stderr.write(l)))
  else {
    const {renderDashboard} = await import('../ui/train-dashboard.js')
    const handle = renderDashboard(events)
    close = () => handle.close()
  }
  let stop = false
  const onSigint = (): void => {
    if (stop) process.exit(ExitCode.interrupted) // a second Ctrl-C does not wait for the save
    stop = true
    if (mode === 'plain') process.stderr.write('\ninterrupt: saving latest and stopping (Ctrl-C again to quit now)\n')
  }
  process.on('SIGINT', onSigint)
  try {
    const summary = await runTraining({...options, events, shouldStop: () => stop})
    const done: TrainEvent = {
      ...summary,
      type: 'done',
      loss: summary.epochLosses[summary.epochLosses.length - 1],
      path: summary.run,
      metrics: summary.lastEval ?? undefined,
      message: summaryLine(summary),
    }
    if (mode !== 'json') events.emit(done)
    await close?.()
    if (mode !== 'json') process.stderr.write(`${summaryText(summary)}\n`)
    return {summary, done, exitCode: summary.interrupted ? ExitCode.interrupted : ExitCode.ok}
  } catch (err) {
    await close?.()
    throw err
  } finally {
    process.off('SIGINT', onSigint)
  }
}

function summaryLine(s: TrainSummary): string {
  const best = s.best.value === null ? 'no evaluation' : `best ${s.best.name} ${fmtNumber(s.best.value, 2)} (epoch ${s.best.epoch})`
  return `${s.epoch}/${s.epochs} epochs, ${s.step} steps, ${best}`
}

function summaryText(s: TrainSummary): string {
  const lines = [
    `${s.interrupted ? 'Interrupted' : 'Finished'}: ${summaryLine(s)}; engine ${s.engine} (${s.backend}); ${s.trainable} tensors trained, ${s.frozen} frozen`,
    `  epoch losses: ${s.epochLosses.map((l) => fmtNumber(l)).join(' → ') || '–'}`,
  ]
  if (s.lastEval) lines.push(`  last eval: ${fmtMetrics(s.lastEval)}`)
  if (s.featureCache) {
    const f = s.featureCache
    lines.push(`  feature cache: features in ${f.extractSeconds.toFixed(2)} s (${f.engine}), ${f.headEpochSeconds.toFixed(2)} s per head epoch → ${f.speedup.toFixed(1)}x faster than recomputing the backbone every epoch`)
  }
  lines.push(`  latest: ${s.latest ?? '–'}`, `  best: ${s.bestCheckpoint ?? '–'}`)
  if (s.interrupted) lines.push(`  continue with: motion ${s.command} --resume ${s.run}`)
  return lines.join('\n')
}
