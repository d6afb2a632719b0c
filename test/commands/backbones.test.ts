/**
 * MixSTE and the Strided Transformer through every command, with the real CLI:
 *  - forward reproduces the official fixtures (tiny and wide; pose3d, and pose3d_full for the
 *    Strided Transformer) on both engines, configured by `backbone:` and the models' own keys;
 *  - import writes native folders that forward runs without a config;
 *  - export writes ONNX with a dynamic batch and the model's fixed frame count, loaded back in
 *    onnxruntime with the official numbers;
 *  - predict runs their official windows (checked against a per-window reference built here from
 *    the model itself), needs the video size, and refuses MotionBERT-only options;
 *  - finetune trains both from their official checkpoints with their own losses on both engines,
 *    and motion eval scores the runs (Strided: every frame by its own centred window).
 */
import assert from 'node:assert/strict'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {before, describe, test} from 'node:test'

import {readNpyFloat32, readNpzFloat32, writeNpy} from '../../src/formats/npy.js'
import {loadModel} from '../../src/model/load.js'
import {forwardModel, type Model} from '../../src/model/model.js'
import {createOnnxRunner, readOnnxMetadata} from '../../src/nn/onnx/index.js'
import type {NDArray} from '../../src/core/ndarray.js'
import {H36M_FLIP_PERMUTATION} from '../../src/core/h36m.js'
// Every command runs in-process, finetune too (a real process each cost ~2 s CPU of start-up).
import {runCli} from '../helpers/cli.js'
import {relativeError} from '../helpers/compare.js'
import {fixturesDir, repoRoot} from '../helpers/paths.js'
import {makeSmallData} from '../helpers/train-cli.js'
import {readCaseJson} from '../helpers/fixtures.js'
import {tmpDirForTests} from '../helpers/tmp.js'

const tmp = tmpDirForTests('motion-backbones-')

const wideDir = path.join(repoRoot, 'test', 'fixtures', 'official-wide')
const tinyConfig = (b: 'mixste' | 'strided'): string => path.join(repoRoot, 'configs', 'test', `tiny-${b}.yaml`)

interface Case {
  name: string
  dir: string
  backbone: 'mixste' | 'strided'
  /** The model's own config keys (case.json) plus `backbone:`. */
  config: string
}

interface CaseJson {
  checkpoint: string
  config: Record<string, number | number[] | boolean>
  cases: {input: string; output: string; output_full?: string}[]
}

const caseJson = (dir: string): CaseJson => readCaseJson<CaseJson>(dir)

/** A YAML config: `backbone:` and every key case.json gives, under the model's own names. */
function configFor(name: string, backbone: string, dir: string): string {
  const file = path.join(tmp, `${name}.yaml`)
  const lines = [`backbone: ${backbone}`, ...Object.entries(caseJson(dir).config).map(([k, v]) => `${k}: ${Array.isArray(v) ? `[${v.join(', ')}]` : String(v)}`)]
  writeFileSync(file, `${lines.join('\n')}\n`)
  return file
}

const CASES: Case[] = [
  {name: 'mixste-tiny', dir: path.join(fixturesDir, 'mixste-tiny'), backbone: 'mixste', config: tinyConfig('mixste')},
  {name: 'strided-tiny', dir: path.join(fixturesDir, 'strided-tiny'), backbone: 'strided', config: tinyConfig('strided')},
  {name: 'mixste-wide', dir: path.join(wideDir, 'mixste-wide'), backbone: 'mixste', config: configFor('mixste-wide', 'mixste', path.join(wideDir, 'mixste-wide'))},
  {name: 'strided-wide', dir: path.join(wideDir, 'strided-wide'), backbone: 'strided', config: configFor('strided-wide', 'strided', path.join(wideDir, 'strided-wide'))},
]
const checkpointOf = (c: Case): string => path.join(c.dir, caseJson(c.dir).checkpoint)

/** The fixture's reference outputs by our output names. */
async function references(c: Case): Promise<{input: NDArray; outputs: Record<string, NDArray>}> {
  const spec = caseJson(c.dir).cases[0]!
  const outputs: Record<string, NDArray> = {pose3d: await readNpyFloat32(path.join(c.dir, spec.output))}
  if (spec.output_full) outputs.pose3d_full = await readNpyFloat32(path.join(c.dir, spec.output_full))
  return {input: await readNpyFloat32(path.join(c.dir, spec.input)), outputs}
}

