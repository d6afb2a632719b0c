import {Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {DEFAULT_BACKBONE} from '../backbones/registry.js'
import {BENCH_BACKBONES, BENCH_PRESETS} from '../bench/presets.js'
import {inputError} from '../core/errors.js'
import {count} from '../core/text.js'

export default class Bench extends BaseCommand {
  static override description = [
    'Time the model on this machine: frames per second and milliseconds per clip of the forward pass (warm-up excluded), with random weights at a preset size.',
    'Presets: tiny (dim 32, depth 2, heads 4, mlp 2, rep 64), lite (MotionBERT-Lite: dim 256, depth 5, heads 8, mlp 4, rep 512), full (MotionBERT: dim 512, depth 5, heads 8, mlp 2, rep 512); for MixSTE and the Strided Transformer, full is the published model and lite half its width.',
    'The figures are comparable with the official PyTorch code timed by bench_official.py (same presets, same loop); docs/benchmarks.md has the side-by-side runs.',
  ].join('\n')

  static override examples = [
    '<%= config.bin %> bench --preset lite --frames 243',
    '<%= config.bin %> bench --preset lite --threads 1 --json',
    '<%= config.bin %> bench --engine tfjs --preset tiny',
    // another registered backbone than the default one
    ...BENCH_BACKBONES.filter((b) => b !== DEFAULT_BACKBONE).slice(0, 1).map((b) => `<%= config.bin %> bench --backbone ${b} --preset full`),
    '<%= config.bin %> bench --train --preset tiny --frames 81 --batch 8 --json',
    '<%= config.bin %> bench --predict ../shared/data/alphapose-real/alphapose-results.json --runs 3',
    '<%= config.bin %> bench --predict ../shared/data/video-real/handshake.mp4 --predict-args "--detector lightning" --runs 3',
  ]

  static override flags = {
    preset: Flags.string({description: 'Model size.', options: [...BENCH_PRESETS], default: 'lite'}),
    backbone: Flags.string({description: 'Backbone to time.', options: [...BENCH_BACKBONES], default: DEFAULT_BACKBONE}),
    frames: Flags.integer({description: 'Frames per clip (the Strided Transformer: its window).', min: 1, default: 243}),
    batch: Flags.integer({description: 'Clips per forward pass.', min: 1, default: 1}),
    engine: Flags.string({description: 'Engine: onnx (onnxruntime-node) or tfjs.', options: ['onnx', 'tfjs'], default: 'onnx'}),
    backend: Flags.string({description: 'tfjs backend (with --engine tfjs).', options: ['auto', 'node-gpu', 'node', 'wasm', 'cpu'], default: 'auto'}),
    threads: Flags.integer({description: 'onnxruntime intra-op threads (default: physical cores).', min: 1}),
    seconds: Flags.string({description: 'Time the loop for at least this many seconds (and at least 2 runs); fractions allowed.', default: '10'}),
    train: Flags.boolean({description: 'Time a training step (forward, L1 loss, backward, AdamW) through the ONNX gradient graphs instead (any --backbone).', default: false}),
    predict: Flags.string({
      description: 'Instead: time `motion predict FILE` end to end (wall time, start-up included) as a user runs it. For a video, also each stage (decode, detect, track, model load, lift, write) and frames/s.',
      exclusive: ['train'],
    }),
    runs: Flags.integer({description: 'Runs of --predict (the median is reported).', min: 1, default: 3}),
    'predict-args': Flags.string({description: 'Extra arguments for the timed `motion predict` (e.g. "--checkpoint lite.bin --config lite.yaml").', dependsOn: ['predict']}),
  }

  async run(): Promise<Record<string, unknown>> {
    const {flags: raw} = await this.parse(Bench)
    const seconds = Number(raw.seconds)
    if (!Number.isFinite(seconds) || seconds <= 0) throw inputError(`--seconds must be a positive number, got "${raw.seconds}"`, {hint: 'e.g. --seconds 10 (fractions such as 0.5 are fine)'})
    const flags = {...raw, seconds}
    if (flags.predict !== undefined) return this.benchPredict(flags.predict, flags.runs, flags['predict-args'])
    if (flags.train) return this.benchTrain(flags)
    if (flags.engine === 'tfjs' && flags.threads !== undefined) {
      throw inputError('--threads sets onnxruntime threads; tfjs-wasm runs on one thread and tfjs-node on its own pool', {hint: 'drop --threads or use --engine onnx'})
    }
    const {benchForward} = await import('../bench/forward.js')
    this.note(`timing ${flags.backbone} ${flags.preset}, ${flags.batch} x ${flags.frames} frames on ${flags.engine} for ${flags.seconds} s ...`)
    const r = await benchForward({
      backbone: flags.backbone,
      preset: flags.preset as 'tiny' | 'lite' | 'full',
      frames: flags.frames,
      batch: flags.batch,
      engine: flags.engine as 'onnx' | 'tfjs',
      backend: flags.backend as 'auto',
      threads: flags.threads,
      seconds: flags.seconds,
    })
    const engine = r.engine === 'tfjs' ? `tfjs (${r.backend})` : 'onnx (onnxruntime)'
    this.info(`${r.backbone} ${r.preset}, ${r.batch} x ${r.frames} frames, ${engine}, ${count(r.threads, 'thread')}`)
    this.info(`  ${r.fps} frames/s, ${r.ms_per_clip} ms per clip (mean of ${r.runs} runs; median ${r.median_ms_per_step} ms per pass; warm-up ${r.warmup_ms} ms excluded)`)
    return {...r}
  }

  private async benchTrain(flags: {preset: string; backbone: string; frames: number; batch: number; engine: string; threads?: number; seconds: number}): Promise<Record<string, unknown>> {
    if (flags.engine !== 'onnx') throw inputError('--train times the onnx gradient-graph engine', {hint: 'drop --engine tfjs'})
    const {benchTrainStep} = await import('../bench/train-onnx.js')
    const {defaultOnnxThreads} = await import('../nn/onnx/session.js')
    const threads = flags.threads ?? defaultOnnxThreads()
    this.note(`timing training steps of ${flags.backbone} ${flags.preset}, ${flags.batch} x ${flags.frames} frames on onnx for ${flags.seconds} s ...`)
    const r = await benchTrainStep({backbone: flags.backbone, preset: flags.preset as 'tiny' | 'lite' | 'full', frames: flags.frames, batch: flags.batch, threads, seconds: flags.seconds})
    const result = {
      engine: 'onnx',
      backbone: r.backbone,
      preset: r.preset,
      frames: r.frames,
      batch: r.batch,
      threads,
      fps: r.fps,
      ms_per_clip: Math.round((r.msPerStep / r.batch) * 100) / 100,
      mode: 'train' as const,
      ms_per_step: r.msPerStep,
      runs: r.steps,
      warmup_ms: r.setupMs,
      backend: 'onnxruntime',
      graph_nodes: r.graphNodes,
      peak_rss_mb: r.peakRssMb,
    }
    this.info(`${result.backbone} ${result.preset} training step (L1 loss, AdamW), ${result.batch} x ${result.frames} frames, onnx, ${count(threads, 'thread')}`)
    this.info(`  ${result.fps} training frames/s, ${result.ms_per_step} ms per step (${result.runs} steps; setup ${result.warmup_ms} ms excluded; peak RSS ${result.peak_rss_mb} MB)`)
    return result
  }

  private async benchPredict(file: string, runs: number, extra: string | undefined): Promise<Record<string, unknown>> {
    const {timePredict} = await import('../bench/predict.js')
    const extraArgs = extra?.trim() ? extra.trim().split(/\s+/) : []
    this.note(`timing \`motion predict ${[file, ...extraArgs].join(' ')}\` ${count(runs, 'time')} ...`)
    const r = await timePredict({file, runs, bin: this.config.root, extraArgs})
    this.info(`motion predict ${file}: ${(r.wall_ms_median / 1000).toFixed(2)} s wall time (median of ${r.runs}; start-up included; runs: ${r.wall_ms.map((t) => (t / 1000).toFixed(2)).join(', ')} s)`)
    if (r.stages) {
      this.info(`  stages (median ms): ${Object.entries(r.stages).map(([k, v]) => `${k.replace(/_ms$/, '')} ${v}`).join(', ')}`)
      if (r.frames) this.info(`  ${r.frames} frames: ${r.fps_end_to_end} frames/s end to end (start-up included), ${Math.round((r.frames / (r.stages.total_ms! / 1000)) * 10) / 10} frames/s inside the run`)
    }
    return {...r}
  }
}
