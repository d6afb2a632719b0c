#!/usr/bin/env node
// Latency of `motion predict --stream`, measured from outside: the AlphaPose frames are fed to a
// real `bin/run.js predict --stream` process at a fixed rate (default 30 fps), and each output
// line's arrival is timed.
//   compute latency = output of frame f received − input frame min(f + latency, last) sent
//                     (the time the tool itself adds once a frame can be computed)
//   total delay     = output of frame f received − input frame f sent (adds the look-ahead wait)
// Usage: node scripts/stream-latency.mjs [--input alphapose-results.json] [--fps 30] [--frames N]
//        [--json] -- [predict flags, e.g. --latency 5 --clip-len 27 --no-flip]
import {spawn} from 'node:child_process'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import os from 'node:os'
import {alphaposeToFrames} from './alphapose-to-ndjson.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const argv = process.argv.slice(2)
const dash = argv.indexOf('--')
const own = dash < 0 ? argv : argv.slice(0, dash)
const extra = dash < 0 ? [] : argv.slice(dash + 1)
const opt = (name, def) => (own.includes(name) ? own[own.indexOf(name) + 1] : def)
const input = opt('--input', path.resolve(root, '..', 'shared', 'data', 'alphapose-real', 'alphapose-results.json'))
const fps = Number(opt('--fps', '30'))
const frames = alphaposeToFrames(input).slice(0, Number(opt('--frames', 'Infinity')))
const latency = extra.includes('--latency') ? Number(extra[extra.indexOf('--latency') + 1]) : 0

const child = spawn(process.execPath, [path.join(root, 'bin', 'run.js'), 'predict', '--stream', ...extra], {stdio: ['pipe', 'pipe', 'pipe']})
const sent = new Array(frames.length)
const compute = []
const delay = []
let errors = 0
let buffered = ''
let stderr = ''
const lastFrame = frames.length - 1
child.stdout.on('data', (chunk) => {
  const now = performance.now()
  buffered += chunk
  let nl
  while ((nl = buffered.indexOf('\n')) >= 0) {
    const line = buffered.slice(0, nl)
    buffered = buffered.slice(nl + 1)
    const msg = JSON.parse(line)
    if (msg.error) { errors++; continue }
    if (msg.summary) continue
    const f = msg.frame
    compute.push(now - sent[Math.min(f + latency, lastFrame)])
    delay.push(now - sent[f])
  }
})
const ready = new Promise((resolve) => child.stderr.on('data', (d) => { stderr += d; if (stderr.includes('reading NDJSON')) resolve() }))
const exited = new Promise((resolve) => child.on('close', resolve))
await Promise.race([ready, exited])
const t0 = performance.now() + 100
for (let i = 0; i < frames.length; i++) {
  const due = t0 + (i * 1000) / fps
  const wait = due - performance.now()
  if (wait > 0) await new Promise((r) => setTimeout(r, wait))
  sent[i] = performance.now()
  child.stdin.write(`${JSON.stringify(frames[i])}\n`)
}
sent.lastEnd = performance.now()
child.stdin.end()
const code = await exited
if (code !== 0) { process.stderr.write(stderr); process.exit(1) }
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] }
const stats = (xs) => ({p50: +pct(xs, 50).toFixed(1), p95: +pct(xs, 95).toFixed(1), max: +Math.max(...xs).toFixed(1)})
const result = {
  command: `motion predict --stream ${extra.join(' ')}`.trim(),
  input: path.basename(input), frames: frames.length, answered: compute.length, errors, fps,
  computeMs: stats(compute), totalDelayMs: stats(delay),
  machine: `${os.cpus()[0].model}, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(2)}`, node: process.version,
}
if (own.includes('--json')) console.log(JSON.stringify(result))
else console.log(`${result.command}: ${result.answered}/${result.frames} frames at ${fps} fps; compute latency p50 ${result.computeMs.p50} ms, p95 ${result.computeMs.p95} ms, max ${result.computeMs.max} ms; total delay p50 ${result.totalDelayMs.p50} ms, p95 ${result.totalDelayMs.p95} ms (${result.machine})`)
