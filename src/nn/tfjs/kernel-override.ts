/** Replacing one of a tfjs backend's registered kernels with a function that may call the original. */
import * as tf from '@tensorflow/tfjs-core'

export type KernelFunc = tf.KernelConfig['kernelFunc']

/** `backend/name` of every kernel replaced in this process, so that none is wrapped twice. */
const replaced = new Set<string>()

/**
 * Registers `make(original)` as `backend`'s kernel `name`, once per process (nothing happens if the
 * backend has no such kernel or it was replaced already).
 */
export function overrideKernel(name: string, backend: string, make: (original: KernelFunc) => KernelFunc): void {
  const key = `${backend}/${name}`
  const config = tf.getKernel(name, backend)
  if (!config || replaced.has(key)) return
  replaced.add(key)
  tf.unregisterKernel(name, backend)
  tf.registerKernel({...config, kernelFunc: make(config.kernelFunc)})
}
