/**
 * Running recorded graphs (or ONNX bytes) in onnxruntime-node. The runtime is imported lazily,
 * on the first session, so CLI start-up never pays for it; when it cannot load, a modelError
 * tells the caller to fall back to the tfjs executor.
 */
import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import os from 'node:os'
import type {InferenceSession, Tensor} from 'onnxruntime-node'
import {inputError, modelError} from '../../core/errors.js'
import {type NDArray, shapeString} from '../../core/ndarray.js'
import {fuseForInference} from './fuse.js'
import type {Graph} from './ir.js'
import {toOnnxBytes} from './lower.js'

type Ort = typeof import('onnxruntime-node')

export interface OnnxRunnerOptions {
  /** Intra-op threads; default: all cores. */
  threads?: number
  /** Write onnxruntime's optimised graph here (for inspection). */
  optimizedModelPath?: string
  /**
   * Apply the inference fusions of fuse.ts (onnxruntime contrib ops) to eval-mode graphs before
   * creating the session (default true). Training graphs and ONNX bytes are run as they are.
   */
  fuse?: boolean
}

export interface OnnxRunner {
  /** Input and output names of the graph. */
  readonly inputNames: readonly string[]
  readonly outputNames: readonly string[]
  /**
   * Runs the graph. `outputs` limits what comes back to those of the graph's outputs it names (all
   * when it names none of them): an output nobody reads is not copied out of onnxruntime.
   */
  run(inputs: Readonly<Record<string, NDArray>>, outputs?: readonly string[]): Promise<Record<string, NDArray>>
  /**
   * Done with the session: it is released once no runner uses it and it is no longer among the
   * few most recently used (see releaseIdleSessions).
   */
  dispose(): Promise<void>
}

let ortPromise: Promise<Ort> | undefined

/** Import onnxruntime-node once; a MotionError (exit 3) when it cannot load on this machine. */
export function loadOnnxRuntime(): Promise<Ort> {
  ortPromise ??= import('onnxruntime-node').catch((err: unknown) => {
    ortPromise = undefined
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err)
    throw modelError(`onnxruntime-node could not be loaded: ${reason}`, {
      hint: 'use --engine tfjs, or reinstall onnxruntime-node for this platform',
    })
  })
  return ortPromise
}

/** Whether onnxruntime-node loads here (for `--engine auto`). */
export async function onnxRuntimeAvailable(): Promise<boolean> {
  try {
    await loadOnnxRuntime()
    return true
  } catch {
    return false
  }
}

interface CachedSession {
  session: Promise<InferenceSession>
  users: number
}

/**
 * Sessions by what they run: the ONNX bytes' digest and the session options. A graph recorded
 * again from the same model (a second predict in the same process) gives the same bytes, so it
 * gets the same session instead of paying onnxruntime's graph optimisation again (30-200 ms for
 * the bundled models). A session nobody uses is kept while it is one of the MAX_IDLE_SESSIONS
 * most recently released, then released.
 */
const sessions = new Map<string, CachedSession>()
/** Idle session keys, least recently released first. */
const idle: string[] = []
const MAX_IDLE_SESSIONS = 3
/** The key each graph object (or bytes) gave, so a graph is not encoded again to find its session. */
const keysBySource = new WeakMap<object, Map<string, string>>()
let privateSessions = 0

/** Releases the sessions no runner uses (they are otherwise kept for reuse, see `sessions`). */
export async function releaseIdleSessions(): Promise<void> {
  const keys = idle.splice(0)
  await Promise.all(keys.map((k) => releaseSession(k)))
}

/** Sessions held: `live` in use by a runner, `idle` kept for reuse. */
export function onnxSessionCounts(): {live: number; idle: number} {
  return {live: sessions.size - idle.length, idle: idle.length}
}

async function releaseSession(key: string): Promise<void> {
  const entry = sessions.get(key)
  if (!entry || entry.users > 0) return
  sessions.delete(key)
  const session = await entry.session.catch(() => undefined)
  await session?.release()
}

let physicalCores: number | undefined

/**
 * Default intra-op threads: physical cores (a second hyper-thread per core only competes for the
 * same FMA units in GEMMs), read from /proc/cpuinfo on Linux, else the logical CPU count.
 */
export function defaultOnnxThreads(): number {
  physicalCores ??= countPhysicalCores() ?? (typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length)
  return Math.max(1, physicalCores)
}

function countPhysicalCores(): number | undefined {
  if (process.platform !== 'linux') return undefined
  try {
    const cores = new Set<string>()
    let physical = '0'
    for (const line of readFileSync('/proc/cpuinfo', 'utf8').split('\n')) {
      const [key, value] = line.split(':').map((s) => s.trim())
      if (key === 'physical id') physical = value ?? '0'
      else if (key === 'core id') cores.add(`${physical}:${value}`)
    }
    const logical = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length
    // Containers may limit CPUs below the host's core count.
    return cores.size > 0 ? Math.min(cores.size, logical) : undefined
  } catch {
    return undefined
  }
}

