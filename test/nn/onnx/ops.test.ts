/**
 * Op-by-op parity: each op recorded by the ONNX executor and run in onnxruntime-node must match
 * a naive JS reference (test/helpers/onnx-reference.ts) to the project tolerance.
 */
import assert from 'node:assert/strict'
import {after, describe, test} from 'node:test'
import type {NDArray} from '../../../src/core/ndarray.js'
import type {Ops} from '../../../src/nn/ops.js'
import {type OnnxRunner, type Value, createOnnxRunner, recordGraph} from '../../../src/nn/onnx/index.js'
import * as ref from '../../helpers/onnx-reference.js'

const TOL = 1e-4
const runners: OnnxRunner[] = []
after(async () => {
  for (const r of runners) await r.dispose()
})

type Build = (ops: Ops<Value>, x: Value, y: Value) => Value

/** Record `build` over inputs x (and y), run it once in onnxruntime, return the output. */
async function run(build: Build, x: NDArray, y: NDArray = ref.rand([1]), weights = new Map<string, NDArray>()): Promise<NDArray> {
  const graph = recordGraph((ops, inputs) => ({out: build(ops, inputs.x!, inputs.y!)}), {
    inputs: [
      {name: 'x', shape: x.shape},
      {name: 'y', shape: y.shape},
    ],
    weights,
  })
  // An unused input is pruned from nothing: inputs always stay in the graph.
  const runner = await createOnnxRunner(graph, {threads: 1})
  runners.push(runner)
  return (await runner.run({x, y})).out!
}

