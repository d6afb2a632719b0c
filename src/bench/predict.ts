/**
 * `motion bench --predict FILE`: the wall time of `motion predict FILE --out <tmp>` as a user
 * runs it, start-up included, in a fresh process each time (the issue's "under 3 s on the real
 * AlphaPose file" target). The child runs the same installed CLI (bin/run.js under `root`).
 */
import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {inputError, modelError} from '../core/errors.js'
import {DEFAULT_TASK, getTask, isTask, type TaskOutput} from '../heads/tasks.js'
import {isVideoInput} from '../tasks/video/input-kind.js'

export interface PredictTiming {
  mode: 'predict'
  file: string
  runs: number
  /** Wall time of each run, in milliseconds. */
  wall_ms: number[]
  wall_ms_median: number
  wall_ms_min: number
  command: string
  /** Video input: each stage's median time (ms) as the run reported it (--json), and frames per second end to end. */
  stages?: Record<string, number>
  frames?: number
  fps_end_to_end?: number
}

export async function timePredict(opts: {file: string; runs: number; bin: string; extraArgs?: readonly string[]}): Promise<PredictTiming> {
  const file = path.resolve(opts.file)
  if (!existsSync(file)) throw inputError(`${opts.file}: no such file`, {hint: 'give a 2D keypoint file motion predict reads'})
  const runJs = path.join(opts.bin, 'bin', 'run.js')
  const dir = await mkdtemp(path.join(os.tmpdir(), 'motion-bench-'))
  const out = path.join(dir, benchOutputName(opts.extraArgs ?? []))
  const video = await isVideoInput(file)
  const args = [runJs, 'predict', file, '--out', out, ...(opts.extraArgs ?? []), ...(video ? ['--json'] : [])]
  try {
    const times: number[] = []
    const stageRuns: Record<string, number>[] = []
    let frames: number | undefined
    for (let i = 0; i < opts.runs; i++) {
      const t0 = performance.now()
      const r = await runChild(process.execPath, args)
      const ms = performance.now() - t0
      if (r.code !== 0) {
        const last = r.stderr.trim().split('\n').slice(-2).join(' ')
        if (/command predict not found/i.test(r.stderr)) throw inputError('motion predict is not available in this build', {hint: 'build the predict command first'})
        throw modelError(`motion predict failed (exit ${r.code}): ${last || 'no message'}`, {hint: `run it yourself: motion predict ${opts.file} --out ${path.basename(out)}${opts.extraArgs?.length ? ` ${opts.extraArgs.join(' ')}` : ''}`})
      }
      times.push(ms)
      if (video) {
        const report = JSON.parse(r.stdout) as {times?: Record<string, number>; video?: {source?: {frames?: number}}}
        if (report.times) stageRuns.push(report.times)
        frames = report.video?.source?.frames
      }
    }
    const sorted = [...times].sort((a, b) => a - b)
    const mid = sorted.length >> 1
    const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
    return {
      mode: 'predict',
      file,
      runs: times.length,
      wall_ms: times.map((t) => Math.round(t)),
      wall_ms_median: Math.round(median),
      wall_ms_min: Math.round(sorted[0]!),
      command: `motion predict ${file} --out ${out}${opts.extraArgs?.length ? ` ${opts.extraArgs.join(' ')}` : ''}`,
      ...(stageRuns.length ? {stages: Object.fromEntries(Object.keys(stageRuns[0]!).map((k) => [k, medianOf(stageRuns.map((s) => s[k]!))]))} : {}),
      ...(frames ? {frames, fps_end_to_end: Math.round((frames / (median / 1000)) * 10) / 10} : {}),
    }
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

function medianOf(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid]! : Math.round((s[mid - 1]! + s[mid]!) / 2)
}

function runChild(cmd: string, args: readonly string[]): Promise<{code: number; stderr: string; stdout: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, [...args], {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, FORCE_COLOR: '0'}})
    let stderr = ''
    let stdout = ''
    child.stdout.on('data', (d: Buffer) => {
      if (stdout.length < 10_000_000) stdout += d.toString()
    })
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
      if (stderr.length > 100_000) stderr = stderr.slice(-50_000)
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({code: code ?? -1, stderr, stdout}))
  })
}

/** What the timed run writes, by what its task's models give (3D joints: .npy as X3D.npy; class scores: .json; meshes: .npz). */
const TIMED_OUTPUT: Readonly<Record<TaskOutput, string>> = {joints: 'pred.npy', classes: 'pred.json', meshes: 'pred.npz'}

/** The timed run's output file: what its task (--task in the extra arguments, else the default) writes. */
export function benchOutputName(extraArgs: readonly string[]): string {
  let task: string = DEFAULT_TASK
  extraArgs.forEach((a, i) => {
    if (a === '--task' && extraArgs[i + 1] !== undefined) task = extraArgs[i + 1]!
    else if (a.startsWith('--task=')) task = a.slice('--task='.length)
  })
  return TIMED_OUTPUT[getTask(isTask(task) ? task : DEFAULT_TASK).output]
}
