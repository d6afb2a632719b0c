/**
 * Graph-level behaviour of the ONNX executor: dynamic batch/frames axes, the encoded ModelProto
 * (read back by our decoder and by onnxruntime), metadata, and the errors users see.
 */
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, test} from 'node:test'
import type {NDArray} from '../../../src/core/ndarray.js'
import {isMotionError} from '../../../src/core/errors.js'
import type {Ops} from '../../../src/nn/ops.js'
import {type Value, createOnnxRunner, onnxSessionCounts, readOnnxMetadata, recordGraph, releaseIdleSessions, toOnnxBytes} from '../../../src/nn/onnx/index.js'
import {type ModelProto, decodeModel, encodeModel} from '../../../src/nn/onnx/proto.js'
import * as ref from '../../helpers/onnx-reference.js'

const J = 4
const C = 3
const D = 5
const MAXLEN = 30
const weights = new Map<string, NDArray>([
  ['embed.weight', ref.rand([D, C], 1)],
  ['embed.bias', ref.rand([D], 2)],
  ['temp_embed', ref.rand([1, MAXLEN, 1, D], 3)],
])

/** A DSTformer-like slice of model code: flatten frames, embed, unflatten with a symbolic T, add temp_embed[:, :T]. */
function model(ops: Ops<Value>, x: Value): Value {
  const t = ops.dim(x, 1) // frames: symbolic when dynamic
  let h = ops.reshape(x, [-1, J, C]) // [N*T, J, C]
  h = ops.linear(h, 'embed.weight', 'embed.bias') // [N*T, J, D]
  h = ops.reshape(h, [-1, t, J, D]) // [N, T, J, D]
  h = ops.add(h, ops.slice(ops.param('temp_embed'), 1, 0, t)) // + [1, T, 1, D]
  // Attention-like over frames: [N, J, T, D] @ [N, J, D, T] -> softmax -> @ v
  const q = ops.transpose(h, [0, 2, 1, 3])
  const att = ops.softmax(ops.scale(ops.matmul(q, q, {transposeB: true}), 0.5), -1)
  return ops.transpose(ops.matmul(att, q), [0, 2, 1, 3]) // [N, T, J, D]
}

function reference(x: NDArray): NDArray {
  const [n, t] = x.shape as [number, number]
  const w = weights.get('embed.weight')!
  const flat: NDArray = {data: x.data, shape: [n * t, J, C]}
  let h = ref.broadcast2(ref.matmul(flat, {data: ref.transpose(w, [1, 0]).data, shape: [1, C, D]}), weights.get('embed.bias')!, (p, q) => p + q)
  const te = weights.get('temp_embed')!
  const teT = ref.nd([1, t, 1, D], (i) => te.data[i]!)
  h = ref.broadcast2({data: h.data, shape: [n, t, J, D]}, teT, (p, q) => p + q)
  const q = ref.transpose(h, [0, 2, 1, 3])
  const scores = ref.map(ref.matmul(q, ref.transpose(q, [0, 1, 3, 2])), (v) => v * 0.5)
  return ref.transpose(ref.matmul(ref.softmaxLast(scores), q), [0, 2, 1, 3])
}

