/** The CPUs this process may run on, from /proc/self/status (Linux; elsewhere none are reported). */
import {readFileSync} from 'node:fs'

/** The raw Cpus_allowed_list ("0-3,6"), or undefined where it cannot be read. */
export function allowedCpuList(): string | undefined {
  if (process.platform !== 'linux') return undefined
  try {
    return /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]
  } catch {
    return undefined
  }
}

/** allowedCpuList as CPU numbers ([] where it cannot be read). */
export function allowedCpus(): number[] {
  return (allowedCpuList() ?? '').split(',').flatMap((part) => {
    const [a, b] = part.split('-').map(Number)
    if (!Number.isInteger(a)) return []
    return Array.from({length: (Number.isInteger(b) ? b! : a!) - a! + 1}, (_, i) => a! + i)
  })
}
