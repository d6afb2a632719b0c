/**
 * Model weights on tfjs and one eager forward pass over them. Kept out of src/model/model.ts so
 * that the onnx path (predict's default engine) never loads @tensorflow/tfjs: model.ts imports
 * this module only when the tfjs executor runs.
 */
import * as tf from '@tensorflow/tfjs'
import type {NDArray} from '../../core/ndarray.js'
import type {Mode} from '../ops.js'
import {TfjsOps} from './ops.js'

/**
 * Weights as tf tensors for the tfjs executor; `trainable` names become tf.Variables (training).
 * The caller owns (and disposes) the result.
 */
export function toTfParams(weights: ReadonlyMap<string, NDArray>, opts: {trainable?: (name: string) => boolean} = {}): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>()
  for (const [name, w] of weights) {
    const t = tf.tensor(w.data, w.shape, 'float32')
    if (opts.trainable?.(name)) {
      out.set(name, tf.variable(t, true, name))
      t.dispose()
    } else {
      out.set(name, t)
    }
  }
  return out
}

/** Create a TfjsOps over tf params (for training loops and tools). */
export function tfjsOps(params: ReadonlyMap<string, tf.Tensor>, mode: Mode = 'eval'): TfjsOps {
  return new TfjsOps(params, {mode})
}

/**
 * `forward` on `input` with eval-mode ops over `params`; the outputs come back as arrays and every
 * tensor made on the way is released.
 */
export async function forwardOnTfjs(
  params: ReadonlyMap<string, tf.Tensor>,
  input: NDArray,
  forward: (ops: TfjsOps, x: tf.Tensor) => Record<string, tf.Tensor>,
): Promise<Record<string, NDArray>> {
  const outputs = tf.tidy(() => forward(new TfjsOps(params, {mode: 'eval'}), tf.tensor(input.data, input.shape, 'float32')))
  const result: Record<string, NDArray> = {}
  try {
    for (const [name, t] of Object.entries(outputs)) {
      const data = (await t.data()) as Float32Array
      result[name] = {data: Float32Array.from(data), shape: [...t.shape]}
    }
  } finally {
    for (const t of Object.values(outputs)) t.dispose()
  }
  return result
}
