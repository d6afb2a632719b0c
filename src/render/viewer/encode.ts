/**
 * Compact page data for the HTML viewer: float arrays quantised to 16-bit integers over their own
 * range and stored as base64, so a 1,234-frame, 17-joint sequence takes about 170 kB instead of
 * megabytes of JSON numbers. One code (-32768) is kept for "no value" (NaN, infinite), so the page
 * can leave gaps instead of drawing garbage. The page decodes with the same formula (page-script.ts).
 */

/** Int16 code for a missing (non-finite) value. */
export const MISSING = -32768
/** Codes for finite values: -32767 … 32767. */
const LEVELS = 65534

/** A float array as the page stores it: value = min + (code + 32767) * step. */
export interface QuantisedArray {
  /** Shape of the decoded array, e.g. [T, 17, 3]. */
  shape: number[]
  min: number
  /** Distance between neighbouring codes (the largest rounding error is step / 2); 0 for constants. */
  step: number
  /** Little-endian Int16 codes, base64. */
  b64: string
}

/** Quantises a float array (NaN / ±Infinity become MISSING). */
export function quantise(data: ArrayLike<number>, shape: readonly number[]): QuantisedArray {
  const n = shape.reduce((a, b) => a * b, 1)
  if (n !== data.length) throw new Error(`quantise: shape [${shape.join(', ')}] holds ${n} values, the array has ${data.length}`)
  let min = Infinity
  let max = -Infinity
  for (let i = 0; i < n; i++) {
    const v = data[i]!
    if (Number.isFinite(v)) {
      if (v < min) min = v
      if (v > max) max = v
    }
  }
  if (min === Infinity) min = max = 0
  const step = max > min ? (max - min) / LEVELS : 0
  const codes = new Int16Array(n)
  for (let i = 0; i < n; i++) {
    const v = data[i]!
    codes[i] = !Number.isFinite(v) ? MISSING : step === 0 ? -32767 : Math.min(32767, Math.round((v - min) / step) - 32767)
  }
  return {shape: [...shape], min, step, b64: int16ToBase64(codes)}
}

/** The inverse of quantise (MISSING → NaN). */
export function dequantise(q: QuantisedArray): Float32Array {
  const codes = base64ToInt16(q.b64)
  const out = new Float32Array(codes.length)
  for (let i = 0; i < codes.length; i++) out[i] = codes[i] === MISSING ? NaN : q.min + (codes[i]! + 32767) * q.step
  return out
}

/** Unsigned bytes (e.g. confidences × 255, mesh faces) as base64. */
export function bytesToBase64(bytes: Uint8Array | Uint16Array | Uint32Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}

function int16ToBase64(codes: Int16Array): string {
  // Typed arrays use the platform's byte order; every platform Node runs on is little-endian, as are browsers in practice.
  return Buffer.from(codes.buffer, codes.byteOffset, codes.byteLength).toString('base64')
}

function base64ToInt16(b64: string): Int16Array {
  const buf = Buffer.from(b64, 'base64')
  const copy = new Uint8Array(buf.byteLength)
  copy.set(buf)
  return new Int16Array(copy.buffer)
}
