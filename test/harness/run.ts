/**
 * `npm test`: every dist/test/**\/*.test.js file, run by node's test runner (spec reporter and its
 * summary), in a few shard processes instead of one process per file.
 *
 * Each process pays for node, oclif, tfjs and onnxruntime before its first test; with ~100 files
 * that start-up was a large part of the suite. There are two shard processes per concurrent slot
 * (dist/test-shards/shard-K.js), and the shards share one list of the files, longest first by their
 * measured time (test/harness/weights.json): each shard takes the next file no other shard has
 * taken and runs it (test/harness/shard.ts), the first ones up to their share of the weight, so
 * the shards end within about one short file of each other whatever a file's time is on the day.
 * Every test file found is run: a file missing from weights.json gets the median weight.
 *
 *   node dist/test/harness/run.js [--shards N] [--concurrency C] [--per-file] [--update-weights] [node --test flags...]
 *
 * --per-file runs the files one process each, as before (to tell a shard's shared state from a bug);
 * --update-weights writes the per-file wall times of this run (seconds) to test/harness/weights.json;
 * only their order matters, so measure on an idle machine.
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
  // Two shards per concurrent slot: a process that has run half the suite runs the rest slower
  // (measured: 2 shards took 156-190 s of CPU where 4 took 132-150 s).
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

/** Longest first (the last files to be taken are the short ones, so the shards end together). */
function longestFirst(files: string[], weights: Record<string, number>): {file: string; weight: number}[] {
  const known = files.map((f) => weights[f]).filter((w): w is number => typeof w === 'number').sort((a, b) => a - b)
  const fallback = known.length ? known[Math.floor(known.length / 2)]! : 1
  return files.map((f) => ({file: f, weight: weights[f] ?? fallback})).sort((a, b) => b.weight - a.weight || a.file.localeCompare(b.file))
}

/**
 * `count` shard entries over one shared, ordered list: each file goes to the first shard free to
 * take it. node --test starts `concurrency` of them at once; each of the earlier shards stops at its
 * share of the total weight, and the last `concurrency` shards share out whatever is left, so
 * they end together.
 */
function writeShards(files: {file: string; weight: number}[], count: number, concurrency: number): string[] {
  rmSync(shardDir, {recursive: true, force: true})
  mkdirSync(shardDir, {recursive: true})
  const n = Math.max(1, Math.min(count, files.length))
  const list = files.map((f) => path.posix.join('..', 'test', f.file))
  const weights = files.map((f) => f.weight)
  const share = weights.reduce((a, b) => a + b, 0) / n
  return Array.from({length: n}, (_, i) => {
    const entry = path.join(shardDir, `shard-${i + 1}.js`)
    const opts = {claims: 'claims', weights, ...(i < n - concurrency ? {quota: share} : {})}
    writeFileSync(entry, `import {runFiles} from '../test/harness/shard.js'\n\nawait runFiles(import.meta.url, ${JSON.stringify(list, null, 1)}, ${JSON.stringify(opts)})\n`)
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
  const entries = writeShards(longestFirst(files, readWeights()), opts.shards, opts.concurrency)
  const code = await runNodeTest([...common, ...entries])
  if (opts.updateWeights) {
    const measured = measuredWeights(entries)
    const sorted = Object.fromEntries(Object.keys(measured).sort().map((k) => [k, measured[k]!]))
    writeFileSync(weightsFile, `${JSON.stringify(sorted, null, 1)}\n`)
  }
  return code
}

process.exitCode = await main()
