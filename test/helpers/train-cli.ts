/** A small slice of ../shared/data/cmu-mocap-h36m17 (symlinks, never copies) and a tiny training config. */
import {mkdirSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {spawn, type ChildProcess} from 'node:child_process'

import {binRun, dataDir, repoRoot} from './paths.js'

const SOURCE = path.join(dataDir, 'cmu-mocap-h36m17')

/** 4 train clips (2 actions) and 2 test clips, as a folder with its own index.json. */
export function makeSmallData(dir: string): string {
  const index = JSON.parse(readFileSync(path.join(SOURCE, 'index.json'), 'utf8')) as {clips: {file: string}[]; [k: string]: unknown}
  const files = ['train/running/running_5.npy', 'train/running/running_3.npy', 'train/walking/walking_4.npy', 'train/walking/walking_5.npy', 'test/running/running_1.npy', 'test/walking/walking_1.npy']
  for (const f of files) {
    mkdirSync(path.dirname(path.join(dir, f)), {recursive: true})
    symlinkSync(path.join(SOURCE, f), path.join(dir, f))
  }
  const clips = index.clips.filter((c) => files.includes(c.file))
  writeFileSync(path.join(dir, 'index.json'), JSON.stringify({...index, clips}))
  return dir
}

/** A tiny DSTformer with MotionBERT's pretraining losses and augmentation, 27-frame windows. */
export function writeTinyConfig(file: string): string {
  writeFileSync(
    file,
    [
      'backbone: dstformer', 'maxlen: 27', 'dim_feat: 16', 'dim_rep: 32', 'depth: 2', 'num_heads: 2', 'mlp_ratio: 2', 'att_fuse: true',
      'clip_len: 27', 'data_stride: 9', 'batch_size: 4', 'learning_rate: 0.002', 'lr_decay: 0.99', 'weight_decay: 0.01',
      'lambda_3d_velocity: 20', 'lambda_scale: 0.5', 'rootrel: true', 'flip: true', 'noise: true', 'mask_ratio: 0.05', 'mask_T_ratio: 0.1', '',
    ].join('\n'),
  )
  return file
}

export interface JsonEvent {
  type: string
  epoch: number
  step: number
  loss?: number | null
  lr?: number
  path?: string
  checkpoint?: string
  metrics?: Record<string, number>
  [k: string]: unknown
}

export function parseEvents(stdout: string): JsonEvent[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as JsonEvent)
}

export interface Spawned {
  child: ChildProcess
  events: JsonEvent[]
  stderr: () => string
  /** Resolves with the first event matching `pred`. */
  waitFor(pred: (e: JsonEvent) => boolean, timeoutMs?: number): Promise<JsonEvent>
  exit: Promise<{code: number | null; signal: NodeJS.Signals | null}>
}

/** Spawns the built CLI and parses its --json event lines as they arrive. */
export function spawnCli(args: string[]): Spawned {
  const child = spawn(process.execPath, [binRun, ...args], {cwd: repoRoot, env: {...process.env, FORCE_COLOR: '0'}, stdio: ['ignore', 'pipe', 'pipe']})
  const events: JsonEvent[] = []
  const waiters: {pred: (e: JsonEvent) => boolean; resolve: (e: JsonEvent) => void}[] = []
  let buffer = ''
  let err = ''
  child.stdout!.on('data', (d: Buffer) => {
    buffer += d.toString()
    let nl: number
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl)
      buffer = buffer.slice(nl + 1)
      if (!line.trim().startsWith('{')) continue
      const e = JSON.parse(line) as JsonEvent
      events.push(e)
      for (const w of [...waiters]) {
        if (w.pred(e)) {
          waiters.splice(waiters.indexOf(w), 1)
          w.resolve(e)
        }
      }
    }
  })
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  const exit = new Promise<{code: number | null; signal: NodeJS.Signals | null}>((resolve) => child.on('close', (code, signal) => resolve({code, signal})))
  return {
    child,
    events,
    stderr: () => err,
    waitFor(pred, timeoutMs = 60_000) {
      const found = events.find(pred)
      if (found) return Promise.resolve(found)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for an event; stderr: ${err.slice(-500)}`)), timeoutMs)
        waiters.push({pred, resolve: (e) => (clearTimeout(timer), resolve(e))})
        void exit.then(() => setTimeout(() => reject(new Error(`process exited before the event; stderr: ${err.slice(-500)}`)), 50))
      })
    },
    exit,
  }
}
