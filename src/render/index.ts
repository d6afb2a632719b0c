/**
 * `motion predict --render FILE`: pictures of a prediction, drawn as SVG and rasterised by sharp.
 *  - `.png`: a contact sheet of N evenly spaced frames; each tile is the 2D input (left) beside the
 *    3D output (right, fixed oblique orthographic view).
 *  - `.gif` / `.webp`: the same pair animated, looping.
 *  - `.html`: an interactive page (three.js inline; see src/render/viewer), all people on one page.
 * Every view is fitted once to the whole sequence, so the figure does not jump between frames.
 * Files are written atomically.
 */
import path from 'node:path'
import sharp from 'sharp'

import {inputError} from '../core/errors.js'
import {writeFileAtomic} from '../formats/atomic.js'
import type {Prediction} from '../formats/writers/types.js'
import {checkPrediction} from '../formats/writers/validate.js'
import {COLORS, fitToPanel, inputPoints, obliquePoints, panelChrome, skeletonElements, type Fit, type Points2d} from './skeleton-svg.js'

export interface ContactSheetOptions {
  /** Number of frames shown (default 8; fewer if the sequence is shorter). */
  frames?: number
  /** Side of each square panel in pixels (default 240). */
  panelSize?: number
  /** Tiles per row (default 4). */
  columns?: number
}

export interface AnimationOptions {
  /** Frame rate of the sequence (default: the prediction's, else 30). */
  fps?: number
  /** At most this many frames (every n-th frame is shown); playback keeps real time (default 300). */
  maxFrames?: number
  /** Side of each square panel in pixels (default 200). */
  panelSize?: number
}

export const SHEET_DEFAULTS = {frames: 8, panelSize: 240, columns: 4} as const
export const ANIMATION_DEFAULTS = {fps: 30, maxFrames: 300, panelSize: 200} as const
/** Highest playback rate of animations; faster sources show every n-th frame. */
export const MAX_PLAYBACK_FPS = 25
/** Space around and between tiles, pixels. */
export const GAP = 8

/** Width and height of a contact sheet (what renderContactSheet will produce). */
export function contactSheetSize(frames: number, has2d: boolean, opts: ContactSheetOptions = {}): {width: number; height: number; tiles: number} {
  const n = Math.max(1, Math.min(opts.frames ?? SHEET_DEFAULTS.frames, frames))
  const size = opts.panelSize ?? SHEET_DEFAULTS.panelSize
  const cols = Math.min(n, opts.columns ?? SHEET_DEFAULTS.columns)
  const rows = Math.ceil(n / cols)
  const tileW = size * (has2d ? 2 : 1)
  return {width: cols * tileW + (cols + 1) * GAP, height: rows * size + (rows + 1) * GAP, tiles: n}
}

/** Evenly spaced frame indices, first and last included. */
export function evenlySpaced(total: number, n: number): number[] {
  if (n >= total) return Array.from({length: total}, (_, i) => i)
  if (n === 1) return [0]
  return Array.from({length: n}, (_, i) => Math.round((i * (total - 1)) / (n - 1)))
}

interface Views {
  input?: {points: Points2d; fit: Fit}
  output: {points: Points2d; fit: Fit}
}

function views(pred: Prediction, size: number): Views {
  const output = obliquePoints(pred.x3d)
  const v: Views = {output: {points: output, fit: fitToPanel(output, size)}}
  if (pred.input2d) {
    const input = inputPoints(pred.input2d)
    v.input = {points: input, fit: fitToPanel(input, size)}
  }
  return v
}

/** SVG elements of one tile: [2D input | 3D output] for frame t, top-left at (ox, oy). */
function tile(v: Views, t: number, ox: number, oy: number, size: number, units: string): string {
  let out = ''
  let x = ox
  if (v.input) {
    out += panelChrome(x, oy, size, `frame ${t} · 2D input`)
    out += skeletonElements(v.input.points, t, v.input.fit, x, oy, size)
    x += size
  }
  out += panelChrome(x, oy, size, `${v.input ? '' : `frame ${t} · `}3D (${units})`)
  out += skeletonElements(v.output.points, t, v.output.fit, x, oy, size)
  return out
}

function svgDocument(width: number, height: number, body: string): Buffer {
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
      `<rect width="100%" height="100%" fill="${COLORS.background}"/>${body}</svg>`,
  )
}

