/**
 * `motion predict VIDEO --render out.mp4|.gif|.webp`: the video's frames with every lifted person's
 * 2D skeleton drawn on them, beside one 3D panel per person (the oblique view of --render for
 * keypoint files). Frames are decoded again at the render size, drawn with sharp (SVG over the
 * frame) and piped as raw RGB to ffmpeg, which encodes to a temporary file renamed into place at
 * the end, so an error or Ctrl-C leaves nothing behind.
 */
import {spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {promises as fsp} from 'node:fs'
import path from 'node:path'
import sharp from 'sharp'

import {inputError} from '../../core/errors.js'
import type {Prediction} from '../../formats/writers/types.js'
import {fitToPanel, inputPoints, obliquePoints, panelChrome, skeletonElements, type Fit, type Points2d} from '../../render/skeleton-svg.js'
import {interrupted} from './detect-video.js'
import type {DecodedFrame} from './detect.js'
import type {FrameSource} from './source.js'

export const VIDEO_RENDER_EXTENSIONS = ['.mp4', '.gif', '.webp'] as const
/** Height of the rendered video; the 3D panels are squares of this side. */
export const RENDER_HEIGHT = 360
/** At most this many 3D panels (the people beyond are drawn in 2D only). */
export const MAX_3D_PANELS = 3

export function isVideoRenderFile(file: string): boolean {
  return (VIDEO_RENDER_EXTENSIONS as readonly string[]).includes(path.extname(file).toLowerCase())
}

export interface VideoRenderOptions {
  source: FrameSource
  predictions: readonly Prediction[]
  file: string
  ffmpeg: string
  maxFrames?: number
  signal?: AbortSignal
}

export async function renderVideo(o: VideoRenderOptions): Promise<{width: number; height: number; frames: number}> {
  const ext = path.extname(o.file).toLowerCase()
  const frames = o.source.frames({longSide: Math.round((RENDER_HEIGHT * Math.max(o.source.width, o.source.height)) / o.source.height), maxFrames: o.maxFrames, even: true})
  const first = await frames.next()
  if (first.done) throw inputError('the video has no frames to draw', {file: o.source.file})
  const {width: vw, height: vh, scale} = first.value
  const panels = o.predictions.slice(0, MAX_3D_PANELS).map((p) => {
    const points = obliquePoints(p.x3d)
    return {points, fit: fitToPanel(points, vh), person: String(p.person ?? '')}
  })
  const inputs = o.predictions.map((p) => (p.input2d ? inputPoints(p.input2d) : undefined))
  const width = vw + panels.length * vh
  const videoFit: Fit = {scale, dx: 0, dy: 0}
  const tmp = path.join(path.dirname(path.resolve(o.file)), `.${path.basename(o.file)}.${randomBytes(4).toString('hex')}.tmp`)
  const encoder = encode(o.ffmpeg, width, vh, o.source.fps, ext, tmp, o.file)
  let count = 0
  try {
    let next: IteratorResult<DecodedFrame> = first
    while (!next.done) {
      if (o.signal?.aborted) throw interrupted()
      const t = count
      let svg = ''
      inputs.forEach((pts, i) => {
        if (pts && t < pts.frames) svg += skeletonElements(pts, t, videoFit, 0, 0, vh) + label(pts, t, videoFit, String(o.predictions[i]!.person ?? ''))
      })
      panels.forEach((p, i) => {
        const ox = vw + i * vh
        svg += `<rect x="${ox}" y="0" width="${vh}" height="${vh}" fill="#ffffff"/>`
        svg += panelChrome(ox, 0, vh, `person ${p.person} · 3D`)
        if (t < p.points.frames) svg += skeletonElements(p.points, t, p.fit, ox, 0, vh)
      })
      const doc = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${vh}">${svg}</svg>`)
      const rgb = await sharp(Buffer.from(next.value.rgb.buffer, next.value.rgb.byteOffset, next.value.rgb.byteLength), {raw: {width: vw, height: vh, channels: 3}})
        .extend({right: width - vw, background: {r: 255, g: 255, b: 255}})
        .composite([{input: doc, top: 0, left: 0}])
        .removeAlpha()
        .raw()
        .toBuffer()
      await encoder.write(rgb)
      count++
      next = await frames.next()
    }
    await encoder.end()
    await fsp.rename(tmp, o.file)
  } catch (err) {
    encoder.kill()
    await fsp.rm(tmp, {force: true})
    throw err
  } finally {
    await frames.return(undefined)
  }
  return {width, height: vh, frames: count}
}

/** The person's id next to their head. */
function label(pts: Points2d, t: number, fit: Fit, person: string): string {
  const o = (t * 17 + 10) * 2
  const x = fit.scale * pts.xy[o]!
  const y = fit.scale * pts.xy[o + 1]! - 12
  return `<text x="${Math.round(x)}" y="${Math.round(y)}" font-family="sans-serif" font-size="14" fill="#ffff00" stroke="#000000" stroke-width="0.5">${person.replace(/[<>&]/g, '_')}</text>`
}

interface Encoder {
  write(frame: Buffer): Promise<void>
  end(): Promise<void>
  kill(): void
}

/** ffmpeg reading raw RGB frames on stdin and writing `file` as mp4 (H.264), gif (own palette) or webp. */
function encode(ffmpeg: string, width: number, height: number, fps: number, ext: string, file: string, target: string): Encoder {
  const codec =
    ext === '.mp4'
      ? ['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', '-f', 'mp4']
      : ext === '.gif'
        ? ['-vf', 'split[a][b];[a]palettegen[p];[b][p]paletteuse', '-loop', '0', '-f', 'gif']
        : ['-c:v', 'libwebp', '-loop', '0', '-quality', '75', '-f', 'webp']
  const args = ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-r', String(fps), '-i', 'pipe:0', ...codec, file]
  const child = spawn(ffmpeg, args, {stdio: ['pipe', 'ignore', 'pipe']})
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 20_000) stderr += d.toString()
  })
  const closed = new Promise<number>((resolve) => {
    child.on('error', () => resolve(-1))
    child.on('close', (code) => resolve(code ?? -1))
  })
  child.stdin.on('error', () => undefined) // a dead encoder is reported by end()
  const failed = async (): Promise<never> => {
    const code = await closed
    throw inputError(`ffmpeg could not encode ${ext} (exit ${code}): ${stderr.trim().split('\n').at(-1) ?? ''}`, {file: target})
  }
  return {
    async write(frame) {
      if (child.exitCode !== null) await failed()
      if (child.stdin.write(frame)) return
      await new Promise<void>((resolve) => {
        const done = (): void => {
          child.stdin.off('drain', done).off('close', done)
          resolve()
        }
        child.stdin.on('drain', done).on('close', done)
      })
    },
    async end() {
      child.stdin.end()
      if ((await closed) !== 0) await failed()
    },
    kill() {
      child.kill('SIGKILL')
    },
  }
}
