/**
 * The base of every `motion` command: shared flags (--json, --verbose) and the one place where
 * errors become a one-line message, a hint and a documented exit code (src/core/errors.ts).
 * Commands stay thin: parse flags, build a Config, call one function in src/, report the result.
 */
import {Command, Flags, Interfaces} from '@oclif/core'
import {describeUsageError} from './usage-error.js'
import {ExitCode, isMotionError} from '../core/errors.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>

export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    verbose: Flags.boolean({
      description: 'Print stack traces and extra diagnostics on errors.',
      default: false,
      helpGroup: 'GLOBAL',
    }),
  }

  /** Print a line for humans (suppressed with --json, where only the final object is printed). */
  protected info(message: string): void {
    if (!this.jsonEnabled()) this.log(message)
  }

  /** Print a diagnostic line to stderr for humans (suppressed with --json). */
  protected note(message: string): void {
    if (!this.jsonEnabled()) process.stderr.write(`${message}\n`)
  }

  protected override async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    const verbose = this.argv.includes('--verbose')
    if (isMotionError(err)) {
      const line = `Error: ${err.message}${err.hint ? `\nHint: ${err.hint}` : ''}`
      if (this.jsonEnabled()) {
        process.stdout.write(`${JSON.stringify({error: {message: err.message, ...(err.hint ? {hint: err.hint} : {}), exitCode: err.exitCode}})}\n`)
      } else {
        process.stderr.write(`${line}\n`)
        if (verbose && err.stack) process.stderr.write(`${err.stack}\n`)
      }
      process.exitCode = err.exitCode
      this.exit(err.exitCode)
    }
    // oclif's own parse errors (unknown flag, missing arg) are usage errors: exit 2.
    if (err?.oclif?.exit !== undefined && err.oclif.exit !== 0 && !(err instanceof TypeError)) {
      if (err.oclif.exit === 2 || /Unexpected argument|Nonexistent flag|Missing required|Expected --|Parsing|Unknown flag/i.test(err.message)) {
        const message = describeUsageError(err.message)
        const command = [this.config.bin, ...(this.id ?? '').split(':')].filter(Boolean).join(' ')
        const hint = `run \`${command} --help\` to see the flags and examples`
        if (this.jsonEnabled()) {
          process.stdout.write(`${JSON.stringify({error: {message, hint, exitCode: ExitCode.input}})}\n`)
          this.exit(ExitCode.input)
        }
        process.stderr.write(`Error: ${message}\nHint: ${hint}.\n`)
        this.exit(ExitCode.input)
      }
      throw err
    }
    if (err?.message === 'EEXIT: 0' || (err as {code?: string}).code === 'EEXIT') throw err
    // Anything else is a bug.
    process.stderr.write(`Internal error: ${err?.message ?? String(err)}\n`)
    if (verbose) process.stderr.write(`${err?.stack ?? ''}\n`)
    else process.stderr.write('Hint: run again with --verbose for the stack trace and report it.\n')
    this.exit(ExitCode.bug)
  }
}
