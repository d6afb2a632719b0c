/** Small wording helpers for messages people read. */

/** "1 frame", "1,234 frames", "2 people" (with `many`). */
export function count(n: number, one: string, many = `${one}s`): string {
  // 1234 -> "1,234" by hand: toLocaleString's first call loads ICU's number formats (~20 ms)
  const digits = Number.isInteger(n) ? String(n).replace(/\B(?=(\d{3})+$)/g, ',') : n.toLocaleString('en-US')
  return `${digits} ${n === 1 ? one : many}`
}
