/**
 * Detection off the main thread: a pool of worker threads (detect-worker.ts), each with its own
 * tfjs engine, wasm instance and copy of the detector. Frames go to the workers in turn (frame k to
 * worker k mod size) and the answers come back in frame order.
 *
 * Why: tfjs-backend-wasm's own multithreading does not engage in Node, so one detector uses one
 * core. A worker frees the main thread (ffmpeg's pipe, tracking, and predict loading the pose model
 * and starting onnxruntime at the same time, src/predict/index.ts), and two workers put multipose,
 * whose frames are independent, on both cores. Lightning gets exactly one worker: its crop follows
 * the previous frame, so its frames must be detected one after another by the same detector.
 */
import {createRequire} from 'node:module'
import os from 'node:os'
import {Worker} from 'node:worker_threads'

import {isMotionError, MotionError, type ErrorKind} from '../../core/errors.js'
import type {DecodedFrame, PoseDetection} from './detect.js'
import {DETECTORS, type DetectorName} from './detectors.js'

export type WorkerRequest =
  | {type: 'warm'; width: number; height: number}
  | {type: 'reset'}
  | {type: 'frame'; index: number; rgb: ArrayBuffer; width: number; height: number; scale: number; scaleY: number}

export type WorkerReply =
  | {type: 'ready'}
  | {type: 'failed'; error: WorkerFailure}
  | {type: 'result'; index: number; people: PoseDetection[]}
  | {type: 'error'; index: number; error: WorkerFailure}

export interface DetectorPool {
  size: number
  /** Settles once every worker has its detector loaded (rejects with the first failure). */
  ready: Promise<void>
  /** Runs the detector once on a black frame of this size in every worker (see Detector.warmUp). */
  warmUp(width: number, height: number): void
  /** Detections of one frame. Call in frame order; the frame's pixels are handed over (detached). */
  detect(frame: DecodedFrame): Promise<PoseDetection[]>
  /** True when no frame is in flight and no worker has failed: the pool can take another video. */
  readonly idle: boolean
  /** Forgets what the detectors carried from frame to frame (lightning's crop), for a new video. */
  reset(): void
  /** Whether the workers keep the process alive (an idle pool kept for later must not). */
  keepAlive(on: boolean): void
  close(): Promise<void>
}

/**
 * How many detector workers to use: 0 (detect in the main thread) when a native tfjs binding is
 * installed (it is multithreaded itself and not meant for worker threads); lightning 1; multipose
 * one per idle core (cores less the 1-minute load average), at least 1 and at most 2 (ffmpeg needs
 * some CPU too). A second worker only pays on a free core: on a busy machine two wasm instances
 * cost more CPU than one for the same frames (docs/benchmarks.md). The detections are the same.
 */
export function defaultDetectorWorkers(name: DetectorName): number {
  if (nativeTfjsInstalled()) return 0
  if (DETECTORS[name].kind === 'single') return 1
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length
  return Math.max(1, Math.min(2, Math.round(cores - os.loadavg()[0]!)))
}

function nativeTfjsInstalled(): boolean {
  const require = createRequire(import.meta.url)
  return ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'].some((pkg) => {
    try {
      require.resolve(pkg)
      return true
    } catch {
      return false
    }
  })
}

interface Pending {
  resolve(people: PoseDetection[]): void
  reject(err: Error): void
}

