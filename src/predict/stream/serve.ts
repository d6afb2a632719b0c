/**
 * `motion serve`: the stream of `motion predict --stream` on a local WebSocket endpoint (the `ws`
 * package). One model is loaded and shared; each connection is its own stream (its own people and
 * history, runStreamOn): every text message holds one or more NDJSON frame lines, and every output
 * line (a frame's 3D, or an error) goes back as one message. A bad message gets an error message
 * and the connection goes on; a message over the size limit gets an error message too, and one
 * over the hard limit (4x) closes the connection (1009), as ws does.
 */
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {WebSocket, WebSocketServer} from 'ws'
import {inputError} from '../../core/errors.js'
import {openStreamModel, runStreamOn, type StreamInfo, type StreamOptions, type StreamSummary} from './run.js'

export interface ServeOptions {
  /** Address to bind (default 127.0.0.1: this machine only). */
  host?: string
  /** TCP port (default DEFAULT_SERVE_PORT; 0 picks a free one). */
  port?: number
  /** Largest message answered, in bytes (default DEFAULT_MAX_MESSAGE_BYTES). */
  maxMessageBytes?: number
}

export interface ServeHooks {
  onConnection?(id: number, remote: string): void
  onDisconnect?(id: number, summary: StreamSummary): void
}

export interface StreamServer {
  /** ws://host:port/ */
  url: string
  info: StreamInfo
  /** Stops accepting, closes every connection (1001 going away), waits for their streams, releases the model. */
  close(): Promise<ServeSummary>
}

export interface ServeSummary {
  connections: number
  frames: number
  errors: number
}

export const DEFAULT_SERVE_PORT = 8765
export const DEFAULT_MAX_MESSAGE_BYTES = 1 << 20

export async function serveStream(options: StreamOptions, serve: ServeOptions = {}, hooks: ServeHooks = {}): Promise<StreamServer> {
  const host = serve.host ?? '127.0.0.1'
  const port = serve.port ?? DEFAULT_SERVE_PORT
  const maxBytes = serve.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw inputError(`--port must be a whole number from 0 to 65535, got ${port}`)
  if (!Number.isInteger(maxBytes) || maxBytes < 1) throw inputError(`--max-message must be a whole number of bytes >= 1, got ${maxBytes}`)
  const model = await openStreamModel(options)
  const http = createServer((_req, res) => {
    res.writeHead(426, {'content-type': 'text/plain'})
    res.end('motion serve: connect with a WebSocket client (docs/streaming.md)\n')
  })
  try {
    await listen(http, host, port)
  } catch (err) {
    await model.dispose()
    throw err
  }
  const wss = new WebSocketServer({server: http, maxPayload: 4 * maxBytes})
  const streams = new Set<Promise<void>>()
  const totals: ServeSummary = {connections: 0, frames: 0, errors: 0}
  wss.on('connection', (ws, req) => {
    const id = ++totals.connections
    hooks.onConnection?.(id, `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`)
    const lines = new LineQueue()
    let messages = 0
    const send = (line: string): void => {
      if (ws.readyState === WebSocket.OPEN) ws.send(line)
    }
    ws.on('message', (data, isBinary) => {
      messages++
      const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data instanceof ArrayBuffer ? data.byteLength : data.length
      if (isBinary) return send(JSON.stringify({error: `message ${messages}: binary message; send NDJSON frame lines as text`, message: messages}))
      if (size > maxBytes) return send(JSON.stringify({error: `message ${messages}: ${size} bytes is over the ${maxBytes}-byte limit (--max-message)`, message: messages}))
      const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8')
      for (const line of text.split('\n')) lines.push(line)
    })
    ws.on('close', () => lines.end())
    ws.on('error', () => lines.end())
    const stream = runStreamOn(model, options.layout ?? 'auto', lines, send)
      .then((summary) => {
        totals.frames += summary.frames
        totals.errors += summary.errors
        hooks.onDisconnect?.(id, summary)
      })
      .catch((err: unknown) => {
        // the model failed (not a bad message): tell the client and close this connection only
        send(JSON.stringify({error: err instanceof Error ? err.message : String(err)}))
        ws.close(1011, 'model error')
      })
      .finally(() => streams.delete(stream))
    streams.add(stream)
  })
  const address = http.address() as AddressInfo
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return {
    url: `ws://${shownHost}:${address.port}/`,
    info: model.info,
    async close() {
      for (const ws of wss.clients) ws.close(1001, 'server shutting down')
      await new Promise<void>((resolve) => wss.close(() => resolve()))
      http.closeAllConnections()
      await new Promise<void>((resolve) => http.close(() => resolve()))
      await Promise.all([...streams])
      await model.dispose()
      return totals
    },
  }
}

function listen(http: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    http.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(inputError(`port ${port} on ${host} is already in use`, {hint: 'pick another with --port N (--port 0: any free port)'}))
      else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') reject(inputError(`cannot bind to ${host}: no such local address`, {hint: 'use --host 127.0.0.1 (this machine) or an address of this machine'}))
      else if (err.code === 'EACCES') reject(inputError(`no permission to listen on port ${port}`, {hint: 'ports below 1024 need privileges; use --port 8765'}))
      else reject(err)
    })
    http.listen(port, host, () => resolve())
  })
}

/** Lines pushed by message handlers, read by the stream as an async iterable; end() finishes it. */
class LineQueue implements AsyncIterable<string> {
  private readonly lines: string[] = []
  private ended = false
  private wake: (() => void) | undefined

  push(line: string): void {
    if (this.ended) return
    this.lines.push(line)
    this.wake?.()
  }

  end(): void {
    this.ended = true
    this.wake?.()
  }

  async *[Symbol.asyncIterator](): AsyncIterator<string> {
    for (;;) {
      while (this.lines.length > 0) yield this.lines.shift()!
      if (this.ended) return
      await new Promise<void>((resolve) => (this.wake = resolve))
      this.wake = undefined
    }
  }
}
