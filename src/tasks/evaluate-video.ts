/**
 * The static-camera protocol of `motion eval --camera static`: every test clip is filmed whole by
 * one static camera (3-15 m away, the person moving through the frame, off-centre, whole body in
 * view; src/data/augment/video-view.ts), its 2D track (exact, or with detector-like noise) goes
 * through the same per-track pipeline `motion predict` runs for the model (window-normalised
 * models: predictWindowedStream; others: infer_wild's predictWildStream), and the result is scored
 * against the camera-space truth, root-relative, per frame:
 *  - N-MPJPE (least-squares scale) and P-MPJPE (similarity Procrustes), mm, for every model;
 *  - MPJPE, mm, for models with metric output;
 *  - bone-length steadiness: the median over bones of each bone's length CV over the clip, on the
 *    raw output (0 for real bodies);
 *  - seam jumps: the largest frame-to-frame step over the median step, divided by the same ratio
 *    of the truth (1: no jump that the motion itself does not have).
 * Action models: evaluateVideoActionProtocol, the same cameras, top-1 over 2-second windows.
 * Each action's figure is the mean over its frames (bone CV and jumps: the median over its clips);
 * the overall figure is the mean over actions, as the H36M table. The same errors averaged over
 * clips and over frames are reported beside it (`byClip`, `byFrame`): with one long clip for some
 * actions and 18 short ones for another, the three weightings differ by 10 mm on CMU test.
 */
import {addDetectorNoise, EVAL_DETECTOR_NOISE} from '../data/augment/detector-noise.js'
import type {InputLayout} from '../data/augment/input-layout.js'
import {sampleVideoView, VIDEO_VIEW_RANGES, type VideoView} from '../data/augment/video-view.js'
import {NUM_JOINTS} from '../core/h36m.js'
import type {MotionClip} from '../data/motion3d/clip.js'
import {resampleFps} from '../data/motion3d/resample.js'
import {boneLengthCv, jumpRatio, median, rigidSkeleton} from '../core/skeleton-fit.js'
import {normalizeWindow, predictWildStream, type RunModel} from '../data/wild.js'
import {clipWindows} from '../data/motion3d/windows.js'
import {takeFrames} from '../data/motion3d/resample.js'
import {inputError} from '../core/errors.js'
import {type ActionEvalResult, actionEvalResult, evalIndices} from './evaluate.js'
import {predictWindowedStream, windowOverlap} from '../data/windowed.js'
import {mpjpe} from '../metrics/mpjpe.js'
import {trackProbabilities} from '../metrics/topk.js'
import {nMpjpe} from '../metrics/n-mpjpe.js'
import {pMpjpe} from '../metrics/procrustes.js'
import {rootRelative} from '../metrics/summary.js'
import type {InferenceSettings} from '../model/native.js'
import type {OutputUnits} from '../model/units.js'
import type {NDArray} from '../core/ndarray.js'
import {imitateLayout} from './pose3d/video-data.js'
import {withConfidence} from '../data/augment/confidence.js'
import {Rng} from '../core/rng.js'

export interface VideoEvalOptions {
  cameraSeed: number
  /** Detector-like noise on the 2D track (a fixed, moderate setting). */
  noise: boolean
  /** Keypoint layout whose reader the 2D input imitates. */
  layout: InputLayout
  /** Clips are resampled to this rate first. */
  fps: number
  /** The model's recorded inference settings (window-normalised models) or none (infer_wild). */
  inference?: InferenceSettings
  /** Frames per model call (the model's maxlen unless its inference settings say). */
  clipLen: number
  flip: boolean
  noConf: boolean
  outputUnits: OutputUnits
  /** At most this many clips (spread evenly over the split). */
  limit?: number
}

export interface VideoEvalRow {
  action: string
  clips: number
  frames: number
  /** mm; null for models whose output has no metric scale. */
  mpjpe: number | null
  p_mpjpe: number
  /** N-MPJPE (mm) of the same output after --skeleton rigid's fit (constant bone lengths). */
  n_mpjpe_rigid: number
  n_mpjpe: number
  /** Median over the action's clips. */
  bone_cv: number
  /** Median over the action's clips of pred / truth jump ratio. */
  jump_ratio: number
}

/** Errors (mm) averaged one way. */
export interface VideoEvalMeans {
  mpjpe: number | null
  p_mpjpe: number
  n_mpjpe: number
}

export interface VideoEvalResult {
  protocol: 'static camera'
  /** Means over actions, mm, root-relative. */
  mpjpe: number | null
  p_mpjpe: number
  n_mpjpe: number
  /** N-MPJPE after --skeleton rigid's fit; docs/default-models.md compares it with n_mpjpe. */
  n_mpjpe_rigid: number
  /** Median over all clips. */
  bone_cv: number
  jump_ratio: number
  /** Largest pred / truth jump ratio of any clip. */
  jump_ratio_max: number
  frames: number
  clips: number
  perAction: VideoEvalRow[]
  /** Each clip's mean over its frames, then the mean over clips. */
  byClip: VideoEvalMeans
  /** The mean over every frame of every clip. */
  byFrame: VideoEvalMeans
  units: 'mm'
}