/**
 * The cache key of `source`'s session under these options, with its ONNX bytes when they had to be
 * made: a graph whose session is still held is not encoded again. A runner that writes the
 * optimised graph (optimizedModelPath) gets a key of its own, as onnxruntime writes the file while
 * it creates the session.
 */
function sessionKeyFor(source: Graph | Uint8Array, optionsKey: string, fuse: boolean, optimizedModelPath: string | undefined): {key: string; bytes?: Uint8Array} {
  let known = keysBySource.get(source)
  if (!known) keysBySource.set(source, (known = new Map()))
  const knownKey = known.get(optionsKey)
  if (knownKey !== undefined && sessions.has(knownKey) && !optimizedModelPath) return {key: knownKey}
  const bytes = source instanceof Uint8Array ? source : toOnnxBytes(fuse && source.mode === 'eval' ? fuseForInference(source) : source)
  const key = `${createHash('sha256').update(bytes).digest('hex')}:${optionsKey}`
  known.set(optionsKey, key)
  return {key: optimizedModelPath ? `${key}:${optimizedModelPath}:${++privateSessions}` : key, bytes}
}

export async function createOnnxRunner(source: Graph | Uint8Array, opts: OnnxRunnerOptions = {}): Promise<OnnxRunner> {
  const ort = await loadOnnxRuntime()
  const threads = opts.threads && opts.threads > 0 ? Math.floor(opts.threads) : defaultOnnxThreads()
  const fuse = opts.fuse ?? true
  const {key, bytes} = sessionKeyFor(source, `${threads}:${fuse}`, fuse, opts.optimizedModelPath)
  let cached = sessions.get(key)
  if (!cached) {
    const options: InferenceSession.SessionOptions = {
      graphOptimizationLevel: 'all',
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      ...(opts.optimizedModelPath ? {optimizedModelFilePath: opts.optimizedModelPath} : {}),
    }
    // bytes are made whenever the key has no session yet (sessionKeyFor)
    const session = ort.InferenceSession.create(bytes!, options).catch((err: unknown) => {
      sessions.delete(key)
      const reason = err instanceof Error ? err.message.split('\n')[0] : String(err)
      throw modelError(`onnxruntime could not load the model graph: ${reason}`, {hint: 'this is a bug in the ONNX export; try --engine tfjs'})
    })
    cached = {session, users: 0}
    sessions.set(key, cached)
  }
  const idleAt = idle.indexOf(key)
  if (idleAt >= 0) idle.splice(idleAt, 1)
  cached.users++
  const entry = cached
  let session: InferenceSession
  try {
    session = await entry.session
  } catch (err) {
    entry.users--
    throw err
  }
  let disposed = false

  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(inputs, outputs) {
      if (disposed) throw new Error('OnnxRunner.run after dispose')
      const feeds: Record<string, Tensor> = {}
      for (const name of session.inputNames) {
        const x = inputs[name]
        if (!x) throw inputError(`the model needs input "${name}" (given: ${Object.keys(inputs).join(', ') || 'none'})`)
        checkInputShape(session, name, x)
        feeds[name] = new ort.Tensor('float32', x.data, x.shape)
      }
      let results: InferenceSession.ReturnType
      try {
        const fetches = outputs?.filter((name) => session.outputNames.includes(name))
        results = await (fetches?.length ? session.run(feeds, fetches) : session.run(feeds))
      } catch (err) {
        const reason = err instanceof Error ? err.message.split('\n')[0] : String(err)
        throw modelError(`onnxruntime failed to run the model: ${reason}`)
      }
      const out: Record<string, NDArray> = {}
      for (const [name, t] of Object.entries(results)) {
        if (!(t.data instanceof Float32Array)) throw modelError(`output "${name}" is ${t.type}, expected float32`)
        out[name] = {data: t.data, shape: t.dims.map(Number)}
      }
      return out
    },
    async dispose() {
      if (disposed) return
      disposed = true
      entry.users--
      if (entry.users > 0 || sessions.get(key) !== entry) return
      if (opts.optimizedModelPath) return releaseSession(key)
      idle.push(key)
      if (idle.length > MAX_IDLE_SESSIONS) await releaseSession(idle.shift()!)
    },
  }
}

/** Rank and static sizes must match the graph's input; symbolic axes accept any size. */
function checkInputShape(session: InferenceSession, name: string, x: NDArray): void {
  const meta = session.inputMetadata.find((m) => m.name === name)
  if (!meta || !meta.isTensor || meta.shape.length === 0) return
  const expected = meta.shape
  const ok = expected.length === x.shape.length && expected.every((d, i) => typeof d !== 'number' || d === x.shape[i])
  if (!ok) {
    throw inputError(`input "${name}" has shape ${shapeString(x.shape)}, the model expects [${expected.join(', ')}]`)
  }
}
