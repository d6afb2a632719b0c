/**
 * Video → tracked 2D people: decode (ffmpeg or sharp) → detect (MoveNet) → track (stable ids) →
 * AlphaPose records. Decoding streams: ffmpeg decodes the next frames while the detector runs.
 * Refuses, with a one-line data-quality error (exit 4), videos where nobody is found and videos
 * that show only partial bodies (a close-up), since lifting needs hips and legs.
 */
import {dataQualityError, inputError, MotionError} from '../../core/errors.js'
import {selectBackend} from '../../nn/tfjs/backend.js'
import {toAlphaPose, type AlphaPoseRecord, type TrackedDetection} from './alphapose.js'
import {createDetector, MIN_KEYPOINT_SCORE, type DecodedFrame, type PoseDetection} from './detect.js'
import {borrowDetectorPool, defaultDetectorWorkers, returnDetectorPool, type DetectorPool} from './detect-pool.js'
import {DETECTORS, type DetectorName} from './detectors.js'
import {geometry, openSource, type FrameSource} from './source.js'
import {PoseTracker} from './track.js'
import {count} from '../../core/text.js'

export const DEFAULT_DETECTOR: DetectorName = 'multipose'

export interface VideoDetectOptions {
  input: string
  detector?: DetectorName
  /** ffmpeg binary (else MOTION_FFMPEG, PATH, the npm package). */
  ffmpeg?: string
  /** Frame rate for a folder of images (videos say their own). */
  fps?: number
  /** Decode at most this many frames. */
  maxFrames?: number
  /** multipose: the longer side of its input (a multiple of 32; default 256). Larger finds smaller people, slower. */
  inputSize?: number
  /**
   * Detector worker threads (detect-pool.ts); 0 detects in the main thread. Default: lightning 1,
   * multipose one per core up to 2; 0 when a native tfjs binding is installed. Same results either way.
   */
  workers?: number
  signal?: AbortSignal
  onFrame?(p: VideoProgress): void
}

export interface VideoProgress {
  /** Frames done so far, and the expected total. */
  done: number
  total: number
  /** Frames per second so far (decode + detect + track). */
  fps: number
}

/**
 * Main-thread time per stage. With detector workers, decode_ms is the wait for ffmpeg's next frame
 * and detect_ms the wait for the workers' answers (the two overlap with the work of the others).
 */
export interface VideoStageTimes {
  decode_ms: number
  detect_ms: number
  track_ms: number
}

export interface VideoDetections {
  source: {kind: FrameSource['kind']; file: string; width: number; height: number; fps: number; frames: number; ffmpeg: string | null}
  /** workers: detector worker threads (0: detected in the main thread); reusedWorkers: they were already running, left by an earlier video in this process. */
  detector: {name: DetectorName; description: string; inputSize: number; decodeSize: number; workers: number; reusedWorkers: boolean}
  /** AlphaPose results, frame by frame (what --save-2d writes). */
  records: AlphaPoseRecord[]
  /** Person ids kept, and short-lived tracks dropped as noise. */
  people: number
  droppedTracks: number
  times: VideoStageTimes
}

/** A whole-body detection shows both hips and a knee; the rest are partial. */
const HIPS = [11, 12]
const KNEES = [13, 14]
/** Below this share of whole-body detections the video is a close-up. */
export const MIN_WHOLE_BODY_SHARE = 0.2
/** Tracks seen in fewer frames than this are dropped as false detections (unless the clip is that short). */
export const MIN_TRACK_FRAMES = 3

export function interrupted(): MotionError {
  return new MotionError('interrupted', 'interrupted; nothing was written')
}

export async function detectVideo(o: VideoDetectOptions): Promise<VideoDetections> {
  const name = o.detector ?? DEFAULT_DETECTOR
  const spec = DETECTORS[name]
  if (o.inputSize !== undefined && (spec.kind !== 'multi' || !(Number.isInteger(o.inputSize) && o.inputSize >= 128 && o.inputSize % 32 === 0))) {
    throw inputError(spec.kind === 'multi' ? `--detector-size must be a multiple of 32 from 128 up, got ${o.inputSize}` : `--detector-size sets the multipose input; ${name} takes a fixed ${spec.inputSize} x ${spec.inputSize} crop`, {
      hint: spec.kind === 'multi' ? 'e.g. --detector-size 384 for people small in the frame' : 'drop --detector-size, or use --detector multipose',
    })
  }
  const decodeSize = spec.kind === 'multi' ? (o.inputSize ?? spec.decodeSize) : spec.decodeSize
  const workers = o.workers ?? defaultDetectorWorkers(name)
  if (!(Number.isInteger(workers) && workers >= 0)) throw new Error(`detector workers must be a whole number >= 0, got ${workers}`)
  // the workers start (import tfjs, load the detector) while ffmpeg probes the video, unless an
  // earlier video in this process left its pool idle
  const borrowed = workers > 0 ? borrowDetectorPool(name, spec.kind === 'single' ? 1 : workers) : undefined
  try {
    const found = await detectFrames(o, name, decodeSize, borrowed?.pool)
    return {...found, detector: {...found.detector, reusedWorkers: borrowed?.reused ?? false}}
  } finally {
    if (borrowed) await returnDetectorPool(name, borrowed.pool)
  }
}

