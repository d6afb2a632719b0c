/**
 * Every inference engine motion can use, its version and whether it loads here (`motion info`):
 * onnxruntime-node (the default engine when it loads) and tfjs with each of its backends.
 */
import type {BackendAttempt, BackendName} from '../nn/tfjs/backend.js'
import {installedVersion} from './package-version.js'

export interface EngineReport {
  name: 'onnx' | 'tfjs'
  package: string
  version?: string
  loads: boolean
  /** Why it does not load, or what loaded. */
  detail: string
}

export interface TfjsBackendReport extends BackendAttempt {
  package: string
  version?: string
  chosen: boolean
}

/** Package that provides each tfjs backend (cpu ships inside tfjs itself). */
const BACKEND_PACKAGES: Record<BackendName, string> = {
  'node-gpu': '@tensorflow/tfjs-node-gpu',
  node: '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
}

export async function probeOnnx(): Promise<EngineReport> {
  const version = installedVersion('onnxruntime-node')
  const {loadOnnxRuntime} = await import('../nn/onnx/session.js')
  try {
    await loadOnnxRuntime()
    return {name: 'onnx', package: 'onnxruntime-node', version, loads: true, detail: 'native CPU binding loaded'}
  } catch (err) {
    return {name: 'onnx', package: 'onnxruntime-node', version, loads: false, detail: (err as Error).message}
  }
}

export async function probeTfjs(force: BackendName | 'auto'): Promise<{engine: EngineReport; backend: string; backends: TfjsBackendReport[]}> {
  const {probeBackends, selectBackend} = await import('../nn/tfjs/backend.js')
  const probed = await probeBackends()
  const selection = await selectBackend({force})
  const failedAtSelect = new Map(selection.attempts.filter((a) => !a.ok).map((a) => [a.name, a]))
  // A package can import yet fail to initialise; the selection's own attempt says so.
  const backends = probed.map((p) => ({
    ...(failedAtSelect.get(p.name) ?? p),
    package: BACKEND_PACKAGES[p.name],
    version: installedVersion(BACKEND_PACKAGES[p.name]),
    chosen: p.name === selection.backend,
  }))
  const engine: EngineReport = {
    name: 'tfjs',
    package: '@tensorflow/tfjs',
    version: installedVersion('@tensorflow/tfjs'),
    loads: backends.some((b) => b.ok),
    detail: `backend ${selection.backend}`,
  }
  return {engine, backend: selection.backend, backends}
}
