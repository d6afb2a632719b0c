/** `serve` (motion serve's library side): a WebSocket client sends NDJSON frames and gets the 3D lines back; bad messages get errors and the connection goes on. */
import assert from 'node:assert/strict'
import path from 'node:path'
import {test} from 'node:test'
import {WebSocket} from 'ws'
import {serve} from '../../../src/predict/api.js'
import {dataDir, repoRoot} from '../../helpers/paths.js'

async function realLines(n: number): Promise<string[]> {
  const {alphaposeToFrames} = (await import(path.join(repoRoot, 'scripts', 'alphapose-to-ndjson.mjs'))) as {alphaposeToFrames: (f: string) => unknown[]}
  return alphaposeToFrames(path.join(dataDir, 'alphapose-real', 'alphapose-results.json')).slice(0, n).map((f) => JSON.stringify(f))
}

/** A connected client whose incoming messages are parsed and queued. */
async function client(url: string): Promise<{ws: WebSocket; next: () => Promise<Record<string, unknown>>; closed: Promise<number>}> {
  const ws = new WebSocket(url)
  const queue: Array<Record<string, unknown>> = []
  const waiting: Array<(m: Record<string, unknown>) => void> = []
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as Record<string, unknown>
    const w = waiting.shift()
    if (w) w(m)
    else queue.push(m)
  })
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)))
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  return {ws, closed, next: async () => queue.shift() ?? new Promise((resolve) => waiting.push(resolve))}
}

test('serve: frames sent over a WebSocket are answered one message per frame; a malformed or oversized message gets an error and the stream goes on; close() ends it', async () => {
  const server = await serve({port: 0, latency: 1, maxMessageBytes: 4000, threads: 1})
  assert.match(server.url, /^ws:\/\/127\.0\.0\.1:\d+\/$/, 'bound to this machine only by default')
  const lines = await realLines(6)
  const c = await client(server.url)
  c.ws.send(lines[0]!)
  c.ws.send(lines[1]!)
  const first = await c.next()
  assert.equal(first.frame, 0, 'frame 0 is answered once frame 1 (the look-ahead) has arrived')
  const people = first.people as Array<{id: number; pose3d: number[][]}>
  assert.equal(people[0]!.pose3d.length, 17)
  c.ws.send('{"frame": oops')
  assert.match(String((await c.next()).error), /^line 3: not JSON/)
  c.ws.send('x'.repeat(5000))
  assert.match(String((await c.next()).error), /^message 4: 5000 bytes is over the 4000-byte limit/)
  // two frames in one message
  c.ws.send(`${lines[2]}\n${lines[3]}`)
  assert.equal((await c.next()).frame, 1)
  assert.equal((await c.next()).frame, 2)
  // a second connection is a stream of its own (frame numbers start again)
  const d = await client(server.url)
  d.ws.send(lines[0]!)
  d.ws.send(lines[1]!)
  assert.equal((await d.next()).frame, 0)
  d.ws.close()
  const summary = await server.close()
  assert.equal(await c.closed, 1001, 'close() tells clients the server is going away')
  assert.equal(summary.connections, 2)
  assert.equal(summary.errors, 1)
})

test('serve: a port in use is a one-line input error with a hint', async () => {
  const first = await serve({port: 0, threads: 1})
  const port = Number(new URL(first.url).port)
  try {
    await assert.rejects(serve({port, threads: 1}), (err: Error & {exitCode?: number; hint?: string}) => /port \d+ on 127\.0\.0\.1 is already in use/.test(err.message) && err.exitCode === 2 && /--port/.test(err.hint ?? ''))
  } finally {
    await first.close()
  }
})
