/**
 * A real browser for page tests: Debian's chromium (installed by .ci/run) driven by playwright-core,
 * WebGL2 through SwiftShader. MOTION_CHROMIUM names another binary.
 */
import {spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import os from 'node:os'
import type {Browser} from 'playwright-core'
import {allowedCpuList} from './cpus.js'

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/lib/chromium/chromium']

/** The chromium binary to use, or undefined when there is none on this machine. */
export function chromiumPath(): string | undefined {
  const env = process.env.MOTION_CHROMIUM
  if (env) return env
  return CANDIDATES.find((p) => existsSync(p))
}

export const NO_CHROMIUM = 'no chromium binary on this machine (install Debian chromium, as .ci/run does: apt-get install -y chromium; or set MOTION_CHROMIUM)'

/**
 * WebGL2 runs on SwiftShader; the page itself is composited in software (--disable-gpu-compositing),
 * as chromium does where the GPU is blocklisted: compositing through SwiftShader too cost about a
 * fifth more of chromium's CPU for the same pixels (8.2 against 10.3 CPU-seconds to open a page,
 * wait, take three screenshots and close).
 */
export async function launchChromium(executablePath: string): Promise<Browser> {
  const {chromium} = await import('playwright-core')
  return onEveryCpu(() => chromium.launch({executablePath, args: ['--no-sandbox', '--enable-unsafe-swiftshader', '--use-angle=swiftshader', '--ignore-gpu-blocklist', '--disable-gpu-compositing']}))
}

/**
 * Runs `start` with this thread allowed on every CPU, then puts its CPUs back. A test shard keeps
 * to one CPU (test/harness/shard.ts) and a child inherits the CPUs of the thread that starts it:
 * chromium's browser, GPU (SwiftShader) and page processes, squeezed onto one CPU, spent a third
 * of their time waiting on each other.
 */
async function onEveryCpu<T>(start: () => Promise<T>): Promise<T> {
  const mine = allowedCpuList()
  const all = `0-${os.cpus().length - 1}`
  if (!mine || mine === all) return start()
  const setCpus = (list: string): unknown => spawnSync('taskset', ['-p', '-c', list, String(process.pid)], {stdio: 'ignore'})
  setCpus(all)
  try {
    return await start()
  } finally {
    setCpus(mine)
  }
}
