/**
 * Run the `motion` CLI from tests.
 *
 * - `runCli` runs the built commands in this process through oclif (`run` → `Command.run`), with
 *   stdout/stderr captured and the exit code taken from oclif's exit error, as a user would see
 *   them. No new Node process, no second load of tfjs/onnxruntime: most command tests use this.
 * - `runCliProcess` spawns bin/run.js as a user would; kept for a few smoke tests (help, exit
 *   codes, signals) that must see the real process.
 */
import {AsyncLocalStorage} from 'node:async_hooks'
import {spawn} from 'node:child_process'
import {Config, run} from '@oclif/core'
import {binRun, repoRoot} from './paths.js'

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

export interface CliOptions {
  cwd?: string
  env?: NodeJS.ProcessEnv
  timeoutMs?: number
}

let config: Promise<Config> | undefined
/** Runs are serialised: stdout/stderr capture, cwd and env are process-wide. */
let queue: Promise<unknown> = Promise.resolve()

export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const next = queue.then(() => runInProcess(args, opts))
  queue = next.catch(() => undefined)
  return next
}

/** Where the writes of the current in-process run go (the test runner's own output passes by). */
const capture = new AsyncLocalStorage<{stdout: string[]; stderr: string[]}>()
let patched = false

/**
 * Routes process.stdout/stderr writes made inside a run (by oclif, the commands and reporters)
 * to that run's buffers. Writes from anywhere else — node:test reports its results on stdout —
 * go through untouched.
 */
function patchStreams(): void {
  if (patched) return
  patched = true
  for (const name of ['stdout', 'stderr'] as const) {
    const stream = process[name]
    const original = stream.write.bind(stream) as (...args: unknown[]) => boolean
    stream.write = ((chunk: string | Uint8Array, encoding?: unknown, cb?: unknown): boolean => {
      const sink = capture.getStore()
      if (!sink) return original(chunk, encoding, cb)
      sink[name].push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString())
      const done = typeof encoding === 'function' ? encoding : cb
      if (typeof done === 'function') process.nextTick(done as () => void)
      return true
    }) as typeof stream.write
  }
}

async function runInProcess(args: string[], opts: CliOptions): Promise<CliResult> {
  patchStreams()
  config ??= Config.load({root: repoRoot})
  const cfg = await config
  const sink = {stdout: [] as string[], stderr: [] as string[]}
  const savedEnv = {...process.env}
  const savedCwd = process.cwd()
  const savedExitCode = process.exitCode
  const sigint = process.listeners('SIGINT')
  for (const [k, v] of Object.entries({...opts.env, FORCE_COLOR: '0'})) {
    if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
  if (opts.cwd) process.chdir(opts.cwd)
  let code = 0
  try {
    await capture.run(sink, () => run(args, cfg))
  } catch (e) {
    const error = e as Error & {oclif?: {exit?: number}; code?: string}
    code = error.oclif?.exit ?? 1
    // What oclif's handler prints for errors the commands did not print themselves.
    if (error.code !== 'EEXIT' && !/^EEXIT/.test(error.message ?? '')) sink.stderr.push(`${error.message ?? String(e)}\n`)
  } finally {
    if (opts.cwd) process.chdir(savedCwd)
    for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k]
    Object.assign(process.env, savedEnv)
    if (code === 0 && typeof process.exitCode === 'number' && process.exitCode !== savedExitCode) code = process.exitCode
    process.exitCode = savedExitCode
    for (const l of process.listeners('SIGINT')) if (!sigint.includes(l)) process.removeListener('SIGINT', l)
  }
  return {code, stdout: sink.stdout.join(''), stderr: sink.stderr.join('')}
}

export function runCliProcess(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binRun, ...args], {
      cwd: opts.cwd ?? repoRoot,
      env: {...process.env, ...opts.env, FORCE_COLOR: '0'},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code: code ?? -1, stdout, stderr})
    })
  })
}
