/**
 * Where frames come from: a video file (decoded by ffmpeg) or a folder of images (decoded by
 * sharp, in name order). Both give RGB frames at a requested size: the video scaled so its longer
 * side is `longSide`, optionally padded (right, bottom) to multiples of `multiple`.
 */
import {promises as fsp} from 'node:fs'
import path from 'node:path'
import sharp from 'sharp'

import {dataQualityError, inputError} from '../../core/errors.js'
import {decodeFrames, probeVideo, resolveFfmpeg} from './ffmpeg.js'
import {isImageName} from './input-kind.js'
import type {DecodedFrame} from './detect.js'

export interface FrameSource {
  kind: 'video' | 'images'
  file: string
  /** The video's own size in pixels. */
  width: number
  height: number
  fps: number
  /** Frames expected (exact for images; from the duration for videos). */
  frameEstimate: number
  /** ffmpeg used (videos). */
  ffmpeg?: string
  frames(size: FrameSize): AsyncGenerator<DecodedFrame>
}

export interface FrameSize {
  /** Longer side of the scaled frame. */
  longSide: number
  /** Pad width and height up to a multiple of this (default 1: no padding). */
  multiple?: number
  maxFrames?: number
  /** Even scaled sizes (for encoders that subsample colour). */
  even?: boolean
}

export async function openSource(input: string, opts: {ffmpeg?: string; fps?: number} = {}): Promise<FrameSource> {
  const st = await fsp.stat(input).catch(() => undefined)
  if (!st) throw inputError('no such file or directory', {file: input})
  return st.isDirectory() ? openImages(input, opts.fps) : openVideo(input, opts.ffmpeg)
}

async function openVideo(file: string, explicitFfmpeg: string | undefined): Promise<FrameSource> {
  const ffmpeg = await resolveFfmpeg(explicitFfmpeg)
  const info = await probeVideo(ffmpeg.path, file)
  return {
    kind: 'video',
    file,
    width: info.width,
    height: info.height,
    fps: info.fps,
    frameEstimate: info.frameEstimate,
    ffmpeg: ffmpeg.path,
    async *frames(size) {
      const g = geometry(info.width, info.height, size)
      for await (const rgb of decodeFrames(ffmpeg.path, file, {...g, maxFrames: size.maxFrames})) yield {rgb, width: g.width, height: g.height, scale: g.scale, scaleY: g.scaleY}
    },
  }
}

async function openImages(dir: string, fps: number | undefined): Promise<FrameSource> {
  const names = (await fsp.readdir(dir)).filter(isImageName).sort(new Intl.Collator('en', {numeric: true}).compare)
  if (names.length === 0) throw inputError('holds no images (jpg, png, webp, bmp, tif)', {file: dir})
  const first = path.join(dir, names[0]!)
  const meta = await sharp(first).metadata().catch((err: Error) => {
    throw inputError(`cannot read image ${names[0]}: ${err.message.split('\n')[0]}`, {file: dir})
  })
  if (!meta.width || !meta.height) throw inputError(`cannot read the size of ${names[0]}`, {file: dir})
  const width = meta.width
  const height = meta.height
  return {
    kind: 'images',
    file: dir,
    width,
    height,
    fps: fps ?? 30,
    frameEstimate: names.length,
    async *frames(size) {
      const g = geometry(width, height, size)
      const list = size.maxFrames ? names.slice(0, size.maxFrames) : names
      for (const name of list) {
        const data = await sharp(path.join(dir, name))
          .removeAlpha()
          .resize(g.scaledWidth, g.scaledHeight, {fit: 'fill'})
          .extend({right: g.width - g.scaledWidth, bottom: g.height - g.scaledHeight, background: {r: 0, g: 0, b: 0}})
          .raw()
          .toBuffer({resolveWithObject: true})
          .catch((err: Error) => {
            throw inputError(`cannot read image ${name}: ${err.message.split('\n')[0]}`, {file: dir})
          })
        if (data.info.channels !== 3) throw dataQualityError(`image ${name} has ${data.info.channels} channels, not RGB`, {file: dir})
        yield {rgb: new Uint8Array(data.data.buffer, data.data.byteOffset, data.data.byteLength), width: g.width, height: g.height, scale: g.scale, scaleY: g.scaleY}
      }
    },
  }
}

/** Scaled and padded size for a frame size request. Never enlarges the video. */
export function geometry(width: number, height: number, size: FrameSize): {width: number; height: number; scaledWidth: number; scaledHeight: number; scale: number; scaleY: number} {
  const factor = Math.min(1, size.longSide / Math.max(width, height))
  const step = size.even ? 2 : 1
  const scaledWidth = Math.max(step, Math.round((width * factor) / step) * step)
  const scaledHeight = Math.max(step, Math.round((height * factor) / step) * step)
  const m = size.multiple ?? 1
  return {width: Math.ceil(scaledWidth / m) * m, height: Math.ceil(scaledHeight / m) * m, scaledWidth, scaledHeight, scale: scaledWidth / width, scaleY: scaledHeight / height}
}
