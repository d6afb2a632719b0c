/** Backbones by name. New backbones (MixSTE, Strided) are added here and nowhere else. */
import {inputError} from '../core/errors.js'
import {dstformer} from './dstformer.js'
import {mixste} from './mixste.js'
import {strided} from './strided.js'
import type {BackboneEntry, EntryConfig} from '../nn/registry/backbone.js'

// Entries are typed over their own config; the registry erases it (their methods are bivariant).
const entries: readonly BackboneEntry<EntryConfig>[] = [
  dstformer as unknown as BackboneEntry<EntryConfig>,
  mixste as unknown as BackboneEntry<EntryConfig>,
  strided as unknown as BackboneEntry<EntryConfig>,
]

export const backboneRegistry: ReadonlyMap<string, BackboneEntry<EntryConfig>> = new Map(entries.map((e) => [e.name, e]))

export const DEFAULT_BACKBONE = 'dstformer'

export function getBackbone(name: string): BackboneEntry<EntryConfig> {
  const entry = backboneRegistry.get(name)
  if (!entry) {
    throw inputError(`unknown backbone "${name}"`, {hint: `registered backbones: ${[...backboneRegistry.keys()].join(', ')} (see \`motion models\`)`})
  }
  return entry
}
