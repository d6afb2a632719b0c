/**
 * A stream on the process's stdin and stdout: input lines from stdin, each output line written
 * to stdout at once (one write per line, so a reader sees every frame as soon as it is computed).
 * A closed stdout (the reader went away, EPIPE) ends the stream quietly.
 * `motion predict --stream` runs `predictStream` (predict/api.ts) through it.
 */
import readline from 'node:readline'

export type LineWriter = (line: string) => void | Promise<void>

export async function withStdio<T>(run: (lines: AsyncIterable<string>, write: LineWriter) => Promise<T>): Promise<T> {
  const lines = readline.createInterface({input: process.stdin, crlfDelay: Infinity})
  // Take the iterator now: readline drops lines that arrive before one exists (while the model loads).
  const iterator = lines[Symbol.asyncIterator]()
  let closed = false
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err
    closed = true
    lines.close()
  })
  try {
    return await run({[Symbol.asyncIterator]: () => iterator}, (line) => {
      if (closed) return
      // wait for the kernel buffer when the reader is slow, so memory stays bounded
      if (!process.stdout.write(`${line}\n`)) return new Promise<void>((resolve) => process.stdout.once('drain', resolve))
    })
  } finally {
    lines.close()
  }
}
