/**
 * `motion export --format onnx`: a model as a self-describing .onnx file — dynamic batch and
 * frames, weights as initializers, and metadata_props saying what goes in and comes out.
 */
import {H36M_JOINTS} from '../core/h36m.js'
import {liftingStrategy} from './lifting.js'
import {writeFileAtomic} from '../formats/atomic.js'
import type {Model} from './model.js'
import {graphOutputNames, modelInputLayout} from './model.js'
import {givesJoints, modelTask} from './native.js'
import {type OutputUnits, officialOutputUnits} from './units.js'
import {DEFAULT_OPSET, toOnnxBytes} from '../nn/onnx/lower.js'
import {recordModelGraph} from './onnx-model.js'

export interface OnnxExportResult {
  file: string
  bytes: number
  opset: number
  inputs: {name: string; shape: (number | string)[]}[]
  outputs: {name: string; shape: (number | string)[]}[]
  metadata: Record<string, string>
}

/** What the metadata_props of an exported model hold (all values are strings; JSON where structured). */
export function exportMetadata(model: Model, maxFrames: number, outputUnits?: OutputUnits, classes?: readonly string[]): Record<string, string> {
  const layout = modelInputLayout(model)
  // MixSTE / Strided: their official normalisation and outputs instead of MotionBERT's.
  const strategy = liftingStrategy(model, outputUnits)
  const poseUnits = givesJoints(model) ? (outputUnits ?? officialOutputUnits(model)) : undefined
  return {
    'motion.format': '1',
    'motion.task': modelTask(model),
    'motion.backbone': model.backbone.name,
    'motion.config': JSON.stringify(model.config),
    'motion.input_layout': JSON.stringify(layout),
    'motion.outputs': JSON.stringify(graphOutputNames(model)),
    'motion.joints': JSON.stringify(H36M_JOINTS),
    'motion.max_frames': String(maxFrames),
    'motion.input_normalisation': strategy?.normalisation ??
      'H36M-17 keypoints per frame; x, y normalised as MotionBERT infer_wild: scale mode (crop_scale): the clip box of confident joints mapped to [-1, 1] by its longer side; pixel mode (--pixel --video-size WxH): (p - [w, h] / 2) / (min(w, h) / 2); channel 3: detector confidence in [0, 1] (0 for missing joints)',
    ...(poseUnits ? {'motion.pose3d_units': poseUnits} : {}),
    // Action models: logits[k] is the score of classes[k].
    ...(classes ? {'motion.classes': JSON.stringify(classes)} : {}),
    'motion.output_units': strategy ? `${strategy.outputUnits}${model.backbone.outputs.includes('pose3d_full') ? '; pose3d_full: the full-window prediction in the same units' : ''}` : 'pose3d: 3D joints in the normalised input units (root-relative when the model was trained with rootrel); representation: DSTformer features',
  }
}

/** `outputUnits`: the pose model's output units (LoadedModel.outputUnits; default the official ones). */
export async function exportOnnx(model: Model, out: string, opts: {exampleShape: readonly number[]; maxFrames: number; opset?: number; outputUnits?: OutputUnits; classes?: readonly string[]}): Promise<OnnxExportResult> {
  const graph = recordModelGraph(model, opts.exampleShape)
  const metadata = exportMetadata(model, opts.maxFrames, opts.outputUnits, opts.classes)
  const opset = opts.opset ?? DEFAULT_OPSET
  const bytes = toOnnxBytes(graph, {metadata, opset})
  await writeFileAtomic(out, bytes)
  return {
    file: out,
    bytes: bytes.byteLength,
    opset,
    inputs: graph.inputs.map((v) => ({name: v.name, shape: [...v.shape]})),
    outputs: graph.outputs.map((v) => ({name: v.name, shape: [...v.shape]})),
    metadata,
  }
}