async function checkOutputs(file: string, c: Case): Promise<void> {
  const got = await readNpzFloat32(file)
  const {outputs} = await references(c)
  for (const [name, ref] of Object.entries(outputs)) {
    const ours = got.get(name)
    assert.ok(ours, `${c.name}: no ${name} in ${[...got.keys()].join(', ')}`)
    const err = relativeError(ours, ref)
    assert.ok(err <= 1e-4, `${c.name} ${name}: relative error ${err}`)
  }
}

describe('motion forward reproduces the official MixSTE and Strided Transformer fixtures', () => {
  for (const c of CASES) {
    for (const engine of ['tfjs', 'onnx'] as const) {
      test(`${c.name} on ${engine}`, async () => {
        const out = path.join(tmp, `fwd-${c.name}-${engine}.npz`)
        const input = path.join(c.dir, caseJson(c.dir).cases[0]!.input)
        const r = await runCli(['forward', '--checkpoint', checkpointOf(c), '--config', c.config, '--input', input, '--out', out, '--engine', engine, '--json'])
        assert.equal(r.code, 0, r.stderr)
        const result = JSON.parse(r.stdout) as {outputs: Record<string, number[]>; model: {backbone: string; head: string}; engine: {name: string}}
        assert.equal(result.model.backbone, c.backbone)
        assert.equal(result.model.head, 'none')
        assert.equal(result.engine.name, engine)
        const [N, T, J] = (await references(c)).input.shape as [number, number, number]
        assert.deepEqual(result.outputs.pose3d, c.backbone === 'mixste' ? [N, T, J, 3] : [N, 1, J, 3])
        if (c.backbone === 'strided') assert.deepEqual(result.outputs.pose3d_full, [N, T, J, 3])
        await checkOutputs(out, c)
      })
    }
  }

  test('a Strided checkpoint whose frames have no official stride_num asks for it in one line (exit 2)', async () => {
    const c = CASES[3]!
    const r = await runCli(['forward', '--checkpoint', checkpointOf(c), '--input', path.join(c.dir, 'input_0.npy'), '--out', path.join(tmp, 'never.npz')])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /needs stride_num for frames=81/)
    assert.equal(r.stderr.trim().split('\n').filter((l) => !l.startsWith('Hint')).length, 1)
  })
})

describe('motion import and export for both backbones', () => {
  for (const c of CASES.slice(0, 2)) {
    test(`${c.name}: import writes a native folder that forward runs without a config`, async () => {
      const dir = path.join(tmp, `native-${c.name}`)
      const r = await runCli(['import', checkpointOf(c), '--config', c.config, '--out', dir, '--json'])
      assert.equal(r.code, 0, r.stderr)
      const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as {backbone: string; head: string; task: string; backboneConfig: Record<string, unknown>}
      assert.equal(config.backbone, c.backbone)
      assert.equal(config.head, 'none')
      assert.equal(config.task, 'pose3d')
      const out = path.join(tmp, `native-${c.name}.npz`)
      const f = await runCli(['forward', '--checkpoint', dir, '--input', path.join(c.dir, 'input_0.npy'), '--out', out, '--engine', 'onnx'])
      assert.equal(f.code, 0, f.stderr)
      await checkOutputs(out, c)
    })

    test(`${c.name}: export writes ONNX with a dynamic batch and fixed frames that onnxruntime runs`, async () => {
      const file = path.join(tmp, `${c.name}.onnx`)
      const r = await runCli(['export', '--checkpoint', checkpointOf(c), '--config', c.config, '--out', file, '--json'])
      assert.equal(r.code, 0, r.stderr)
      const result = JSON.parse(r.stdout) as {inputs: {name: string; shape: (number | string)[]}[]; outputs: {name: string; shape: (number | string)[]}[]}
      assert.deepEqual(result.inputs, [{name: 'x', shape: ['N', 27, 17, 2]}])
      assert.deepEqual(result.outputs.find((o) => o.name === 'pose3d')!.shape, c.backbone === 'mixste' ? ['N', 27, 17, 3] : ['N', 1, 17, 3])
      const bytes = new Uint8Array(readFileSync(file))
      const meta = readOnnxMetadata(bytes)
      assert.equal(meta['motion.task'], 'pose3d')
      assert.equal(meta['motion.backbone'], c.backbone)
      assert.match(meta['motion.input_normalisation']!, /normalize_screen_coordinates/)
      const {input, outputs} = await references(c)
      const runner = await createOnnxRunner(bytes, {threads: 1})
      try {
        const all = await runner.run({x: input})
        for (const [name, ref] of Object.entries(outputs)) assert.ok(relativeError(all[name]!, ref) <= 1e-4, `${name}: ${relativeError(all[name]!, ref)}`)
        // One clip: the batch axis is dynamic.
        const per = input.data.length / input.shape[0]!
        const one = await runner.run({x: {data: input.data.slice(per, 2 * per), shape: [1, ...input.shape.slice(1)]}})
        const refOne = outputs.pose3d!
        const perOut = refOne.data.length / refOne.shape[0]!
        assert.ok(relativeError(one.pose3d!, {data: refOne.data.slice(perOut), shape: [1, ...refOne.shape.slice(1)]}) <= 1e-4)
      } finally {
        await runner.dispose()
      }
    })
  }
})

