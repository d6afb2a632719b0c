/**
 * Temporal smoothing of pose sequences (`motion predict --smooth`), each coordinate of each joint
 * filtered independently along time. Two documented filters (docs/outputs.md, "Smoothing"):
 *
 *  - one-euro (Casiez et al., CHI 2012): an adaptive low-pass filter whose cutoff rises with speed,
 *    so slow motion is smoothed hard and fast motion keeps up. Causal (uses past frames only).
 *    Defaults: minCutoff 1.0 Hz, beta 0.007, dCutoff 1.0 Hz. beta is per unit of speed, so it
 *    depends on the data's units; raise it if fast motion lags.
 *  - savgol (Savitzky-Golay): a least-squares polynomial fit in a sliding window, zero phase (no
 *    delay). Defaults: window 9 frames, polynomial order 2. The first and last window/2 frames are
 *    evaluated on the polynomial fitted to the first / last full window, so the ends are not shifted
 *    and polynomials up to the order are kept exactly everywhere.
 */
import {inputError} from '../core/errors.js'
import type {NDArray} from '../core/ndarray.js'

export interface OneEuroOptions {
  method: 'one-euro'
  /** Frames per second of the sequence (the filter works in Hz). */
  fps: number
  /** Cutoff frequency at rest, Hz (default 1.0). */
  minCutoff?: number
  /** Speed coefficient (default 0.007). */
  beta?: number
  /** Cutoff for the speed estimate, Hz (default 1.0). */
  dCutoff?: number
}

export interface SavgolOptions {
  method: 'savgol'
  /** Odd window length in frames (default 9). */
  window?: number
  /** Polynomial order, below the window length (default 2). */
  order?: number
  fps?: number
}

export type SmoothOptions = OneEuroOptions | SavgolOptions
export type SmoothMethod = SmoothOptions['method']

export const SMOOTH_DEFAULTS = {
  'one-euro': {minCutoff: 1.0, beta: 0.007, dCutoff: 1.0},
  savgol: {window: 9, order: 2},
} as const

/** Smooths x [T, ...] along its first axis; returns a new array of the same shape. */
export function smoothPoses(x: NDArray, opts: SmoothOptions): NDArray {
  const T = x.shape[0] ?? 0
  const C = T > 0 ? x.data.length / T : 0 // channels per frame, e.g. 17 * 3
  const out = new Float32Array(x.data.length)
  const series = new Float64Array(T)
  const smoothed = new Float64Array(T)
  const filter = makeFilter(opts, T)
  for (let c = 0; c < C; c++) {
    for (let t = 0; t < T; t++) series[t] = x.data[t * C + c]!
    filter(series, smoothed)
    for (let t = 0; t < T; t++) out[t * C + c] = smoothed[t]!
  }
  return {data: out, shape: [...x.shape]}
}

type SeriesFilter = (x: Float64Array, out: Float64Array) => void

function makeFilter(opts: SmoothOptions, T: number): SeriesFilter {
  if (opts.method === 'one-euro') {
    const d = SMOOTH_DEFAULTS['one-euro']
    const p = {minCutoff: opts.minCutoff ?? d.minCutoff, beta: opts.beta ?? d.beta, dCutoff: opts.dCutoff ?? d.dCutoff}
    if (!(opts.fps > 0)) throw inputError(`one-euro smoothing needs a positive frame rate, got ${opts.fps}`, {hint: 'pass the source fps'})
    if (!(p.minCutoff > 0) || !(p.dCutoff > 0) || !(p.beta >= 0)) {
      throw inputError(`one-euro parameters must be minCutoff > 0, dCutoff > 0, beta >= 0 (got ${p.minCutoff}, ${p.dCutoff}, ${p.beta})`)
    }
    return (x, out) => oneEuro(x, out, opts.fps, p.minCutoff, p.beta, p.dCutoff)
  }
  if (opts.method === 'savgol') {
    const d = SMOOTH_DEFAULTS.savgol
    const window = opts.window ?? d.window
    const order = opts.order ?? d.order
    if (!Number.isInteger(window) || window < 3 || window % 2 === 0) {
      throw inputError(`Savitzky-Golay window must be an odd whole number >= 3, got ${window}`)
    }
    if (!Number.isInteger(order) || order < 0 || order >= window) {
      throw inputError(`Savitzky-Golay order must be a whole number below the window (${window}), got ${order}`)
    }
    // Short sequences: the largest odd window that fits, the order capped below it.
    const w = Math.min(window, T % 2 === 1 ? T : T - 1)
    if (w < 3) return (x, out) => out.set(x)
    const coeffs = savgolCoefficients(w, Math.min(order, w - 1))
    return (x, out) => savgol(x, out, coeffs)
  }
  throw inputError(`unknown smoothing method '${(opts as {method: string}).method}'`, {hint: "use 'one-euro' or 'savgol'"})
}

