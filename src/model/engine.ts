/**
 * Choosing the inference engine for a model (`--engine auto|tfjs|onnx`, `--backend`, `--threads`):
 *  - onnx: the model recorded once as an ONNX graph and run by onnxruntime-node (multithreaded CPU
 *    kernels; the fast path);
 *  - tfjs: the eager executor on the tfjs backend chosen by selectBackend (`--backend`).
 * `auto` takes onnx when onnxruntime-node loads on this machine, tfjs otherwise; an explicit
 * `--backend` (which only tfjs has) also means tfjs. The engine says what it chose and why, and
 * hides the difference behind one `run(input) → outputs` call.
 */
import os from 'node:os'

import {inputError} from '../core/errors.js'
import {count} from '../core/text.js'
import type {NDArray} from '../core/ndarray.js'
import {type Model, disposeModel, forwardModel} from './model.js'
import {disposeOnnxModel, forwardModelOnnx, prepareModelOnnx} from './onnx-model.js'
import {loadOnnxRuntime} from '../nn/onnx/session.js'
// names only: the tfjs backend module (and tfjs) loads when the tfjs engine is chosen
import {BACKEND_NAMES, type BackendName, isBackendName} from '../nn/tfjs/backend-names.js'

export const ENGINE_CHOICES = ['auto', 'tfjs', 'onnx'] as const
export type EngineChoice = (typeof ENGINE_CHOICES)[number]
export type EngineName = 'tfjs' | 'onnx'

export interface EngineOptions {
  /** Which engine; default auto. */
  engine?: EngineChoice
  /** tfjs backend (auto: the first of node-gpu, node, wasm, cpu that loads). */
  backend?: BackendName | 'auto'
  /** onnxruntime intra-op threads (default: all cores); tfjs ignores it. */
  threads?: number
  /** Name of the input file, for error messages. */
  file?: string
}

export interface InferenceEngine {
  readonly name: EngineName
  /** Why this engine: "auto: onnxruntime-node loads", "--engine tfjs", ... */
  readonly reason: string
  /** tfjs backend in use (tfjs only). */
  readonly backend?: BackendName
  /** onnxruntime intra-op threads (onnx only). */
  readonly threads?: number
  /** One line for people: "onnx (onnxruntime-node, 4 threads)". */
  readonly summary: string
  /**
   * Runs the model on a model-ready input; outputs by name (pose3d, representation, logits, ...).
   * `outputs` names those the caller reads: onnx then copies only these out of the session (tfjs
   * returns all); callers must not rely on the others being absent.
   */
  run(input: NDArray, opts?: {outputs?: readonly string[]}): Promise<Record<string, NDArray>>
  /**
   * Builds ahead what the first run() of an input shaped like `shape` would (onnx: records the graph
   * and creates the session), so it can overlap other work. Optional to call; changes no result.
   */
  prepare(shape: readonly number[]): Promise<void>
  /** Releases the session / uploaded weights. */
  dispose(): Promise<void>
}

/** Parses `--engine`. */
export function parseEngineChoice(value: string | undefined): EngineChoice {
  const v = (value ?? 'auto').toLowerCase()
  if ((ENGINE_CHOICES as readonly string[]).includes(v)) return v as EngineChoice
  throw inputError(`unknown engine "${value}"`, {hint: `use one of ${ENGINE_CHOICES.join(', ')}`})
}

/** Parses `--backend`. */
export function parseBackendChoice(value: string | undefined): BackendName | 'auto' {
  const v = (value ?? 'auto').toLowerCase()
  if (v === 'auto' || isBackendName(v)) return v
  throw inputError(`unknown tfjs backend "${value}"`, {hint: `use auto or one of ${BACKEND_NAMES.join(', ')}`})
}

/** Picks and prepares the engine for `model` (see the module comment). */
export async function createEngine(model: Model, opts: EngineOptions = {}): Promise<InferenceEngine> {
  const choice = opts.engine ?? 'auto'
  const backend = opts.backend ?? 'auto'
  if (opts.threads !== undefined && !(Number.isInteger(opts.threads) && opts.threads >= 1)) {
    throw inputError(`--threads must be a whole number >= 1, got ${opts.threads}`)
  }
  if (choice === 'onnx') {
    if (backend !== 'auto') throw inputError(`--backend ${backend} is a tfjs backend; it cannot be combined with --engine onnx`, {hint: 'drop --backend, or use --engine tfjs'})
    await loadOnnxRuntime() // a model error (exit 3) saying to use --engine tfjs when it cannot load
    return onnxEngine(model, '--engine onnx', opts)
  }
  if (choice === 'tfjs') return tfjsEngine(model, '--engine tfjs', backend, opts)
  if (backend !== 'auto') return tfjsEngine(model, `auto: --backend ${backend} is a tfjs backend`, backend, opts)
  try {
    await loadOnnxRuntime()
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err)
    return tfjsEngine(model, `auto: onnxruntime-node does not load here (${why})`, 'auto', opts)
  }
  return onnxEngine(model, 'auto: onnxruntime-node loads (the faster CPU engine)', opts)
}

function onnxEngine(model: Model, reason: string, opts: EngineOptions): InferenceEngine {
  const threads = opts.threads ?? defaultThreads()
  return {
    name: 'onnx',
    reason,
    threads,
    summary: `onnx (onnxruntime-node, ${count(threads, 'thread')})`,
    run: (input, o) => forwardModelOnnx(model, input, {threads, file: opts.file, outputs: o?.outputs}),
    prepare: (shape) => prepareModelOnnx(model, shape, {threads}),
    dispose: () => disposeOnnxModel(model),
  }
}

async function tfjsEngine(model: Model, reason: string, backend: BackendName | 'auto', opts: EngineOptions): Promise<InferenceEngine> {
  const {selectBackend} = await import('../nn/tfjs/backend.js')
  const selection = await selectBackend({force: backend})
  const how = backend === 'auto' ? 'first tfjs backend that loads' : '--backend'
  return {
    name: 'tfjs',
    reason,
    backend: selection.backend,
    summary: `tfjs (backend ${selection.backend}, ${how})`,
    run: (input) => forwardModel(model, input, {backend: selection.backend, file: opts.file}),
    prepare: async () => undefined,
    dispose: async () => disposeModel(model),
  }
}

function defaultThreads(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length
}
