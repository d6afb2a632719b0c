/**
 * How outputs and reports name files the user gave: as typed when relative, relative to the
 * current folder when an absolute path lies inside it, else absolute. The bundled models are named
 * by their place in the package (`models/pose3d`), wherever motion is installed.
 */
import path from 'node:path'

export function displayPath(given: string, cwd: string = process.cwd()): string {
  if (!path.isAbsolute(given)) return path.normalize(given)
  const rel = path.relative(cwd, given)
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : given
}

/** The name outputs give a bundled model: `models/<task>`. */
export function bundledModelLabel(task: string): string {
  return `models/${task}`
}
