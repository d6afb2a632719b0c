/** Formatting shared by the training reporters (plain lines and the Ink dashboard). */

export function fmtNumber(v: number | undefined, digits = 4): string {
  if (v === undefined || !Number.isFinite(v)) return '–'
  const a = Math.abs(v)
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2)
  return String(Number(v.toFixed(digits)))
}

export function fmtDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '–'
  const s = Math.max(0, Math.round(seconds))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const r = s % 60
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(r).padStart(2, '0')}s` : `${r}s`
}

/** Metrics with their units: mpjpe-like in mm, top-k in %. */
export function fmtMetrics(metrics: Record<string, number> | undefined): string {
  if (!metrics) return '–'
  return Object.entries(metrics)
    .map(([k, v]) => `${k} ${v.toFixed(k.startsWith('top') ? 1 : 2)}${k.startsWith('top') ? '%' : k.includes('mpj') ? ' mm' : ''}`)
    .join(', ')
}

const BARS = '▁▂▃▄▅▆▇█'

/** A one-line sparkline of the last `width` values (min..max scaled). */
export function sparkline(values: readonly number[], width = 40): string {
  const v = values.filter(Number.isFinite).slice(-width)
  if (v.length === 0) return ''
  const lo = Math.min(...v)
  const hi = Math.max(...v)
  return v.map((x) => BARS[hi === lo ? 3 : Math.min(7, Math.floor(((x - lo) / (hi - lo)) * 7.999))]!).join('')
}

export function progressBar(fraction: number, width = 24): string {
  const f = Math.min(1, Math.max(0, fraction))
  const filled = Math.round(f * width)
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`
}