function oneEuro(x: Float64Array, out: Float64Array, fps: number, minCutoff: number, beta: number, dCutoff: number): void {
  const alpha = (cutoff: number): number => {
    const tau = 1 / (2 * Math.PI * cutoff)
    return 1 / (1 + tau * fps)
  }
  const aD = alpha(dCutoff)
  let prev = x[0]!
  let dPrev = 0
  if (x.length > 0) out[0] = prev
  for (let t = 1; t < x.length; t++) {
    const dx = (x[t]! - prev) * fps
    dPrev = dPrev + aD * (dx - dPrev)
    const a = alpha(minCutoff + beta * Math.abs(dPrev))
    prev = prev + a * (x[t]! - prev)
    out[t] = prev
  }
}

/**
 * coeffs[s][i]: weight of window sample i in the fitted value at window position s (0..w-1),
 * i.e. row s of the hat matrix A (AᵀA)⁻¹ Aᵀ with A[i][k] = ((i - m) / m)^k.
 */
function savgolCoefficients(w: number, order: number): Float64Array[] {
  const m = (w - 1) / 2
  const n = order + 1
  const A = Array.from({length: w}, (_, i) => Array.from({length: n}, (_, k) => ((i - m) / m) ** k))
  const AtA = Array.from({length: n}, (_, r) => Array.from({length: n}, (_, c) => A.reduce((s, row) => s + row[r]! * row[c]!, 0)))
  const inv = invert(AtA)
  return Array.from({length: w}, (_, s) => {
    const row = new Float64Array(w)
    // weights = A[s] · inv · Aᵀ
    const ai = Array.from({length: n}, (_, c) => A[s]!.reduce((acc, v, r) => acc + v * inv[r]![c]!, 0))
    for (let i = 0; i < w; i++) row[i] = ai.reduce((acc, v, k) => acc + v * A[i]![k]!, 0)
    return row
  })
}

function savgol(x: Float64Array, out: Float64Array, coeffs: Float64Array[]): void {
  const w = coeffs.length
  const m = (w - 1) / 2
  const T = x.length
  const apply = (start: number, s: number): number => {
    const c = coeffs[s]!
    let acc = 0
    for (let i = 0; i < w; i++) acc += c[i]! * x[start + i]!
    return acc
  }
  for (let t = 0; t < T; t++) {
    if (t < m) out[t] = apply(0, t)
    else if (t >= T - m) out[t] = apply(T - w, t - (T - w))
    else out[t] = apply(t - m, m)
  }
}

/** Gauss-Jordan inverse of a small symmetric positive-definite matrix. */
function invert(a: number[][]): number[][] {
  const n = a.length
  const m = a.map((row, i) => [...row, ...Array.from({length: n}, (_, j) => (i === j ? 1 : 0))])
  for (let c = 0; c < n; c++) {
    let p = c
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r
    ;[m[c], m[p]] = [m[p]!, m[c]!]
    const piv = m[c]![c]!
    for (let k = 0; k < 2 * n; k++) m[c]![k]! /= piv
    for (let r = 0; r < n; r++) {
      if (r === c) continue
      const f = m[r]![c]!
      for (let k = 0; k < 2 * n; k++) m[r]![k]! -= f * m[c]![k]!
    }
  }
  return m.map((row) => row.slice(n))
}
