/** The inputs and results of `motion predict`, shared by the orchestration and the task runners. */
import type {Task} from '../heads/tasks.js'
import type {RawConfig} from '../config/types.js'
import type {KeypointData, KeypointFormat} from '../data/keypoints/types.js'
import type {PeopleSelection, PersonSummary, PersonTrack} from '../data/people.js'
import type {SmoothMethod} from '../data/smooth.js'
import type {WildProgress} from '../data/wild.js'
import type {PoseUnits} from '../formats/writers/types.js'
import type {EngineOptions, InferenceEngine} from '../model/engine.js'
import type {LoadedModel} from '../model/load.js'
import type {OutputUnits} from '../model/units.js'
import type {Prediction} from '../formats/writers/types.js'
import type {VideoDetections, VideoProgress} from './video/detect-video.js'
import type {VideoInputOptions} from './video/predict-video.js'

export interface PredictOptions {
  /** Keypoint file or OpenPose folder. */
  input: string
  /** Force the input format instead of detecting it. */
  format?: KeypointFormat
  /** Output file; the writer is chosen by its extension (.npy, .json, .csv, .bvh). Omitted: nothing is written (library use). */
  out?: string
  /** Model file or folder; undefined: the bundled default model for the task. */
  checkpoint?: string
  /** Model keys given explicitly (--config, flags); checkpoint shapes decide the rest. */
  modelConfig?: RawConfig
  /** Config files that were read, for the record. */
  configFiles?: string[]
  /** What to predict (default pose3d). */
  task?: Task
  /** One person by id (infer_wild's --focus); default: the longest track. */
  person?: string
  /** One output per person. */
  allPeople?: boolean
  /** Keep pixel scale (needs videoSize) instead of scaling each track to [-1, 1]. */
  pixel?: boolean
  videoSize?: [number, number]
  /** Frames per model call; default: the config's clip_len when given, else the model's longest clip. */
  clipLen?: number
  /** Flip test-time augmentation (default true). */
  flip?: boolean
  /** Root-relative output. */
  rootrel?: boolean
  /** Frames shared (and blended) by consecutive windows. */
  overlap?: number
  smooth?: SmoothMethod
  /** 'rigid': one set of bone lengths per person, fitted over the track (src/core/skeleton-fit.ts). */
  skeleton?: 'raw' | 'rigid'
  /** Frames per second of the source (BVH frame time, one-euro smoothing, animations). */
  fps?: number
  /** Picture of the result: .png contact sheet, .gif / .webp animation. */
  render?: string
  engine?: EngineOptions
  /** Video input (a video file or a folder of images; see src/tasks/video): detector, ffmpeg, --save-2d. */
  video?: VideoInputOptions
  /** Stops the run (Ctrl-C): nothing is written, or what was written is removed. */
  signal?: AbortSignal
}

/** Progress of one person's windows. */
export interface PredictProgress extends WildProgress {
  person: string
  /** Index of this person among those predicted, and how many there are. */
  personIndex: number
  people: number
  frames: number
}

export interface PredictHooks {
  /** Called after each model window (for progress bars). */
  onProgress?(progress: PredictProgress): void
  /** Called once the input is read and people chosen, before the model runs (video: the 2D came from the detector). */
  onPlan?(plan: {data: KeypointData; selection: PeopleSelection; windowsPerPerson: number[]; video: boolean}): void
  /** Video input: after each frame is decoded, detected and tracked. */
  onVideoFrame?(progress: VideoProgress): void
  /** Called by the pose3d task with each person's prediction, before anything is written. */
  onPrediction?(prediction: Prediction, index: number): void
  /** Called by a task when it starts writing its outputs (ends the lift stage). */
  onWriting?(): void
}

/** Milliseconds per stage of a video run (decode and detect overlap: ffmpeg decodes ahead). */
export interface StageTimes {
  decode_ms: number
  detect_ms: number
  track_ms: number
  lift_ms: number
  write_ms: number
  /**
   * Time between detection and lifting: choosing people, and what was left of loading the model
   * and starting its engine (for a video those run while the frames are detected, model_load_ms).
   */
  setup_ms: number
  /** Loading the pose model and starting its engine (session included), started with detection and overlapping it. */
  model_load_ms: number
  total_ms: number
}

