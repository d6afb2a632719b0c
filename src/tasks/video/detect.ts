/**
 * 2D pose detection on decoded frames with the bundled MoveNet models.
 *
 * - multipose: the frame (already letterboxed to the model's input by ffmpeg) in one pass; up to
 *   6 people with boxes. Cost does not grow with the number of people.
 * - lightning (one person): a square crop that follows the person, as MoveNet's own
 *   demos do: the first crop is the whole frame, each next one the previous keypoints' box, enlarged;
 *   after a lost frame it starts from the whole frame again.
 *
 * Keypoints come back in the ORIGINAL video's pixels, COCO-17 order, with MoveNet's scores.
 */
import * as tf from '@tensorflow/tfjs-core'
import type {GraphModel} from '@tensorflow/tfjs-converter'

import {loadDetector} from './detector-models.js'
import {DETECTORS, type DetectorName, type DetectorSpec} from './detectors.js'

/** One person in one frame. */
export interface PoseDetection {
  /** COCO-17 x, y (video pixels), score; [17 * 3]. */
  keypoints: Float32Array
  /** The detector's person score. */
  score: number
  /** Box of the person [x1, y1, x2, y2] in video pixels. */
  box: [number, number, number, number]
}

/** A decoded frame: RGB bytes of width x height, the video scaled by `scale` (then padded). */
export interface DecodedFrame {
  rgb: Uint8Array
  width: number
  height: number
  /** decoded pixels per video pixel, across and down (equal but for rounding of the scaled size) */
  scale: number
  scaleY: number
}

export const NUM_COCO = 17
/** Multipose people below this score are dropped (MoveNet's documented default). */
export const MIN_PERSON_SCORE = 0.25
/** A keypoint counts as seen at this score or above. */
export const MIN_KEYPOINT_SCORE = 0.3

export interface Detector {
  spec: DetectorSpec
  detect(frame: DecodedFrame): Promise<PoseDetection[]>
  /** Forgets the followed crop (single-person models), e.g. between videos. */
  reset(): void
  /**
   * Runs the model once on a black input of the size frames of width x height will give it, so its
   * first real frame does not pay for the backend's first-call set-up. Changes no state or result.
   */
  warmUp(width: number, height: number): Promise<void>
}

export async function createDetector(name: DetectorName): Promise<Detector> {
  const spec = DETECTORS[name]
  const model = await loadDetector(name)
  return spec.kind === 'multi' ? multiDetector(spec, model) : singleDetector(spec, model)
}

function multiDetector(spec: DetectorSpec, model: GraphModel): Detector {
  return {
    spec,
    reset() {},
    warmUp: (width, height) => warmUp(model, [1, height, width, 3]),
    async detect(frame) {
      // [1, H, W, 3] int32 → [1, 6, 56]: 17 x (y, x, score) in [0, 1] of the input, then ymin, xmin, ymax, xmax, score
      const out = tf.tidy(() => model.execute(tf.tensor4d(Int32Array.from(frame.rgb), [1, frame.height, frame.width, 3], 'int32')) as tf.Tensor)
      const values = await out.data()
      out.dispose()
      const people: PoseDetection[] = []
      for (let p = 0; p < 6; p++) {
        const row = p * 56
        const score = values[row + 55]!
        if (score < MIN_PERSON_SCORE) continue
        const keypoints = new Float32Array(NUM_COCO * 3)
        for (let j = 0; j < NUM_COCO; j++) {
          keypoints[j * 3] = (values[row + j * 3 + 1]! * frame.width) / frame.scale
          keypoints[j * 3 + 1] = (values[row + j * 3]! * frame.height) / frame.scaleY
          keypoints[j * 3 + 2] = values[row + j * 3 + 2]!
        }
        const box: PoseDetection['box'] = [
          (values[row + 52]! * frame.width) / frame.scale,
          (values[row + 51]! * frame.height) / frame.scaleY,
          (values[row + 54]! * frame.width) / frame.scale,
          (values[row + 53]! * frame.height) / frame.scaleY,
        ]
        people.push({keypoints, score, box})
      }
      return people
    },
  }
}

async function warmUp(model: GraphModel, shape: [number, number, number, number]): Promise<void> {
  const out = tf.tidy(() => model.execute(tf.zeros(shape, 'int32')) as tf.Tensor)
  await out.data()
  out.dispose()
}

/** A square crop [y1, x1, y2, x2] in decoded pixels. */
export type Crop = [number, number, number, number]

