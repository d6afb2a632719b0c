import {BaseCommand} from '../cli/base-command.js'
import {listBundledModels, type BundledModel} from '../cli/bundled-models.js'
import {backboneRegistry} from '../backbones/registry.js'
import type {ConfigKeySpec} from '../config/types.js'
import {headRegistry} from '../heads/registry.js'

interface EntrySummary {
  name: string
  description: string
  input: string[]
  outputs: string[]
  configKeys: ConfigKeySpec[]
}

export default class Models extends BaseCommand {
  static override description = 'List the registered backbones and heads with the config keys each reads, and the bundled models with their licences.'
  static override examples = ['<%= config.bin %> models', '<%= config.bin %> models --json']

  async run(): Promise<{backbones: EntrySummary[]; heads: EntrySummary[]; bundled: BundledModel[]}> {
    await this.parse(Models)
    const bundled = await listBundledModels()
    const backbones = [...backboneRegistry.values()].map((e) => summary(e.name, e.description, e.inputLayout, e.outputs, e.configKeys))
    const heads = [...headRegistry.values()].map((e) =>
      summary(e.name, e.description, e.inputLayout, [...e.outputs, ...(e.exposesRepresentation ? ['representation'] : [])], e.configKeys),
    )
    this.print('Backbones', backbones)
    this.print('Heads', heads)
    this.info('Keys marked * are read from checkpoint weights when the config leaves them out.')
    this.info('')
    this.info('Bundled models:')
    for (const m of bundled) this.info(`  ${m.name} (${m.task ?? 'unknown task'}) ${m.path}  licence: ${m.licence}`)
    return {backbones, heads, bundled}
  }

  private print(title: string, entries: EntrySummary[]): void {
    this.info(`${title}:`)
    for (const e of entries) {
      this.info(`  ${e.name} — ${e.description}`)
      this.info(`    input [${e.input.join(', ')}] → ${e.outputs.join(', ')}`)
      for (const k of e.configKeys) {
        const extra = [k.allowed ? `one of ${k.allowed.join('|')}` : '', k.default !== undefined ? `default ${JSON.stringify(k.default)}` : ''].filter(Boolean).join(', ')
        this.info(`    ${(k.key + (k.inferable ? '*' : '')).padEnd(16)} ${k.type.padEnd(8)} ${k.description}${extra ? ` (${extra})` : ''}`)
      }
    }
    this.info('')
  }
}

function summary(name: string, description: string, input: readonly string[], outputs: readonly string[], keys: readonly ConfigKeySpec[]): EntrySummary {
  return {name, description, input: [...input], outputs: [...outputs], configKeys: keys.map((k) => ({...k}))}
}
