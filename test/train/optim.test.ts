/** AdamW against torch.optim.AdamW: the same numbers on a small hand-made example. */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {AdamW, adamwStateFromTensors, adamwStateToTensors} from '../../src/train/optim.js'

// torch.optim.AdamW([{params: [a], lr: 0.1}, {params: [b], lr: 0.01, weight_decay: 0.5}],
//                   lr=0.05, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.1); b has no grad in step 3.
const GRADS_A = [[0.3, -0.2, 0.0], [-0.1, 0.4, 1.0], [0.05, 0.05, -0.3]]
const GRADS_B = [[1.0, -2.0, 0.5, 0.0], [0.2, 0.2, -0.5, 3.0], null]
const TORCH_A = [
  [0.3950003385543823, -0.8900005221366882, 1.9800000190734863],
  [0.35551097989082336, -0.9226137399673462, 1.883622169494629],
  [0.31433436274528503, -0.9519889950752258, 1.8308823108673096],
]
const TORCH_B = [
  [0.08950001001358032, 0.20899999141693115, 0.28850001096725464, -0.39800000190734863],
  [0.08115410059690475, 0.21357427537441254, 0.28816863894462585, -0.4036678075790405],
  [0.08115410059690475, 0.21357427537441254, 0.28816863894462585, -0.4036678075790405],
]

function optimizer(): AdamW {
  return new AdamW({
    lr: 0.05,
    betas: [0.8, 0.9],
    eps: 1e-6,
    weightDecay: 0.1,
    groups: [
      {name: 'a', match: (p) => p === 'a', lr: 0.1},
      {name: 'b', match: (p) => p === 'b', lr: 0.01, weightDecay: 0.5},
    ],
  })
}

function close(got: Float32Array, want: readonly number[], what: string): void {
  want.forEach((w, i) => assert.ok(Math.abs(got[i]! - w) <= 1e-6, `${what}[${i}]: ${got[i]} vs torch ${w}`))
}

test('AdamW: decoupled weight decay, bias correction, per-group lr and skipped params match torch', () => {
  const opt = optimizer()
  const params = new Map([
    ['a', Float32Array.from([0.5, -1.0, 2.0])],
    ['b', Float32Array.from([0.1, 0.2, 0.3, -0.4])],
  ])
  for (let t = 0; t < 3; t++) {
    const grads = new Map([['a', Float32Array.from(GRADS_A[t]!)]])
    if (GRADS_B[t]) grads.set('b', Float32Array.from(GRADS_B[t]!))
    opt.step(params, grads)
    close(params.get('a')!, TORCH_A[t]!, `step ${t + 1} a`)
    close(params.get('b')!, TORCH_B[t]!, `step ${t + 1} b`)
  }
  assert.equal(opt.lrOf('a'), 0.1)
  assert.equal(opt.lrOf('other'), 0.05)
})

test('AdamW state survives a round trip through tensors and continues identically', () => {
  const a = optimizer()
  const pa = new Map([['a', Float32Array.from([0.5, -1.0, 2.0])]])
  a.step(pa, new Map([['a', Float32Array.from(GRADS_A[0]!)]]))
  const {tensors, metadata} = adamwStateToTensors(a.getState())
  assert.deepEqual(metadata.steps, {a: 1})
  const b = optimizer()
  b.loadState(adamwStateFromTensors(tensors, JSON.parse(JSON.stringify(metadata)) as typeof metadata))
  const pb = new Map([['a', Float32Array.from(pa.get('a')!)]])
  a.step(pa, new Map([['a', Float32Array.from(GRADS_A[1]!)]]))
  b.step(pb, new Map([['a', Float32Array.from(GRADS_A[1]!)]]))
  assert.deepEqual(Array.from(pb.get('a')!), Array.from(pa.get('a')!))
  close(pa.get('a')!, TORCH_A[1]!, 'resumed a')
})

test('AdamW refuses state of the wrong size and lrScale scales every group', () => {
  const opt = optimizer()
  opt.loadState({kind: 'adamw', params: {a: {step: 1, expAvg: new Float32Array(2), expAvgSq: new Float32Array(2)}}})
  assert.throws(() => opt.step(new Map([['a', new Float32Array(3)]]), new Map([['a', new Float32Array(3)]])), /has 2 values, the parameter 3/)
  const half = optimizer()
  const full = optimizer()
  const p1 = new Map([['a', Float32Array.from([1])]])
  const p2 = new Map([['a', Float32Array.from([1])]])
  half.step(p1, new Map([['a', Float32Array.from([1])]]), 0.5)
  full.step(p2, new Map([['a', Float32Array.from([1])]]))
  // Step 1 moves by ~lr (m̂/sqrt(v̂) = 1), plus decay lr·wd·p.
  assert.ok(Math.abs(1 - p1.get('a')![0]! - 0.05 * (1 + 0.1)) < 1e-5)
  assert.ok(Math.abs(1 - p2.get('a')![0]! - 0.1 * (1 + 0.1)) < 1e-5)
})
