/**
 * JSON parsing with errors that say where: line, column and byte offset of the first syntax
 * error, or "truncated" when the text ends inside a value. Python's json module writes bare
 * NaN / Infinity for non-finite floats; those are read as null so the readers can report the
 * frame and joint instead of a syntax error.
 */
import {inputError} from '../../core/errors.js'

export function parseJsonText(file: string, text: string): unknown {
  if (text.trim().length === 0) throw inputError('the file is empty', {file})
  try {
    return JSON.parse(text)
  } catch {
    // fall through to the slower paths below
  }
  if (/(?:NaN|Infinity)/.test(text)) {
    try {
      return JSON.parse(text.replace(/([[,:]\s*)-?(?:NaN|Infinity)(?=\s*[,\]}])/g, '$1null'))
    } catch {
      // a real syntax error; report it below
    }
  }
  const problem = findJsonError(text)
  if (problem.truncated) {
    throw inputError(`truncated JSON: the text ends at byte ${text.length} (line ${problem.line}) inside an unfinished ${problem.inside}`, {
      file,
      hint: 'the detector was probably stopped while writing; rerun it or repair the end of the file',
    })
  }
  throw inputError(`invalid JSON at line ${problem.line}, column ${problem.column} (byte ${problem.offset}): ${problem.reason}`, {file})
}

interface JsonProblem {
  offset: number
  line: number
  column: number
  reason: string
  truncated: boolean
  inside: string
}

/** Finds the first syntax error of a text JSON.parse rejected (a small validating scanner). */
export function findJsonError(text: string): JsonProblem {
  let i = 0
  const stack: string[] = []
  const fail = (reason: string): never => {
    throw new ScanError(i, reason)
  }
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++
  }
  const literal = (word: string): void => {
    for (const ch of word) {
      if (i >= text.length) fail('end')
      if (text[i] !== ch) fail(`unexpected ${describe(text[i]!)} in a literal`)
      i++
    }
  }
  const string = (): void => {
    stack.push('string')
    i++ // opening quote
    for (;;) {
      if (i >= text.length) fail('end')
      const ch = text[i]!
      if (ch === '"') break
      if (ch === '\\') {
        i++
        if (i >= text.length) fail('end')
        if (text[i] === 'u') {
          for (let k = 0; k < 4; k++) {
            i++
            if (i >= text.length) fail('end')
            if (!/[0-9a-fA-F]/.test(text[i]!)) fail('bad \\u escape in a string')
          }
        } else if (!'"\\/bfnrt'.includes(text[i]!)) fail('bad escape in a string')
      } else if (ch.charCodeAt(0) < 0x20) fail('control character inside a string')
      i++
    }
    i++
    stack.pop()
  }
  const number = (): void => {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 64))
    if (!m) fail(`unexpected ${describe(text[i]!)}`)
    i += m![0].length
    if (i >= text.length && stack.length > 0) fail('end')
  }
  /** After an object member or array item: true at the closing bracket, false after a comma (both consumed). */
  const closesAfterItem = (close: '}' | ']'): boolean => {
    ws()
    if (i >= text.length) fail('end')
    if (text[i] === ',') {
      i++
      return false
    }
    if (text[i] === close) {
      i++
      return true
    }
    return fail(`expected ',' or '${close}', found ${describe(text[i]!)}`)
  }
  const value = (): void => {
    ws()
    if (i >= text.length) fail('end')
    const ch = text[i]!
    if (ch === '{') {
      stack.push('object')
      i++
      ws()
      if (text[i] === '}') {
        i++
      } else {
        for (;;) {
          ws()
          if (i >= text.length) fail('end')
          if (text[i] !== '"') fail(`expected a property name, found ${describe(text[i]!)}`)
          string()
          ws()
          if (i >= text.length) fail('end')
          if (text[i] !== ':') fail(`expected ':', found ${describe(text[i]!)}`)
          i++
          value()
          if (closesAfterItem('}')) break
        }
      }
      stack.pop()
    } else if (ch === '[') {
      stack.push('array')
      i++
      ws()
      if (text[i] === ']') {
        i++
      } else {
        for (;;) {
          value()
          if (closesAfterItem(']')) break
        }
      }
      stack.pop()
    } else if (ch === '"') string()
    else if (ch === 't') literal('true')
    else if (ch === 'f') literal('false')
    else if (ch === 'n') literal('null')
    else if (ch === '-' || (ch >= '0' && ch <= '9')) number()
    else fail(`unexpected ${describe(ch)}`)
  }
  let reason = 'not valid JSON'
  let truncated = false
  try {
    value()
    ws()
    if (i < text.length) fail(`unexpected ${describe(text[i]!)} after the end of the JSON value`)
  } catch (err) {
    if (!(err instanceof ScanError)) throw err
    i = err.offset
    truncated = err.reason === 'end'
    reason = err.reason
  }
  const before = text.slice(0, i)
  const line = before.split('\n').length
  const column = i - before.lastIndexOf('\n')
  return {offset: i, line, column, reason, truncated, inside: stack.at(-1) ?? 'value'}
}

class ScanError extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(reason)
  }
}

function describe(ch: string): string {
  return ch === '\n' ? 'a line break' : `'${ch}'`
}
