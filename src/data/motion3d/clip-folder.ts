/**
 * A folder of 3D clips. With an `index.json` (as ../shared/data/cmu-mocap-h36m17: `clips` with
 * `file`, `action`, `split`, `frames`; `joints`, `fps`, `units`, `up_axis`) the index decides;
 * without one, every clip file below the folder is read and labelled from its path:
 * `[split/]action/file` where split is one of train/test/val/validation.
 */
import {promises as fsp} from 'node:fs'
import path from 'node:path'

import {inputError} from '../../core/errors.js'
import type {NDArray} from '../../core/ndarray.js'
import {H36M_JOINTS, NUM_JOINTS} from '../../core/h36m.js'
import type {ClipSet, MotionClip} from './clip.js'
import {CLIP_EXTENSIONS, type ClipFileContents, readClipFile} from './readers.js'

export interface ReadClipFolderOptions {
  /** Keep only clips of this split (e.g. 'train'). */
  split?: string
  /** Keep only these actions. */
  actions?: readonly string[]
  /** Frames per second for clips whose file and index do not say (default: none). */
  fps?: number
}

const SPLIT_NAMES = new Set(['train', 'test', 'val', 'valid', 'validation'])

interface IndexEntry {
  file: string
  action: string | null
  split: string | null
  frames: number | null
  /** The clip's own frame rate (index entry `fps`), for folders that mix rates. */
  fps: number | null
}

interface IndexFile {
  clips: IndexEntry[]
  /** Permutation from the file's joint order to H36M-17 (null when already in order). */
  jointOrder: number[] | null
  fps: number | null
  units: string
  upAxis: 'y' | 'z'
}

export async function readClipFolder(dir: string, opts: ReadClipFolderOptions = {}): Promise<ClipSet> {
  const root = path.resolve(dir)
  const stat = await fsp.stat(root).catch(() => null)
  if (!stat) throw inputError('no such data folder', {file: dir})
  if (!stat.isDirectory()) throw inputError('expected a folder of 3D clips (with an index.json or clip files)', {file: dir})
  const indexPath = path.join(root, 'index.json')
  const index = (await fsp.stat(indexPath).catch(() => null)) ? await readIndex(indexPath) : null
  const entries = index ? index.clips : await scanFolder(root)
  const wanted = entries.filter(
    (e) => (opts.split === undefined || e.split === opts.split) && (opts.actions === undefined || (e.action !== null && opts.actions.includes(e.action))),
  )
  if (entries.length === 0) {
    throw inputError('no 3D clip files found', {file: dir, hint: `expected an index.json or files ending in ${CLIP_EXTENSIONS.join(', ')}`})
  }
  if (wanted.length === 0) {
    const splits = [...new Set(entries.map((e) => e.split ?? '(none)'))].join(', ')
    throw inputError(`no clips match${opts.split ? ` split '${opts.split}'` : ''}${opts.actions ? ` actions ${opts.actions.join(', ')}` : ''}`, {
      file: dir,
      hint: `splits present: ${splits}`,
    })
  }
  const clips: MotionClip[] = []
  for (const e of wanted) {
    const file = path.join(root, e.file)
    const contents = await readClipFile(file)
    const positions = index?.jointOrder ? reorderJoints(contents.positions, index.jointOrder) : contents.positions
    if (e.frames !== null && positions.shape[0] !== e.frames) {
      throw inputError(`holds ${positions.shape[0]} frames but index.json says ${e.frames}`, {file, hint: 'regenerate index.json or the clip'})
    }
    clips.push(toClip(e, file, contents, positions, index, opts))
  }
  const actions = [...new Set(clips.map((c) => c.action).filter((a): a is string => a !== null))].sort()
  return {root, clips, actions, frames: clips.reduce((s, c) => s + c.positions.shape[0]!, 0)}
}

function toClip(
  e: IndexEntry,
  file: string,
  contents: ClipFileContents,
  positions: NDArray,
  index: IndexFile | null,
  opts: ReadClipFolderOptions,
): MotionClip {
  return {
    name: e.file.split(path.sep).join('/'),
    file,
    action: e.action,
    split: e.split,
    fps: contents.fps ?? e.fps ?? index?.fps ?? opts.fps ?? null,
    positions,
    space: contents.space,
    units: contents.space === 'world' ? (index?.units ?? contents.units) : contents.units,
    upAxis: index?.upAxis ?? contents.upAxis,
    ...(contents.input2d ? {input2d: contents.input2d} : {}),
  }
}