/** Writes a PNG contact sheet of evenly spaced frames (2D input beside 3D output). */
export async function renderContactSheet(pred: Prediction, file: string, opts: ContactSheetOptions = {}): Promise<{width: number; height: number; frames: number[]}> {
  const T = checkPrediction(pred, file)
  const size = opts.panelSize ?? SHEET_DEFAULTS.panelSize
  const layout = contactSheetSize(T, Boolean(pred.input2d), opts)
  const cols = Math.min(layout.tiles, opts.columns ?? SHEET_DEFAULTS.columns)
  const frames = evenlySpaced(T, layout.tiles)
  const v = views(pred, size)
  const tileW = size * (v.input ? 2 : 1)
  const body = frames
    .map((t, i) => tile(v, t, GAP + (i % cols) * (tileW + GAP), GAP + Math.floor(i / cols) * (size + GAP), size, pred.units))
    .join('')
  const png = await sharp(svgDocument(layout.width, layout.height, body)).png().toBuffer()
  await writeFileAtomic(file, png)
  return {width: layout.width, height: layout.height, frames}
}

/** Writes an animated GIF or WebP (by extension) of the 2D input beside the 3D output, looping. */
export async function renderAnimation(pred: Prediction, file: string, opts: AnimationOptions = {}): Promise<{width: number; height: number; frames: number; delayMs: number}> {
  const T = checkPrediction(pred, file)
  const ext = path.extname(file).toLowerCase()
  if (ext !== '.gif' && ext !== '.webp') throw inputError(`animations are .gif or .webp, not '${ext}'`, {file})
  const fps = opts.fps ?? pred.fps ?? ANIMATION_DEFAULTS.fps
  const maxFrames = opts.maxFrames ?? ANIMATION_DEFAULTS.maxFrames
  if (!(fps > 0) || !(maxFrames >= 1)) throw inputError(`animation needs fps > 0 and maxFrames >= 1 (got ${fps}, ${maxFrames})`, {file})
  const size = opts.panelSize ?? ANIMATION_DEFAULTS.panelSize
  // Every step-th frame, played in real time; at most MAX_PLAYBACK_FPS because browsers slow GIF
  // frames shorter than 20 ms down to 100 ms.
  const step = Math.max(1, Math.ceil(fps / MAX_PLAYBACK_FPS), Math.ceil(T / Math.floor(maxFrames)))
  const frames = Array.from({length: Math.ceil(T / step)}, (_, i) => i * step)
  // GIF stores delays in hundredths of a second.
  const delayMs = ext === '.gif' ? Math.max(20, 10 * Math.round((100 * step) / fps)) : Math.round((1000 * step) / fps)
  const v = views(pred, size)
  const width = size * (v.input ? 2 : 1)
  const pages = frames.map((t) => svgDocument(width, size, tile(v, t, 0, 0, size, pred.units)))
  const animated = sharp(pages, {join: {animated: true}})
  const delay = frames.map(() => delayMs)
  const bytes = ext === '.gif' ? await animated.gif({delay, loop: 0}).toBuffer() : await animated.webp({delay, loop: 0}).toBuffer()
  await writeFileAtomic(file, bytes)
  return {width, height: size, frames: frames.length, delayMs}
}

export const RENDER_EXTENSIONS = ['.png', '.gif', '.webp', '.html'] as const

/** Options of the .html page: the video size for the 2D panel (else fitted to the points). */
export interface PageOptions {
  imageSize?: [number, number]
}

/** `--render FILE`: a contact sheet for .png, an animation for .gif / .webp, an interactive page for .html. */
export async function renderPrediction(pred: Prediction, file: string, opts: ContactSheetOptions & AnimationOptions & PageOptions = {}): Promise<void> {
  const ext = path.extname(file).toLowerCase()
  if (ext === '.html') await renderPredictions([pred], file, opts)
  else if (ext === '.png') await renderContactSheet(pred, file, opts)
  else if (ext === '.gif' || ext === '.webp') await renderAnimation(pred, file, opts)
  else throw inputError(`unknown render format '${ext || '(no extension)'}'`, {file, hint: `use one of ${RENDER_EXTENSIONS.join(', ')}`})
}

/**
 * Several people into one file: one .html page shows them all; the picture formats take one
 * person each, so they are refused here (predict names one file per person for them).
 */
export async function renderPredictions(preds: readonly Prediction[], file: string, opts: ContactSheetOptions & AnimationOptions & PageOptions = {}): Promise<void> {
  const ext = path.extname(file).toLowerCase()
  if (ext === '.html') {
    for (const pred of preds) checkPrediction(pred, file)
    const {renderPredictionsHtml} = await import('./viewer/from-prediction.js')
    await renderPredictionsHtml(preds, file, opts)
  } else if (preds.length === 1) await renderPrediction(preds[0]!, file, opts)
  else throw inputError(`a ${ext || '(no extension)'} picture shows one person, not ${preds.length}`, {file, hint: 'use .html for all people on one page'})
}
