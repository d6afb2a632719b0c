/** motion serve as a process: --port 0 --json prints where it listens, a client is answered, Ctrl-C (SIGINT) stops it cleanly with exit 0. */
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import readline from 'node:readline'
import {test} from 'node:test'
import {WebSocket} from 'ws'
import {binRun, repoRoot} from '../helpers/paths.js'

const H36M = Array.from({length: 17}, (_, j) => [300 + (j % 5) * 10, 200 + j * 15, 0.9])

test('motion serve --port 0 --json: listens on 127.0.0.1, answers a client, SIGINT closes the connection and exits 0 with the totals', async () => {
  const child = spawn(process.execPath, [binRun, 'serve', '--port', '0', '--json', '--threads', '1', '--layout', 'h36m17'], {cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe']})
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  const out = readline.createInterface({input: child.stdout})[Symbol.asyncIterator]()
  const start = JSON.parse((await out.next()).value as string) as {listening: string; window: number}
  assert.match(start.listening, /^ws:\/\/127\.0\.0\.1:\d+\/$/)
  const ws = new WebSocket(start.listening)
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)))
  const answer = new Promise<Record<string, unknown>>((resolve) => ws.once('message', (d) => resolve(JSON.parse(String(d)) as Record<string, unknown>)))
  ws.send(JSON.stringify({frame: 0, people: [{id: 1, keypoints: H36M}]}))
  const a = await answer
  assert.equal(a.frame, 0)
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)))
  child.kill('SIGINT')
  assert.equal(await closed, 1001)
  const code = await new Promise((resolve) => child.on('close', resolve))
  assert.equal(code, 0, stderr)
  const end = JSON.parse((await out.next()).value as string) as {connections: number; frames: number}
  assert.deepEqual({connections: end.connections, frames: end.frames}, {connections: 1, frames: 1})
})
