/** Augmentation and normalisation of 3D training data: virtual cameras, normalisation, flip, noise, masking. */
export {
  type CameraPose,
  type CameraRanges,
  DEFAULT_CAMERA_RANGES,
  imageSpacePose,
  type ImageSpacePose,
  lookAtCamera,
  projectToPixels,
  type Range,
  sampleCamera,
  validateCameraRanges,
  type VirtualCamera,
  worldToCamera,
} from './camera.js'
export {dropConfidence, withConfidence} from './confidence.js'
export {type InputLayout, rebuildAsLayout, synthesisedJoints} from './input-layout.js'
export {flipPoses} from './flip.js'
export {augment2d, type Augment2dOptions, maskJointsAndFrames, type MaskOptions} from './mask.js'
export {addGaussianNoise, addSyntheticNoise, OFFICIAL_SYNTHETIC_NOISE, type SyntheticNoiseModel} from './noise.js'
export {cropScale3d, type CropScale3dResult, denormaliseByImage, depthRelativeToFirstRoot, normaliseByImage, rootRelative} from './normalise.js'
export {makeTrainingPair, type Normalisation, stack, type TrainingPair, type TrainingPairOptions} from './sample.js'