function singleDetector(spec: DetectorSpec, model: GraphModel): Detector {
  let crop: Crop | undefined
  return {
    spec,
    reset() {
      crop = undefined
    },
    warmUp: () => warmUp(model, [1, spec.inputSize, spec.inputSize, 3]),
    async detect(frame) {
      const region = crop ?? wholeFrame(frame)
      const size = spec.inputSize
      // [H, W, 3] frame → [1, size, size, 3] crop (outside the frame: black) → [1, 1, 17, 3] y, x, score in the crop
      const pixels = cropResize(frame, region, size)
      const out = tf.tidy(() => model.execute(tf.tensor4d(pixels, [1, size, size, 3], 'int32')) as tf.Tensor)
      const values = await out.data()
      out.dispose()
      const keypoints = new Float32Array(NUM_COCO * 3)
      let seen = 0
      let total = 0
      for (let j = 0; j < NUM_COCO; j++) {
        const y = region[0] + values[j * 3]! * (region[2] - region[0])
        const x = region[1] + values[j * 3 + 1]! * (region[3] - region[1])
        const s = values[j * 3 + 2]!
        keypoints[j * 3] = x / frame.scale
        keypoints[j * 3 + 1] = y / frame.scaleY
        keypoints[j * 3 + 2] = s
        total += s
        if (s >= MIN_KEYPOINT_SCORE) seen++
      }
      const score = total / NUM_COCO
      const found = seen >= 5 && score >= 0.2
      crop = found ? followCrop(keypoints, frame) : undefined
      if (!found) return []
      return [{keypoints, score, box: keypointBox(keypoints)}]
    },
  }
}

/**
 * Bilinear crop of `region` (decoded pixels, may reach outside the frame: black there) resized to
 * size x size, as int32 RGB. Done here rather than with tf.image.cropAndResize, which would first
 * copy the whole frame into a float tensor.
 */
export function cropResize(frame: DecodedFrame, region: Crop, size: number): Int32Array {
  const out = new Int32Array(size * size * 3)
  const {rgb, width: w, height: h} = frame
  const sy = (region[2] - region[0]) / size
  const sx = (region[3] - region[1]) / size
  for (let oy = 0; oy < size; oy++) {
    const y = region[0] + (oy + 0.5) * sy - 0.5
    if (y < 0 || y > h - 1) continue
    const y0 = Math.floor(y)
    const y1 = Math.min(y0 + 1, h - 1)
    const fy = y - y0
    for (let ox = 0; ox < size; ox++) {
      const x = region[1] + (ox + 0.5) * sx - 0.5
      if (x < 0 || x > w - 1) continue
      const x0 = Math.floor(x)
      const x1 = Math.min(x0 + 1, w - 1)
      const fx = x - x0
      const a = (y0 * w + x0) * 3
      const b = (y0 * w + x1) * 3
      const c = (y1 * w + x0) * 3
      const d = (y1 * w + x1) * 3
      const o = (oy * size + ox) * 3
      for (let ch = 0; ch < 3; ch++) {
        const top = rgb[a + ch]! + (rgb[b + ch]! - rgb[a + ch]!) * fx
        const bottom = rgb[c + ch]! + (rgb[d + ch]! - rgb[c + ch]!) * fx
        out[o + ch] = Math.round(top + (bottom - top) * fy)
      }
    }
  }
  return out
}

/** The square around the whole frame's content (the letterbox the decoder made is not content). */
function wholeFrame(frame: DecodedFrame): Crop {
  const h = frame.height
  const w = frame.width
  const side = Math.max(h, w)
  const cy = h / 2
  const cx = w / 2
  return [cy - side / 2, cx - side / 2, cy + side / 2, cx + side / 2]
}

/** The next crop: the seen keypoints' box in decoded pixels, squared and enlarged 1.5 times (at least 1/4 of the frame). */
function followCrop(keypoints: Float32Array, frame: DecodedFrame): Crop {
  const box = keypointBox(keypoints)
  const [x1, y1, x2, y2] = [box[0] * frame.scale, box[1] * frame.scaleY, box[2] * frame.scale, box[3] * frame.scaleY]
  const side = Math.max(x2 - x1, y2 - y1, Math.max(frame.width, frame.height) / 4) * 1.5
  const cx = (x1 + x2) / 2
  const cy = (y1 + y2) / 2
  return [cy - side / 2, cx - side / 2, cy + side / 2, cx + side / 2]
}

/** Box [x1, y1, x2, y2] of the keypoints seen (all of them if none is). */
export function keypointBox(keypoints: Float32Array): [number, number, number, number] {
  let x1 = Infinity
  let y1 = Infinity
  let x2 = -Infinity
  let y2 = -Infinity
  for (const pass of [MIN_KEYPOINT_SCORE, -Infinity]) {
    for (let j = 0; j < NUM_COCO; j++) {
      if (keypoints[j * 3 + 2]! < pass) continue
      x1 = Math.min(x1, keypoints[j * 3]!)
      y1 = Math.min(y1, keypoints[j * 3 + 1]!)
      x2 = Math.max(x2, keypoints[j * 3]!)
      y2 = Math.max(y2, keypoints[j * 3 + 1]!)
    }
    if (x1 !== Infinity) break
  }
  return [x1, y1, x2, y2]
}
