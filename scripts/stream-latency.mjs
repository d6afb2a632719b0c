#!/usr/bin/env node
// Latency of `motion predict --stream`, measured from outside: the AlphaPose frames are fed as
// NDJSON to a real `bin/run.js predict --stream` child process at a fixed rate (default 30 fps),
// and each output line's arrival is timed.
//   compute latency = output of frame f received − input frame min(f + latency, last) written
//                     (the time the tool itself adds once a frame can be computed)
//   total delay     = output of frame f received − input frame f written (adds the look-ahead wait)
// One command (after `npm run build`; `npm run bench:stream` does both):
//   node scripts/stream-latency.mjs                 the standard set of runs (see RUNS), one table
//   node scripts/stream-latency.mjs -- FLAGS        one run of `motion predict --stream FLAGS`
// Own options: [--input alphapose-results.json] [--fps 30] [--frames N] [--checkpoint DIR] [--json]
// (--checkpoint is added to every run). Each row carries the 1-minute load average before and
// after it (`uptime`), since on a shared machine the numbers depend on it.
import {spawn} from 'node:child_process'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import os from 'node:os'
import {alphaposeToFrames} from './alphapose-to-ndjson.mjs'

/** The standard runs: the stream's defaults, the flip trade-off, some look-ahead, and two threads. */
const RUNS = [['--latency', '0'], ['--latency', '0', '--no-flip'], ['--latency', '4'], ['--latency', '0', '--threads', '2']]
const TARGET_P95_MS = 100

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const argv = process.argv.slice(2)
const dash = argv.indexOf('--')
const own = dash < 0 ? argv : argv.slice(0, dash)
const opt = (name, def) => (own.includes(name) ? own[own.indexOf(name) + 1] : def)
const input = opt('--input', path.resolve(root, '..', 'shared', 'data', 'alphapose-real', 'alphapose-results.json'))
const fps = Number(opt('--fps', '30'))
const frames = alphaposeToFrames(input).slice(0, Number(opt('--frames', 'Infinity')))
const checkpoint = opt('--checkpoint', undefined)
const runs = (dash < 0 ? RUNS : [argv.slice(dash + 1)]).map((flags) => (checkpoint ? [...flags, '--checkpoint', checkpoint] : flags))
const load1 = () => os.loadavg()[0].toFixed(2)

async function measure(flags) {
  const latency = flags.includes('--latency') ? Number(flags[flags.indexOf('--latency') + 1]) : 0
  const loadBefore = load1()
  const child = spawn(process.execPath, [path.join(root, 'bin', 'run.js'), 'predict', '--stream', ...flags], {stdio: ['pipe', 'pipe', 'pipe']})
  const sent = new Array(frames.length)
  const compute = []
  const delay = []
  const lastFrame = frames.length - 1
  let errors = 0
  let buffered = ''
  let stderr = ''
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
      compute.push(now - sent[Math.min(msg.frame + latency, lastFrame)])
      delay.push(now - sent[msg.frame])
    }
  })
  child.stdin.on('error', () => {}) // a child that failed at start-up: reported below
  const ready = new Promise((resolve) => child.stderr.on('data', (d) => { stderr += d; if (stderr.includes('reading NDJSON')) resolve() }))
  const exited = new Promise((resolve) => child.on('close', resolve))
  await Promise.race([ready, exited])
  const engine = /stream: .*?, ((?:onnx|tfjs)[^;]*);/.exec(stderr)?.[1] ?? '?'
  const t0 = performance.now() + 100
  for (let i = 0; i < frames.length && child.exitCode === null; i++) {
    const due = t0 + (i * 1000) / fps
    const wait = due - performance.now()
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    sent[i] = performance.now()
    child.stdin.write(`${JSON.stringify(frames[i])}\n`)
  }
  child.stdin.end()
  const code = await exited
  if (code !== 0 || compute.length === 0) {
    process.stderr.write(stderr)
    throw new Error(`motion predict --stream ${flags.join(' ')} exited with ${code}`)
  }
  const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] }
  const stats = (xs) => ({p50: +pct(xs, 50).toFixed(1), p95: +pct(xs, 95).toFixed(1), max: +Math.max(...xs).toFixed(1)})
  return {
    flags: flags.join(' '), engine, input: path.basename(input), frames: frames.length, answered: compute.length, errors, fps,
    computeMs: stats(compute), totalDelayMs: stats(delay), load1: {before: Number(loadBefore), after: Number(load1())},
  }
}

const machine = `${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} cores, Node ${process.version}`
const results = []
if (!own.includes('--json')) {
  console.log(`stream latency: ${frames.length} frames of ${path.basename(input)} at ${fps} fps into \`motion predict --stream\`; ${machine}; ${new Date().toISOString()}`)
  console.log(`| flags | engine | compute p50 | compute p95 | max | total delay p95 | load (1 min, before → after) |`)
  console.log('|---|---|---|---|---|---|---|')
}
for (const flags of runs) {
  const r = await measure(flags)
  results.push(r)
  if (!own.includes('--json')) {
    const mark = r.computeMs.p95 <= TARGET_P95_MS ? '' : ' ✗'
    console.log(`| \`${r.flags}\` | ${r.engine} | ${r.computeMs.p50} ms | ${r.computeMs.p95} ms${mark} | ${r.computeMs.max} ms | ${r.totalDelayMs.p95} ms | ${r.load1.before} → ${r.load1.after} |`)
  }
}
if (own.includes('--json')) console.log(JSON.stringify({machine, date: new Date().toISOString(), targetP95Ms: TARGET_P95_MS, runs: results}))
else console.log(`(✗: compute p95 above the ${TARGET_P95_MS} ms target; load = runnable jobs on ${os.cpus().length} cores)`)
