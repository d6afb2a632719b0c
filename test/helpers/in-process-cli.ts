/**
 * Run the CLI in this process through oclif's `run` (no spawn of bin/run.js): the same command
 * classes, plugins, hooks and error handling, with stdout/stderr captured and the exit code
 * taken from oclif's exit error. Tests run one at a time per file, so the capture is safe.
 */
import {Config, Errors, run} from '@oclif/core'
import {repoRoot} from './paths.js'
import type {CliResult} from './cli.js'

let config: Config | undefined

/** Load the oclif config (plugins, manifest) once per test file. */
async function loadConfig(): Promise<Config> {
  config ??= await Config.load({root: repoRoot})
  return config
}

export async function runInProcess(args: string[]): Promise<CliResult> {
  const cfg = await loadConfig()
  let stdout = ''
  let stderr = ''
  const out = process.stdout.write.bind(process.stdout)
  const err = process.stderr.write.bind(process.stderr)
  const savedExitCode = process.exitCode
  // node's test runner reports to its parent through this process's stdout in binary (v8-serialised)
  // chunks, which may arrive while a command awaits: pass those through, capture the text.
  const capture = (sink: 'out' | 'err', original: typeof out) => (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    if (typeof chunk !== 'string') return (original as (c: Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest)
    if (sink === 'out') stdout += chunk
    else stderr += chunk
    return true
  }
  process.stdout.write = capture('out', out) as typeof process.stdout.write
  process.stderr.write = capture('err', err) as typeof process.stderr.write
  const env = {FORCE_COLOR: process.env.FORCE_COLOR}
  process.env.FORCE_COLOR = '0'
  let code = 0
  try {
    await run(args, cfg)
  } catch (error) {
    const e = error as Error & {oclif?: {exit?: number}}
    if (e instanceof Errors.ExitError || e.oclif?.exit !== undefined) {
      code = e.oclif?.exit ?? 1
      // oclif's own errors (not-found hook, etc.) carry their text in the error itself.
      if (!(e instanceof Errors.ExitError)) stderr += `${e.message}\n`
    } else {
      code = 1
      stderr += `${e.stack ?? e.message}\n`
    }
  } finally {
    process.stdout.write = out
    process.stderr.write = err
    process.exitCode = savedExitCode
    if (env.FORCE_COLOR === undefined) delete process.env.FORCE_COLOR
    else process.env.FORCE_COLOR = env.FORCE_COLOR
  }
  return {code, stdout, stderr}
}
