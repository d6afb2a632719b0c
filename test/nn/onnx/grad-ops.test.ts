/**
 * Per-op gradient checks: every op the ONNX recorder emits, differentiated by the gradient graph,
 * against tfjs autograd (to 1e-4) and against central finite differences of the ONNX forward pass
 * (relative 1e-2, float32). Inputs avoid the kinks of abs/relu/max so differences are meaningful.
 */
import assert from 'node:assert/strict'
import {before, test} from 'node:test'
import type {NDArray} from '../../../src/core/ndarray.js'
import type {Ops} from '../../../src/nn/ops.js'
import {selectBackend} from '../../../src/nn/tfjs/backend.js'
import {type ScalarFn, finiteDifferenceError, onnxGradients, randn, relErrStrict, tfjsGradients} from '../../helpers/grad.js'

before(async () => {
  await selectBackend({force: 'cpu'})
})

const range = (n: number): number[] => Array.from({length: n}, (_, i) => i)

/** sum(f(x) ⊙ W) for a fixed random W, so every output element has its own upstream gradient. */
function weightedSum(f: <T>(ops: Ops<T>, ins: Readonly<Record<string, T>>) => T): ScalarFn {
  return <T>(ops: Ops<T>, ins: Readonly<Record<string, T>>): T => {
    const y = f(ops, ins)
    const shape = range(ops.rank(y)).map((i) => ops.dim(y, i) as number)
    return ops.sum(ops.mul(y, ops.constant(randn(shape, 99).data, shape)), range(shape.length))
  }
}

/** Values with |x| >= 0.2 (away from the kinks at 0). */
function awayFromZero(shape: number[], seed: number): NDArray {
  const x = randn(shape, seed)
  return {data: x.data.map((v) => v + (v >= 0 ? 0.2 : -0.2)), shape}
}
function positive(shape: number[], seed: number): NDArray {
  return randn(shape, seed, 0.5, 2)
}

interface Case {
  name: string
  inputs: Record<string, NDArray>
  weights?: Map<string, NDArray>
  f: <T>(ops: Ops<T>, ins: Readonly<Record<string, T>>) => T
  /** Skip finite differences (non-smooth at sampled points). */
  noFd?: boolean
  /**
   * The same function for tfjs where its autograd lacks a case (broadcast batch matmul gradients
   * have the wrong shape in tfjs 4.22): null = finite differences only.
   */
  tfjs?: (<T>(ops: Ops<T>, ins: Readonly<Record<string, T>>) => T) | null
}

/** tfjs's batched matmul gradient does not reduce broadcast batch axes: broadcast explicitly. */
const broadcastTo = <T>(o: Ops<T>, x: T, shape: number[]): T => o.add(x, o.constant(new Float32Array(shape.reduce((p, q) => p * q, 1)), shape))