function close(actual: NDArray, expected: NDArray, what: string): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`)
  const err = ref.relErr(actual, expected)
  assert.ok(err <= 1e-4, `${what}: relative error ${err}`)
}

describe('dynamic axes', () => {
  const graph = recordGraph((ops, {x}) => ({y: model(ops, x!)}), {inputs: [{name: 'x', shape: ['N', 'T', J, C]}], weights})

  test('symbolic dims are tracked through reshape, slice and matmul', () => {
    assert.deepEqual(graph.outputs[0]!.shape, ['N', 'T', J, D])
    // dim() of T is computed once, by a Shape node, and reused.
    assert.equal(graph.nodes.filter((n) => n.op === 'Shape').length, 1)
    assert.ok(graph.nodes.some((n) => n.op === 'Concat'), 'reshape with a symbolic dim concatenates int64 pieces')
  })

  test('one graph runs at frames 5 and 27, batch 1 and 3', async () => {
    const runner = await createOnnxRunner(graph, {threads: 1})
    try {
      for (const [n, t] of [
        [1, 5],
        [3, 27],
        [3, 5],
        [1, 27],
      ] as const) {
        const x = ref.rand([n, t, J, C], 10 + n * t)
        const {y} = await runner.run({x})
        close(y!, reference(x), `N=${n} T=${t}`)
      }
    } finally {
      await runner.dispose()
    }
  })

  test('a static-shape recording gives the same numbers', async () => {
    const x = ref.rand([2, 7, J, C], 99)
    const staticGraph = recordGraph((ops, {x: v}) => ({y: model(ops, v!)}), {inputs: [{name: 'x', shape: [2, 7, J, C]}], weights})
    assert.equal(staticGraph.nodes.filter((n) => n.op === 'Shape').length, 0, 'no Shape nodes when all sizes are known')
    const runner = await createOnnxRunner(staticGraph, {threads: 1})
    try {
      close((await runner.run({x})).y!, reference(x), 'static')
    } finally {
      await runner.dispose()
    }
  })
})

describe('ONNX bytes', () => {
  const graph = recordGraph((ops, {x}) => ({y: model(ops, x!)}), {inputs: [{name: 'x', shape: ['N', 'T', J, C]}], weights})
  const metadata = {task: 'pose3d', config: JSON.stringify({dim_feat: D}), joints: 'a,b,c,d'}
  const bytes = toOnnxBytes(graph, {metadata})

  test('the ModelProto decodes with opset 17, raw_data initializers, dynamic input dims', () => {
    const m = decodeModel(bytes)
    assert.equal(m.opset_import[0]!.version, 17)
    assert.equal(m.ir_version, 8)
    const dims = m.graph.input[0]!.type.tensor_type.shape.dim
    assert.deepEqual(
      dims.map((d) => d.dim_param ?? d.dim_value),
      ['N', 'T', J, C],
    )
    // linear weights are stored transposed ([in, out]) so no Transpose runs per linear
    const w = m.graph.initializer.find((t) => t.name === 'embed.weight^T')!
    assert.deepEqual(w.dims, [C, D])
    assert.equal(w.raw_data.byteLength, C * D * 4)
    assert.ok(!m.graph.node.some((n) => n.op_type === 'Transpose' && n.input[0] === 'embed.weight'))
  })

  test('the encoder writes what protobuf readers read back: negative and 64-bit ints, floats, empty bytes, UTF-8', () => {
    const m: ModelProto = {
      ir_version: 8,
      opset_import: [{domain: '', version: 17}, {domain: 'com.microsoft', version: 1}],
      producer_name: '',
      producer_version: 'x',
      graph: {
        node: [
          {
            input: ['a', ''],
            output: ['b'],
            name: 'n',
            op_type: 'Foo',
            domain: 'com.microsoft',
            attribute: [
              {name: 'axes', type: 7, ints: [-1, 0, 127, 128, 2 ** 40, -(2 ** 40)]},
              {name: 'f', type: 1, f: -0.5},
              {name: 'fs', type: 6, floats: [1.5, -2]},
              {name: 'i', type: 2, i: -3},
              {name: 's', type: 3, s: new Uint8Array([])},
            ],
          },
        ],
        name: 'g',
        initializer: [{name: 'w', dims: [2, 3], data_type: 1, raw_data: new Uint8Array(Float32Array.from([1, 2, 3, 4, 5, -6]).buffer)}],
        input: [{name: 'a', type: {tensor_type: {elem_type: 1, shape: {dim: [{dim_value: 0}, {dim_param: 'N'}, {}]}}}}],
        output: [],
      },
      metadata_props: [{key: 'unit', value: 'µm ✓ 😀'}],
    }
    const d = decodeModel(encodeModel(m))
    assert.deepEqual(d.opset_import, m.opset_import)
    const node = d.graph.node[0]!
    assert.deepEqual([node.input, node.output, node.name, node.op_type, node.domain], [['a', ''], ['b'], 'n', 'Foo', 'com.microsoft'])
    // fields left unset stay unset (null here); lists read back empty
    assert.deepEqual(node.attribute.map((a) => [a.name, a.type, a.ints, a.f ?? null, a.floats, a.i ?? null, a.s?.length ?? null]), [
      ['axes', 7, [-1, 0, 127, 128, 2 ** 40, -(2 ** 40)], null, [], null, null],
      ['f', 1, [], -0.5, [], null, null],
      ['fs', 6, [], null, [1.5, -2], null, null],
      ['i', 2, [], null, [], -3, null],
      ['s', 3, [], null, [], null, 0],
    ])
    const w = d.graph.initializer[0]!
    assert.deepEqual([w.name, w.dims, w.data_type], ['w', [2, 3], 1])
    assert.deepEqual([...new Float32Array(w.raw_data.slice().buffer)], [1, 2, 3, 4, 5, -6])
    assert.deepEqual(
      d.graph.input[0]!.type.tensor_type.shape.dim.map((x) => [x.dim_value ?? null, x.dim_param ?? null]),
      [
        [0, null],
        [null, 'N'],
        [null, null],
      ],
    )
    assert.deepEqual(d.metadata_props, m.metadata_props)
  })

  test('metadata round-trips', () => {
    assert.deepEqual(readOnnxMetadata(bytes), metadata)
  })

  test('onnxruntime loads the bytes and agrees with the graph it came from', async () => {
    const runner = await createOnnxRunner(bytes, {threads: 1})
    try {
      assert.deepEqual(runner.inputNames, ['x'])
      assert.deepEqual(runner.outputNames, ['y'])
      const x = ref.rand([2, 6, J, C], 5)
      close((await runner.run({x})).y!, reference(x), 'from bytes')
    } finally {
      await runner.dispose()
    }
  })

  test('GELU lowers to Erf below opset 20 and to Gelu at 20; both agree', async () => {
    const g = recordGraph((ops, {x}) => ({y: ops.gelu(x!)}), {inputs: [{name: 'x', shape: ['N', 4]}], weights: new Map()})
    const x = ref.rand([3, 4], 8)
    const expected = ref.map(x, ref.gelu)
    for (const opset of [17, 20]) {
      const b = toOnnxBytes(g, {opset})
      const ops = decodeModel(b).graph.node.map((n) => n.op_type)
      assert.ok(opset < 20 ? ops.includes('Erf') : ops.includes('Gelu'), `opset ${opset}: ${ops.join(',')}`)
      const runner = await createOnnxRunner(b, {threads: 1})
      close((await runner.run({x})).y!, expected, `gelu opset ${opset}`)
      await runner.dispose()
    }
  })
})

describe('symbolic shape inference stays sound', () => {
  test('broadcasting two different dynamic axes gives an unknown dim, and runs either way', async () => {
    const g = recordGraph((ops, {a, b}) => ({y: ops.add(a!, b!)}), {
      inputs: [
        {name: 'a', shape: ['N', 3]},
        {name: 'b', shape: ['M', 3]},
      ],
      weights: new Map(),
    })
    const dim0 = g.outputs[0]!.shape[0]
    assert.ok(typeof dim0 === 'string' && dim0.startsWith('?'), `got ${String(dim0)}`)
    const runner = await createOnnxRunner(g, {threads: 1})
    try {
      const a = ref.rand([1, 3], 1)
      const b = ref.rand([4, 3], 2)
      close((await runner.run({a, b})).y!, ref.broadcast2(a, b, (p, q) => p + q), 'N=1, M=4')
    } finally {
      await runner.dispose()
    }
  })

  test('an input dim must be a size or an axis name', () => {
    assert.throws(() => recordGraph((ops, {x}) => ({y: ops.relu(x!)}), {inputs: [{name: 'x', shape: ['N*T', 3]}], weights: new Map()}), /axis name/)
  })
})

describe('errors', () => {
  test('a missing parameter is a model error (exit 3) naming it', () => {
    assert.throws(
      () => recordGraph((ops, {x}) => ({y: ops.linear(x!, 'nope.weight', null)}), {inputs: [{name: 'x', shape: [1, 3]}], weights: new Map()}),
      (err: unknown) => isMotionError(err) && err.exitCode === 3 && /nope\.weight/.test(err.message),
    )
  })

  test('an input of the wrong shape is an input error (exit 2) naming both shapes', async () => {
    const g = recordGraph((ops, {x}) => ({y: ops.relu(x!)}), {inputs: [{name: 'x', shape: ['N', 4]}], weights: new Map()})
    const runner = await createOnnxRunner(g, {threads: 1})
    try {
      await assert.rejects(runner.run({x: ref.rand([2, 5])}), (err: unknown) => isMotionError(err) && err.exitCode === 2 && /\[2, 5\]/.test(err.message) && /N, 4/.test(err.message))
      await assert.rejects(runner.run({}), (err: unknown) => isMotionError(err) && err.exitCode === 2 && /"x"/.test(err.message))
    } finally {
      await runner.dispose()
    }
  })

  test('runners on one graph share a session until the last is disposed', async () => {
    const g = recordGraph((ops, {x}) => ({y: ops.relu(x!)}), {inputs: [{name: 'x', shape: ['N', 4]}], weights: new Map()})
    const a = await createOnnxRunner(g, {threads: 1})
    const b = await createOnnxRunner(g, {threads: 1})
    await a.dispose()
    const {y} = await b.run({x: ref.rand([1, 4], 3)})
    assert.equal(y!.data.length, 4)
    await b.dispose()
    await assert.rejects(b.run({x: ref.rand([1, 4], 3)}), /after dispose/)
  })

  test('a graph recorded again from the same model reuses the released session; at most 3 idle sessions are kept', async () => {
    await releaseIdleSessions()
    const relu = (width: number) => recordGraph((ops, {x}) => ({y: ops.relu(x!)}), {inputs: [{name: 'x', shape: ['N', width]}], weights: new Map()})
    const first = await createOnnxRunner(relu(6), {threads: 1})
    const before = onnxSessionCounts()
    await first.dispose()
    assert.deepEqual(onnxSessionCounts(), {live: before.live - 1, idle: 1}, 'kept, not released')
    // a new graph object with the same bytes: the same session, taken out of the idle ones
    const again = await createOnnxRunner(relu(6), {threads: 1})
    assert.deepEqual(onnxSessionCounts(), before)
    assert.deepEqual(Array.from((await again.run({x: {data: Float32Array.from([-1, 2, -3, 4, -5, 6]), shape: [1, 6]}})).y!.data), [0, 2, 0, 4, 0, 6])
    await again.dispose()
    // other bytes (another width, other threads) are other sessions; the oldest idle ones go
    for (const [width, threads] of [[7, 1], [8, 1], [6, 2], [9, 1]] as const) await (await createOnnxRunner(relu(width), {threads})).dispose()
    assert.equal(onnxSessionCounts().idle, 3)
    await releaseIdleSessions()
    assert.deepEqual(onnxSessionCounts(), {live: before.live - 1, idle: 0})
    // optimizedModelPath writes the optimised graph as the session is created: never a shared session
    const dir = mkdtempSync(path.join(os.tmpdir(), 'motion-ort-'))
    try {
      const shared = await createOnnxRunner(relu(6), {threads: 1})
      const file = path.join(dir, 'optimised.onnx')
      const own = await createOnnxRunner(relu(6), {threads: 1, optimizedModelPath: file})
      assert.ok(existsSync(file), 'the optimised graph is written')
      assert.deepEqual(onnxSessionCounts(), {live: before.live + 1, idle: 0})
      await own.dispose()
      await shared.dispose()
      assert.deepEqual(onnxSessionCounts(), {live: before.live - 1, idle: 1}, 'the private session is released at once')
      await releaseIdleSessions()
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
