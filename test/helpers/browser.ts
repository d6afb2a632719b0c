/**
 * A real browser for page tests: Debian's chromium (installed by .ci/run) driven by playwright-core,
 * WebGL2 through SwiftShader. MOTION_CHROMIUM names another binary.
 */
import {existsSync} from 'node:fs'
import type {Browser} from 'playwright-core'

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/lib/chromium/chromium']

/** The chromium binary to use, or undefined when there is none on this machine. */
export function chromiumPath(): string | undefined {
  const env = process.env.MOTION_CHROMIUM
  if (env) return env
  return CANDIDATES.find((p) => existsSync(p))
}

export const NO_CHROMIUM = 'no chromium binary on this machine (install Debian chromium, as .ci/run does: apt-get install -y chromium; or set MOTION_CHROMIUM)'

export async function launchChromium(executablePath: string): Promise<Browser> {
  const {chromium} = await import('playwright-core')
  return chromium.launch({executablePath, args: ['--no-sandbox', '--enable-unsafe-swiftshader', '--use-angle=swiftshader', '--ignore-gpu-blocklist']})
}