const x234 = randn([2, 3, 4], 1)
const cases: Case[] = [
  {name: 'add (broadcast)', inputs: {a: x234, b: randn([3, 1], 2)}, f: (o, {a, b}) => o.add(a!, b!)},
  {name: 'sub (broadcast)', inputs: {a: randn([4], 3), b: x234}, f: (o, {a, b}) => o.sub(a!, b!)},
  {name: 'mul (broadcast)', inputs: {a: x234, b: randn([1, 3, 1], 4)}, f: (o, {a, b}) => o.mul(a!, b!)},
  {name: 'div (broadcast)', inputs: {a: x234, b: positive([2, 1, 4], 5)}, f: (o, {a, b}) => o.div(a!, b!)},
  {name: 'scale, addScalar, neg', inputs: {x: x234}, f: (o, {x}) => o.neg(o.addScalar(o.scale(x!, 1.7), 0.3))},
  {name: 'abs', inputs: {x: awayFromZero([2, 3, 4], 6)}, f: (o, {x}) => o.abs(x!)},
  {name: 'sqrt', inputs: {x: positive([2, 3, 4], 7)}, f: (o, {x}) => o.sqrt(x!)},
  {name: 'exp', inputs: {x: x234}, f: (o, {x}) => o.exp(x!)},
  {name: 'log', inputs: {x: positive([2, 3, 4], 8)}, f: (o, {x}) => o.log(x!)},
  {name: 'sin, cos', inputs: {x: x234}, f: (o, {x}) => o.add(o.sin(x!), o.cos(o.scale(x!, 2)))},
  {name: 'tanh, sigmoid', inputs: {x: x234}, f: (o, {x}) => o.mul(o.tanh(x!), o.sigmoid(o.scale(x!, 3)))},
  {name: 'relu', inputs: {x: awayFromZero([2, 3, 4], 9)}, f: (o, {x}) => o.relu(x!)},
  {name: 'gelu (exact)', inputs: {x: randn([2, 3, 4], 10, -3, 3)}, f: (o, {x}) => o.gelu(x!)},
  {name: 'maximumScalar', inputs: {x: awayFromZero([2, 3, 4], 11)}, f: (o, {x}) => o.maximumScalar(x!, 0)},
  {name: 'matmul (batched)', inputs: {a: randn([2, 3, 4, 5], 12), b: randn([2, 3, 5, 6], 13)}, f: (o, {a, b}) => o.matmul(a!, b!)},
  {name: 'matmul (broadcast batch)', inputs: {a: randn([2, 1, 4, 5], 14), b: randn([3, 5, 6], 15)}, f: (o, {a, b}) => o.matmul(a!, b!), tfjs: (o, {a, b}) => o.matmul(broadcastTo(o, a!, [2, 3, 4, 5]), broadcastTo(o, b!, [2, 3, 5, 6]))},
  {name: 'matmul (transposeA, transposeB)', inputs: {a: randn([2, 5, 4], 16), b: randn([2, 6, 5], 17)}, f: (o, {a, b}) => o.matmul(a!, b!, {transposeA: true, transposeB: true})},
  {
    name: 'matmul (2D weight)',
    inputs: {a: randn([2, 3, 4, 5], 18), b: randn([5, 6], 19)},
    f: (o, {a, b}) => o.matmul(a!, b!),
    tfjs: (o, {a, b}) => o.matmul(a!, broadcastTo(o, b!, [2, 3, 5, 6])),
  },
  {
    name: 'linear (pre-transposed weight param + bias)',
    inputs: {x: randn([2, 3, 5], 20)},
    weights: new Map([['fc.weight', randn([4, 5], 21)], ['fc.bias', randn([4], 22)]]),
    f: (o, {x}) => o.linear(x!, 'fc.weight', 'fc.bias'),
  },
  {
    name: 'linear weight used twice',
    inputs: {x: randn([3, 4], 23)},
    weights: new Map([['fc.weight', randn([4, 4], 24)]]),
    f: (o, {x}) => o.linear(o.tanh(o.linear(x!, 'fc.weight')), 'fc.weight'),
  },
  {
    name: 'conv1d (stride 2, padding 1)',
    inputs: {x: randn([2, 3, 9], 25)},
    weights: new Map([['c.weight', randn([4, 3, 3], 26)], ['c.bias', randn([4], 27)]]),
    f: (o, {x}) => o.conv1d(x!, 'c.weight', 'c.bias', {stride: 2, padding: 1}),
  },
  {
    name: 'conv1d (dilation 2, unread tail)',
    inputs: {x: randn([1, 2, 10], 28)},
    weights: new Map([['c.weight', randn([3, 2, 2], 29)]]),
    f: (o, {x}) => o.conv1d(x!, 'c.weight', null, {stride: 3, dilation: 2}),
  },
  {
    name: 'conv1d (dilation 2, padding 2)',
    inputs: {x: randn([2, 2, 7], 46)},
    weights: new Map([['c.weight', randn([3, 2, 3], 47)], ['c.bias', randn([3], 48)]]),
    f: (o, {x}) => o.conv1d(x!, 'c.weight', 'c.bias', {dilation: 2, padding: 2}),
  },
  {name: 'sum (keepDims)', inputs: {x: x234}, f: (o, {x}) => o.mul(o.sum(x!, [0, 2], true), x!)},
  {name: 'mean (negative axis)', inputs: {x: x234}, f: (o, {x}) => o.mean(o.mul(x!, x!), [-1])},
  {name: 'max (reduce)', inputs: {x: randn([2, 3, 4], 30)}, f: (o, {x}) => o.max(x!, [1])},
  {name: 'softmax (last axis)', inputs: {x: randn([2, 3, 5], 31, -2, 2)}, f: (o, {x}) => o.softmax(x!, -1)},
  {name: 'softmax (middle axis)', inputs: {x: randn([2, 4, 3], 32, -2, 2)}, f: (o, {x}) => o.softmax(x!, 1)},
  {
    name: 'layerNorm',
    inputs: {x: randn([2, 3, 6], 33, -2, 2)},
    weights: new Map([['ln.weight', randn([6], 34, 0.5, 1.5)], ['ln.bias', randn([6], 35)]]),
    f: (o, {x}) => o.layerNorm(x!, 'ln', 1e-5),
  },
  {
    name: 'batchNorm (train, [N, C, L])',
    inputs: {x: randn([3, 4, 5], 36, -2, 2)},
    weights: new Map([
      ['bn.weight', randn([4], 37, 0.5, 1.5)],
      ['bn.bias', randn([4], 38)],
      ['bn.running_mean', randn([4], 39)],
      ['bn.running_var', positive([4], 40)],
    ]),
    f: (o, {x}) => o.batchNorm(x!, 'bn', 1e-5),
  },
  {name: 'reshape, transpose', inputs: {x: x234}, f: (o, {x}) => o.transpose(o.reshape(x!, [3, 2, 4]), [2, 0, 1])},
  {name: 'concat', inputs: {a: x234, b: randn([2, 2, 4], 41)}, f: (o, {a, b}) => o.concat([o.exp(a!), b!, a!], 1)},
  {name: 'slice (overlapping windows, negative end)', inputs: {x: randn([2, 5, 3], 42)}, f: (o, {x}) => o.sub(o.slice(x!, 1, 1, 5), o.slice(x!, 1, 0, -1))},
  {name: 'slice (tiling windows)', inputs: {x: randn([2, 6], 43)}, f: (o, {x}) => o.mul(o.slice(x!, 1, 0, 3), o.slice(x!, 1, 3, 6))},
  {name: 'gather (repeated indices)', inputs: {x: randn([2, 5, 3], 44)}, f: (o, {x}) => o.gather(x!, [0, 4, 0, 2, 2, 1], 1)},
  {name: 'gather (contiguous run)', inputs: {x: randn([4, 3], 45)}, f: (o, {x}) => o.gather(x!, [1, 2], 0)},
]

