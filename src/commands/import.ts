import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {count} from '../core/text.js'

export default class Import extends BaseCommand {
  static override description =
    'Convert a model file to the native format: a folder with model.safetensors and config.json (backbone, head, resolved config, joint order, task, provenance), written atomically. Reads official MotionBERT checkpoints (.bin/.pth/.pt; pose weights under model_pos, action/mesh under model) without running any pickled code.'

  static override examples = [
    '<%= config.bin %> import checkpoint/pose3d/FT_MB_lite_MB_ft_h36m_global_lite/best_epoch.bin --out models/lite',
    '<%= config.bin %> import best_epoch.bin --config configs/action/MB_ft_NTU60_xsub.yaml --out models/ntu60',
    '<%= config.bin %> import best_epoch.bin --out models/mine --json',
  ]

  static override args = {
    checkpoint: Args.string({description: 'Model file: official checkpoint (.bin/.pth/.pt), .safetensors, or a native model folder.', required: true}),
  }

  static override flags = {
    out: Flags.string({description: 'Folder to write (model.safetensors + config.json). Must be new, empty, or an earlier native model.', required: true}),
    config: Flags.string({description: 'Config file (MotionBERT YAML keys); sizes it leaves out are read from the weights. num_heads cannot be read from weights (default 8).'}),
  }

  async run(): Promise<Record<string, unknown>> {
    const {args, flags} = await this.parse(Import)
    const [{loadMotionConfig}, {explicitModelConfig, importModel}] = await Promise.all([import('../model/config-keys.js'), import('../model/load.js')])
    const loaded = await loadMotionConfig({configFile: flags.config})
    for (const w of loaded.warnings) this.note(`warning: ${w}`)
    const given = explicitModelConfig(loaded)
    const result = await importModel(args.checkpoint, flags.out, {config: given, configFiles: loaded.files, createdBy: `motion ${this.config.version} import`})
    const {source} = result.loaded
    const {config} = result
    const under = source.foundUnder ? `under '${source.foundUnder}'` : 'at the top level'
    this.info(`read ${source.path} (${source.fileFormat}${source.kind === 'official' ? `, state dict ${under}, ${source.layout} layout` : ''})`)
    this.info(`  task ${config.task}: backbone ${config.backbone} + head ${config.head}, ${result.loaded.model.weights.size} tensors`)
    this.info(`  backbone config: ${describeEntry(config.backboneConfig, given)}`)
    this.info(`  head config: ${describeEntry(config.headConfig, given) || '(none)'}`)
    if (config.outputUnits) this.info(`  pose3d output units: ${config.outputUnits}`)
    if (source.ignoredKeys.length) this.info(`  ignored ${count(source.ignoredKeys.length, 'unused key')}: ${source.ignoredKeys.slice(0, 4).join(', ')}${source.ignoredKeys.length > 4 ? ', …' : ''}`)
    this.info('  (* = from the config; the rest read from the weights or defaults)')
    this.info(`wrote ${result.out}`)
    return {
      out: result.out,
      source: {path: source.path, kind: source.kind, format: source.fileFormat, foundUnder: source.foundUnder, layout: source.layout ?? null, ignoredKeys: source.ignoredKeys},
      task: config.task,
      backbone: config.backbone,
      head: config.head,
      backboneConfig: config.backboneConfig,
      headConfig: config.headConfig,
      ...(config.outputUnits ? {outputUnits: config.outputUnits} : {}),
      givenKeys: Object.keys(given),
      tensors: result.loaded.model.weights.size,
      provenance: config.provenance,
    }
  }
}

function describeEntry(config: Record<string, unknown>, given: Record<string, unknown>): string {
  return Object.entries(config)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? `[${v.join(',')}]` : String(v)}${k in given ? '*' : ''}`)
    .join(' ')
}
