/**
 * The models shipped in models/<name>/ and the licence each declares, for `motion info` and
 * `motion models`. The licence is whatever the folder says: a `licence` (or `license`) string in
 * its config.json, at the top level or under `provenance`; otherwise the model card is named.
 */
import {promises as fsp} from 'node:fs'
import path from 'node:path'

import {LIMITS} from '../core/limits/limits.js'
import {modelsDir} from '../model/default-model.js'

export const MODEL_CARD_FILE = 'MODEL_CARD.md'

export interface BundledModel {
  name: string
  /** The model's task, from its config.json. */
  task?: string
  /** Folder, relative to the current directory when inside it, else absolute. */
  path: string
  /** The declared licence, or where to read about it. */
  licence: string
}

export async function listBundledModels(dir: string = modelsDir()): Promise<BundledModel[]> {
  const entries = await fsp.readdir(dir, {withFileTypes: true}).catch(() => [])
  const card = (await fsp.stat(path.join(dir, MODEL_CARD_FILE)).catch(() => undefined))?.isFile() ? path.join(dir, MODEL_CARD_FILE) : undefined
  const models: BundledModel[] = []
  for (const e of entries.filter((x) => x.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const folder = path.join(dir, e.name)
    const config = await readSmallJson(path.join(folder, 'config.json'))
    if (config === undefined) continue
    const declared = licenceOf(config)
    models.push({
      name: e.name,
      task: typeof config.task === 'string' ? config.task : undefined,
      path: displayPath(folder),
      licence: declared ?? (card ? `see ${displayPath(card)}` : 'not declared'),
    })
  }
  return models
}

function licenceOf(config: Record<string, unknown>): string | undefined {
  const provenance = typeof config.provenance === 'object' && config.provenance !== null ? (config.provenance as Record<string, unknown>) : {}
  for (const source of [config, provenance]) {
    for (const key of ['licence', 'license']) {
      const v = source[key]
      if (typeof v === 'string' && v.trim() !== '') return v.trim()
    }
  }
  return undefined
}

async function readSmallJson(file: string): Promise<Record<string, unknown> | undefined> {
  const st = await fsp.stat(file).catch(() => undefined)
  if (!st?.isFile() || st.size > LIMITS.configFileBytes) return undefined
  try {
    const v = JSON.parse(await fsp.readFile(file, 'utf8')) as unknown
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

function displayPath(p: string): string {
  const rel = path.relative(process.cwd(), p)
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p
}
