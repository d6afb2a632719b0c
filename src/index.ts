/**
 * The `motion` library: `import {predict, predictStream, loadModel, readKeypoints} from 'motion'`.
 *
 * - `predict(options)` takes the options of `motion predict` (flags camelCased) and returns the
 *   results: per person `pose3d` (a Float32Array with `shape: [T, 17, 3]`), action scores, mesh
 *   arrays, and the report (model, engine, units, options; `video` for video input). Without `out`
 *   nothing is written. The input may be a keypoint file or a video (2D from the bundled detector).
 * - `predictStream(options, lines, write)` is `motion predict --stream`: NDJSON 2D frames in, one
 *   NDJSON line of 3D per frame out; `serve(options)` is `motion serve`, the same on a WebSocket.
 * - `loadModel(file)` reads an official checkpoint, a native model folder or a .safetensors file.
 * - `readKeypoints(file)` reads any supported 2D keypoint file into people tracks.
 * Errors are `MotionError`s with an `exitCode` and a `hint`.
 */
export {
  predict,
  predictStream,
  serve,
  type ModelRequest,
  type PredictApiHooks,
  type PredictOutcome,
  type PredictRequest,
  type PredictStreamHooks,
  type ServeRequest,
  type StreamRequest,
} from './predict/api.js'
export type {ServeHooks, ServeSummary, StreamServer} from './predict/stream/serve.js'
export type {StreamInfo, StreamSummary} from './predict/stream/run.js'
export type {ActionPrediction, MeshPrediction, PersonResult, Pose3D, PredictProgress, PredictResult} from './tasks/types.js'
export {loadModel, type LoadedModel, type LoadModelOptions} from './model/load.js'
export {readKeypoints} from './data/keypoints/index.js'
export type {KeypointData, KeypointFormat} from './data/keypoints/types.js'
export {ExitCode, isMotionError, MotionError} from './core/errors.js'
export type {NDArray} from './core/ndarray.js'
