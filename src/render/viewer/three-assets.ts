/**
 * three.js for the page, read from the installed `three` package at render time (nothing is
 * fetched by the page): build/three.core.js, build/three.module.js (which imports the core) and
 * examples/jsm/controls/OrbitControls.js (which imports 'three'). Their import specifiers are
 * replaced by placeholders that the page swaps for blob: URLs of the other inline modules.
 */
import {promises as fsp} from 'node:fs'
import {createRequire} from 'node:module'
import path from 'node:path'

export const CORE_PLACEHOLDER = '__MOTION_THREE_CORE__'
export const MODULE_PLACEHOLDER = '__MOTION_THREE_MODULE__'

export interface ThreeSources {
  core: string
  module: string
  orbitControls: string
  /** three's REVISION, e.g. "187". */
  revision: string
}

let cached: Promise<ThreeSources> | undefined

/** The three.js module sources with rewritten imports (read once per process). */
export function threeSources(): Promise<ThreeSources> {
  cached ??= readThreeSources().catch((err: unknown) => {
    cached = undefined
    throw err
  })
  return cached
}

async function readThreeSources(): Promise<ThreeSources> {
  const require = createRequire(import.meta.url)
  // 'three/package.json' is not in three's exports; its CommonJS entry is build/three.cjs.
  const root = path.dirname(path.dirname(require.resolve('three')))
  const read = (rel: string): Promise<string> => fsp.readFile(path.join(root, rel), 'utf8')
  const [core, module, orbit, pkg] = await Promise.all([
    read('build/three.core.js'),
    read('build/three.module.js'),
    read('examples/jsm/controls/OrbitControls.js'),
    read('package.json'),
  ])
  const moduleOut = replaceExactly(module, /from '\.\/three\.core\.js'/g, `from '${CORE_PLACEHOLDER}'`, 'build/three.module.js')
  const orbitOut = replaceExactly(orbit, /from 'three'/g, `from '${MODULE_PLACEHOLDER}'`, 'examples/jsm/controls/OrbitControls.js')
  const version = (JSON.parse(pkg) as {version?: string}).version ?? '?'
  return {core, module: moduleOut, orbitControls: orbitOut, revision: version}
}

/** Replaces every match; a three.js whose files no longer import this way fails here, not in the page. */
function replaceExactly(text: string, pattern: RegExp, by: string, file: string): string {
  const n = text.match(pattern)?.length ?? 0
  if (n === 0) throw new Error(`three/${file} no longer imports as the viewer expects (${String(pattern)}); pin three 0.187`)
  return text.replace(pattern, by)
}
