/**
 * tfjs backend selection. The native bindings (tfjs-node-gpu, tfjs-node) are optional installs that
 * fail offline, so each candidate is tried in order of speed and the first that initialises wins;
 * every attempt is recorded so `motion info` and the commands can say what was chosen and why.
 */
// tfjs-core, not the @tensorflow/tfjs bundle: the same engine (the bundle re-exports it), without
// importing layers, webgl and data, so a detector worker starts faster (src/tasks/video/detect-pool.ts).
import * as tf from '@tensorflow/tfjs-core'
import {inputError} from '../../core/errors.js'
import {installFastCpuKernels} from './cpu-kernels.js'
import {installFastWasmKernels} from './wasm-kernels.js'
import {BACKEND_NAMES, type BackendName, isBackendName} from './backend-names.js'

export {BACKEND_NAMES, type BackendName, isBackendName}

export interface BackendAttempt {
  name: BackendName
  ok: boolean
  /** Why it failed (or what it registered as, when it loaded). */
  reason: string
}

export interface BackendSelection {
  /** The backend every tfjs computation now runs on. */
  backend: BackendName
  /** The tfjs engine's own name for it (`tensorflow`, `wasm`, `cpu`). */
  tfName: string
  attempts: BackendAttempt[]
}

interface Candidate {
  /** Package whose import registers the backend (none for cpu, which ships with tfjs). */
  pkg?: string
  /** Name the package registers with the tfjs engine. */
  tfName: string
}

const CANDIDATES: Record<BackendName, Candidate> = {
  'node-gpu': {pkg: '@tensorflow/tfjs-node-gpu', tfName: 'tensorflow'},
  node: {pkg: '@tensorflow/tfjs-node', tfName: 'tensorflow'},
  // In Node the wasm backend reads its .wasm binaries from its own dist/ folder through fs, so no
  // setWasmPaths is needed; it picks the SIMD build when the runtime supports it.
  wasm: {pkg: '@tensorflow/tfjs-backend-wasm', tfName: 'wasm'},
  cpu: {tfName: 'cpu'},
}

let current: BackendSelection | undefined
const registeredBy = new Map<BackendName, string>()

/**
 * Make tfjs run on `force` (an input error if it cannot load) or on the first candidate that loads.
 * The result is cached; asking again for the backend already chosen costs nothing.
 */
export async function selectBackend(opts: {force?: BackendName | 'auto'} = {}): Promise<BackendSelection> {
  const force = opts.force === 'auto' ? undefined : opts.force
  // Production mode: no debug checks, and no "install tfjs-node" banner on stdout/stderr.
  tf.enableProdMode()
  if (current && (!force || force === current.backend)) return current
  const attempts: BackendAttempt[] = []
  const order: readonly BackendName[] = force ? [force] : BACKEND_NAMES
  for (const name of order) {
    const attempt = await tryBackend(name)
    attempts.push(attempt)
    if (attempt.ok) {
      current = {backend: name, tfName: CANDIDATES[name].tfName, attempts}
      return current
    }
  }
  if (force) {
    throw inputError(`--backend ${force} cannot be used: ${attempts[0]?.reason ?? 'unknown reason'}`, {
      hint: `use --backend auto, or one of ${BACKEND_NAMES.join(', ')} that \`motion info\` lists as loadable`,
    })
  }
  // cpu ships with tfjs and always loads; reaching here means tfjs itself is broken.
  throw new Error(`no tfjs backend could be initialised: ${attempts.map((a) => `${a.name}: ${a.reason}`).join('; ')}`)
}

/** The backend currently selected, if any. */
export function currentBackend(): BackendSelection | undefined {
  return current
}

/**
 * Whether each candidate can be loaded, without changing the selected backend (except that a
 * package, once imported, stays registered). For `motion info`.
 */
export async function probeBackends(): Promise<BackendAttempt[]> {
  const out: BackendAttempt[] = []
  for (const name of BACKEND_NAMES) out.push(await loadPackage(name))
  return out
}

async function tryBackend(name: BackendName): Promise<BackendAttempt> {
  const loaded = await loadPackage(name)
  if (!loaded.ok) return loaded
  const {tfName} = CANDIDATES[name]
  try {
    // cpu ships with @tensorflow/tfjs; a process that imported only tfjs-core registers it here
    if (name === 'cpu' && !tf.findBackendFactory(tfName)) await import('@tensorflow/tfjs-backend-cpu')
    const ok = await tf.setBackend(tfName)
    if (!ok) return {name, ok: false, reason: `tfjs could not initialise the ${tfName} backend`}
    await tf.ready()
    if (name === 'cpu') installFastCpuKernels()
    if (name === 'wasm') installFastWasmKernels()
    return {name, ok: true, reason: `loaded (tfjs backend "${tfName}")`}
  } catch (err) {
    return {name, ok: false, reason: oneLine(err)}
  }
}

async function loadPackage(name: BackendName): Promise<BackendAttempt> {
  const {pkg, tfName} = CANDIDATES[name]
  if (!pkg) return {name, ok: true, reason: 'built into @tensorflow/tfjs'}
  const owner = registeredBy.get(name)
  if (owner) return {name, ok: true, reason: owner}
  // Both native packages register as "tensorflow"; once one has, the other cannot also load.
  if (tfName === 'tensorflow' && [...registeredBy.keys()].some((n) => CANDIDATES[n].tfName === 'tensorflow')) {
    return {name, ok: false, reason: 'another native tfjs binding is already loaded'}
  }
  try {
    const spec: string = pkg // a variable keeps TypeScript from resolving the optional package
    await import(spec)
    if (!tf.findBackendFactory(tfName)) return {name, ok: false, reason: `${pkg} loaded but registered no "${tfName}" backend`}
    const reason = `${pkg} loads`
    registeredBy.set(name, reason)
    return {name, ok: true, reason}
  } catch (err) {
    const code = (err as {code?: string}).code
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && oneLine(err).includes(`'${pkg}'`)) {
      return {name, ok: false, reason: `${pkg} is not installed`}
    }
    return {name, ok: false, reason: `${pkg} failed to load: ${oneLine(err)}`}
  }
}

function oneLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err)
  return msg.split('\n')[0]!.slice(0, 300)
}
