import {Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {BACKEND_FLAG_OPTIONS} from '../cli/model-flags.js'
// Types only at top level: tfjs loads inside run(), so `motion --help` stays fast.
import type {BackendAttempt, BackendName} from '../nn/tfjs/backend.js'

export default class Info extends BaseCommand {
  static override description = 'Show versions and which compute engines and tfjs backends can load on this machine.'
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
    const {probeBackends, selectBackend} = await import('../nn/tfjs/backend.js')
    const result = {motion: this.config.version, node: process.version, platform: `${process.platform}-${process.arch}`}
    this.info(`motion ${result.motion} on node ${result.node} (${result.platform})`)

    const probed = await probeBackends()
    const selection = await selectBackend({force: flags.backend as BackendName | 'auto'})
    const failedAtSelect = new Map(selection.attempts.filter((a) => !a.ok).map((a) => [a.name, a]))
    // A package can import yet fail to initialise; the selection's own attempt says so.
    const backends: Array<BackendAttempt & {chosen: boolean}> = probed.map((p) => ({...(failedAtSelect.get(p.name) ?? p), chosen: p.name === selection.backend}))
    this.info(`tfjs backend: ${selection.backend}${flags.backend === 'auto' ? ' (first that loads, in the order below)' : ' (forced with --backend)'}`)
    for (const b of backends) this.info(`  ${b.name.padEnd(9)} ${b.ok ? 'loads  ' : 'no     '} ${b.reason}${b.chosen ? '  ← chosen' : ''}`)
    return {...result, tfjs: {backend: selection.backend, backends}}
  }
}
