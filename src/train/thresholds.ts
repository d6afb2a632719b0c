/**
 * CI thresholds for `motion eval`: `--fail-above mpjpe=60` fails when the metric is above the
 * value, `--fail-below top1=85` when it is below. Crossing any of them gives exit code 5.
 */
import {inputError} from '../core/errors.js'

export interface Threshold {
  metric: string
  limit: number
  /** 'above': fail when value > limit; 'below': fail when value < limit. */
  direction: 'above' | 'below'
}

export interface ThresholdFailure extends Threshold {
  value: number
}

/** Parses `metric=value` items (a flag may also hold several, comma-separated). */
export function parseThresholds(items: readonly string[] | undefined, direction: 'above' | 'below', known: readonly string[]): Threshold[] {
  const out: Threshold[] = []
  for (const item of (items ?? []).flatMap((s) => s.split(','))) {
    const m = /^\s*([A-Za-z0-9_]+)\s*=\s*([-+0-9.eE]+)\s*$/.exec(item)
    const flag = `--fail-${direction}`
    if (!m) throw inputError(`${flag} expects metric=value, got '${item}'`, {hint: `e.g. ${flag} ${direction === 'above' ? 'mpjpe=60' : 'top1=85'}`})
    const metric = m[1]!.toLowerCase()
    const limit = Number(m[2])
    if (!Number.isFinite(limit)) throw inputError(`${flag} ${item}: '${m[2]}' is not a number`)
    if (!known.includes(metric)) throw inputError(`${flag} ${item}: unknown metric '${metric}'`, {hint: `metrics here: ${known.join(', ')}`})
    out.push({metric, limit, direction})
  }
  return out
}

/** The thresholds the metrics cross (a missing or non-finite metric counts as crossing). */
export function checkThresholds(metrics: Readonly<Record<string, number | null | undefined>>, thresholds: readonly Threshold[]): ThresholdFailure[] {
  const failures: ThresholdFailure[] = []
  for (const t of thresholds) {
    const v = metrics[t.metric]
    const value = typeof v === 'number' ? v : Number.NaN
    const crossed = !Number.isFinite(value) || (t.direction === 'above' ? value > t.limit : value < t.limit)
    if (crossed) failures.push({...t, value})
  }
  return failures
}

export function describeFailure(f: ThresholdFailure): string {
  return `${f.metric} ${Number.isFinite(f.value) ? f.value.toFixed(3) : 'unavailable'} ${f.direction === 'above' ? '>' : '<'} ${f.limit}`
}
