import {Flags, type Interfaces} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {BACKEND_FLAG_OPTIONS, ENGINE_FLAG_OPTIONS} from '../cli/model-flags.js'
import {getTask, TASKS, type Task} from '../heads/tasks.js'
import {count} from '../core/text.js'

export default class Eval extends BaseCommand {
  static override description =
    'Evaluate a model on a clip folder with the MotionBERT protocol (pose3d: MPJPE, P-MPJPE, N-MPJPE in mm, root-relative, per action; action: top-1/top-5 %), or score a prediction array against ground truth (--pred/--gt, in the arrays\' units). --fail-above / --fail-below make it a CI gate: exit code 5 when a threshold is crossed.'

  static override examples = [
    '<%= config.bin %> eval --task pose3d --run runs/ft1 --data ../shared/data/cmu-mocap-h36m17 --fail-above mpjpe=60',
    '<%= config.bin %> eval --checkpoint models/lite --data clips/ --split test --noise --camera-seed 7 --json',
    '<%= config.bin %> eval --checkpoint models/pose3d --data ../shared/data/cmu-mocap-h36m17 --fps 30 --normalisation crop',
    '<%= config.bin %> eval --task action --run runs/act --data clips/ --fail-below top1=85',
    '<%= config.bin %> eval --task mesh --run runs/mesh1 --data mesh-clips/ --fail-above mpve=120',
    '<%= config.bin %> eval --pred pred.npy --gt gt.npy --json',
  ]

  static override flags = {
    task: Flags.string({description: 'pose3d, action or mesh (default: what the model is). mesh: --data is a mesh folder (motion data synth-mesh); MPVE, MPJPE, PA-MPJPE in mm.', options: [...TASKS]}),
    checkpoint: Flags.string({description: 'Model: official checkpoint, native model folder or .safetensors (default: the bundled model for --task, models/pose3d or models/action).', exclusive: ['run', 'pred']}),
    run: Flags.string({description: 'Training run folder: evaluates its best checkpoint (else latest), with its class names and flip setting.', exclusive: ['checkpoint', 'pred']}),
    data: Flags.string({description: 'Folder of 3D clips (index.json or action folders).'}),
    split: Flags.string({description: 'Split to evaluate.', default: 'test'}),
    config: Flags.string({description: 'Config file (clip_len, flip, no_conf, model keys).'}),
    'camera-seed': Flags.integer({description: 'Seed of the virtual evaluation cameras (fixed, so runs compare; differs from any training seed\'s cameras).', default: 1_000_003}),
    camera: Flags.string({description: 'Pose: orbit (a virtual camera aimed at each window, the H36M-style protocol) or static (each clip filmed whole by one static camera 3-15 m away, the person moving through the frame, and lifted as motion predict lifts a track; adds bone-length steadiness and seam jumps).', options: ['orbit', 'static'], default: 'orbit'}),
    normalisation: Flags.string({description: 'Pose: normalise each window by the virtual image (image, the H36M protocol) or by its own bounding square (crop, as motion predict normalises a track). Action windows are always crop-scaled.', options: ['image', 'crop'], default: 'image'}),
    noise: Flags.boolean({description: 'Evaluate on noisy 2D (the official synthetic detector noise) instead of exact projected 2D.', default: false}),
    limit: Flags.integer({description: 'Evaluate at most this many windows (spread over the split).', min: 1}),
    'batch-size': Flags.integer({description: 'Windows per forward pass.', default: 16, min: 1}),
    fps: Flags.integer({description: 'Resample clips to this frame rate first.', min: 1}),
    persons: Flags.integer({description: 'Action: people per sample (default: the run\'s, else 1).', min: 1}),
    pred: Flags.string({description: 'Array mode: predicted poses .npy [..., J, 3].', dependsOn: ['gt']}),
    gt: Flags.string({description: 'Array mode: ground-truth poses .npy, same shape and units.', dependsOn: ['pred']}),
    'fail-above': Flags.string({description: 'Fail (exit 5) when a metric is above a value: mpjpe=60, p_mpjpe=45, n_mpjpe=55, mpjve=10; mesh: mpve=90, mpjpe=80, pa_mpjpe=50.', multiple: true}),
    'fail-below': Flags.string({description: 'Fail (exit 5) when a metric is below a value: top1=85, top5=95, clip_top1=90 (--camera static).', multiple: true}),
    engine: Flags.string({description: 'Inference engine (auto: onnx when onnxruntime-node loads, else tfjs).', options: [...ENGINE_FLAG_OPTIONS], default: 'auto'}),
    backend: Flags.string({description: 'tfjs backend.', options: [...BACKEND_FLAG_OPTIONS], default: 'auto'}),
    threads: Flags.integer({description: 'CPU threads for the onnx engine.', min: 1}),
  }

