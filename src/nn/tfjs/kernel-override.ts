/** Replacing one of a tfjs backend's registered kernels with a function that may call the original. */
import * as tf from '@tensorflow/tfjs-core'

export type KernelFunc = tf.KernelConfig['kernelFunc']

/** Registers `make(original)` as `backend`'s kernel `name` (nothing happens if it has none). */
export function overrideKernel(name: string, backend: string, make: (original: KernelFunc) => KernelFunc): void {
  const config = tf.getKernel(name, backend)
  if (!config) return
  tf.unregisterKernel(name, backend)
  tf.registerKernel({...config, kernelFunc: make(config.kernelFunc)})
}
