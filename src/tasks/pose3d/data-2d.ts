/**
 * 2D-only training samples (MotionBERT `train_2d`: PoseTrack / InstaVariety detections): keypoint
 * files in any format readKeypoints reads, every person's dense track cut into clip_len windows,
 * each window normalised as the official Dataset2D does (crop_scale with a box ratio drawn from
 * [0.25, 1], clipped to [-1, 1]) and flipped half the time; then the same noise and masking as the
 * 3D batches. The target is the clean normalised window and its confidences weight
 * loss_2d_weighted, as train.py's train_epoch with has_3d=False.
 */
import fs from 'node:fs/promises'
import path from 'node:path'

import {augment2d, type Augment2dOptions, dropConfidence, flipPoses, stack} from '../../data/augment/index.js'
import {readKeypoints} from '../../data/keypoints/index.js'
import {cropScaleAction} from '../../data/ntu.js'
import {selectPeople} from '../../data/people.js'
import {inputError} from '../../core/errors.js'
import type {NDArray} from '../../core/ndarray.js'
import type {BatchSource} from '../batches.js'
import type {Rng} from '../../core/rng.js'
import type {TrainBatch} from '../train-types.js'

/** Dataset2D's default crop_scale ratio range (lib/data/dataset_motion_2d.py). */
export const OFFICIAL_2D_SCALE_RANGE: readonly [number, number] = [0.25, 1]

const J = 17

export interface TwoDBatchOptions {
  batchSize: number
  clipLen: number
  flip: boolean
  augment: Augment2dOptions
  noConf?: boolean
}

/** Every person's track of every file, as `[T, 17, 3]` pixel arrays (x, y, confidence). */
export async function readTracks2d(sources: readonly string[]): Promise<NDArray[]> {
  const tracks: NDArray[] = []
  for (const source of sources) {
    for (const file of await keypointFilesOf(source)) {
      const data = await readKeypoints(file)
      for (const t of selectPeople(data, {all: true}).tracks) tracks.push(t.keypoints)
    }
  }
  return tracks
}

/** A file, an OpenPose folder, or a folder of keypoint files. */
async function keypointFilesOf(source: string): Promise<string[]> {
  const stat = await fs.stat(source).catch(() => null)
  if (!stat) throw inputError(`--data-2d ${source} does not exist`, {hint: 'give a keypoint file (AlphaPose/COCO JSON, CSV, .npy) or a folder of them'})
  if (!stat.isDirectory()) return [source]
  const names = (await fs.readdir(source)).sort()
  if (names.some((n) => n.endsWith('_keypoints.json'))) return [source] // an OpenPose folder is one video
  const files = names.filter((n) => /\.(json|csv|npy|npz)$/i.test(n)).map((n) => path.join(source, n))
  if (files.length === 0) throw inputError(`--data-2d ${source} holds no keypoint files (.json, .csv, .npy, .npz)`)
  return files
}

/** Non-overlapping clip_len windows of each track (`[clipLen, 17, 3]`); shorter tracks are skipped. */
export function windowTracks(tracks: readonly NDArray[], clipLen: number): NDArray[] {
  const out: NDArray[] = []
  const frame = J * 3
  for (const t of tracks) {
    const T = t.shape[0]!
    for (let s = 0; s + clipLen <= T; s += clipLen) {
      out.push({data: t.data.slice(s * frame, (s + clipLen) * frame), shape: [clipLen, J, 3]})
    }
  }
  return out
}

export class TwoDBatchSource implements BatchSource {
  readonly task = 'pose3d' as const

  constructor(
    private readonly windows: readonly NDArray[],
    private readonly opts: TwoDBatchOptions,
  ) {
    if (windows.length === 0) throw inputError(`--data-2d: no track is ${opts.clipLen} frames long (clip_len)`, {hint: 'give longer videos or a smaller clip_len'})
  }

  get size(): number {
    return this.windows.length
  }

  get batchSize(): number {
    return this.opts.batchSize
  }

  /** Input `[N, T, 17, C]` (augmented), target `[N, T, 17, 3]` (clean), conf `[N, T, 17, 1]`. */
  batch(indices: readonly number[], rng: Rng): TrainBatch {
    const clean = stack(indices.map((i) => {
      let w = cropScaleAction(this.windows[i]!, OFFICIAL_2D_SCALE_RANGE, rng)
      if (this.opts.flip && rng.next() > 0.5) w = flipPoses(w)
      return w
    })) // [N, T, J, 3]
    const n = clean.data.length / 3
    const conf = new Float32Array(n)
    for (let i = 0; i < n; i++) conf[i] = clean.data[i * 3 + 2]!
    let input = augment2d({data: Float32Array.from(clean.data), shape: [...clean.shape]}, rng, this.opts.augment)
    if (this.opts.noConf) input = dropConfidence(input)
    return {task: 'pose3d', input, target: clean, conf: {data: conf, shape: [...clean.shape.slice(0, -1), 1]}}
  }
}