export async function evaluateVideoProtocol(run: RunModel, clips: readonly MotionClip[], opts: VideoEvalOptions): Promise<VideoEvalResult> {
  const chosen = evalIndices(clips.length, opts.limit).map((i) => clips[i]!)
  const rng = new Rng(opts.cameraSeed)
  const toMm = opts.outputUnits === 'metres' ? 1000 : opts.outputUnits === 'millimetres' ? 1 : null
  const byAction = new Map<string, {mpjpe: number[]; p: number[]; n: number[]; nRigid: number[]; cv: number[]; jump: number[]; clips: number}>()
  const allCv: number[] = []
  const allJump: number[] = []
  const clipMeans: {mpjpe: number[]; p: number[]; n: number[]} = {mpjpe: [], p: [], n: []}
  for (const clip of chosen) {
    const filmed = filmStatic(clip, rng, opts)
    if (!filmed) continue
    const {view, keypoints, T} = filmed
    const pred = await liftTrack(run, keypoints, opts)
    const p = rootRelative({data: pred.data, shape: [T, NUM_JOINTS, 3]})
    const g = rootRelative({data: view.camera.data, shape: [T, NUM_JOINTS, 3]})
    const action = clip.action ?? '(all)'
    let row = byAction.get(action)
    if (!row) byAction.set(action, (row = {mpjpe: [], p: [], n: [], nRigid: [], cv: [], jump: [], clips: 0}))
    row.clips++
    if (toMm !== null) {
      const scaled = {data: Float64Array.from(p.data, (v) => v * toMm), shape: p.shape}
      const e = mpjpe(scaled, g)
      row.mpjpe.push(...e.perFrame)
      clipMeans.mpjpe.push(e.mean)
    }
    const pe = pMpjpe(p, g)
    const ne = nMpjpe(p, g)
    row.p.push(...pe.perFrame)
    row.n.push(...ne.perFrame)
    clipMeans.p.push(pe.mean)
    clipMeans.n.push(ne.mean)
    row.nRigid.push(...nMpjpe(rootRelative({data: rigidSkeleton(pred).data, shape: [T, NUM_JOINTS, 3]}), g).perFrame)
    const cv = boneLengthCv(pred)
    const jump = jumpRatio(pred) / jumpRatio(view.camera)
    row.cv.push(cv)
    row.jump.push(jump)
    allCv.push(cv)
    allJump.push(jump)
  }
  const perAction = [...byAction.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([action, r]): VideoEvalRow => ({
      action,
      clips: r.clips,
      frames: r.n.length,
      mpjpe: toMm === null ? null : mean(r.mpjpe),
      p_mpjpe: mean(r.p),
      n_mpjpe: mean(r.n),
      n_mpjpe_rigid: mean(r.nRigid),
      bone_cv: median(r.cv),
      jump_ratio: median(r.jump),
    }))
  const frames = perAction.reduce((s, r) => s + r.frames, 0)
  // an action's figure is the mean over its frames, so weighting it by them gives the mean over all frames
  const overFrames = (metric: (r: VideoEvalRow) => number): number => perAction.reduce((s, r) => s + metric(r) * r.frames, 0) / Math.max(frames, 1)
  return {
    protocol: 'static camera',
    mpjpe: toMm === null ? null : mean(perAction.map((r) => r.mpjpe!)),
    p_mpjpe: mean(perAction.map((r) => r.p_mpjpe)),
    n_mpjpe: mean(perAction.map((r) => r.n_mpjpe)),
    n_mpjpe_rigid: mean(perAction.map((r) => r.n_mpjpe_rigid)),
    bone_cv: median(allCv),
    jump_ratio: median(allJump),
    jump_ratio_max: allJump.length ? Math.max(...allJump) : 0,
    frames,
    clips: perAction.reduce((s, r) => s + r.clips, 0),
    perAction,
    byClip: {mpjpe: toMm === null ? null : mean(clipMeans.mpjpe), p_mpjpe: mean(clipMeans.p), n_mpjpe: mean(clipMeans.n)},
    byFrame: {mpjpe: toMm === null ? null : overFrames((r) => r.mpjpe!), p_mpjpe: overFrames((r) => r.p_mpjpe), n_mpjpe: overFrames((r) => r.n_mpjpe)},
    units: 'mm',
  }
}

/**
 * The clip at `fps`, filmed whole by one static camera: the camera-space truth and the 2D track a
 * reader of `layout` would give (exact, or with moderate detector noise). Null for a clip too short.
 */
