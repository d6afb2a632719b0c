import {Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {BACKEND_FLAG_OPTIONS} from '../cli/model-flags.js'
// Types only at top level: tfjs loads inside run(), so `motion --help` stays fast.
import type {BackendName} from '../nn/tfjs/backend.js'

export default class Info extends BaseCommand {
  static override description = 'Show versions, every compute engine (onnxruntime-node, tfjs and its backends) with whether it loads on this machine, and the bundled models with their licences.'
  static override examples = [
    '<%= config.bin %> info',
    '<%= config.bin %> info --json',
    '<%= config.bin %> info --backend wasm   # check that a given tfjs backend can be used',
  ]

  static override flags = {
    backend: Flags.string({
      description: 'tfjs backend to choose (auto: the first of node-gpu, node, wasm, cpu that loads)',
      options: [...BACKEND_FLAG_OPTIONS],
      default: 'auto',
    }),
  }

  async run(): Promise<Record<string, unknown>> {
    const {flags} = await this.parse(Info)
    const [{probeOnnx, probeTfjs}, {listBundledModels}] = await Promise.all([import('../cli/engines.js'), import('../cli/bundled-models.js')])
    const result = {motion: this.config.version, node: process.version, platform: `${process.platform}-${process.arch}`}
    this.info(`motion ${result.motion} on node ${result.node} (${result.platform})`)

    const onnx = await probeOnnx()
    const tfjs = await probeTfjs(flags.backend as BackendName | 'auto')
    this.info('engines (--engine auto: onnx when it loads, else tfjs):')
    for (const e of [onnx, tfjs.engine]) this.info(`  ${e.name.padEnd(5)} ${e.package}@${e.version ?? '(not installed)'}  ${e.loads ? 'loads' : 'does not load'}: ${e.detail}`)
    this.info(`tfjs backend: ${tfjs.backend}${flags.backend === 'auto' ? ' (first that loads, in the order below)' : ' (forced with --backend)'}`)
    for (const b of tfjs.backends) this.info(`  ${b.name.padEnd(9)} ${b.ok ? 'loads  ' : 'no     '} ${b.package}${b.version ? `@${b.version}` : ''}: ${b.reason}${b.chosen ? '  ← chosen' : ''}`)
    const models = await listBundledModels()
    this.info('bundled models:')
    for (const m of models) this.info(`  ${m.name.padEnd(7)} ${m.path}  licence: ${m.licence}`)
    return {...result, engines: [onnx, tfjs.engine], tfjs: {backend: tfjs.backend, backends: tfjs.backends}, models}
  }
}
