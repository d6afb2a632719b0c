/**
 * `npm test`: every dist/test/**\/*.test.js file, run by node's test runner (spec reporter and its
 * summary), in a few shard processes instead of one process per file.
 *
 * Each process pays for node, oclif, tfjs and onnxruntime before its first test; with ~100 files
 * that start-up was a large part of the suite. The files are dealt into shards by their measured
 * time (test/harness/weights.json, longest first onto the least loaded shard), each shard entry
 * (dist/test-shards/shard-K.js) runs its files one after the other (test/harness/shard.ts), and
 * `node --test` runs the shards `--test-concurrency` at a time, the heaviest first. Every test file
 * found is run: a file missing from weights.json gets the median weight.
 *
 *   node dist/test/harness/run.js [--shards N] [--concurrency C] [--per-file] [--update-weights] [node --test flags...]
 *
 * --per-file runs the files one process each, as before (to tell a shard's shared state from a bug);
 * --update-weights writes the per-file wall times of this run (seconds) to test/harness/weights.json;
 * only their ratios matter, so measure on an idle machine (the committed ones are CPU seconds
 * measured per file).
 * MOTION_TEST_SHARDS and MOTION_TEST_CONCURRENCY set the defaults.
 */
import {spawn} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {repoRoot} from '../helpers/paths.js'
import type {FileTiming} from './shard.js'

const distTest = path.join(repoRoot, 'dist', 'test')
const shardDir = path.join(repoRoot, 'dist', 'test-shards')
const weightsFile = path.join(repoRoot, 'test', 'harness', 'weights.json')

interface Options {
  shards: number
  concurrency: number
  perFile: boolean
  updateWeights: boolean
  passThrough: string[]
}

function parseArgs(argv: string[]): Options {
  const concurrency = Number(process.env.MOTION_TEST_CONCURRENCY) || Math.max(2, os.availableParallelism() - 1)
  const opts: Options = {shards: Number(process.env.MOTION_TEST_SHARDS) || 0, concurrency, perFile: false, updateWeights: false, passThrough: []}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const value = (): number => {
      const n = Number(arg.includes('=') ? arg.split('=')[1] : argv[++i])
      if (!Number.isInteger(n) || n < 1) throw new Error(`${arg.split('=')[0]} takes a whole number ≥ 1`)
      return n
    }
    if (arg === '--shards' || arg.startsWith('--shards=')) opts.shards = value()
    else if (arg === '--concurrency' || arg.startsWith('--concurrency=')) opts.concurrency = value()
    else if (arg === '--per-file') opts.perFile = true
    else if (arg === '--update-weights') opts.updateWeights = true
    else opts.passThrough.push(arg)
  }
  // Two shards per concurrent slot: the runner can even out what the weights got wrong.
  if (!opts.shards) opts.shards = 2 * opts.concurrency
  return opts
}

/** dist/test/**\/*.test.js, relative to dist/test, sorted. */
function testFiles(dir = distTest, rel = ''): string[] {
  const out: string[] = []
  for (const entry of readdirSync(path.join(dir, rel), {withFileTypes: true})) {
    const name = path.posix.join(rel, entry.name)
    if (entry.isDirectory()) out.push(...testFiles(dir, name))
    else if (entry.name.endsWith('.test.js')) out.push(name)
  }
  return out.sort()
}

function readWeights(): Record<string, number> {
  return existsSync(weightsFile) ? (JSON.parse(readFileSync(weightsFile, 'utf8')) as Record<string, number>) : {}
}

/** Longest first, each onto the shard with the least weight so far. */
function planShards(files: string[], weights: Record<string, number>, count: number): {files: string[]; weight: number}[] {
  const known = files.map((f) => weights[f]).filter((w): w is number => typeof w === 'number').sort((a, b) => a - b)
  const fallback = known.length ? known[Math.floor(known.length / 2)]! : 1
  const weighed = files.map((f) => ({file: f, weight: weights[f] ?? fallback})).sort((a, b) => b.weight - a.weight || a.file.localeCompare(b.file))
  const shards = Array.from({length: Math.max(1, Math.min(count, files.length))}, () => ({files: [] as string[], weight: 0}))
  for (const {file, weight} of weighed) {
    const lightest = shards.reduce((a, b) => (b.weight < a.weight ? b : a))
    lightest.files.push(file)
    lightest.weight += weight
  }
  for (const s of shards) s.files.sort()
  return shards.sort((a, b) => b.weight - a.weight)
}

function writeShards(plan: {files: string[]}[]): string[] {
  rmSync(shardDir, {recursive: true, force: true})
  mkdirSync(shardDir, {recursive: true})
  return plan.map((shard, i) => {
    const entry = path.join(shardDir, `shard-${i + 1}.js`)
    const files = shard.files.map((f) => path.posix.join('..', 'test', f))
    writeFileSync(entry, `import {runFiles} from '../test/harness/shard.js'\n\nawait runFiles(import.meta.url, ${JSON.stringify(files, null, 1)})\n`)
    return entry
  })
}

function runNodeTest(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {cwd: repoRoot, stdio: 'inherit'})
    child.on('error', reject)
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)))
  })
}

function measuredWeights(entries: string[]): Record<string, number> {
  const weights: Record<string, number> = {}
  for (const entry of entries) {
    const file = `${entry}.timings.json`
    if (!existsSync(file)) continue
    for (const t of JSON.parse(readFileSync(file, 'utf8')) as FileTiming[]) {
      weights[path.posix.relative(path.posix.join('..', 'test'), t.file)] = Math.round(t.wallMs / 100) / 10
    }
  }
  return weights
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2))
  const files = testFiles()
  const common = ['--test', `--test-concurrency=${opts.concurrency}`, '--test-reporter=spec', ...opts.passThrough]
  if (opts.perFile) return runNodeTest([...common, ...files.map((f) => path.join(distTest, f))])
  const plan = planShards(files, readWeights(), opts.shards)
  const entries = writeShards(plan)
  const code = await runNodeTest([...common, ...entries])
  if (opts.updateWeights) {
    const measured = measuredWeights(entries)
    const sorted = Object.fromEntries(Object.keys(measured).sort().map((k) => [k, measured[k]!]))
    writeFileSync(weightsFile, `${JSON.stringify(sorted, null, 1)}\n`)
  }
  return code
}

process.exitCode = await main()