export function startDetectorPool(name: DetectorName, size: number): DetectorPool {
  if (DETECTORS[name].kind === 'single' && size !== 1) throw new Error(`${name} follows the person from frame to frame: it takes exactly one worker, not ${size}`)
  const pending = new Map<number, Pending>()
  let broken: Error | undefined
  const fail = (err: Error): void => {
    broken ??= err
    for (const p of pending.values()) p.reject(err)
    pending.clear()
  }
  const workers: Worker[] = []
  const ready: Promise<void>[] = []
  for (let i = 0; i < size; i++) {
    const worker = new Worker(new URL('./detect-worker.js', import.meta.url), {workerData: {name}})
    workers.push(worker)
    ready.push(
      new Promise<void>((resolve, reject) => {
        worker.on('message', (msg: WorkerReply) => {
          if (msg.type === 'ready') resolve()
          else if (msg.type === 'failed') {
            const err = workerError(msg.error)
            reject(err)
            fail(err)
          } else {
            const p = pending.get(msg.index)
            if (!p) return
            pending.delete(msg.index)
            if (msg.type === 'result') p.resolve(msg.people)
            else p.reject(workerError(msg.error))
          }
        })
        worker.on('error', (err) => {
          reject(err)
          fail(err)
        })
        worker.on('exit', (code) => {
          const err = new Error(`a detector worker stopped (exit ${code})`)
          reject(err)
          fail(err)
        })
      }),
    )
  }
  const allReady = Promise.all(ready).then(() => undefined)
  allReady.catch(() => undefined) // reported through detect() or by whoever awaits ready
  let next = 0
  let closed = false
  return {
    size,
    ready: allReady,
    warmUp(width, height) {
      for (const w of workers) w.postMessage({type: 'warm', width, height} satisfies WorkerRequest)
    },
    get idle() {
      return !broken && !closed && pending.size === 0
    },
    reset() {
      for (const w of workers) w.postMessage({type: 'reset'} satisfies WorkerRequest)
    },
    keepAlive(on) {
      for (const w of workers) {
        if (on) w.ref()
        else w.unref()
      }
    },
    detect(frame) {
      if (broken) return Promise.reject(broken)
      if (closed) return Promise.reject(new Error('the detector pool is closed'))
      const index = next++
      const worker = workers[index % size]!
      return new Promise<PoseDetection[]>((resolve, reject) => {
        pending.set(index, {resolve, reject})
        // hand the pixels over rather than copy them, when the frame owns its whole buffer
        const own = frame.rgb.byteOffset === 0 && frame.rgb.byteLength === frame.rgb.buffer.byteLength && frame.rgb.buffer instanceof ArrayBuffer
        const rgb = own ? (frame.rgb.buffer as ArrayBuffer) : frame.rgb.slice().buffer
        const msg: WorkerRequest = {type: 'frame', index, rgb, width: frame.width, height: frame.height, scale: frame.scale, scaleY: frame.scaleY}
        try {
          worker.postMessage(msg, [rgb])
        } catch {
          worker.postMessage(msg) // a buffer that cannot be detached (e.g. owned by a native module) is copied
        }
      })
    },
    async close() {
      if (closed) return
      closed = true
      fail(new Error('detection stopped'))
      await Promise.all(workers.map((w) => w.terminate()))
    },
  }
}

/**
 * Pools kept between videos in this process, by detector and size. Starting a worker (tfjs, its
 * wasm instance, the detector's weights) costs about 1.2 s of CPU, so a program that reads several
 * videos (the library, a test suite) starts each kind of pool once. A kept pool does not keep the
 * process alive.
 */
const idlePools = new Map<string, DetectorPool>()

/** An idle pool of this detector and size when one is kept, else a new one. */
export function borrowDetectorPool(name: DetectorName, size: number): {pool: DetectorPool; reused: boolean} {
  const key = `${name}/${size}`
  const kept = idlePools.get(key)
  idlePools.delete(key)
  if (kept?.idle) {
    kept.keepAlive(true)
    return {pool: kept, reused: true}
  }
  void kept?.close()
  return {pool: startDetectorPool(name, size), reused: false}
}

/**
 * Gives a borrowed pool back: kept for the next video when it is idle (its detectors reset, its
 * workers no longer holding the process open), closed when frames are still in flight (an
 * interrupted video) or a worker failed.
 */
export async function returnDetectorPool(name: DetectorName, pool: DetectorPool): Promise<void> {
  const key = `${name}/${pool.size}`
  if (!pool.idle || idlePools.has(key)) return pool.close()
  pool.reset()
  pool.keepAlive(false)
  idlePools.set(key, pool)
}

/** Closes every kept pool (for a program that wants its threads gone before it exits). */
export async function closeIdleDetectorPools(): Promise<void> {
  const pools = [...idlePools.values()]
  idlePools.clear()
  await Promise.all(pools.map((p) => p.close()))
}

/** An error from a worker, a MotionError again when it was one (its exit code and hint kept). */
function workerError(e: WorkerFailure): Error {
  const err = e.kind ? new MotionError(e.kind, e.message, e.hint) : new Error(e.message)
  if (e.stack) err.stack = e.stack
  return err
}

/** What a worker sends of an error (Error objects do not survive postMessage with their class). */
export interface WorkerFailure {
  message: string
  stack?: string
  kind?: ErrorKind
  hint?: string
}

export function workerFailure(err: unknown): WorkerFailure {
  if (isMotionError(err)) return {message: err.message, stack: err.stack, kind: err.kind, hint: err.hint}
  return {message: err instanceof Error ? err.message : String(err), stack: err instanceof Error ? err.stack : undefined}
}
