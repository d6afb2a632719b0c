/**
 * Joint and frame masking of 2D inputs as MotionBERT's pretraining (Augmenter2D.add_mask): each
 * joint of each frame is zeroed (all channels, confidence included) with probability `maskRatio`,
 * and each frame with probability `maskTRatio` — the frame mask shared by the whole batch.
 */
import type {NDArray} from '../../core/ndarray.js'
import type {Rng} from '../../core/rng.js'
import {addSyntheticNoise, OFFICIAL_SYNTHETIC_NOISE, type SyntheticNoiseModel} from './noise.js'

export interface MaskOptions {
  /** Probability that a joint is masked (MotionBERT `mask_ratio`, 0.05 in pretraining). */
  maskRatio: number
  /** Probability that a frame is masked (MotionBERT `mask_T_ratio`, 0.1 in pretraining). */
  maskTRatio: number
}

/** `[N, T, J, C]` (or `[T, J, C]` as one sample) -> masked copy. */
export function maskJointsAndFrames(batch: NDArray, rng: Rng, opts: MaskOptions): NDArray {
  const [T, J, C] = batch.shape.slice(-3) as [number, number, number]
  const N = batch.data.length / (T * J * C)
  const keepFrame = new Uint8Array(T)
  for (let t = 0; t < T; t++) keepFrame[t] = rng.next() > opts.maskTRatio ? 1 : 0
  const out = Float32Array.from(batch.data)
  for (let n = 0; n < N; n++) {
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < J; j++) {
        // The joint draw happens for every joint, masked frame or not, so the stream of draws is fixed.
        const keepJoint = rng.next() > opts.maskRatio
        if (keepJoint && keepFrame[t]) continue
        out.fill(0, ((n * T + t) * J + j) * C, ((n * T + t) * J + j + 1) * C)
      }
    }
  }
  return {data: out, shape: [...batch.shape]}
}

export interface Augment2dOptions extends Partial<MaskOptions> {
  /** Apply the synthetic noise model (MotionBERT `noise`; only for samples with ground truth). */
  noise?: boolean
  noiseModel?: SyntheticNoiseModel
}

/**
 * Augmenter2D.augment2D as train.py drives it: noise when enabled, then masking only when both
 * ratios are positive (train.py: `args.mask = mask_ratio > 0 and mask_T_ratio > 0`). `[N, T, J, 3]`.
 */
export function augment2d(batch: NDArray, rng: Rng, opts: Augment2dOptions): NDArray {
  let x = batch
  if (opts.noise) x = addSyntheticNoise(x, rng, opts.noiseModel ?? OFFICIAL_SYNTHETIC_NOISE)
  const maskRatio = opts.maskRatio ?? 0
  const maskTRatio = opts.maskTRatio ?? 0
  if (maskRatio > 0 && maskTRatio > 0) x = maskJointsAndFrames(x, rng, {maskRatio, maskTRatio})
  return x
}
