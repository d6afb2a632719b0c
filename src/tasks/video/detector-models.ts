/**
 * Loads the bundled 2D detectors (the table in ./detectors.ts) from models/detector/, through an
 * in-memory IO handler (model.json + its .bin shards), since tf.loadGraphModel('file://…') needs
 * tfjs-node. Nothing is downloaded.
 */
import {existsSync, promises as fsp} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import * as tf from '@tensorflow/tfjs-core'
import {loadGraphModel, type GraphModel} from '@tensorflow/tfjs-converter'

import {modelError} from '../../core/errors.js'
import {DETECTORS, type DetectorName} from './detectors.js'

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