function close(actual: NDArray, expected: NDArray, what: string): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`)
  const err = ref.relErr(actual, expected)
  assert.ok(err <= TOL, `${what}: relative error ${err}`)
}

const x = ref.rand([2, 3, 4], 7)
const pos = ref.map(ref.rand([2, 3, 4], 8), (v) => Math.abs(v) + 0.1)

describe('elementwise ops match JS', () => {
  const unary: [string, (ops: Ops<Value>, v: Value) => Value, (v: number) => number, NDArray][] = [
    ['neg', (o, v) => o.neg(v), (v) => -v, x],
    ['abs', (o, v) => o.abs(v), Math.abs, x],
    ['sqrt', (o, v) => o.sqrt(v), Math.sqrt, pos],
    ['exp', (o, v) => o.exp(v), Math.exp, x],
    ['log', (o, v) => o.log(v), Math.log, pos],
    ['sin', (o, v) => o.sin(v), Math.sin, x],
    ['cos', (o, v) => o.cos(v), Math.cos, x],
    ['tanh', (o, v) => o.tanh(v), Math.tanh, x],
    ['sigmoid', (o, v) => o.sigmoid(v), (v) => 1 / (1 + Math.exp(-v)), x],
    ['relu', (o, v) => o.relu(v), (v) => Math.max(0, v), x],
    ['gelu', (o, v) => o.gelu(o.scale(v, 3)), (v) => ref.gelu(3 * v), x],
    ['scale', (o, v) => o.scale(v, -2.5), (v) => -2.5 * v, x],
    ['addScalar', (o, v) => o.addScalar(v, 0.75), (v) => v + 0.75, x],
    ['maximumScalar', (o, v) => o.maximumScalar(v, 0.2), (v) => Math.max(v, 0.2), x],
  ]
  for (const [name, build, f, input] of unary) {
    test(name, async () => close(await run((ops, v) => build(ops, v), input), ref.map(input, f), name))
  }

  const b = ref.rand([3, 1], 9)
  const binary: [string, Build, (p: number, q: number) => number][] = [
    ['add', (o, p, q) => o.add(p, q), (p, q) => p + q],
    ['sub', (o, p, q) => o.sub(p, q), (p, q) => p - q],
    ['mul', (o, p, q) => o.mul(p, q), (p, q) => p * q],
    ['div', (o, p, q) => o.div(p, o.addScalar(o.abs(q), 0.5)), (p, q) => p / (Math.abs(q) + 0.5)],
  ]
  for (const [name, build, f] of binary) {
    test(`${name} with broadcasting [2,3,4] and [3,1]`, async () => close(await run(build, x, b), ref.broadcast2(x, b, f), name))
  }
})

describe('linear algebra matches JS', () => {
  test('matmul with and without transposes', async () => {
    const a = ref.rand([2, 3, 5], 3)
    const bm = ref.rand([2, 5, 4], 4)
    close(await run((o, p, q) => o.matmul(p, q), a, bm), ref.matmul(a, bm), 'matmul')
    const at = ref.transpose(a, [0, 2, 1])
    const bt = ref.transpose(bm, [0, 2, 1])
    close(await run((o, p, q) => o.matmul(p, q, {transposeA: true, transposeB: true}), at, bt), ref.matmul(a, bm), 'matmul^T^T')
  })

  test('matmul broadcasts a 2D right operand over the batch', async () => {
    const a = ref.rand([2, 3, 5], 3)
    const w = ref.rand([5, 4], 5)
    close(await run((o, p, q) => o.matmul(p, q), a, w), ref.matmul(a, {data: w.data, shape: [1, 5, 4]}), 'matmul 2D')
  })

  test('linear computes x W^T + b with PyTorch [out, in] weights', async () => {
    const w = ref.rand([6, 4], 11)
    const bias = ref.rand([6], 12)
    const weights = new Map([
      ['fc.weight', w],
      ['fc.bias', bias],
    ])
    const expected = ref.broadcast2(ref.matmul(x, ref.transpose(w, [1, 0])), bias, (p, q) => p + q)
    close(await run((o, v) => o.linear(v, 'fc.weight', 'fc.bias'), x, undefined, weights), expected, 'linear')
    const noBias = ref.matmul(x, ref.transpose(w, [1, 0]))
    close(await run((o, v) => o.linear(v, 'fc.weight', null), x, undefined, weights), noBias, 'linear without bias')
  })

  test('conv1d with stride, padding and dilation', async () => {
    const input = ref.rand([2, 3, 9], 21) // [N, Cin, L]
    const w = ref.rand([4, 3, 3], 22) // [Cout, Cin, K]
    const bias = ref.rand([4], 23)
    const [stride, pad, dil] = [2, 2, 2]
    const lOut = Math.floor((9 + 2 * pad - dil * 2 - 1) / stride) + 1
    const expected = ref.nd([2, 4, lOut], (i) => {
      const [n, co, l] = [Math.floor(i / (4 * lOut)), Math.floor(i / lOut) % 4, i % lOut]
      let s = bias.data[co]!
      for (let ci = 0; ci < 3; ci++)
        for (let k = 0; k < 3; k++) {
          const p = l * stride - pad + k * dil
          if (p >= 0 && p < 9) s += input.data[n * 27 + ci * 9 + p]! * w.data[co * 9 + ci * 3 + k]!
        }
      return s
    })
    const weights = new Map([
      ['conv.weight', w],
      ['conv.bias', bias],
    ])
    const out = await run((o, v) => o.conv1d(v, 'conv.weight', 'conv.bias', {stride, padding: pad, dilation: dil}), input, undefined, weights)
    close(out, expected, 'conv1d')
  })
})

describe('reductions and normalisation match JS', () => {
  test('sum, mean, max over axes with and without keepDims', async () => {
    close(await run((o, v) => o.sum(v, [0, 2]), x), ref.reduce(x, [0, 2], false, 0, (a, v) => a + v), 'sum')
    close(await run((o, v) => o.mean(v, [-1], true), x), ref.reduce(x, [2], true, 0, (a, v) => a + v, (a, n) => a / n), 'mean')
    close(await run((o, v) => o.max(v, [1]), x), ref.reduce(x, [1], false, -Infinity, Math.max), 'max')
  })

  test('softmax over the last and a middle axis', async () => {
    close(await run((o, v) => o.softmax(v), x), ref.softmaxLast(x), 'softmax last')
    const mid = ref.transpose(ref.softmaxLast(ref.transpose(x, [0, 2, 1])), [0, 2, 1])
    close(await run((o, v) => o.softmax(v, 1), x), mid, 'softmax axis 1')
  })

  test('layerNorm over the last axis with weight and bias', async () => {
    const gamma = ref.rand([4], 31)
    const beta = ref.rand([4], 32)
    const mu = ref.reduce(x, [2], true, 0, (a, v) => a + v, (a, n) => a / n)
    const centred = ref.broadcast2(x, mu, (p, q) => p - q)
    const variance = ref.reduce(ref.map(centred, (v) => v * v), [2], true, 0, (a, v) => a + v, (a, n) => a / n)
    const normed = ref.broadcast2(centred, variance, (p, q) => p / Math.sqrt(q + 1e-5))
    const expected = ref.broadcast2(ref.broadcast2(normed, gamma, (p, q) => p * q), beta, (p, q) => p + q)
    const weights = new Map([
      ['ln.weight', gamma],
      ['ln.bias', beta],
    ])
    close(await run((o, v) => o.layerNorm(v, 'ln'), x, undefined, weights), expected, 'layerNorm')
  })

  test('batchNorm in eval mode uses running statistics on [N, C, L]', async () => {
    const c = 3
    const [gamma, beta, mean] = [ref.rand([c], 41), ref.rand([c], 42), ref.rand([c], 43)]
    const variance = ref.map(ref.rand([c], 44), (v) => Math.abs(v) + 0.5)
    const weights = new Map([
      ['bn.weight', gamma],
      ['bn.bias', beta],
      ['bn.running_mean', mean],
      ['bn.running_var', variance],
    ])
    const col = (a: NDArray): NDArray => ({data: a.data, shape: [c, 1]})
    let expected = ref.broadcast2(x, col(mean), (p, q) => p - q)
    expected = ref.broadcast2(expected, col(variance), (p, q) => p / Math.sqrt(q + 1e-5))
    expected = ref.broadcast2(ref.broadcast2(expected, col(gamma), (p, q) => p * q), col(beta), (p, q) => p + q)
    close(await run((o, v) => o.batchNorm(v, 'bn'), x, undefined, weights), expected, 'batchNorm')
  })

  test('dropout is the identity in eval mode', async () => {
    close(await run((o, v) => o.dropout(o.scale(v, 1), 0.5), x), x, 'dropout')
  })
})

describe('shape ops match JS', () => {
  test('reshape (with -1), transpose, concat', async () => {
    close(await run((o, v) => o.reshape(v, [3, -1]), x), {data: x.data, shape: [3, 8]}, 'reshape')
    close(await run((o, v) => o.transpose(v, [2, 0, 1]), x), ref.transpose(x, [2, 0, 1]), 'transpose')
    // Consecutive transposes are merged by the peephole pass; the result must not change.
    close(await run((o, v) => o.transpose(o.transpose(v, [2, 0, 1]), [0, 2, 1]), x), ref.transpose(x, [2, 1, 0]), 'transpose chain')
    const y = ref.rand([2, 3, 2], 5)
    const cat = ref.nd([2, 3, 6], (i) => {
      const [r, k] = [Math.floor(i / 6), i % 6]
      return k < 4 ? x.data[r * 4 + k]! : y.data[r * 2 + k - 4]!
    })
    close(await run((o, p, q) => o.concat([p, q], -1), x, y), cat, 'concat')
  })

  test('slice (negative end) and gather (repeated indices)', async () => {
    const sl = ref.nd([2, 1, 4], (i) => x.data[Math.floor(i / 4) * 12 + 4 + (i % 4)]!)
    close(await run((o, v) => o.slice(v, 1, 1, -1), x), sl, 'slice')
    const idx = [3, 0, 0]
    const g = ref.nd([2, 3, 3], (i) => x.data[Math.floor(i / 3) * 4 + idx[i % 3]!]!)
    close(await run((o, v) => o.gather(v, idx, 2), x), g, 'gather')
  })

  test('constant and param enter as initializers', async () => {
    const weights = new Map([['p', ref.rand([4], 51)]])
    const expected = ref.broadcast2(ref.broadcast2(x, weights.get('p')!, (p, q) => p * q), {data: Float32Array.from([1, 2, 3, 4]), shape: [4]}, (p, q) => p + q)
    close(await run((o, v) => o.add(o.mul(v, o.param('p')), o.constant([1, 2, 3, 4], [4])), x, undefined, weights), expected, 'param/constant')
  })
})
