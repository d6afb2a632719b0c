/**
 * In-process mutation fuzzing of file readers with a fixed seed. Each mutation of a valid seed
 * file must either be read or be refused with a MotionError (exit 2/3/4); anything else (a
 * TypeError, a RangeError, a hang) is a bug. `npm test` runs a quick pass; `npm run fuzz` sets
 * MOTION_FUZZ_MUTATIONS=10000 for the long one.
 */
import assert from 'node:assert/strict'
import {isMotionError} from '../../src/core/errors.js'
import {Rng} from '../../src/core/rng.js'

export const FUZZ_SEED = 20_261_206

/** Mutations per reader: MOTION_FUZZ_MUTATIONS (the long run), else `quick`. */
export function fuzzMutations(quick: number): number {
  const n = Number(process.env.MOTION_FUZZ_MUTATIONS)
  return Number.isInteger(n) && n > 0 ? n : quick
}

const INTERESTING = [0x00, 0xff, 0x7f, 0x80, 0x2c, 0x22, 0x5b, 0x5d, 0x7b, 0x7d, 0x3a, 0x2d, 0x39, 0x0a]

/** One random mutation of `seed`: byte flips and sets, inserts, deletes, duplicated runs, truncation. */
export function mutate(seed: Uint8Array, rng: Rng): Uint8Array {
  let b: Uint8Array = Uint8Array.from(seed)
  const edits = 1 + rng.int(4)
  for (let e = 0; e < edits; e++) {
    const at = b.length === 0 ? 0 : rng.int(b.length)
    switch (rng.int(7)) {
      case 0:
        if (b.length) b[at] = b[at]! ^ (1 << rng.int(8))
        break
      case 1:
        if (b.length) b[at] = INTERESTING[rng.int(INTERESTING.length)]!
        break
      case 2: {
        const ins = Uint8Array.from({length: 1 + rng.int(8)}, () => INTERESTING[rng.int(INTERESTING.length)]!)
        b = concat(b.subarray(0, at), ins, b.subarray(at))
        break
      }
      case 3:
        b = concat(b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + rng.int(16))))
        break
      case 4: {
        const len = 1 + rng.int(32)
        b = concat(b.subarray(0, at + len), b.subarray(at, at + len), b.subarray(at + len))
        break
      }
      case 5:
        b = b.subarray(0, at)
        break
      default:
        // A run of digits (a huge number in text formats, big sizes in binary headers).
        if (b.length) b.fill(0x39, at, Math.min(b.length, at + 1 + rng.int(12)))
    }
  }
  return b
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

export interface FuzzTally {
  read: number
  refused: number
}

/**
 * Feeds `mutations` mutations of the seeds (round robin) to `read`; fails on the first error that
 * is not a MotionError, naming the seed file and the iteration so it can be replayed.
 */
export async function fuzzReader(seeds: ReadonlyArray<{name: string; bytes: Uint8Array}>, mutations: number, read: (bytes: Uint8Array, name: string) => unknown): Promise<FuzzTally> {
  const rng = new Rng(FUZZ_SEED)
  const tally: FuzzTally = {read: 0, refused: 0}
  for (let i = 0; i < mutations; i++) {
    const seed = seeds[i % seeds.length]!
    const bytes = mutate(seed.bytes, rng)
    try {
      await read(bytes, seed.name)
      tally.read++
    } catch (err) {
      if (!isMotionError(err)) {
        assert.fail(`mutation ${i} of ${seed.name} (seed ${FUZZ_SEED}) escaped as ${(err as Error)?.name}: ${(err as Error)?.message}\n${(err as Error)?.stack ?? ''}`)
      }
      tally.refused++
    }
  }
  return tally
}
