/** Paths shared by tests: the repository root, the built CLI and ../shared (fixtures and real data). */
import {existsSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
/** Repository root (tests run from dist/test/..., so walk up to the folder holding package.json). */
export const repoRoot = findUp(here, 'package.json')
export const binRun = path.join(repoRoot, 'bin', 'run.js')
/** ../shared beside the checkout; MOTION_SHARED overrides. */
export const sharedDir = process.env.MOTION_SHARED ?? path.resolve(repoRoot, '..', 'shared')
export const fixturesDir = path.join(sharedDir, 'fixtures', 'official')
export const dataDir = path.join(sharedDir, 'data')

function findUp(start: string, marker: string): string {
  let dir = start
  for (;;) {
    if (existsSync(path.join(dir, marker)) && !dir.includes(`${path.sep}dist`)) return dir
    const parent = path.dirname(dir)
    if (parent === dir) throw new Error(`no ${marker} above ${start}`)
    dir = parent
  }
}
