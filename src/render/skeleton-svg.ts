/**
 * Skeleton drawings as SVG (lines and circles; left side blue, right side red, centre grey), which
 * sharp rasterises. Each view is fitted once to the whole sequence, so figures do not jump.
 */
import {H36M_BONES, H36M_LEFT, H36M_RIGHT, NUM_JOINTS} from '../core/h36m.js'
import type {NDArray} from '../core/ndarray.js'

export const COLORS = {left: '#1f6fd1', right: '#d63a2f', centre: '#555555', background: '#ffffff', frame: '#d8d8d8', text: '#333333'}

/** Oblique view of the 3D output: turned 35° about the vertical and tilted 20° to look down on it. */
export const VIEW_YAW_DEG = 35
export const VIEW_PITCH_DEG = 20

const LEFT = new Set<number>(H36M_LEFT)
const RIGHT = new Set<number>(H36M_RIGHT)

function sideColor(joint: number): string {
  return LEFT.has(joint) ? COLORS.left : RIGHT.has(joint) ? COLORS.right : COLORS.centre
}

/** 2D points of a sequence, [T, 17, 2] as a flat array, plus optional per-point opacity. */
export interface Points2d {
  xy: Float64Array
  alpha?: Float64Array
  frames: number
}

/** The 2D input as drawn: pixel x, y; opacity from confidence (interpolated frames show faint). */
export function inputPoints(input2d: NDArray): Points2d {
  const T = input2d.shape[0]!
  const xy = new Float64Array(T * NUM_JOINTS * 2)
  const alpha = new Float64Array(T * NUM_JOINTS)
  for (let i = 0; i < T * NUM_JOINTS; i++) {
    xy[i * 2] = input2d.data[i * 3]!
    xy[i * 2 + 1] = input2d.data[i * 3 + 1]!
    alpha[i] = 0.25 + 0.75 * Math.min(1, Math.max(0, input2d.data[i * 3 + 2]!))
  }
  return {xy, alpha, frames: T}
}

/**
 * The 3D output seen by a fixed orthographic camera: camera coordinates (x right, y down, z away)
 * rotated by the view yaw about y, then pitched about x so the camera looks slightly down. The view
 * follows the pelvis horizontally (x and z) but not vertically, so a figure walking across stays in
 * view at a constant scale while jumps and crouches still show.
 */
export function obliquePoints(x3d: NDArray): Points2d {
  const T = x3d.shape[0]!
  const yaw = (VIEW_YAW_DEG * Math.PI) / 180
  const pitch = (VIEW_PITCH_DEG * Math.PI) / 180
  const [cy, sy, cp, sp] = [Math.cos(yaw), Math.sin(yaw), Math.cos(pitch), Math.sin(pitch)]
  const xy = new Float64Array(T * NUM_JOINTS * 2)
  for (let i = 0; i < T * NUM_JOINTS; i++) {
    const root = (i - (i % NUM_JOINTS)) * 3
    const x = x3d.data[i * 3]! - x3d.data[root]!
    const y = x3d.data[i * 3 + 1]!
    const z = x3d.data[i * 3 + 2]! - x3d.data[root + 2]!
    const x1 = cy * x + sy * z
    const z1 = -sy * x + cy * z
    // Pitch: points farther away (z1 > 0) move up on screen, so the camera looks down.
    xy[i * 2] = x1
    xy[i * 2 + 1] = cp * y - sp * z1
  }
  return {xy, frames: T}
}

/** A uniform scale + offset mapping a sequence's bounding box into a square panel with a margin. */
export interface Fit {
  scale: number
  dx: number
  dy: number
}

export function fitToPanel(points: Points2d, size: number, margin = 0.08): Fit {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity]
  const n = points.xy.length / 2
  for (let i = 0; i < n; i++) {
    if (points.alpha && points.alpha[i]! <= 0.25) continue // undetected joints do not set the scale
    const x = points.xy[i * 2]!
    const y = points.xy[i * 2 + 1]!
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue
    x0 = Math.min(x0, x)
    x1 = Math.max(x1, x)
    y0 = Math.min(y0, y)
    y1 = Math.max(y1, y)
  }
  if (!Number.isFinite(x0)) return {scale: 1, dx: size / 2, dy: size / 2}
  const span = Math.max(x1 - x0, y1 - y0, 1e-9)
  const scale = (size * (1 - 2 * margin)) / span
  return {scale, dx: size / 2 - scale * (x0 + x1) / 2, dy: size / 2 - scale * (y0 + y1) / 2}
}

/** SVG elements (no <svg> wrapper) drawing frame t of `points` into a panel at (ox, oy). */
export function skeletonElements(points: Points2d, t: number, fit: Fit, ox: number, oy: number, size: number): string {
  const px = (j: number): [number, number] => {
    const o = (t * NUM_JOINTS + j) * 2
    return [ox + fit.dx + fit.scale * points.xy[o]!, oy + fit.dy + fit.scale * points.xy[o + 1]!]
  }
  const alpha = (j: number): number => points.alpha?.[t * NUM_JOINTS + j] ?? 1
  const stroke = Math.max(1.5, size / 80)
  const radius = Math.max(1.5, size / 70)
  const parts: string[] = []
  for (const [p, c] of H36M_BONES) {
    const [x1, y1] = px(p)
    const [x2, y2] = px(c)
    parts.push(
      `<line x1="${r(x1)}" y1="${r(y1)}" x2="${r(x2)}" y2="${r(y2)}" stroke="${sideColor(c)}" stroke-width="${r(stroke)}" stroke-linecap="round" opacity="${r(Math.min(alpha(p), alpha(c)))}"/>`,
    )
  }
  for (let j = 0; j < NUM_JOINTS; j++) {
    const [x, y] = px(j)
    parts.push(`<circle cx="${r(x)}" cy="${r(y)}" r="${r(radius)}" fill="${sideColor(j)}" opacity="${r(alpha(j))}"/>`)
  }
  return parts.join('')
}

/** A panel's frame and caption. */
export function panelChrome(ox: number, oy: number, size: number, caption: string): string {
  const font = Math.max(9, Math.round(size / 18))
  return (
    `<rect x="${ox + 0.5}" y="${oy + 0.5}" width="${size - 1}" height="${size - 1}" fill="none" stroke="${COLORS.frame}"/>` +
    `<text x="${ox + 6}" y="${oy + font + 3}" font-family="sans-serif" font-size="${font}" fill="${COLORS.text}">${escapeXml(caption)}</text>`
  )
}

function r(v: number): string {
  return (Math.round(v * 100) / 100).toString()
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}
