/** The installed version of an npm package, read from its package.json (undefined when not installed). */
import {existsSync, readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import path from 'node:path'

const require = createRequire(import.meta.url)

export function installedVersion(pkg: string): string | undefined {
  let entry: string
  try {
    entry = require.resolve(pkg)
  } catch {
    try {
      entry = require.resolve(`${pkg}/package.json`)
    } catch {
      return undefined
    }
  }
  // Walk up from the entry file to the package.json that names this package.
  let dir = path.dirname(entry)
  for (;;) {
    const file = path.join(dir, 'package.json')
    if (existsSync(file)) {
      try {
        const json = JSON.parse(readFileSync(file, 'utf8')) as {name?: string; version?: string}
        if (json.name === pkg) return json.version
      } catch {
        // A broken package.json: keep walking.
      }
    }
    const parent = path.dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}