export interface PersonResult {
  /** The track id: a number when it is one (docs/outputs.md). */
  person: number | string
  /** Frames in the output (one per video frame). */
  frames: number
  detectedFrames: number
  filledFrames: number
  duplicateFrames: number
  /** The file written for this person (null when nothing was written). */
  out: string | null
  /** Files written for this person when out names a folder (mesh .obj: one per frame). */
  files?: number
  render: string | null
  /** --task pose3d: the 3D joints, [T, 17, 3] in the result's units. */
  pose3d?: Pose3D
  /** --task action: the person's label and class scores. */
  action?: ActionPrediction
  /** --task mesh: SMPL parameters, vertices and joints per frame. */
  mesh?: MeshPrediction
}

/** A typed array of 3D joints with its shape: frame t, joint j (H36M-17 order), axis k at [(t * 17 + j) * 3 + k]. */
export type Pose3D = Float32Array & {readonly shape: readonly [number, 17, 3]}

/** One person's mesh, per frame (vertices and joints in mm; faces index the vertices). */
export interface MeshPrediction {
  /** [T, 82]: 72 pose (24 joints, axis-angle), then 10 shape betas. */
  theta: Float32Array & {readonly shape: readonly [number, 82]}
  /** [T, V, 3]. */
  vertices: Float32Array & {readonly shape: readonly [number, number, 3]}
  /** [T, 17, 3] H36M joints regressed from the mesh. */
  joints: Float32Array & {readonly shape: readonly [number, 17, 3]}
  /** [F, 3] triangle indices into the vertices. */
  faces: Uint32Array | Int32Array
}

/** One person's action: the label, the mean class probability over windows, and each window's top class. */
export interface ActionPrediction {
  person: number | string
  label: string
  /** Class name → mean softmax probability over the windows (sums to 1). */
  scores: Record<string, number>
  /** Frames [start, end) of each window with its own top class. */
  windows: {start: number; end: number; label: string; score: number}[]
}

export interface PredictResult {
  task: Task
  input: string
  format: KeypointFormat
  /** Video frames in the input. */
  frames: number
  /** Why these people: the id asked for, the longest track by default, or all people. */
  reason: PeopleSelection['reason']
  people: PersonResult[]
  /** The tracks not predicted, longest first. */
  others: PersonSummary[]
  /** With --all-people: people skipped because none of their keypoints has a nonzero confidence. */
  skipped: string[]
  units: PoseUnits
  rootRelative: boolean
  /** outputUnits: what the model itself predicts pose3d in (pose models; see src/model/units.ts). */
  model: {path: string; bundled: boolean; kind: string; backbone: string; head: string; outputUnits?: OutputUnits}
  engine: {name: string; reason: string; backend: string | null; threads: number | null}
  options: Record<string, unknown>
  /** Video input: the source, the detector, people found, and --save-2d / --render files. */
  video?: Omit<VideoDetections, 'records' | 'times'> & {save2d: string | null; render: string | null}
  /** Video input: time per stage. */
  times?: StageTimes
}

/** What the orchestration hands a task runner: input read, people chosen, model loaded, engine ready. */
export interface TaskContext {
  options: PredictOptions
  data: KeypointData
  selection: PeopleSelection
  tracks: PersonTrack[]
  loaded: LoadedModel
  /** How the model is named in outputs (a path or `bundled models/pose3d`). */
  modelLabel: string
  engine: InferenceEngine
  /** Output file for each track (one per person with --all-people); out null: nothing is written. */
  outputs: {out: string | null; render: string | null}[]
  hooks: PredictHooks
}

export interface TaskOutcome {
  people: PersonResult[]
  units: PoseUnits
  rootRelative: boolean
  options: Record<string, unknown>
}

/** A task's predict path (pose3d here; action and mesh plug in to the table in tasks.ts). */
export type PredictTaskRunner = (ctx: TaskContext) => Promise<TaskOutcome>
