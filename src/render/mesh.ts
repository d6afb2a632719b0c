/**
 * Pictures of body meshes: a small z-buffered rasteriser with flat shading (one colour per triangle
 * from its normal, lit from the camera, two-sided) draws each frame into an RGB buffer, and sharp
 * encodes it — a PNG contact sheet of evenly spaced frames, or a looping GIF / WebP.
 * The view is the camera's (x right, y down), orthographic, fitted once to the whole sequence so
 * the body does not jump between frames. Files are written atomically.
 */
import path from 'node:path'
import sharp from 'sharp'

import {inputError} from '../core/errors.js'
import {writeFileAtomic} from '../formats/atomic.js'
import type {NDArray} from '../core/ndarray.js'
import {ANIMATION_DEFAULTS, MAX_PLAYBACK_FPS, evenlySpaced} from './index.js'

export interface MeshFrames {
  /** [F, V, 3] camera frame (x right, y down, z away), any unit. */
  verts: NDArray
  faces: Uint32Array
  fps?: number
}

export interface MeshRenderOptions {
  /** Panel size in pixels (default 320). */
  panelSize?: number
  /** Contact sheet: number of frames (default 8). */
  frames?: number
  /** Contact sheet: tiles per row (default 4). */
  columns?: number
  /** Animation: frames per second of the sequence (default: the sequence's, else 30). */
  fps?: number
  /** Animation: at most this many frames (default 150; evenly subsampled beyond). */
  maxFrames?: number
}

export const MESH_RENDER_DEFAULTS = {panelSize: 320, frames: 8, columns: 4, maxFrames: 150} as const
const BACKGROUND = [255, 255, 255] as const
const BODY = [150, 176, 214] as const
const GAP = 8

interface View {
  scale: number
  cx: number
  cy: number
  size: number
}

function layout(seq: MeshFrames): {frames: number; verts: number} {
  const verts = seq.verts.shape[seq.verts.shape.length - 2] ?? 0
  const frames = verts > 0 ? seq.verts.data.length / (verts * 3) : 0
  if (!(frames >= 1) || !Number.isInteger(frames) || seq.verts.shape[seq.verts.shape.length - 1] !== 3) {
    throw inputError(`mesh render: vertices must be [frames, V, 3], got [${seq.verts.shape.join(', ')}]`)
  }
  return {frames, verts}
}

/** One orthographic fit (x, y) for every frame, with a margin. */
export function fitView(seq: MeshFrames, size: number, margin = 0.06): View {
  let minX = Infinity
  let maxX = -Infinity
  let minY = Infinity
  let maxY = -Infinity
  const d = seq.verts.data
  for (let i = 0; i < d.length; i += 3) {
    const x = d[i]!
    const y = d[i + 1]!
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue
    if (x < minX) minX = x
    if (x > maxX) maxX = x
    if (y < minY) minY = y
    if (y > maxY) maxY = y
  }
  const range = Math.max(maxX - minX, maxY - minY, 1e-9)
  return {scale: (size * (1 - 2 * margin)) / range, cx: (minX + maxX) / 2, cy: (minY + maxY) / 2, size}
}

/** Draw frame `f` into `out` (RGB, row stride `stride` pixels) at pixel offset (ox, oy). */
export function rasterizeFrame(seq: MeshFrames, f: number, view: View, out: Uint8Array, stride: number, ox = 0, oy = 0): void {
  const {verts} = layout(seq)
  const {size, scale, cx, cy} = view
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const o = ((oy + y) * stride + ox + x) * 3
      out[o] = BACKGROUND[0]
      out[o + 1] = BACKGROUND[1]
      out[o + 2] = BACKGROUND[2]
    }
  }
  const depth = new Float32Array(size * size).fill(Infinity)
  const base = f * verts * 3
  const d = seq.verts.data
  const sx = (v: number): number => (d[base + v * 3]! - cx) * scale + size / 2
  const sy = (v: number): number => (d[base + v * 3 + 1]! - cy) * scale + size / 2
  const faces = seq.faces
  for (let t = 0; t < faces.length; t += 3) {
    const a = faces[t]!
    const b = faces[t + 1]!
    const c = faces[t + 2]!
    const ax = sx(a), ay = sy(a), az = d[base + a * 3 + 2]!
    const bx = sx(b), by = sy(b), bz = d[base + b * 3 + 2]!
    const qx = sx(c), qy = sy(c), qz = d[base + c * 3 + 2]!
    const area = (bx - ax) * (qy - ay) - (by - ay) * (qx - ax)
    if (!(Math.abs(area) > 1e-12)) continue
    // Flat shading from the camera-space normal; two-sided (SMPL's winding need not face us).
    const ux = d[base + b * 3]! - d[base + a * 3]!, uy = d[base + b * 3 + 1]! - d[base + a * 3 + 1]!, uz = bz - az
    const wx = d[base + c * 3]! - d[base + a * 3]!, wy = d[base + c * 3 + 1]! - d[base + a * 3 + 1]!, wz = qz - az
    const nx = uy * wz - uz * wy
    const ny = uz * wx - ux * wz
    const nz = ux * wy - uy * wx
    const shade = 0.3 + 0.7 * Math.abs(nz) / Math.max(Math.hypot(nx, ny, nz), 1e-12)
    const r = Math.round(BODY[0] * shade), g = Math.round(BODY[1] * shade), bl = Math.round(BODY[2] * shade)
    const x0 = Math.max(0, Math.floor(Math.min(ax, bx, qx)))
    const x1 = Math.min(size - 1, Math.ceil(Math.max(ax, bx, qx)))
    const y0 = Math.max(0, Math.floor(Math.min(ay, by, qy)))
    const y1 = Math.min(size - 1, Math.ceil(Math.max(ay, by, qy)))
    for (let y = y0; y <= y1; y++) {
      const py = y + 0.5
      for (let x = x0; x <= x1; x++) {
        const px = x + 0.5
        // barycentric weights by edge functions (sign-normalised by the area)
        const w0 = ((bx - px) * (qy - py) - (by - py) * (qx - px)) / area
        const w1 = ((qx - px) * (ay - py) - (qy - py) * (ax - px)) / area
        const w2 = 1 - w0 - w1
        if (w0 < 0 || w1 < 0 || w2 < 0) continue
        const z = w0 * az + w1 * bz + w2 * qz
        const k = y * size + x
        if (z >= depth[k]!) continue
        depth[k] = z
        const o = ((oy + y) * stride + ox + x) * 3
        out[o] = r
        out[o + 1] = g
        out[o + 2] = bl
      }
    }
  }
}