// ---- predict ------------------------------------------------------------------------------------

const VIDEO: [number, number] = [1000, 1000]

/** A walking-like pixel track `[T, 17, 3]` (x, y, confidence 1). */
function syntheticTrack(T: number): NDArray {
  const data = new Float32Array(T * 17 * 3)
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < 17; j++) {
      const o = (t * 17 + j) * 3
      data[o] = 500 + 60 * Math.sin(0.9 * j) + 25 * Math.sin(0.3 * t + j)
      data[o + 1] = 300 + 25 * j + 10 * Math.cos(0.2 * t * (1 + (j % 3)))
      data[o + 2] = 1
    }
  }
  return {data, shape: [T, 17, 3]}
}

/** normalize_screen_coordinates, written out: [T, 17, 2]. */
function screen(track: NDArray): Float32Array {
  const [w, h] = VIDEO
  const T = track.shape[0]!
  const out = new Float32Array(T * 17 * 2)
  for (let i = 0; i < T * 17; i++) {
    out[2 * i] = (track.data[3 * i]! / w) * 2 - 1
    out[2 * i + 1] = (track.data[3 * i + 1]! / w) * 2 - h / w
  }
  return out
}

/** Windows (rows `frames[k]` of a [T, 17, 2] sequence each) as one batch [W, F, 17, 2]; and its flip. */
function windowBatch(seq: Float32Array, windows: number[][]): {plain: NDArray; flipped: NDArray} {
  const W = windows.length
  const F = windows[0]!.length
  const plain = new Float32Array(W * F * 34)
  const flipped = new Float32Array(W * F * 34)
  windows.forEach((frames, w) => {
    frames.forEach((f, k) => {
      const o = (w * F + k) * 34
      for (let j = 0; j < 17; j++) {
        plain[o + j * 2] = seq[f * 34 + j * 2]!
        plain[o + j * 2 + 1] = seq[f * 34 + j * 2 + 1]!
        const s = H36M_FLIP_PERMUTATION[j]!
        flipped[o + j * 2] = -seq[f * 34 + s * 2]!
        flipped[o + j * 2 + 1] = seq[f * 34 + s * 2 + 1]!
      }
    })
  })
  return {plain: {data: plain, shape: [W, F, 17, 2]}, flipped: {data: flipped, shape: [W, F, 17, 2]}}
}

/** Output frame `k` of window `w` of pose3d `[W, t, 17, 3]`, plain and flipped averaged, root 0, in mm. */
function averaged(plain: NDArray, flipped: NDArray, w: number, k: number): Float32Array {
  const out = new Float32Array(51)
  const o = (w * plain.shape[1]! + k) * 51
  for (let j = 0; j < 17; j++) {
    const s = H36M_FLIP_PERMUTATION[j]!
    for (let c = 0; c < 3; c++) {
      const a = plain.data[o + j * 3 + c]!
      const b = (c === 0 ? -1 : 1) * flipped.data[o + s * 3 + c]!
      out[j * 3 + c] = j === 0 ? 0 : ((a + b) / 2) * 1000
    }
  }
  return out
}

/**
 * The official evaluation, window by window: MixSTE's eval_data_prepare clips (the last one the
 * final num_frame frames, a short sequence edge-padded), the Strided demo's per-frame windows.
 * The windows are built one by one and run through the model as one batch.
 */