for (const c of cases) {
  test(`gradient of ${c.name}: ONNX = tfjs autograd and finite differences`, async () => {
    const weights = c.weights ?? new Map<string, NDArray>()
    const fn = weightedSum(c.f)
    const ours = await onnxGradients(fn, weights, c.inputs)
    try {
      const wrt = [...Object.keys(c.inputs), ...weights.keys()].filter((k) => ours.grads.has(k))
      // Every input and every used parameter gets a gradient.
      assert.deepEqual(wrt.sort(), [...ours.grads.keys()].sort())
      assert.ok(Object.keys(c.inputs).every((k) => ours.grads.has(k)), 'every input has a gradient')
      const tfFn = c.tfjs === undefined ? fn : c.tfjs === null ? null : weightedSum(c.tfjs)
      const ref = tfFn
        ? tfjsGradients(
            <T>(ops: Ops<T>, ins: Readonly<Record<string, T>>) => ({y: tfFn(ops, ins)}),
            <T>(_ops: Ops<T>, outs: Readonly<Record<string, T>>) => ({total: outs.y!}),
            weights,
            wrt,
            c.inputs,
          )
        : null
      if (ref) assert.ok(Math.abs(ours.loss - ref.loss) <= 1e-4 * Math.max(1, Math.abs(ref.loss)), `loss ${ours.loss} vs tfjs ${ref.loss}`)
      for (const k of ref ? wrt : []) {
        const g = ours.grads.get(k)!
        assert.deepEqual(g.shape, ref!.grads.get(k)!.shape, `${k} shape`)
        const err = relErrStrict(g, ref!.grads.get(k)!)
        assert.ok(err <= 1e-4, `${k}: ONNX vs tfjs relative error ${err}`)
      }
      if (!c.noFd) {
        const values: Record<string, NDArray> = {...c.inputs}
        for (const k of wrt) if (weights.has(k) && !k.includes('running')) values[k] = weights.get(k)!
        const fd = await finiteDifferenceError(ours, values)
        assert.ok(fd.err <= 1e-2, `finite differences disagree at ${fd.name}: ${fd.err}`)
      }
    } finally {
      await ours.dispose()
    }
  })
}
