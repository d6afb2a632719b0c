/**
 * Errors users see. Every failure the tool can foresee is a MotionError with an exit code
 * (documented in the README) and, where it helps, a hint saying what to do next.
 * Anything else that escapes is a bug (exit 1).
 */
export const ExitCode = {
  ok: 0,
  bug: 1,
  /** Bad flags, unreadable or malformed input files, wrong shapes, NaN. */
  input: 2,
  /** Checkpoint or model problems: refused pickle, missing/unexpected keys, shape mismatch. */
  model: 3,
  /** Data that parses but cannot be used: no valid frames, all confidences zero. */
  dataQuality: 4,
  /** `motion eval` ran, but a --fail-above/--fail-below threshold was crossed (for CI). */
  threshold: 5,
  /** Interrupted by the user (Ctrl-C); state was saved first. */
  interrupted: 130,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

export type ErrorKind = 'input' | 'model' | 'dataQuality' | 'interrupted'

export class MotionError extends Error {
  readonly exitCode: ExitCodeValue
  readonly hint?: string
  readonly kind: ErrorKind

  constructor(kind: ErrorKind, message: string, hint?: string) {
    super(message)
    this.name = 'MotionError'
    this.kind = kind
    this.exitCode = ExitCode[kind]
    this.hint = hint
  }
}

/** Bad usage or input: exit code 2. `file` (when given) is named first in the message. */
export function inputError(message: string, opts: {file?: string; hint?: string} = {}): MotionError {
  return new MotionError('input', withFile(opts.file, message), opts.hint)
}

/** Checkpoint or model problem: exit code 3. */
export function modelError(message: string, opts: {file?: string; hint?: string} = {}): MotionError {
  return new MotionError('model', withFile(opts.file, message), opts.hint)
}

/** Data that parses but has nothing usable in it: exit code 4. */
export function dataQualityError(message: string, opts: {file?: string; hint?: string} = {}): MotionError {
  return new MotionError('dataQuality', withFile(opts.file, message), opts.hint)
}

function withFile(file: string | undefined, message: string): string {
  return file ? `${file}: ${message}` : message
}

export function isMotionError(err: unknown): err is MotionError {
  return err instanceof MotionError
}
