/**
 * Output paths of `motion predict`: checked before any work (known extension, existing folder),
 * one file per person with --all-people, and written all-or-nothing.
 *
 * --all-people names: the person id goes before the extension, `NAME.person-ID.EXT`
 * (`walk.npy` → `walk.person-1.npy`, `walk.person-2.npy`; the same for --render). Characters
 * other than letters, digits, `_` and `-` in an id become `_`.
 */
import {personValue} from '../formats/writers/person-id.js'
import {promises as fsp} from 'node:fs'
import path from 'node:path'

import {inputError} from '../core/errors.js'
import {OUTPUT_EXTENSIONS} from '../formats/writers/index.js'
import type {PersonResult, TaskContext} from './types.js'

export const RENDER_OUTPUT_EXTENSIONS = ['.png', '.gif', '.webp', '.html'] as const

/** A render file that shows every person (.html), so --all-people writes one, not one per person. */
export function rendersAllPeople(file: string): boolean {
  return path.extname(file).toLowerCase() === '.html'
}

/** The default --out for an input: `<input name>.3d.json` in the current folder. */
export function defaultOutput(input: string, cwd = process.cwd()): string {
  const base = path.basename(path.resolve(input))
  const stem = base.replace(/\.(json|csv|npy|npz|mp4|mov|avi|webm|mkv|m4v)$/i, '')
  return path.join(cwd, `${stem}.3d.json`)
}

/** `NAME.EXT` → `NAME.person-ID.EXT`. */
export function personPath(file: string, person: string): string {
  const ext = path.extname(file)
  const safe = person.replace(/[^A-Za-z0-9_-]/g, '_') || '_'
  return `${file.slice(0, file.length - ext.length)}.person-${safe}${ext}`
}

/** Input errors for outputs that could not be written; run before reading or computing anything. */
export async function checkOutputs(out: string, render: string | undefined): Promise<void> {
  const ext = path.extname(out).toLowerCase()
  if (!OUTPUT_EXTENSIONS.includes(ext)) {
    throw inputError(`unknown output format '${ext || '(no extension)'}'`, {
      file: out,
      hint: `use one of ${OUTPUT_EXTENSIONS.join(', ')} (pictures go to --render FILE.png|.gif|.webp|.html)`,
    })
  }
  await checkFolder(out)
  if (render !== undefined) {
    const rext = path.extname(render).toLowerCase()
    if (!(RENDER_OUTPUT_EXTENSIONS as readonly string[]).includes(rext)) {
      throw inputError(`unknown render format '${rext || '(no extension)'}'`, {file: render, hint: `use one of ${RENDER_OUTPUT_EXTENSIONS.join(', ')}`})
    }
    await checkFolder(render)
    if (path.resolve(render) === path.resolve(out)) throw inputError('--render and --out name the same file', {file: out})
  }
}

async function checkFolder(file: string): Promise<void> {
  const dir = path.dirname(path.resolve(file))
  const st = await fsp.stat(dir).catch(() => undefined)
  if (!st) throw inputError(`output folder ${dir} does not exist`, {file, hint: 'create the folder first or choose another output path'})
  if (!st.isDirectory()) throw inputError(`${dir} is not a folder`, {file})
  const target = await fsp.stat(file).catch(() => undefined)
  if (target?.isDirectory()) throw inputError('is a folder; --out and --render name files', {file})
}

/**
 * Runs each write (each atomic by itself); if one fails, the files this call created are removed
 * again, so an error leaves no new output behind.
 */
export async function writeAll(writes: readonly {file: string; write: () => Promise<void>}[]): Promise<void> {
  const created: string[] = []
  try {
    for (const {file, write} of writes) {
      const existed = Boolean(await fsp.stat(file).catch(() => undefined))
      await write()
      if (!existed) created.push(file)
    }
  } catch (err) {
    for (const file of created) await fsp.rm(file, {force: true}).catch(() => undefined)
    throw err
  }
}

/** What predict reports for each track: its frame counts and output files (ctx.outputs is in track order). */
export function personResults(ctx: Pick<TaskContext, 'tracks' | 'outputs'>): PersonResult[] {
  return ctx.tracks.map((track, i) => ({
    person: personValue(track.id),
    frames: track.keypoints.shape[0]!,
    detectedFrames: track.detectedFrames,
    filledFrames: track.filledFrames,
    duplicateFrames: track.duplicateFrames,
    out: ctx.outputs[i]!.out,
    render: ctx.outputs[i]!.render,
  }))
}

/** Predictions grouped by their render file, in first-seen order (several people share an .html page). */
export function groupByRenderFile<P>(ctx: Pick<TaskContext, 'outputs'>, items: readonly P[]): Map<string, P[]> {
  const groups = new Map<string, P[]>()
  items.forEach((item, i) => {
    const file = ctx.outputs[i]?.render
    if (file) groups.set(file, [...(groups.get(file) ?? []), item])
  })
  return groups
}

/** The typed array itself, carrying its shape (what the library API returns for arrays). */
export function shaped<S extends readonly number[]>(data: Float32Array, shape: S): Float32Array & {readonly shape: S} {
  return Object.assign(data, {shape})
}
