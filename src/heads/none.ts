/**
 * The empty head: the model's outputs are the backbone's own (MixSTE and the Strided Transformer
 * end in their own output layers; a DSTformer without `head` weights gives its representation).
 */
import type {HeadEntry} from '../nn/registry/head.js'

export const none: HeadEntry<Record<string, never>> = {
  name: 'none',
  description: "no head: the backbone's own outputs (backbones with output layers, or feature extraction)",
  // The lifters' own output layers give 3D poses.
  task: 'pose3d',
  configKeys: [],
  defaults: {},
  inputLayout: [],
  outputs: [],
  exposesRepresentation: false,
  needsRepresentation: false,
  inferConfig: () => ({}),
  expectedParams: () => new Map(),
  backboneInputShape: (shape) => [...shape],
  prepareInput: (_ops, x) => x,
  forward: (_ops, features) => ({...features}),
}