async function officialPrediction(model: Model, track: NDArray): Promise<NDArray> {
  const seq = screen(track)
  const T = track.shape[0]!
  const F = 27
  const windows: number[][] = []
  /** Output frame t comes from frame k of window w. */
  const picks: {w: number; k: number; t: number}[] = []
  if (model.backbone.name === 'mixste') {
    const count = Math.ceil(T / F)
    for (let i = 0; i < count; i++) {
      const start = i < count - 1 ? i * F : Math.max(0, T - F)
      windows.push(Array.from({length: F}, (_, k) => Math.min(T - 1, start + k)))
      for (let k = 0; k < F; k++) {
        const t = start + k
        if (t < T && t >= i * F) picks.push({w: i, k, t})
      }
    }
  } else {
    const pad = (F - 1) / 2
    for (let t = 0; t < T; t++) {
      windows.push(Array.from({length: F}, (_, k) => Math.min(T - 1, Math.max(0, t - pad + k))))
      picks.push({w: t, k: 0, t})
    }
  }
  const batch = windowBatch(seq, windows)
  const plain = (await forwardModel(model, batch.plain)).pose3d!
  const flipped = (await forwardModel(model, batch.flipped)).pose3d!
  const out = new Float32Array(T * 51)
  for (const {w, k, t} of picks) out.set(averaged(plain, flipped, w, k), t * 51)
  return {data: out, shape: [T, 17, 3]}
}

