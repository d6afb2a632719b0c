import path from 'node:path'
import {Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {CHECKPOINT_DESCRIPTION, CONFIG_DESCRIPTION, engineFlags} from '../cli/model-flags.js'

export default class Forward extends BaseCommand {
  static override description =
    'Run the network on a model-ready array and save its outputs: feature extraction and checks against other implementations. Pose models take [N, T, 17, C] and give pose3d and representation; action models take [N, M, T, 17, C] and give logits. A .npz --out gets every output by name, a .npy --out the first.'

  static override examples = [
    '<%= config.bin %> forward --checkpoint best_epoch.bin --input clips.npy --out features.npz',
    '<%= config.bin %> forward --checkpoint ntu60.bin --config configs/action/MB_ft_NTU60_xsub.yaml --input skeletons.npy --out logits.npy',
    '<%= config.bin %> forward --checkpoint models/lite --input clips.npy --out out.npz --engine tfjs --backend wasm --json',
  ]

  static override flags = {
    checkpoint: Flags.string({description: CHECKPOINT_DESCRIPTION, required: true, helpGroup: 'MODEL'}),
    config: Flags.string({description: CONFIG_DESCRIPTION, helpGroup: 'MODEL'}),
    input: Flags.string({description: 'Model-ready input array (.npy, or .npz with one array or an `x` entry), float32.', required: true}),
    out: Flags.string({description: 'Output file: .npz (every output by name) or .npy (the first output). Written atomically.', required: true}),
    ...engineFlags,
  }

  async run(): Promise<Record<string, unknown>> {
    const {flags} = await this.parse(Forward)
    const [{loadMotionConfig}, {explicitModelConfig, loadModel}, engineMod, {checkForwardOutput, forwardFile}] = await Promise.all([
      import('../model/config-keys.js'),
      import('../model/load.js'),
      import('../model/engine.js'),
      import('../model/forward-file.js'),
    ])
    const out = path.resolve(flags.out)
    await checkForwardOutput(out)
    const loaded = await loadMotionConfig({configFile: flags.config, overrides: {engine: flags.engine, backend: flags.backend}})
    for (const w of loaded.warnings) this.note(`warning: ${w}`)
    const model = await loadModel(flags.checkpoint, {config: explicitModelConfig(loaded)})
    const engine = await engineMod.createEngine(model.model, {
      engine: engineMod.parseEngineChoice(loaded.config.engine),
      backend: engineMod.parseBackendChoice(loaded.config.backend),
      threads: flags.threads,
      file: flags.input,
    })
    this.note(`model: ${model.model.backbone.name} + ${model.model.head.name} (${model.task}) from ${model.source.path}`)
    this.note(`engine: ${engine.summary}; ${engine.reason}`)
    try {
      const result = await forwardFile(model, engine, flags.input, out)
      const shapes = Object.entries(result.outputs).map(([n, s]) => `${n} [${s.join(', ')}]`).join(', ')
      this.info(`wrote ${out}: ${shapes} (input [${result.inputShape.join(', ')}])`)
      if (result.dropped.length) this.note(`note: a .npy holds one array; not written: ${result.dropped.join(', ')} (use .npz for all)`)
      return {
        out,
        input: path.resolve(flags.input),
        inputShape: result.inputShape,
        outputs: result.outputs,
        dropped: result.dropped,
        model: {path: model.source.path, kind: model.source.kind, task: model.task, backbone: model.model.backbone.name, head: model.model.head.name},
        engine: {name: engine.name, reason: engine.reason, backend: engine.backend ?? null, threads: engine.threads ?? null},
      }
    } finally {
      await engine.dispose()
    }
  }
}