function filmStatic(clip: MotionClip, rng: Rng, opts: Pick<VideoEvalOptions, 'fps' | 'noise' | 'layout'>): {view: VideoView; keypoints: NDArray; T: number} | null {
  const world = clip.fps && clip.fps !== opts.fps ? resampleFps(clip.positions, clip.fps, opts.fps) : clip.positions
  const T = world.shape[0]!
  if (T < 2) return null
  const view = sampleVideoView(world, rng, VIDEO_VIEW_RANGES, 'static')
  const keypoints = opts.noise ? addDetectorNoise(view.pixels, rng, EVAL_DETECTOR_NOISE, 0) : withConfidence(view.pixels, 1)
  return {view, keypoints: imitateLayout(keypoints, opts.layout), T}
}

/** One track through the pipeline predict runs for this model; `[T, 17, 3]` in model units. */
async function liftTrack(run: RunModel, keypoints: NDArray, opts: VideoEvalOptions): Promise<NDArray> {
  if (opts.inference?.inputNorm === 'window') {
    const clipLen = opts.inference.clipLen ?? opts.clipLen
    const stream = predictWindowedStream(keypoints, {clipLen, overlap: windowOverlap(clipLen, undefined, opts.inference.overlap), flip: opts.flip, noConf: opts.noConf}, run)
    for (;;) {
      const step = await stream.next()
      if (step.done) return step.value.x3d
    }
  }
  const stream = predictWildStream(keypoints, {mode: 'scale', clipLen: opts.clipLen, flip: opts.flip, rootrel: false, noConf: opts.noConf}, run)
  for (;;) {
    const step = await stream.next()
    if (step.done) return step.value.x3d
  }
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, v) => a + v, 0) / Math.max(xs.length, 1)
}


export interface VideoActionEvalOptions {
  cameraSeed: number
  noise: boolean
  layout: InputLayout
  fps: number
  /** Window length (2 s at 30 fps for the bundled model). */
  clipLen: number
  /** The model's class names, in label order; clips' actions are mapped onto them. */
  classes: readonly string[]
  persons: number
  noConf: boolean
  limit?: number
}

export interface VideoActionEvalResult extends ActionEvalResult {
  /**
   * Top-1 over whole clips (%), each labelled by the mean of its windows' probabilities, as
   * `motion predict --task action` labels a person's track.
   */
  clipTop1: number
  clips: number
}

/**
 * Action recognition under the static-camera protocol: each test clip filmed whole by one static
 * camera (as for pose), its 2D track cut into consecutive windows of clipLen frames (a shorter clip:
 * one window resampled to clipLen), each window normalised by its own box as predict does, and
 * top-1/top-5 over the windows, and top-1 over the clips (each labelled as predict labels a track).
 */
export async function evaluateVideoActionProtocol(logitsOf: RunModel, clips: readonly MotionClip[], opts: VideoActionEvalOptions): Promise<VideoActionEvalResult> {
  const rng = new Rng(opts.cameraSeed)
  const logits: number[] = []
  const labels: number[] = []
  let clipsRight = 0
  let clipsScored = 0
  for (const clip of evalIndices(clips.length, opts.limit).map((i) => clips[i]!)) {
    const label = clip.action === null ? -1 : opts.classes.indexOf(clip.action)
    if (label < 0) throw inputError(`clip's action ${JSON.stringify(clip.action)} is not one of the model's classes (${opts.classes.join(', ')})`, {file: clip.file})
    const filmed = filmStatic(clip, rng, opts)
    if (!filmed) continue
    const {keypoints, T} = filmed
    const windows = clipWindows(T, opts.clipLen, opts.clipLen)
    const channels = opts.noConf ? 2 : 3
    const per = opts.clipLen * NUM_JOINTS * channels
    // [W, M, clipLen, 17, C]: the person, zeros for the other people slots
    const batch = new Float32Array(windows.length * opts.persons * per)
    windows.forEach((indices, w) => {
      const norm = normalizeWindow(takeFrames(keypoints, indices))
      for (let k = 0; k < opts.clipLen * NUM_JOINTS; k++) for (let c = 0; c < channels; c++) batch[w * opts.persons * per + k * channels + c] = norm.data[k * 3 + c]!
    })
    const out = await logitsOf({data: batch, shape: [windows.length, opts.persons, opts.clipLen, NUM_JOINTS, channels]})
    logits.push(...out.data)
    for (let w = 0; w < windows.length; w++) labels.push(label)
    // the clip as predict labels a person: the mean of its windows' probabilities
    const {mean} = trackProbabilities(out.data, windows.length, opts.classes.length)
    clipsScored++
    if (mean.indexOf(Math.max(...mean)) === label) clipsRight++
  }
  return {...actionEvalResult(logits, labels, opts.classes), clipTop1: clipsScored ? (100 * clipsRight) / clipsScored : 0, clips: clipsScored}
}
