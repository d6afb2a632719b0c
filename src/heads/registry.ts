/** Heads by name. New heads (mesh) are added here and nowhere else. */
import type {EntryConfig} from '../nn/registry/backbone.js'
import {inputError} from '../core/errors.js'
import {action} from './action.js'
import {mesh} from './mesh.js'
import {none} from './none.js'
import {pose3d} from './pose3d.js'
import type {HeadEntry} from '../nn/registry/head.js'

const entries: readonly HeadEntry<EntryConfig>[] = [
  pose3d as unknown as HeadEntry<EntryConfig>,
  action as unknown as HeadEntry<EntryConfig>,
  mesh as unknown as HeadEntry<EntryConfig>,
  none as unknown as HeadEntry<EntryConfig>,
]

export const headRegistry: ReadonlyMap<string, HeadEntry<EntryConfig>> = new Map(entries.map((e) => [e.name, e]))

export const DEFAULT_HEAD = 'pose3d'

export function getHead(name: string): HeadEntry<EntryConfig> {
  const entry = headRegistry.get(name)
  if (!entry) {
    throw inputError(`unknown head "${name}"`, {hint: `registered heads: ${[...headRegistry.keys()].join(', ')} (see \`motion models\`)`})
  }
  return entry
}
