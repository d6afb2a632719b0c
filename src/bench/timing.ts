/**
 * Timing loops for `motion bench`, measured the way ../shared/tools/bench_official.py measures
 * PyTorch so the two are comparable: warm-up excluded, then repeat for at least `seconds` (and at
 * least `minRuns` times) and report the mean time per step (total / runs). The median and
 * fastest step are kept too, since shared machines are noisy.
 */
export interface TimingOptions {
  /** Measure for at least this long (seconds). */
  seconds: number
  /** And at least this many timed steps (default 2, as the official script). */
  minRuns?: number
  /** Untimed steps first (default 1): session creation, graph optimisation, allocator warm-up. */
  warmup?: number
  /** Clock in milliseconds (tests inject one). */
  now?: () => number
}

export interface TimingResult {
  runs: number
  totalMs: number
  /** total / runs: what the official script reports. */
  meanMs: number
  medianMs: number
  minMs: number
  /** Time of the warm-up steps (first-run cost: session creation, weight upload). */
  warmupMs: number
}

export async function timeSteps(step: () => Promise<unknown>, opts: TimingOptions): Promise<TimingResult> {
  const now = opts.now ?? (() => performance.now())
  const minRuns = Math.max(1, opts.minRuns ?? 2)
  const w0 = now()
  for (let i = 0; i < (opts.warmup ?? 1); i++) await step()
  const warmupMs = now() - w0
  const times: number[] = []
  const t0 = now()
  let last = t0
  while (last - t0 < opts.seconds * 1000 || times.length < minRuns) {
    await step()
    const t = now()
    times.push(t - last)
    last = t
  }
  const totalMs = last - t0
  const sorted = [...times].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  const medianMs = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
  return {runs: times.length, totalMs, meanMs: totalMs / times.length, medianMs, minMs: sorted[0]!, warmupMs}
}
