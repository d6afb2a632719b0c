/**
 * Small, naive reference implementations (plain loops over NDArrays) for checking the ONNX
 * executor op by op, independent of any other executor.
 */
import {type NDArray, size, strides} from '../../src/core/ndarray.js'
import {parityError} from './compare.js'

export function nd(shape: number[], fill: (i: number) => number): NDArray {
  const data = new Float32Array(size(shape))
  for (let i = 0; i < data.length; i++) data[i] = fill(i)
  return {data, shape}
}

/** Deterministic pseudo-random values in [-1, 1). */
export function rand(shape: number[], seed = 1): NDArray {
  let s = seed >>> 0 || 1
  return nd(shape, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 31 - 1
  })
}

export function map(x: NDArray, f: (v: number) => number): NDArray {
  return {data: x.data.map(f), shape: [...x.shape]}
}

function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length)
  for (let a = shape.length - 1; a >= 0; a--) {
    idx[a] = i % shape[a]!
    i = Math.floor(i / shape[a]!)
  }
  return idx
}

function offset(idx: readonly number[], shape: readonly number[]): number {
  // Broadcast: idx is aligned to the right; size-1 axes read index 0.
  const st = strides(shape)
  let o = 0
  const lead = idx.length - shape.length
  for (let a = 0; a < shape.length; a++) o += (shape[a] === 1 ? 0 : idx[lead + a]!) * st[a]!
  return o
}

export function broadcast2(a: NDArray, b: NDArray, f: (x: number, y: number) => number): NDArray {
  const n = Math.max(a.shape.length, b.shape.length)
  const shape: number[] = []
  for (let i = 0; i < n; i++) {
    const da = a.shape[a.shape.length - n + i] ?? 1
    const db = b.shape[b.shape.length - n + i] ?? 1
    shape.push(Math.max(da, db))
  }
  return nd(shape, (i) => {
    const idx = unravel(i, shape)
    return f(a.data[offset(idx, a.shape)]!, b.data[offset(idx, b.shape)]!)
  })
}

export function transpose(x: NDArray, perm: readonly number[]): NDArray {
  const shape = perm.map((p) => x.shape[p]!)
  const st = strides(x.shape)
  return nd(shape, (i) => {
    const idx = unravel(i, shape)
    let o = 0
    perm.forEach((p, k) => (o += idx[k]! * st[p]!))
    return x.data[o]!
  })
}

/** Batched matmul over the last two axes (same leading shape). */
export function matmul(a: NDArray, b: NDArray): NDArray {
  const [m, k] = a.shape.slice(-2) as [number, number]
  const n = b.shape[b.shape.length - 1]!
  const lead = a.shape.slice(0, -2)
  const batch = size(lead)
  const bBatch = size(b.shape.slice(0, -2))
  const out = new Float32Array(batch * m * n)
  for (let z = 0; z < batch; z++) {
    const bz = bBatch === 1 ? 0 : z
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0
        for (let t = 0; t < k; t++) s += a.data[z * m * k + i * k + t]! * b.data[bz * k * n + t * n + j]!
        out[z * m * n + i * n + j] = s
      }
  }
  return {data: out, shape: [...lead, m, n]}
}

export function reduce(x: NDArray, axes: readonly number[], keepDims: boolean, init: number, f: (acc: number, v: number) => number, finish = (acc: number, _count: number) => acc): NDArray {
  const keptShape = x.shape.map((d, a) => (axes.includes(a) ? 1 : d))
  const acc = new Float32Array(size(keptShape)).fill(init)
  const count = size(x.shape) / size(keptShape)
  for (let i = 0; i < x.data.length; i++) {
    const o = offset(unravel(i, x.shape), keptShape)
    acc[o] = f(acc[o]!, x.data[i]!)
  }
  const data = acc.map((v) => finish(v, count))
  return {data, shape: keepDims ? keptShape : x.shape.filter((_, a) => !axes.includes(a))}
}

export function softmaxLast(x: NDArray): NDArray {
  const n = x.shape[x.shape.length - 1]!
  const out = new Float32Array(x.data.length)
  for (let r = 0; r < x.data.length / n; r++) {
    let mx = -Infinity
    for (let j = 0; j < n; j++) mx = Math.max(mx, x.data[r * n + j]!)
    let s = 0
    for (let j = 0; j < n; j++) s += Math.exp(x.data[r * n + j]! - mx)
    for (let j = 0; j < n; j++) out[r * n + j] = Math.exp(x.data[r * n + j]! - mx) / s
  }
  return {data: out, shape: [...x.shape]}
}

/** Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), enough for a 1e-4 comparison. */
export function erf(x: number): number {
  const s = Math.sign(x)
  const a = Math.abs(x)
  const t = 1 / (1 + 0.3275911 * a)
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a)
  return s * y
}

export function gelu(v: number): number {
  return 0.5 * v * (1 + erf(v / Math.SQRT2))
}

/** max|a-b| / max(1, max|b|): the project's parity measure over the flat data. */
export function relErr(a: NDArray, b: NDArray): number {
  return parityError(a.data, b.data)
}
