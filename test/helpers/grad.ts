/** Shared helpers for the gradient-graph tests: tfjs autograd references and error measures. */
import * as tf from '@tensorflow/tfjs'
import type {NDArray} from '../../src/core/ndarray.js'
import {TfjsOps} from '../../src/nn/tfjs/ops.js'
import type {ForwardFn, LossFn} from '../../src/train/onnx-trainer.js'
import type {Ops} from '../../src/nn/ops.js'
import {differentiate, paramsToInputs} from '../../src/nn/onnx/grad.js'
import {optimiseGraph} from '../../src/nn/onnx/optimise.js'
import {OnnxRecorder, type Value} from '../../src/nn/onnx/recorder.js'
import {createOnnxRunner} from '../../src/nn/onnx/session.js'
import {TrainingOps} from '../../src/nn/onnx/train-ops.js'
import {parityError} from './compare.js'

/** max|a-b| / max(1, max|b|): the project's parity measure over the flat data. */
export function relErr(a: NDArray, b: NDArray): number {
  return parityError(a.data, b.data)
}

/** max|a-b| / max|b| (for small gradients, where relErr would hide errors). */
export function relErrStrict(a: NDArray, b: NDArray): number {
  let diff = 0
  let scale = 1e-12
  for (let i = 0; i < b.data.length; i++) {
    diff = Math.max(diff, Math.abs(a.data[i]! - b.data[i]!))
    scale = Math.max(scale, Math.abs(b.data[i]!))
  }
  return diff / scale
}

/** Loss and gradients from tfjs autograd (train mode) for the named trainable parameters and inputs. */
export function tfjsGradients(
  buildModel: ForwardFn,
  buildLoss: LossFn,
  weights: ReadonlyMap<string, NDArray>,
  wrt: readonly string[],
  batch: Readonly<Record<string, NDArray>>,
): {loss: number; grads: Map<string, NDArray>} {
  let result: {loss: number; grads: Map<string, NDArray>} | undefined
  tf.tidy(() => {
    const consts = new Map<string, tf.Tensor>()
    for (const [k, w] of weights) consts.set(k, tf.tensor(w.data, w.shape, 'float32'))
    const inputs: Record<string, tf.Tensor> = {}
    for (const [k, x] of Object.entries(batch)) inputs[k] = tf.tensor(x.data, x.shape, 'float32')
    const args = wrt.map((k) => consts.get(k) ?? inputs[k]!)
    const f = (...ts: tf.Tensor[]): tf.Scalar => {
      const params = new Map(consts)
      const ins = {...inputs}
      wrt.forEach((k, i) => {
        if (params.has(k)) params.set(k, ts[i]!)
        else ins[k] = ts[i]!
      })
      const ops = new TfjsOps(params, {mode: 'train'})
      const outs = buildModel(ops, ins)
      return buildLoss(ops, outs, ins).total as tf.Scalar
    }
    const loss = f(...args).dataSync()[0]!
    const gs = tf.grads(f)(args)
    const grads = new Map<string, NDArray>()
    wrt.forEach((k, i) => grads.set(k, {data: Float32Array.from(gs[i]!.dataSync() as Float32Array), shape: [...gs[i]!.shape]}))
    result = {loss, grads}
  })
  return result!
}

/** Deterministic pseudo-random values in [lo, hi). */
export function randn(shape: number[], seed: number, lo = -1, hi = 1): NDArray {
  let s = seed >>> 0 || 1
  const n = shape.reduce((p, q) => p * q, 1)
  const data = new Float32Array(n)
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    data[i] = lo + (hi - lo) * (s / 2 ** 32)
  }
  return {data, shape}
}

/** A scalar function of named inputs and parameters, written against Ops<T>. */
export type ScalarFn = <T>(ops: Ops<T>, inputs: Readonly<Record<string, T>>) => T

export interface OnnxGradCheck {
  loss: number
  grads: Map<string, NDArray>
  /** The loss at other input/parameter values (for finite differences). */
  lossAt(values: Readonly<Record<string, NDArray>>): Promise<number>
  dispose(): Promise<void>
}

/** Gradients of `fn` w.r.t. every input and every parameter, from one ONNX gradient graph. */
export async function onnxGradients(fn: ScalarFn, weights: ReadonlyMap<string, NDArray>, inputs: Readonly<Record<string, NDArray>>): Promise<OnnxGradCheck> {
  const rec = new OnnxRecorder(weights, 'train')
  const ops = new TrainingOps(rec)
  const vals: Record<string, Value> = {}
  for (const [k, x] of Object.entries(inputs)) vals[k] = rec.addInput({name: k, shape: x.shape})
  const forward = optimiseGraph(rec.finish({loss: fn(ops, vals)}))
  const {graph: g, params} = paramsToInputs(forward, () => true)
  const {graph, gradients} = differentiate(g, {loss: 'loss', wrt: [...Object.keys(inputs), ...params.keys()]})
  const runner = await createOnnxRunner(graph, {threads: 1})
  const base: Record<string, NDArray> = {...inputs}
  for (const k of params.keys()) base[k] = weights.get(k)!
  const out = await runner.run(base)
  const grads = new Map<string, NDArray>()
  for (const [k, name] of gradients) grads.set(k, out[name]!)
  return {
    loss: out.loss!.data[0]!,
    grads,
    lossAt: async (values) => (await runner.run({...base, ...values})).loss!.data[0]!,
    dispose: () => runner.dispose(),
  }
}

/**
 * Central differences of the ONNX forward loss for up to `samples` elements of each input,
 * compared with the analytic gradient: returns the worst |fd - g| / max(1e-3, max|g|).
 */
export async function finiteDifferenceError(check: OnnxGradCheck, values: Readonly<Record<string, NDArray>>, eps = 1e-2, samples = 6): Promise<{name: string; err: number}> {
  let worst = {name: '', err: 0}
  for (const [name, x] of Object.entries(values)) {
    const g = check.grads.get(name)
    if (!g) continue
    const scale = Math.max(1e-3, ...Array.from(g.data, Math.abs))
    const step = Math.max(1, Math.floor(x.data.length / samples))
    for (let i = 0; i < x.data.length; i += step) {
      const plus = Float32Array.from(x.data)
      const minus = Float32Array.from(x.data)
      plus[i]! += eps
      minus[i]! -= eps
      const fd = ((await check.lossAt({[name]: {data: plus, shape: x.shape}})) - (await check.lossAt({[name]: {data: minus, shape: x.shape}}))) / (2 * eps)
      const err = Math.abs(fd - g.data[i]!) / scale
      if (err > worst.err) worst = {name: `${name}[${i}]`, err}
    }
  }
  return worst
}
