/**
 * runStream on the process's stdin and stdout: input lines from stdin, each output line written
 * to stdout at once (one write per line, so a reader sees every frame as soon as it is computed).
 * A closed stdout (the reader went away, EPIPE) ends the stream quietly.
 */
import readline from 'node:readline'

import {runStream, type StreamInfo, type StreamOptions, type StreamSummary} from './run.js'

export async function runStreamFromStdin(options: StreamOptions, onReady?: (info: StreamInfo) => void): Promise<StreamSummary> {
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
    return await runStream(options, {[Symbol.asyncIterator]: () => iterator}, (line) => {
      if (closed) return
      // wait for the kernel buffer when the reader is slow, so memory stays bounded
      if (!process.stdout.write(`${line}\n`)) return new Promise<void>((resolve) => process.stdout.once('drain', resolve))
    }, {onReady})
  } finally {
    lines.close()
  }
}
