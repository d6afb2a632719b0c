/**
 * The `motion` library: `import {predict, loadModel, readKeypoints} from 'motion'`.
 *
 * - `predict(options)` takes the options of `motion predict` (flags camelCased) and returns the
 *   results: per person `pose3d` (a Float32Array with `shape: [T, 17, 3]`), action scores, mesh
 *   arrays, and the report (model, engine, units, options). Without `out` nothing is written.
 * - `loadModel(file)` reads an official checkpoint, a native model folder or a .safetensors file.
 * - `readKeypoints(file)` reads any supported 2D keypoint file into people tracks.
 * Errors are `MotionError`s with an `exitCode` and a `hint`.
 */
export {predict, type PredictApiHooks, type PredictOutcome, type PredictRequest} from './predict/api.js'
export type {ActionPrediction, MeshPrediction, PersonResult, Pose3D, PredictProgress, PredictResult} from './tasks/types.js'
export {loadModel, type LoadedModel, type LoadModelOptions} from './model/load.js'
export {readKeypoints} from './data/keypoints/index.js'
export type {KeypointData, KeypointFormat} from './data/keypoints/types.js'
export {ExitCode, isMotionError, MotionError} from './core/errors.js'
export type {NDArray} from './core/ndarray.js'