async function detectFrames(o: VideoDetectOptions, name: DetectorName, decodeSize: number, pool: DetectorPool | undefined): Promise<VideoDetections> {
  const spec = DETECTORS[name]
  const source = await openSource(o.input, {ffmpeg: o.ffmpeg, fps: o.fps})
  const multiple = spec.kind === 'multi' ? 32 : 1
  const size = geometry(source.width, source.height, {longSide: decodeSize, multiple})
  let detect: (frame: DecodedFrame) => Promise<PoseDetection[]>
  if (pool) {
    pool.warmUp(size.width, size.height)
    detect = (frame) => pool.detect(frame)
  } else {
    await selectBackend()
    const detector = await createDetector(name)
    detector.reset()
    detect = (frame) => detector.detect(frame)
  }
  const tracker = new PoseTracker({maxGap: Math.round(source.fps)})
  const times: VideoStageTimes = {decode_ms: 0, detect_ms: 0, track_ms: 0}
  const found: TrackedDetection[] = []
  const total = o.maxFrames ? Math.min(o.maxFrames, source.frameEstimate) : source.frameEstimate
  const started = performance.now()
  let frame = 0
  const frames = source.frames({longSide: decodeSize, multiple, maxFrames: o.maxFrames})
  // Frames in flight: decoded and handed to a detector, answers awaited in order. In-thread
  // detection has one (decode, detect, track, next); workers get two each, so none waits for
  // the main thread between frames.
  const depth = pool ? 2 * pool.size : 1
  const inFlight: Promise<PoseDetection[]>[] = []
  let decoded = false
  try {
    for (;;) {
      if (o.signal?.aborted) throw interrupted()
      while (!decoded && inFlight.length < depth) {
        const t = performance.now()
        const next = await frames.next()
        times.decode_ms += performance.now() - t
        if (next.done) decoded = true
        else {
          const t = performance.now()
          const people = detect(next.value)
          people.catch(() => undefined) // awaited below; not unhandled if the run stops first
          inFlight.push(people)
          times.detect_ms += performance.now() - t
        }
        if (o.signal?.aborted) throw interrupted()
      }
      if (inFlight.length === 0) break
      let t = performance.now()
      const people = await inFlight.shift()!
      times.detect_ms += performance.now() - t
      t = performance.now()
      const ids = tracker.update(frame, people)
      people.forEach((p, i) => found.push({frame, id: ids[i]!, ...p}))
      times.track_ms += performance.now() - t
      frame++
      o.onFrame?.({done: frame, total: Math.max(total, frame), fps: frame / ((performance.now() - started) / 1000)})
    }
  } finally {
    await frames.return(undefined)
  }
  const t = performance.now()
  const {kept, dropped} = dropShortTracks(found, frame)
  checkPeople(o.input, kept, frame, name)
  times.track_ms += performance.now() - t
  return {
    source: {kind: source.kind, file: o.input, width: source.width, height: source.height, fps: source.fps, frames: frame, ffmpeg: source.ffmpeg ?? null},
    detector: {name, description: spec.description, inputSize: spec.kind === 'multi' ? decodeSize : spec.inputSize, decodeSize, workers: pool?.size ?? 0, reusedWorkers: false},
    records: toAlphaPose(kept),
    people: new Set(kept.map((d) => d.id)).size,
    droppedTracks: dropped,
    times: {decode_ms: Math.round(times.decode_ms), detect_ms: Math.round(times.detect_ms), track_ms: Math.round(times.track_ms)},
  }
}

/** Drops tracks seen in fewer than MIN_TRACK_FRAMES frames (flickers of false detections), then renumbers ids 1, 2, ... */
export function dropShortTracks(found: readonly TrackedDetection[], frames: number): {kept: TrackedDetection[]; dropped: number} {
  const counts = new Map<number, number>()
  for (const d of found) counts.set(d.id, (counts.get(d.id) ?? 0) + 1)
  const min = Math.min(MIN_TRACK_FRAMES, frames)
  const keep = [...counts].filter(([, n]) => n >= min).map(([id]) => id)
  const renumber = new Map(keep.map((id, i) => [id, i + 1]))
  const kept = found.filter((d) => renumber.has(d.id)).map((d) => ({...d, id: renumber.get(d.id)!}))
  return {kept, dropped: counts.size - keep.length}
}

/** The two bad-input cases that only detection can tell: nobody, or only partial bodies. */
export function checkPeople(file: string, found: readonly TrackedDetection[], frames: number, detector: DetectorName): void {
  if (found.length === 0) {
    throw dataQualityError(`no person found in ${count(frames, 'frame')} (detector ${detector})`, {
      file,
      hint: detector === 'multipose' ? 'if the people are small in the frame, try --detector-size 512 (the default 256 misses people under about a fifth of the frame height)' : 'try --detector multipose, which searches the whole frame in every frame',
    })
  }
  const seen = (kp: Float32Array, j: number): boolean => kp[j * 3 + 2]! >= MIN_KEYPOINT_SCORE
  const whole = found.filter((d) => HIPS.every((j) => seen(d.keypoints, j)) && KNEES.some((j) => seen(d.keypoints, j))).length
  if (whole < MIN_WHOLE_BODY_SHARE * found.length) {
    throw dataQualityError(`only partial bodies found (a close-up?): hips and knees are visible in ${whole} of ${found.length} detections; 3D lifting needs the whole body`, {
      file,
      hint: 'use a video where the people are seen from head to feet',
    })
  }
}
