/**
 * The tfjs backend names, without tfjs: `--backend` is parsed (src/model/engine.ts) on every
 * predict, also when the onnx engine runs and tfjs is never loaded. backend.ts re-exports them.
 */
export const BACKEND_NAMES = ['node-gpu', 'node', 'wasm', 'cpu'] as const
export type BackendName = (typeof BACKEND_NAMES)[number]

export function isBackendName(name: string): name is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(name)
}
