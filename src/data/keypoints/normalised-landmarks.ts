/**
 * MediaPipe landmarks normalised to [0, 1] by the image width and height put x and y on different
 * scales; without the image size, lifting them distorts the pose. predict therefore scales them
 * to pixels with --video-size WxH, and refuses them (naming that flag) when no size is known.
 */
import {inputError} from '../../core/errors.js'
import {readKeypoints, type KeypointData, type KeypointFormat} from './index.js'

export interface PredictInput {
  data: KeypointData
  /** True when --video-size scaled normalised landmarks to pixels. */
  videoSizeUsed: boolean
}

export async function readPredictInput(file: string, opts: {format?: KeypointFormat; videoSize?: [number, number]}): Promise<PredictInput> {
  const data = await readKeypoints(file, {format: opts.format})
  if (data.units !== 'normalized' || data.imageSize) return {data, videoSizeUsed: false}
  if (!opts.videoSize) {
    throw inputError('x and y are normalised to [0, 1] by the image width and height, and the file does not give the image size, so the pose would be distorted', {
      file,
      hint: 'pass --video-size WxH (the frame size of the video the landmarks came from), or add "width" and "height" to the file',
    })
  }
  return {data: await readKeypoints(file, {format: opts.format, imageSize: opts.videoSize}), videoSizeUsed: true}
}