/** A PNG contact sheet of evenly spaced frames. */
export async function renderMeshSheet(seq: MeshFrames, file: string, opts: MeshRenderOptions = {}): Promise<{width: number; height: number; frames: number[]}> {
  const {frames: total} = layout(seq)
  const size = opts.panelSize ?? MESH_RENDER_DEFAULTS.panelSize
  const frames = evenlySpaced(total, Math.min(total, opts.frames ?? MESH_RENDER_DEFAULTS.frames))
  const cols = Math.min(frames.length, opts.columns ?? MESH_RENDER_DEFAULTS.columns)
  const rows = Math.ceil(frames.length / cols)
  const width = GAP + cols * (size + GAP)
  const height = GAP + rows * (size + GAP)
  const pixels = new Uint8Array(width * height * 3).fill(235)
  const view = fitView(seq, size)
  frames.forEach((f, i) => rasterizeFrame(seq, f, view, pixels, width, GAP + (i % cols) * (size + GAP), GAP + Math.floor(i / cols) * (size + GAP)))
  const png = await sharp(pixels, {raw: {width, height, channels: 3}}).png().toBuffer()
  await writeFileAtomic(file, png)
  return {width, height, frames}
}

/** A looping GIF or WebP (by extension), played in real time (at most 25 fps, as browsers allow). */
export async function renderMeshAnimation(seq: MeshFrames, file: string, opts: MeshRenderOptions = {}): Promise<{width: number; height: number; frames: number; delayMs: number}> {
  const {frames: total} = layout(seq)
  const ext = path.extname(file).toLowerCase()
  if (ext !== '.gif' && ext !== '.webp') throw inputError(`animations are .gif or .webp, not '${ext}'`, {file})
  const fps = opts.fps ?? seq.fps ?? ANIMATION_DEFAULTS.fps
  const maxFrames = opts.maxFrames ?? MESH_RENDER_DEFAULTS.maxFrames
  if (!(fps > 0) || !(maxFrames >= 1)) throw inputError(`animation needs fps > 0 and maxFrames >= 1 (got ${fps}, ${maxFrames})`, {file})
  const size = opts.panelSize ?? MESH_RENDER_DEFAULTS.panelSize
  const step = Math.max(1, Math.ceil(fps / MAX_PLAYBACK_FPS), Math.ceil(total / Math.floor(maxFrames)))
  const frames = Array.from({length: Math.ceil(total / step)}, (_, i) => i * step)
  const delayMs = ext === '.gif' ? Math.max(20, 10 * Math.round((100 * step) / fps)) : Math.round((1000 * step) / fps)
  const view = fitView(seq, size)
  const pixels = new Uint8Array(size * size * frames.length * 3)
  frames.forEach((f, i) => rasterizeFrame(seq, f, view, pixels, size, 0, i * size))
  const img = sharp(pixels, {raw: {width: size, height: size * frames.length, channels: 3, pageHeight: size}})
  const delay = frames.map(() => delayMs)
  const bytes = ext === '.gif' ? await img.gif({delay, loop: 0}).toBuffer() : await img.webp({delay, loop: 0}).toBuffer()
  await writeFileAtomic(file, bytes)
  return {width: size, height: size, frames: frames.length, delayMs}
}

/** `--render FILE` for meshes: .png contact sheet, .gif / .webp animation. */
export async function renderMesh(seq: MeshFrames, file: string, opts: MeshRenderOptions = {}): Promise<void> {
  const ext = path.extname(file).toLowerCase()
  if (ext === '.png') await renderMeshSheet(seq, file, opts)
  else if (ext === '.gif' || ext === '.webp') await renderMeshAnimation(seq, file, opts)
  else throw inputError(`unknown render format '${ext || '(no extension)'}'`, {file, hint: 'use .png (contact sheet), .gif or .webp (animation)'})
}
