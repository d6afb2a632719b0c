/**
 * MixSTE2 and the Strided Transformer reproduce the official code (random weights, eval mode):
 * the fixture checkpoints load through the torch reader and the registry entries' key maps, their
 * configs are read off the shapes, and both executors (tfjs, ONNX) give the official outputs to 1e-4.
 */
import assert from 'node:assert/strict'
import path from 'node:path'
import {describe, test} from 'node:test'
import type {RawConfig} from '../../src/config/types.js'
import {readNpyFloat32} from '../../src/formats/npy.js'
import {BACKBONE_PREFIX, withPrefix, shapesOf} from '../../src/model/model.js'
import {fixturesDir, repoRoot} from '../helpers/paths.js'
import {type LoadedBackbone, loadFixture, runOnnx, runTfjs} from '../helpers/backbones.js'
import {relativeError} from '../helpers/compare.js'

const wideDir = path.join(repoRoot, 'test', 'fixtures', 'official-wide')

/** Output name → the case.json field naming its reference file. */
const REFERENCES: Record<string, Record<string, string>> = {
  mixste: {pose3d: 'output'},
  strided: {pose3d: 'output', pose3d_full: 'output_full'},
}

/** The one setting each model's weights cannot tell: MixSTE's heads, the Strided Transformer's strides. */
const NOT_IN_WEIGHTS: Record<string, (cfg: RawConfig) => RawConfig> = {
  mixste: (cfg) => ({num_heads: cfg.num_heads}),
  strided: (cfg) => ({stride_num: cfg.stride_num}),
}

// The pure-JS cpu backend takes ~25 s on mixste-wide, so wide cases run on wasm only.
const CASES = [
  {name: 'mixste-tiny', dir: path.join(fixturesDir, 'mixste-tiny'), kind: 'mixste', backends: ['wasm', 'cpu'] as const},
  {name: 'mixste-wide', dir: path.join(wideDir, 'mixste-wide'), kind: 'mixste', backends: ['wasm'] as const},
  {name: 'strided-tiny', dir: path.join(fixturesDir, 'strided-tiny'), kind: 'strided', backends: ['wasm', 'cpu'] as const},
  {name: 'strided-wide', dir: path.join(wideDir, 'strided-wide'), kind: 'strided', backends: ['wasm'] as const},
]

async function checkOutputs(loaded: LoadedBackbone, dir: string, run: (l: LoadedBackbone, x: Awaited<ReturnType<typeof readNpyFloat32>>) => Promise<Record<string, {data: Float32Array; shape: number[]}>>, label: string): Promise<void> {
  for (const c of loaded.spec.cases) {
    const input = await readNpyFloat32(path.join(dir, c.input as string))
    const out = await run(loaded, input)
    for (const [name, field] of Object.entries(REFERENCES[loaded.spec.kind]!)) {
      const ref = await readNpyFloat32(path.join(dir, c[field] as string))
      const err = relativeError(out[name]!, ref)
      assert.ok(err <= 1e-4, `${path.basename(dir)} ${name} on ${label}: relative error ${err}`)
    }
  }
}

for (const {name, dir, kind, backends} of CASES) {
  describe(name, () => {
    let loaded: LoadedBackbone
    const load = async (): Promise<LoadedBackbone> => (loaded ??= await loadFixture(dir, NOT_IN_WEIGHTS[kind]!))

    test('config read off the checkpoint equals the one the official code was built with', async () => {
      const {config, spec} = await load()
      for (const [key, value] of Object.entries(spec.config)) {
        assert.deepEqual(config[key], value, `${key}`)
      }
    })

    test('the weights are exactly the parameters the entry expects', async () => {
      const {entry, config, weights} = await load()
      const expected = entry.expectedParams(config)
      const got = withPrefix(shapesOf(weights), BACKBONE_PREFIX)
      assert.deepEqual([...got.keys()].sort(), [...expected.keys()].sort())
      for (const [key, shape] of expected) assert.deepEqual(got.get(key), shape, key)
    })

    for (const backend of backends) {
      test(`outputs match the official code on tfjs (${backend})`, async () => checkOutputs(await load(), dir, (l, x) => runTfjs(l, x, backend), `tfjs ${backend}`))
    }

    test('outputs match the official code on onnx', async () => checkOutputs(await load(), dir, runOnnx, 'onnx'))
  })
}

test('MixSTE checkpoints keep the weights under model_pos beside a numpy RandomState, read as data', async () => {
  const {extracted} = await loadFixture(path.join(fixturesDir, 'mixste-tiny'), NOT_IN_WEIGHTS.mixste!)
  assert.equal(extracted.foundUnder, 'model_pos')
  assert.ok(extracted.otherKeys.includes('random_state'), `other keys: ${extracted.otherKeys.join(', ')}`)
  assert.equal(extracted.meta.epoch, 5)
})

test('Strided checkpoints are bare state dicts; BatchNorm step counters are dropped by the key map', async () => {
  const {extracted, weights} = await loadFixture(path.join(fixturesDir, 'strided-tiny'), NOT_IN_WEIGHTS.strided!)
  assert.equal(extracted.foundUnder, null)
  assert.ok(extracted.stateDict.has('encoder.1.num_batches_tracked'))
  assert.ok(![...weights.keys()].some((k) => k.endsWith('num_batches_tracked')))
})