describe('motion predict runs MixSTE and the Strided Transformer as their official evaluations do', () => {
  const models: Record<string, Model> = {}
  /** The per-window reference of a backbone and track length, shared by its onnx and tfjs runs. */
  const references3d = new Map<string, Promise<NDArray>>()
  before(async () => {
    for (const c of CASES.slice(0, 2)) models[c.backbone] = (await loadModel(checkpointOf(c), {config: {num_heads: c.backbone === 'mixste' ? 4 : undefined}})).model
  })

  const runs: {c: Case; T: number; engine: 'onnx' | 'tfjs'}[] = [
    {c: CASES[0]!, T: 60, engine: 'onnx'},
    {c: CASES[0]!, T: 60, engine: 'tfjs'},
    {c: CASES[0]!, T: 10, engine: 'onnx'},
    {c: CASES[1]!, T: 40, engine: 'onnx'},
    {c: CASES[1]!, T: 40, engine: 'tfjs'},
  ]
  for (const {c, T, engine} of runs) {
    test(`${c.backbone}, ${T} frames, ${engine}: one finite frame per input frame, equal to the per-window reference`, async () => {
      const track = syntheticTrack(T)
      const input = path.join(tmp, `track-${T}.npy`)
      await writeNpy(input, track)
      const out = path.join(tmp, `pred-${c.backbone}-${T}-${engine}.npy`)
      const r = await runCli(['predict', input, '--format', 'npy', '--checkpoint', checkpointOf(c), '--config', c.config, '--video-size', `${VIDEO[0]}x${VIDEO[1]}`, '--out', out, '--engine', engine, '--json'])
      assert.equal(r.code, 0, r.stderr)
      const result = JSON.parse(r.stdout) as {units: string; rootRelative: boolean; people: {frames: number}[]; model: {backbone: string}}
      assert.equal(result.model.backbone, c.backbone)
      assert.equal(result.units, 'mm')
      assert.equal(result.rootRelative, true)
      assert.equal(result.people[0]!.frames, T)
      const x3d = await readNpyFloat32(out)
      assert.deepEqual(x3d.shape, [T, 17, 3])
      assert.ok(x3d.data.every(Number.isFinite))
      const key = `${c.backbone}-${T}`
      if (!references3d.has(key)) references3d.set(key, officialPrediction(models[c.backbone]!, track))
      const ref = await references3d.get(key)!
      const err = relativeError(x3d, ref)
      assert.ok(err <= 1e-4, `relative error ${err} against the per-window reference`)
    })
  }

  test('without a video size, with --pixel or another --clip-len: one-line input errors (exit 2) and no output', async () => {
    const input = path.join(tmp, 'track-12.npy')
    await writeNpy(input, syntheticTrack(12))
    const out = path.join(tmp, 'never.npy')
    const base = ['predict', input, '--format', 'npy', '--checkpoint', checkpointOf(CASES[1]!), '--out', out]
    const cases: [string[], RegExp][] = [
      [[], /normalises keypoints by the video size.*--video-size/s],
      [['--pixel', '--video-size', '1000x1000'], /--pixel is MotionBERT's pixel mode/],
      [['--video-size', '1000x1000', '--clip-len', '9'], /takes windows of exactly 27 frames/],
    ]
    for (const [extra, message] of cases) {
      const r = await runCli([...base, ...extra])
      assert.equal(r.code, 2, r.stderr)
      assert.match(r.stderr, message)
      assert.throws(() => readFileSync(out))
    }
  })
})

// ---- training -----------------------------------------------------------------------------------

describe('motion finetune trains MixSTE and the Strided Transformer with their own losses', () => {
  let data: string
  before(() => {
    mkdirSync(path.join(tmp, 'data'))
    data = makeSmallData(path.join(tmp, 'data'))
  })

  const trainConfig = (c: Case): string => {
    const file = path.join(tmp, `train-${c.backbone}.yaml`)
    writeFileSync(file, `${readFileSync(c.config, 'utf8')}\nclip_len: 27\ndata_stride: 9\nbatch_size: 4\nlearning_rate: 0.002\nlr_decay: 0.99\nweight_decay: 0.01\n`)
    return file
  }

  const runs: {c: Case; engine: 'onnx' | 'tfjs'; epochs: number; extra: string[]}[] = [
    {c: CASES[0]!, engine: 'onnx', epochs: 3, extra: []},
    {c: CASES[1]!, engine: 'onnx', epochs: 3, extra: []},
    {c: CASES[0]!, engine: 'tfjs', epochs: 2, extra: []},
    // tfjs-wasm, which has no gradient kernels of tf.conv1d / tf.gather: the executor needs none.
    {c: CASES[1]!, engine: 'tfjs', epochs: 2, extra: ['--backend', 'wasm']},
  ]
  for (const {c, engine, epochs, extra} of runs) {
    test(`${c.backbone} on ${engine}: the epoch loss falls, the parts are its own, the run's model loads`, async () => {
      const out = path.join(tmp, `run-${c.backbone}-${engine}`)
      const r = await runCli([
        'finetune', '--task', 'pose3d', '--from', checkpointOf(c), '--config', trainConfig(c), '--data', data, '--out', out,
        '--epochs', String(epochs), '--engine', engine, ...extra, '--eval-limit', '2', '--fps', '30', '--threads', '1', '--seed', '3', '--json',
      ])
      assert.equal(r.code, 0, r.stderr)
      const events = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
      const step = events.find((e) => e.type === 'step') as {parts: Record<string, number>}
      assert.deepEqual(Object.keys(step.parts).sort(), c.backbone === 'mixste' ? ['mpjve', 'tcl', 'w_mpjpe'] : ['mpjpe_full', 'mpjpe_single'])
      const done = events[events.length - 1] as {epochLosses: number[]; engine: string; lastEval: Record<string, number>}
      assert.equal(done.engine, engine)
      assert.equal(done.epochLosses.length, epochs)
      assert.ok(done.epochLosses.every(Number.isFinite))
      assert.ok(done.epochLosses[epochs - 1]! < done.epochLosses[0]!, `epoch losses ${done.epochLosses.join(', ')}`)
      assert.ok(Number.isFinite(done.lastEval.mpjpe))
      // The trained model is still the same backbone with its own output layers, and motion eval takes it.
      if (engine === 'onnx') {
        const ev = await runCli(['eval', '--run', out, '--data', data, '--limit', '2', '--fps', '30', '--json'])
        assert.equal(ev.code, 0, ev.stderr)
        assert.ok(Number.isFinite((JSON.parse(ev.stdout) as {metrics: {mpjpe: number}}).metrics.mpjpe))
      }
      const {model, outputUnits} = await loadModel(path.join(out, 'latest'))
      assert.equal(model.backbone.name, c.backbone)
      assert.equal(model.head.name, 'none')
      // Trained on MotionBERT-normalised targets: it predicts normalised units, not the official metres.
      assert.equal(outputUnits, 'normalized')
      if (engine === 'onnx') {
        const track = syntheticTrack(30)
        const input = path.join(tmp, `track-run-${c.backbone}.npy`)
        await writeNpy(input, track)
        const pred = path.join(tmp, `pred-run-${c.backbone}.npy`)
        const args = ['predict', input, '--format', 'npy', '--checkpoint', path.join(out, 'latest'), '--video-size', `${VIDEO[0]}x${VIDEO[1]}`, '--out', pred]
        const text = await runCli(args)
        assert.equal(text.code, 0, text.stderr)
        assert.match(text.stdout + text.stderr, /units normalised image units, as the \w+ model was trained here/)
        const json = await runCli([...args, '--json'])
        assert.equal(json.code, 0, json.stderr)
        const result = JSON.parse(json.stdout) as {units: string; model: {outputUnits: string}}
        assert.equal(result.units, 'normalized')
        assert.equal(result.model.outputUnits, 'normalized')
        // The written values are the model's own (the per-window reference is in mm: x 1000).
        const ref = await officialPrediction(model, track)
        const x3d = await readNpyFloat32(pred)
        const err = relativeError(x3d, {data: ref.data.map((v) => v / 1000), shape: ref.shape})
        assert.ok(err <= 1e-4, `relative error ${err} against the per-window reference in model units`)
      }
    })
  }
})
