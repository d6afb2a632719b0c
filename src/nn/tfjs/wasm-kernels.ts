/**
 * Two data-movement kernels of tfjs's wasm backend, replaced where they are slow. Both only move
 * values, so results are bit-identical; everything else goes to the original kernels.
 *
 * - Transpose: tfjs-backend-wasm is fast up to rank 4 but takes a slow generic path at rank 5-6
 *   unless the first axis stays first: 39-56 ms for DSTformer's qkv split ([B, T, J, 3, H, c] to
 *   [3, B, H, J, T, c]) against 1-3.6 ms for a rank-4 transpose of the same size. Here axes that
 *   stay together are merged first, and a permutation still above rank 4 (first axis moving) is
 *   done as a few rank-4 block swaps ([A, B, C, D] to [A, C, B, D]), each a fast kernel call.
 *   Transposes were 37% of the wide DSTformer forward on wasm.
 * - Slice: the original copies the whole input out of the wasm heap (readSync) before taking its
 *   part (13 ms to take one third of a 2 MB tensor); here the part is copied from a view of the
 *   heap, made after the output is allocated (allocation can grow the heap and detach views).
 */
import * as tf from '@tensorflow/tfjs-core'
import {type KernelFunc, overrideKernel} from './kernel-override.js'
import {copyStrided, size, strides} from '../../core/ndarray.js'

interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array
  disposeData(dataId: object): boolean
  dataIdMap: {get(dataId: object): {shape: number[]}}
}

/** Replaces the wasm backend's Transpose and Slice (overrideKernel replaces each once per process). */
export function installFastWasmKernels(): void {
  overrideKernel('Transpose', 'wasm', (original) => (args) => transposeKernel(args, original))
  overrideKernel('Slice', 'wasm', (original) => (args) => sliceKernel(args, original))
}

/**
 * The same transpose on fewer axes: size-1 axes dropped and axes that stay neighbours, in order,
 * merged ([B, T, J, C] with [0, 2, 1, 3] stays; [B, T, J, H, c] with [0, 1, 3, 2, 4] is the
 * rank-4 [BT, J, H, c] with [0, 2, 1, 3]).
 */
export function reducePermutation(shape: readonly number[], perm: readonly number[]): {shape: number[]; perm: number[]} {
  const kept = perm.filter((axis) => shape[axis] !== 1) // output order, size-1 axes gone
  // runs of input axes that follow each other in the output: each run becomes one axis
  const runs: number[][] = []
  for (const axis of kept) {
    const run = runs[runs.length - 1]
    if (run && run[run.length - 1]! + 1 === axis) run.push(axis)
    else runs.push([axis])
  }
  const byInput = [...runs].sort((a, b) => a[0]! - b[0]!)
  return {
    shape: byInput.map((run) => run.reduce((p, axis) => p * shape[axis]!, 1)),
    perm: runs.map((run) => byInput.indexOf(run)),
  }
}

/**
 * The block swaps that carry out `perm` on `shape`: each step moves one axis forward past a block,
 * as [A, B, C, D] → [A, C, B, D] with B the block and C the axis.
 */
export function blockSwaps(shape: readonly number[], perm: readonly number[]): [number, number, number, number][] {
  const order = perm.map((_, i) => i) // input axes in their current order
  const steps: [number, number, number, number][] = []
  for (let p = 0; p < perm.length; p++) {
    const q = order.indexOf(perm[p]!)
    if (q === p) continue
    const dims = order.map((axis) => shape[axis]!)
    steps.push([size(dims.slice(0, p)), size(dims.slice(p, q)), dims[q]!, size(dims.slice(q + 1))])
    order.splice(p, 0, ...order.splice(q, 1))
  }
  return steps
}

function withShape(info: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return {dataId: info.dataId, shape, dtype: info.dtype}
}

function transposeKernel(args: Parameters<KernelFunc>[0], original: KernelFunc): ReturnType<KernelFunc> {
  const {x} = args.inputs as {x: tf.TensorInfo}
  const {perm} = args.attrs as {perm: number[]}
  const reduced = reducePermutation(x.shape, perm)
  const rank = reduced.shape.length
  if (x.dtype === 'string' || x.dtype === 'complex64' || rank <= 4 || reduced.perm[0] === 0 || size(x.shape) === 0) return original(args)
  const backend = args.backend as unknown as WasmBackend
  const outShape = perm.map((axis) => x.shape[axis]!)
  let current = withShape(x, reduced.shape)
  for (const block of blockSwaps(reduced.shape, reduced.perm)) {
    const next = original({...args, inputs: {x: withShape(current, block)}, attrs: {perm: [0, 2, 1, 3]}}) as tf.TensorInfo
    if (current.dataId !== x.dataId) backend.disposeData(current.dataId)
    current = next
  }
  backend.dataIdMap.get(current.dataId).shape = outShape
  return withShape(current, outShape)
}

function sliceKernel(args: Parameters<KernelFunc>[0], original: KernelFunc): ReturnType<KernelFunc> {
  const {x} = args.inputs as {x: tf.TensorInfo}
  const attrs = args.attrs as {begin: number | number[]; size?: number | number[]}
  if (x.dtype !== 'float32' && x.dtype !== 'int32' && x.dtype !== 'bool') return original(args)
  const [begin, extent] = tf.slice_util.parseSliceParams(x, attrs.begin, attrs.size)
  const backend = args.backend as unknown as WasmBackend
  const out = backend.makeOutput(extent, x.dtype)
  // views after makeOutput: an allocation may grow the heap, which detaches earlier views
  const from = backend.typedArrayFromHeap(x)
  const to = backend.typedArrayFromHeap(out)
  const xStrides = strides(x.shape)
  const offset = begin.reduce((o, b, axis) => o + b * xStrides[axis]!, 0)
  if (tf.slice_util.isSliceContinous(x.shape, begin, extent)) to.set(from.subarray(offset, offset + size(extent)))
  else copyStrided(from, offset, extent, xStrides, to)
  return out
}