async function readIndex(file: string): Promise<IndexFile> {
  let raw: unknown
  try {
    raw = JSON.parse(await fsp.readFile(file, 'utf8'))
  } catch (err) {
    throw inputError(`not valid JSON: ${(err as Error).message}`, {file})
  }
  if (typeof raw !== 'object' || raw === null || !Array.isArray((raw as {clips?: unknown}).clips)) {
    throw inputError('expected an object with a "clips" list', {file})
  }
  const obj = raw as {clips: unknown[]; joints?: unknown; fps?: unknown; units?: unknown; up_axis?: unknown}
  const clips = obj.clips.map((c, i): IndexEntry => {
    const entry = c as {file?: unknown; action?: unknown; split?: unknown; frames?: unknown; fps?: unknown}
    if (typeof c !== 'object' || c === null || typeof entry.file !== 'string') {
      throw inputError(`clips[${i}] has no "file" string`, {file})
    }
    if (path.isAbsolute(entry.file) || entry.file.split(/[\\/]/).includes('..')) {
      throw inputError(`clips[${i}].file must be a path inside the folder, got '${entry.file}'`, {file})
    }
    const folders = entry.file.split(/[\\/]/).slice(0, -1)
    return {
      file: entry.file,
      action: typeof entry.action === 'string' ? entry.action : labelsFromPath(folders).action,
      split: typeof entry.split === 'string' ? entry.split : labelsFromPath(folders).split,
      frames: typeof entry.frames === 'number' ? entry.frames : null,
      fps: typeof entry.fps === 'number' && entry.fps > 0 && Number.isFinite(entry.fps) ? entry.fps : null,
    }
  })
  let jointOrder: number[] | null = null
  if (obj.joints !== undefined) {
    if (!Array.isArray(obj.joints) || obj.joints.length !== NUM_JOINTS || !obj.joints.every((j) => typeof j === 'string')) {
      throw inputError(`"joints" must list the 17 H36M joint names, got ${JSON.stringify(obj.joints).slice(0, 120)}`, {file})
    }
    const names = obj.joints as string[]
    const order = H36M_JOINTS.map((j) => names.indexOf(j))
    if (order.some((i) => i < 0)) {
      const missing = H36M_JOINTS.filter((_, k) => order[k]! < 0)
      throw inputError(`"joints" lacks H36M-17 joints: ${missing.join(', ')}`, {file, hint: `expected the names ${H36M_JOINTS.join(', ')}`})
    }
    jointOrder = order.every((i, k) => i === k) ? null : order
  }
  const upAxis = obj.up_axis === undefined ? 'y' : obj.up_axis
  if (upAxis !== 'y' && upAxis !== 'z') throw inputError(`"up_axis" must be 'y' or 'z', got ${JSON.stringify(upAxis)}`, {file})
  const fps = typeof obj.fps === 'number' && obj.fps > 0 ? obj.fps : null
  const units = typeof obj.units === 'string' ? normaliseUnits(obj.units, file) : 'mm'
  return {clips, jointOrder, fps, units, upAxis}
}

function normaliseUnits(units: string, file: string): string {
  const u = units.toLowerCase()
  if (u === 'mm' || u === 'millimetres' || u === 'millimeters') return 'mm'
  throw inputError(`"units" is '${units}'; 3D clips must be in millimetres`, {file, hint: 'convert the clips to millimetres'})
}

async function scanFolder(root: string): Promise<IndexEntry[]> {
  const out: IndexEntry[] = []
  const walk = async (rel: string): Promise<void> => {
    const items = await fsp.readdir(path.join(root, rel), {withFileTypes: true})
    items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const item of items) {
      const relPath = rel ? path.join(rel, item.name) : item.name
      if (item.isDirectory()) await walk(relPath)
      else if ((CLIP_EXTENSIONS as readonly string[]).includes(path.extname(item.name).toLowerCase())) {
        out.push({file: relPath, ...labelsFromPath(rel ? rel.split(path.sep) : []), frames: null, fps: null})
      }
    }
  }
  await walk('')
  return out
}

/**
 * Labels from the folders above a file: a split folder anywhere (train/test/...) gives the split;
 * the nearest folder that is not a split gives the action (MotionBERT's `subset/train/x.pkl`
 * therefore gets the subset name).
 */
function labelsFromPath(folders: readonly string[]): {action: string | null; split: string | null} {
  const split = folders.find((f) => SPLIT_NAMES.has(f.toLowerCase())) ?? null
  const rest = folders.filter((f) => !SPLIT_NAMES.has(f.toLowerCase()))
  return {action: rest.length > 0 ? rest[rest.length - 1]! : null, split: split?.toLowerCase() ?? null}
}

function reorderJoints(a: NDArray, order: readonly number[]): NDArray {
  const T = a.shape[0]!
  const out = new Float32Array(a.data.length)
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < NUM_JOINTS; j++) {
      const src = (t * NUM_JOINTS + order[j]!) * 3
      const dst = (t * NUM_JOINTS + j) * 3
      out[dst] = a.data[src]!
      out[dst + 1] = a.data[src + 1]!
      out[dst + 2] = a.data[src + 2]!
    }
  }
  return {data: out, shape: [...a.shape]}
}
