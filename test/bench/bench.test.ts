import assert from 'node:assert/strict'
import {test} from 'node:test'
import {benchInput, benchModel} from '../../src/bench/forward.js'
import {BENCH_BACKBONES, BENCH_PRESETS, benchModelConfig} from '../../src/bench/presets.js'
import {timeSteps} from '../../src/bench/timing.js'
import {stridedLengths, stridesFor} from '../../src/backbones/strided.js'
import {modelParams} from '../../src/model/model.js'

test('timeSteps excludes warm-up and reports the mean as the official script does', async () => {
  let clock = 0
  const costs = [100, 10, 20, 30, 40] // warm-up first
  let i = 0
  const r = await timeSteps(async () => (clock += costs[i++]!), {seconds: 0.05, now: () => clock})
  assert.equal(r.warmupMs, 100)
  assert.equal(r.runs, 3) // 10 + 20 + 30 = 60 ms >= 50 ms
  assert.equal(r.meanMs, 20)
  assert.equal(r.medianMs, 20)
  assert.equal(r.minMs, 10)
})

test('timeSteps runs at least minRuns steps', async () => {
  let clock = 0
  const r = await timeSteps(async () => (clock += 1000), {seconds: 0.001, minRuns: 2, now: () => clock})
  assert.equal(r.runs, 2)
})

test('the DSTformer presets are the issue sizes (lite = MotionBERT-Lite, full = MotionBERT)', () => {
  const lite = benchModel('dstformer', 'lite', 27)
  const c = lite.config.backboneConfig
  assert.deepEqual([c.dim_feat, c.depth, c.num_heads, c.mlp_ratio, c.dim_rep, c.maxlen], [256, 5, 8, 4, 512, 243])
  const full = benchModelConfig('dstformer', 'full', 300)
  assert.deepEqual([full.dim_feat, full.mlp_ratio, full.maxlen], [512, 2, 300])
  assert.equal(modelParams(lite).required.get('backbone.blocks_st.0.mlp_s.fc1.weight')?.join(), '1024,256')
})

test('every backbone and preset builds a model that accepts its bench input', () => {
  for (const backbone of BENCH_BACKBONES) {
    const model = benchModel(backbone, 'tiny', 27)
    const x = benchInput(model, 2, 27)
    assert.equal(x.shape[0], 2)
    assert.equal(x.shape[1], 27)
    assert.equal(model.backbone.checkInput(x.shape, model.config.backboneConfig), null, backbone)
  }
  for (const preset of BENCH_PRESETS) assert.ok(benchModelConfig('mixste', preset, 81).embed_dim_ratio)
  assert.throws(() => benchModelConfig('resnet', 'tiny', 27), /unknown backbone/)
})

test('Strided Transformer strides reduce any window to its centre frame', () => {
  for (const frames of [27, 81, 100, 243, 351, 5]) {
    const lengths = stridedLengths({frames, stride_num: stridesFor(frames)})
    assert.equal(lengths[lengths.length - 1], 1, `frames ${frames}`)
  }
  assert.deepEqual(stridesFor(351), [3, 9, 13])
})
