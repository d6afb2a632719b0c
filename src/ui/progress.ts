/**
 * A one-line progress bar on stderr for long runs on a terminal (redrawn in place with \r).
 * Callers decide whether to show it (TTY, long input, not --json); it prints nothing otherwise.
 */
export interface ProgressBar {
  update(done: number, label?: string): void
  done(): void
}

export function progressBar(total: number, stream: NodeJS.WriteStream = process.stderr, width = 30): ProgressBar {
  const started = Date.now()
  let last = -1
  let drawnAt = 0
  const draw = (n: number, label = ''): void => {
    const frac = total > 0 ? Math.min(1, n / total) : 1
    const filled = Math.round(frac * width)
    const elapsed = (Date.now() - started) / 1000
    const eta = n > 0 && n < total ? ` eta ${Math.ceil((elapsed * (total - n)) / n)}s` : ''
    stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.round(frac * 100)}% ${label}${eta}\x1b[K`)
  }
  return {
    update(n, label) {
      const now = Date.now()
      // redraw at most ~10 times a second, and always at the end
      if (n === last || (now - drawnAt < 100 && n < total)) return
      last = n
      drawnAt = now
      draw(n, label)
    },
    done() {
      if (last >= 0) stream.write('\n')
    },
  }
}
