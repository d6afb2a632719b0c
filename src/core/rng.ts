/**
 * A seeded pseudo-random generator for training (shuffling, augmentation, masking) whose whole
 * state is a small JSON object, so a resumed run draws exactly the numbers the killed run would
 * have drawn. xoshiro128** (Blackman & Vigna), seeded through splitmix32; normals by Box-Muller
 * with the spare value kept in the state.
 */
import {inputError} from './errors.js'

export interface RngState {
  kind: 'xoshiro128**'
  /** Four 32-bit words (unsigned). */
  s: [number, number, number, number]
  /** The second Box-Muller normal, not yet returned (null when none is pending). */
  spare: number | null
}

export class Rng {
  private s0: number
  private s1: number
  private s2: number
  private s3: number
  private spare: number | null = null

  /** A generator from an integer seed (any JS number; only its low 32 bits and sign matter). */
  constructor(seed: number) {
    let x = seed >>> 0
    const next = (): number => {
      // splitmix32 spreads a small seed over the whole state.
      x = (x + 0x9e3779b9) >>> 0
      let z = x
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
      return (z ^ (z >>> 16)) >>> 0
    }
    this.s0 = next()
    this.s1 = next()
    this.s2 = next()
    this.s3 = next()
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1
  }

  /** A generator continuing exactly from a saved state. */
  static fromState(state: RngState): Rng {
    const ok =
      state !== null &&
      typeof state === 'object' &&
      state.kind === 'xoshiro128**' &&
      Array.isArray(state.s) &&
      state.s.length === 4 &&
      state.s.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff) &&
      state.s.some((w) => w !== 0) &&
      (state.spare === null || Number.isFinite(state.spare))
    if (!ok) throw inputError('invalid RNG state in the checkpoint', {hint: 'expected {kind: "xoshiro128**", s: [4 uint32], spare}'})
    const rng = new Rng(0)
    ;[rng.s0, rng.s1, rng.s2, rng.s3] = state.s
    rng.spare = state.spare
    return rng
  }

  /** The state as plain JSON data (a copy). */
  state(): RngState {
    return {kind: 'xoshiro128**', s: [this.s0, this.s1, this.s2, this.s3], spare: this.spare}
  }

  /** The next 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0
    const t = (this.s1 << 9) >>> 0
    this.s2 = (this.s2 ^ this.s0) >>> 0
    this.s3 = (this.s3 ^ this.s1) >>> 0
    this.s1 = (this.s1 ^ this.s2) >>> 0
    this.s0 = (this.s0 ^ this.s3) >>> 0
    this.s2 = (this.s2 ^ t) >>> 0
    this.s3 = rotl(this.s3, 11)
    return result
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextUint32() >>> 5 // 27 bits
    const lo = this.nextUint32() >>> 6 // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992
  }

  /** Uniform in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.next()
  }

  /** Integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new Error(`Rng.int: n must be a positive integer, got ${n}`)
    if (n > 0x100000000) return Math.floor(this.next() * n)
    const limit = 0x100000000 - (0x100000000 % n)
    for (;;) {
      const x = this.nextUint32()
      if (x < limit) return x % n
    }
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.next() < p
  }

  /** Standard normal (Box-Muller; pairs are cached in the state). */
  normal(mean = 0, std = 1): number {
    if (this.spare !== null) {
      const z = this.spare
      this.spare = null
      return mean + std * z
    }
    let u = 0
    while (u === 0) u = this.next()
    const v = this.next()
    const r = Math.sqrt(-2 * Math.log(u))
    this.spare = r * Math.sin(2 * Math.PI * v)
    return mean + std * r * Math.cos(2 * Math.PI * v)
  }

  /** Fisher-Yates shuffle in place; returns the array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1)
      const t = items[i]!
      items[i] = items[j]!
      items[j] = t
    }
    return items
  }

  /** A permutation of 0..n-1. */
  permutation(n: number): number[] {
    return this.shuffle(Array.from({length: n}, (_, i) => i))
  }

  /** An independent generator derived from this one (e.g. one per data worker). */
  fork(): Rng {
    const child = new Rng(0)
    child.s0 = this.nextUint32()
    child.s1 = this.nextUint32()
    child.s2 = this.nextUint32()
    child.s3 = this.nextUint32()
    if ((child.s0 | child.s1 | child.s2 | child.s3) === 0) child.s0 = 1
    return child
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0
}