  protected override logJson(json: unknown): void {
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`)
  }

  async run(): Promise<Record<string, unknown>> {
    const {flags} = await this.parse(Eval)
    const [{inputError, ExitCode}, thresholds] = await Promise.all([import('../core/errors.js'), import('../train/thresholds.js')])
    let result: Record<string, unknown>
    let metrics: Record<string, number | null>
    if (flags.pred || flags.gt) {
      if (!flags.pred || !flags.gt) throw inputError('array mode needs both --pred and --gt')
      const known = ['mpjpe', 'p_mpjpe', 'n_mpjpe', 'mpjve']
      const limits = [...thresholds.parseThresholds(flags['fail-above'], 'above', known), ...thresholds.parseThresholds(flags['fail-below'], 'below', known)]
      const {evaluateArrays} = await import('../eval/arrays.js')
      const m = await evaluateArrays(flags.pred, flags.gt)
      metrics = {mpjpe: m.mpjpe, p_mpjpe: m.p_mpjpe, n_mpjpe: m.n_mpjpe, mpjve: m.mpjve}
      this.info(`${m.frames} frames of shape [${m.shape.join(', ')}], in the input units:`)
      this.info(`  MPJPE ${m.mpjpe.toFixed(4)}  P-MPJPE ${m.p_mpjpe.toFixed(4)}  N-MPJPE ${m.n_mpjpe.toFixed(4)}  MPJVE ${m.mpjve === null ? '– (no time axis)' : m.mpjve.toFixed(4)}`)
      result = {...metrics, frames: m.frames, shape: m.shape, units: 'same as the input arrays'}
      return this.finish(result, thresholds.checkThresholds(metrics, limits), thresholds.describeFailure, ExitCode.threshold)
    }
    if (!flags.data) throw inputError('--data is required (a folder of 3D clips), or use --pred/--gt for arrays')
    // Without --checkpoint or --run: the bundled model for the task, as predict does.
    const {chooseEvalModel} = await import('../cli/eval-model.js')
    const task = flags.task as Task | undefined
    const chosen = await chooseEvalModel({task, checkpoint: flags.checkpoint, run: flags.run})
    // Mesh models are scored on mesh folders (eval/mesh.ts).
    if (task !== undefined && getTask(task).output === 'meshes') return this.evalMesh(flags)
    const known = ['mpjpe', 'p_mpjpe', 'n_mpjpe', 'n_mpjpe_rigid', 'bone_cv', 'jump_ratio', 'top1', 'top5', 'clip_top1']
    const limits = [...thresholds.parseThresholds(flags['fail-above'], 'above', known), ...thresholds.parseThresholds(flags['fail-below'], 'below', known)]
    const [{loadMotionConfig}, {explicitModelConfig}, {parseBackendChoice, parseEngineChoice}, evalRun, {evalResultLines, evalSettingsNote}] = await Promise.all([
      import('../model/config-keys.js'),
      import('../model/load.js'),
      import('../model/engine.js'),
      import('../eval/run.js'),
      import('../cli/eval-report.js'),
    ])
    const loaded = await loadMotionConfig({configFile: flags.config})
    for (const w of loaded.warnings) this.note(`warning: ${w}`)
    const r = await evalRun.evaluateModel({
      task,
      checkpoint: chosen.checkpoint,
      classes: chosen.classes,
      run: chosen.run,
      data: flags.data,
      split: flags.split,
      cameraSeed: flags['camera-seed'],
      noise: flags.noise,
      normalisation: flags.normalisation as 'image' | 'crop',
      camera: flags.camera as 'orbit' | 'static',
      modelConfig: explicitModelConfig(loaded),
      config: loaded.config,
      clipLenGiven: loaded.sources.clip_len !== undefined && loaded.sources.clip_len !== 'default',
      batchSize: flags['batch-size'],
      limit: flags.limit,
      fps: flags.fps,
      persons: flags.persons,
      engine: parseEngineChoice(flags.engine),
      backend: parseBackendChoice(flags.backend),
      threads: flags.threads,
    })
    this.note(evalSettingsNote(r))
    for (const line of evalResultLines(r)) this.info(line)
    result = {...r}
    return this.finish(result, thresholds.checkThresholds(r.metrics, limits), thresholds.describeFailure, ExitCode.threshold)
  }

  /** --task mesh: MPVE, MPJPE, PA-MPJPE (mm) on a mesh data folder. */
  private async evalMesh(flags: Interfaces.InferredFlags<typeof Eval.flags>): Promise<Record<string, unknown>> {
    const [{ExitCode}, thresholds, {loadMotionConfig}, {explicitModelConfig}, {parseBackendChoice, parseEngineChoice}, {evaluateMeshModel}] = await Promise.all([
      import('../core/errors.js'),
      import('../train/thresholds.js'),
      import('../model/config-keys.js'),
      import('../model/load.js'),
      import('../model/engine.js'),
      import('../eval/mesh.js'),
    ])
    const known = ['mpve', 'mpjpe', 'pa_mpjpe']
    const limits = [...thresholds.parseThresholds(flags['fail-above'], 'above', known), ...thresholds.parseThresholds(flags['fail-below'], 'below', known)]
    const loaded = await loadMotionConfig({configFile: flags.config})
    for (const w of loaded.warnings) this.note(`warning: ${w}`)
    const given = (key: string): boolean => loaded.sources[key] !== undefined && loaded.sources[key] !== 'default'
    const r = await evaluateMeshModel({
      checkpoint: flags.checkpoint,
      run: flags.run,
      data: flags.data!,
      split: flags.split,
      modelConfig: explicitModelConfig(loaded),
      config: loaded.config,
      clipLenGiven: given('clip_len'),
      flipGiven: given('flip'),
      batchSize: flags['batch-size'],
      limit: flags.limit,
      engine: parseEngineChoice(flags.engine),
      backend: parseBackendChoice(flags.backend),
      threads: flags.threads,
    })
    this.note(`model ${r.model}; engine ${r.engine}; ${r.split} split of ${r.data}; ${count(r.mesh.windows, 'window')} of ${r.clipLen} frames; flip ${r.flip ? 'on' : 'off'}`)
    this.info(`mesh errors in mm over ${r.mesh.frames} frames (each mesh relative to its pelvis; joints root-relative, 14-joint protocol):`)
    this.info(`  MPVE ${r.mesh.mpve.toFixed(1)}  MPJPE ${r.mesh.mpjpe.toFixed(1)}  PA-MPJPE ${r.mesh.pa_mpjpe.toFixed(1)}  (17 joints: MPJPE ${r.mesh.mpjpe_17j.toFixed(1)}, PA-MPJPE ${r.mesh.pa_mpjpe_17j.toFixed(1)})`)
    const result: Record<string, unknown> = {...r, mpve: r.metrics.mpve, mpjpe: r.metrics.mpjpe, pa_mpjpe: r.metrics.pa_mpjpe, units: 'mm'}
    return this.finish(result, thresholds.checkThresholds(r.metrics, limits), thresholds.describeFailure, ExitCode.threshold)
  }

  /** Prints the verdict; a crossed threshold prints the result, then exits 5. */
  private finish<F>(result: Record<string, unknown>, failures: F[], describe: (f: F) => string, code: number): Record<string, unknown> {
    const out = {...result, thresholds: {passed: failures.length === 0, failures}}
    if (failures.length === 0) return out
    const message = `threshold crossed: ${failures.map(describe).join('; ')} (exit code ${code})`
    if (this.jsonEnabled()) this.logJson({...out, error: {message, exitCode: code}})
    else process.stderr.write(`Error: ${message}\n`)
    this.exit(code)
  }
}
