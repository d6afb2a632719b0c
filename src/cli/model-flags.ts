/**
 * Flags shared by the commands that run a model (forward, predict, ...). This module only imports
 * @oclif/core, so command files can use it at top level without loading tfjs or onnxruntime
 * (`motion --help` stays fast); the values are parsed by src/model/engine.ts inside run().
 */
import {Flags} from '@oclif/core'

/** tfjs backends in selection order (as src/nn/tfjs/backend.ts BACKEND_NAMES; a test keeps them equal). */
export const BACKEND_FLAG_OPTIONS = ['auto', 'node-gpu', 'node', 'wasm', 'cpu'] as const
export const ENGINE_FLAG_OPTIONS = ['auto', 'tfjs', 'onnx'] as const

export const engineFlags = {
  engine: Flags.string({
    description: 'Inference engine: onnx (onnxruntime-node, fast on CPUs), tfjs, or auto (default: onnx when onnxruntime-node loads here, else tfjs). The choice is reported. Config key: engine.',
    options: [...ENGINE_FLAG_OPTIONS],
    helpGroup: 'ENGINE',
  }),
  backend: Flags.string({
    description: 'tfjs backend (default auto: the first of node-gpu, node, wasm, cpu that loads). Setting one implies --engine tfjs under auto. Config key: backend.',
    options: [...BACKEND_FLAG_OPTIONS],
    helpGroup: 'ENGINE',
  }),
  threads: Flags.integer({
    description: 'CPU threads for the onnx engine (default: all cores; 1 with predict --stream).',
    min: 1,
    helpGroup: 'ENGINE',
  }),
}

export const CHECKPOINT_DESCRIPTION =
  'Model to run: an official MotionBERT checkpoint (.bin/.pth/.pt), a native model folder (from `motion import`) or a .safetensors file.'
export const CONFIG_DESCRIPTION =
  'Config file (MotionBERT YAML keys as they are, or JSON/JS); model sizes it leaves out are read from the checkpoint (num_heads cannot be: default 8).'

/** Joint layouts of streamed keypoints (as src/predict/stream/messages.ts STREAM_LAYOUTS; a test keeps them equal). */
export const STREAM_LAYOUT_OPTIONS = ['auto', 'coco17', 'halpe26', 'h36m17', 'coco18', 'body25', 'blazepose33'] as const

/** The flags that say which model runs and how, as predict and serve name them. */
interface ModelFlagValues {
  checkpoint?: string
  config?: string
  pixel?: boolean
  'video-size'?: string
  'clip-len'?: number
  flip?: boolean
  rootrel?: boolean
  engine?: string
  backend?: string
  threads?: number
}

/** The model part of the library's requests (src/predict/api.ts ModelRequest), named as it names them. */
export interface ModelRequestFields {
  checkpoint?: string
  config?: string
  pixel?: boolean
  videoSize?: string
  clipLen?: number
  flip?: boolean
  rootrel?: boolean
  engine?: (typeof ENGINE_FLAG_OPTIONS)[number]
  backend?: (typeof BACKEND_FLAG_OPTIONS)[number]
  threads?: number
}

/** The library's ModelRequest from those flags (the values were checked by oclif's `options`). */
export function modelRequestFrom(flags: ModelFlagValues): ModelRequestFields {
  return {
    checkpoint: flags.checkpoint,
    config: flags.config,
    pixel: flags.pixel,
    videoSize: flags['video-size'],
    clipLen: flags['clip-len'],
    flip: flags.flip,
    rootrel: flags.rootrel,
    engine: flags.engine as ModelRequestFields['engine'],
    backend: flags.backend as ModelRequestFields['backend'],
    threads: flags.threads,
  }
}
