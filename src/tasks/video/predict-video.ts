/**
 * What `motion predict` does differently for a video (or a folder of images): the keypoints come
 * from detectVideo instead of a file, and afterwards --save-2d and a video --render are written.
 * The detections become KeypointData through the AlphaPose reader itself, from the very records
 * --save-2d writes, so `motion predict saved.json` lifts exactly the same 2D.
 */
import {promises as fsp} from 'node:fs'
import path from 'node:path'

import {readAlphaPose} from '../../data/keypoints/alphapose.js'
import type {KeypointData} from '../../data/keypoints/types.js'
import {inputError} from '../../core/errors.js'
import {writeFileAtomic} from '../../formats/atomic.js'
import type {Prediction} from '../../formats/writers/types.js'
import {detectVideo, interrupted, type VideoDetections, type VideoProgress} from './detect-video.js'
import type {DetectorName} from './detectors.js'
import {isVideoRenderFile, renderVideo, VIDEO_RENDER_EXTENSIONS} from './render-video.js'
import {openSource} from './source.js'


export interface VideoInputOptions {
  detector?: DetectorName
  ffmpeg?: string
  /** Decode at most this many frames. */
  maxFrames?: number
  /** multipose input size (--detector-size). */
  inputSize?: number
  /** Write the tracked 2D as AlphaPose JSON here. */
  save2d?: string
}

/** Output checks that come before any decoding: --save-2d is .json, a video --render is .mp4/.gif/.webp, folders exist. */
export async function checkVideoOutputs(o: {save2d?: string; render?: string; out?: string}): Promise<void> {
  if (o.render !== undefined && !isVideoRenderFile(o.render)) {
    throw inputError(`a video renders to ${VIDEO_RENDER_EXTENSIONS.join(', ')}, not '${path.extname(o.render) || '(no extension)'}'`, {file: o.render})
  }
  if (o.save2d !== undefined && path.extname(o.save2d).toLowerCase() !== '.json') {
    throw inputError('--save-2d writes AlphaPose JSON: give a .json file', {file: o.save2d})
  }
  for (const f of [o.save2d, o.render]) {
    if (f === undefined) continue
    if (o.out !== undefined && path.resolve(f) === path.resolve(o.out)) throw inputError('names the same file as --out', {file: f})
    const dir = await fsp.stat(path.dirname(path.resolve(f))).catch(() => undefined)
    if (!dir?.isDirectory()) throw inputError(`output folder ${path.dirname(path.resolve(f))} does not exist`, {file: f})
  }
}

export interface VideoKeypoints {
  data: KeypointData
  detections: VideoDetections
}

export async function readVideoKeypoints(input: string, o: VideoInputOptions & {fps?: number; signal?: AbortSignal; onFrame?(p: VideoProgress): void}): Promise<VideoKeypoints> {
  const detections = await detectVideo({input, detector: o.detector, ffmpeg: o.ffmpeg, fps: o.fps, maxFrames: o.maxFrames, inputSize: o.inputSize, signal: o.signal, onFrame: o.onFrame})
  const data = readAlphaPose(input, detections.records)
  return {data, detections}
}

/**
 * Writes --save-2d and the video --render after the task's own outputs. If anything fails or the
 * run is interrupted, every file this run created (the task's outputs included) is removed again.
 */
export async function writeVideoExtras(o: {
  video: VideoKeypoints
  options: VideoInputOptions & {render?: string; signal?: AbortSignal}
  predictions: readonly Prediction[]
  created: readonly string[]
}): Promise<{save2d: string | null; render: string | null}> {
  const created = [...o.created]
  try {
    if (o.options.signal?.aborted) throw interrupted()
    let save2d: string | null = null
    if (o.options.save2d !== undefined) {
      save2d = path.resolve(o.options.save2d)
      const existed = await exists(save2d)
      await writeFileAtomic(save2d, `${JSON.stringify(o.video.detections.records)}\n`)
      if (!existed) created.push(save2d)
    }
    let render: string | null = null
    if (o.options.render !== undefined) {
      render = path.resolve(o.options.render)
      const source = await openSource(o.video.detections.source.file, {ffmpeg: o.options.ffmpeg, fps: o.video.detections.source.fps})
      const ffmpeg = source.ffmpeg ?? (await (await import('./ffmpeg.js')).resolveFfmpeg(o.options.ffmpeg)).path
      await renderVideo({source, predictions: o.predictions, file: render, ffmpeg, maxFrames: o.options.maxFrames, signal: o.options.signal})
    }
    if (o.options.signal?.aborted) throw interrupted()
    return {save2d, render}
  } catch (err) {
    for (const f of created) await fsp.rm(f, {force: true}).catch(() => undefined)
    throw err
  }
}

async function exists(file: string): Promise<boolean> {
  return Boolean(await fsp.stat(file).catch(() => undefined))
}
