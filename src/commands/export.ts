import path from 'node:path'
import {Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {getTask} from '../heads/tasks.js'

export default class Export extends BaseCommand {
  static override description =
    'Write a model as a standalone file for other runtimes: ONNX (opset 17) with dynamic batch and frames, weights inside, and metadata (config, joint order, input normalisation, task).'

  static override examples = [
    '<%= config.bin %> export --checkpoint best_epoch.bin --format onnx --out lite.onnx',
    '<%= config.bin %> export --checkpoint FT_MB_lite_MB_ft_h36m_global_lite/best_epoch.bin --config configs/pose3d/MB_ft_h36m_global_lite.yaml --out lite.onnx --json',
  ]

  static override flags = {
    checkpoint: Flags.string({description: 'Model to export: an official checkpoint (MotionBERT .bin, MixSTE .bin, Strided Transformer .pth), a native model folder or a .safetensors file.', required: true}),
    config: Flags.string({description: 'Config file (MotionBERT YAML keys); model sizes not given are read from the checkpoint.'}),
    format: Flags.string({description: 'Output format.', options: ['onnx'], default: 'onnx'}),
    out: Flags.string({description: 'Output file (written atomically).', required: true}),
    opset: Flags.integer({description: 'ONNX opset (17 or newer).', min: 17, max: 21, default: 17}),
  }

  async run(): Promise<Record<string, unknown>> {
    const {flags} = await this.parse(Export)
    // Heavy modules load only when the command runs.
    const [{loadMotionConfig}, {explicitModelConfig, loadModel}, {exportOnnx}, {exampleInputShape, fixedFrames}] = await Promise.all([
      import('../model/config-keys.js'),
      import('../model/load.js'),
      import('../model/export-onnx.js'),
      import('../model/example-shape.js'),
    ])
    const loaded = await loadMotionConfig({configFile: flags.config, search: flags.config === undefined})
    // Only the keys the config sets: the checkpoint's shapes (and its backbone) decide the rest.
    const {model, task, outputUnits} = await loadModel(flags.checkpoint, {config: explicitModelConfig(loaded)})
    const {shape, maxFrames} = exampleInputShape(model)
    const frames = fixedFrames(model) ? `N is dynamic; T is fixed at ${maxFrames} (the model takes exactly that many frames)` : `N and T are dynamic (T up to ${maxFrames})`
    const out = path.resolve(flags.out)
    // Classifiers carry their class names (classes.json beside the model, else `class k`).
    const classes = getTask(task).output === 'classes' ? await (await import('../tasks/action/predict.js')).actionClassNames(flags.checkpoint, Number(model.config.headConfig.action_classes)) : undefined
    const result = await exportOnnx(model, out, {exampleShape: shape, maxFrames, opset: flags.opset, outputUnits, classes})
    const io = (vs: {name: string; shape: (number | string)[]}[]): string => vs.map((v) => `${v.name} [${v.shape.join(', ')}]`).join(', ')
    this.info(`wrote ${out} (${(result.bytes / 1e6).toFixed(1)} MB, ONNX opset ${result.opset}, ${model.backbone.name} + ${model.head.name})`)
    this.info(`  inputs: ${io(result.inputs)}; ${frames}`)
    this.info(`  outputs: ${io(result.outputs)}`)
    if (classes) this.info(`  classes (metadata motion.classes): ${classes.join(', ')}`)
    return {file: out, format: flags.format, bytes: result.bytes, opset: result.opset, inputs: result.inputs, outputs: result.outputs, metadata: result.metadata}
  }
}
