/**
 * What a pose model's `pose3d` output is measured in. It depends on how the weights were trained,
 * not on the architecture alone:
 *  - official MotionBERT (DSTformer) checkpoints: normalised 2.5D image coordinates (infer_wild's
 *    output, x, y as the normalised 2D input and depth on the same scale);
 *  - official MixSTE / Strided Transformer checkpoints: Human3.6M camera coordinates in metres;
 *  - anything our training loop produced: normalised, since its targets use MotionBERT's image
 *    normalisation (src/data/augment), whatever the backbone.
 * Native model folders record it (config.json `outputUnits`); predict and eval convert from it.
 */
import type {PoseUnits} from '../formats/writers/types.js'
import type {ModelSpec} from './model.js'

import {type OutputUnits} from '../nn/registry/units.js'

export {isOutputUnits, OUTPUT_UNITS, type OutputUnits} from '../nn/registry/units.js'

/** The units every model trained by `motion pretrain/finetune` predicts pose3d in. */
export const TRAINED_OUTPUT_UNITS: OutputUnits = 'normalized'

/**
 * Units of an official checkpoint's pose3d: its backbone's own output layers (head `none`) as the
 * backbone's official training says, MotionBERT's pose head normalised.
 */
export function officialOutputUnits(spec: ModelSpec): OutputUnits {
  return spec.head.name === 'none' ? (spec.backbone.official.outputUnits ?? 'normalized') : 'normalized'
}

/** How predict reports model output: the written units and the factor from model units to them. */
export function reportedUnits(units: OutputUnits): {units: PoseUnits; scale: number} {
  if (units === 'metres') return {units: 'mm', scale: 1000}
  if (units === 'millimetres') return {units: 'mm', scale: 1}
  return {units: 'normalized', scale: 1}
}

/** A phrase for messages and metadata. */
export function describeOutputUnits(units: OutputUnits): string {
  if (units === 'metres') return 'metres (camera coordinates)'
  if (units === 'millimetres') return 'millimetres (camera coordinates)'
  return 'normalised image units (x, y as the normalised 2D input, depth on the same scale)'
}
