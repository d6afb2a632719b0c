/**
 * Checks on zip archives (torch checkpoints, .npz) before anything is inflated: entry count,
 * declared sizes and compression ratio (zip bombs), and entry names that climb out of the archive
 * (`../x`, `/etc/x`, `C:\x`). Each returns the problem as text, or undefined when the entry is fine.
 */
import {LIMITS, formatBytes} from './limits.js'

export function checkZipEntryCount(count: number): string | undefined {
  if (count > LIMITS.zipEntries) return `the archive lists ${count} entries, more than the limit of ${LIMITS.zipEntries}`
  return undefined
}

export function checkZipEntryName(name: string): string | undefined {
  const parts = name.split(/[\\/]/)
  if (name.startsWith('/') || name.startsWith('\\') || /^[A-Za-z]:/.test(name) || parts.includes('..') || name.includes('\0')) {
    return `entry '${name.replace(/\0/g, '\\0')}' has an unsafe path (absolute or climbing out with '..')`
  }
  return undefined
}

export function checkZipEntrySize(entry: {name: string; method: number; compressedSize: number; uncompressedSize: number}, maxBytes: number = LIMITS.zipEntryBytes): string | undefined {
  if (entry.uncompressedSize > maxBytes) {
    return `entry '${entry.name}' inflates to ${formatBytes(entry.uncompressedSize)}, more than the limit of ${formatBytes(maxBytes)}`
  }
  if (entry.method === 8 && entry.uncompressedSize > 1024 * 1024 && entry.uncompressedSize / Math.max(1, entry.compressedSize) > LIMITS.zipRatio) {
    return `entry '${entry.name}' claims a compression ratio of ${Math.round(entry.uncompressedSize / Math.max(1, entry.compressedSize))}:1, more than deflate can reach (a zip bomb or a corrupt header)`
  }
  return undefined
}
