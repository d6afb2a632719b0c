/**
 * A windowed 3D motion dataset: clips (optionally resampled to a frame rate) cut into `clipLen`
 * windows with `stride`, each window addressable by index for shuffled batching.
 */
import {inputError} from '../../core/errors.js'
import type {NDArray} from '../../core/ndarray.js'
import type {Rng} from '../../core/rng.js'
import type {ClipSet, MotionClip} from './clip.js'
import {readClipFolder, type ReadClipFolderOptions} from './clip-folder.js'
import {resampleFps, takeFrames} from './resample.js'
import {clipWindows} from './windows.js'

export interface Motion3dDatasetOptions extends ReadClipFolderOptions {
  /** Window length in frames (MotionBERT `clip_len`). */
  clipLen: number
  /** Step between window starts (MotionBERT `data_stride`). */
  stride: number
  /** Resample world clips to this frame rate first (e.g. 30 for 120 fps mocap). */
  targetFps?: number
  /** Randomises the resampling of clips shorter than a window (official default); else deterministic. */
  rng?: Rng
}

export interface WindowRef {
  /** Index into `clips`. */
  clip: number
  /** Frame indices into that clip, `clipLen` long. */
  indices: Int32Array
}

export interface Motion3dWindow {
  /** `[clipLen, 17, 3]` in the clip's space and units. */
  positions: NDArray
  /** `[clipLen, 17, 3]` detections (x, y, confidence) when the clip has them. */
  input2d?: NDArray
  clip: MotionClip
  /** Class index of the clip's action in `actions`, or null when unlabelled. */
  actionIndex: number | null
}

export class Motion3dDataset {
  readonly windows: WindowRef[]
  readonly actions: string[]

  private constructor(
    readonly clips: MotionClip[],
    readonly clipLen: number,
    readonly stride: number,
    windows: WindowRef[],
    actions: string[],
  ) {
    this.windows = windows
    this.actions = actions
  }

  static async fromFolder(dir: string, opts: Motion3dDatasetOptions): Promise<Motion3dDataset> {
    return Motion3dDataset.fromClipSet(await readClipFolder(dir, opts), opts)
  }

  static fromClipSet(set: ClipSet, opts: Motion3dDatasetOptions): Motion3dDataset {
    const clips = set.clips.map((c) => (opts.targetFps === undefined ? c : toFps(c, opts.targetFps)))
    const windows: WindowRef[] = []
    clips.forEach((c, i) => {
      for (const indices of clipWindows(c.positions.shape[0]!, opts.clipLen, opts.stride, {rng: opts.rng})) windows.push({clip: i, indices})
    })
    return new Motion3dDataset(clips, opts.clipLen, opts.stride, windows, set.actions)
  }

  get length(): number {
    return this.windows.length
  }

  /** Total frames over all (resampled) clips. */
  get frames(): number {
    return this.clips.reduce((s, c) => s + c.positions.shape[0]!, 0)
  }

  window(i: number): Motion3dWindow {
    const ref = this.windows[i]
    if (!ref) throw new RangeError(`window ${i} outside [0, ${this.windows.length})`)
    const clip = this.clips[ref.clip]!
    return {
      positions: takeFrames(clip.positions, ref.indices),
      ...(clip.input2d ? {input2d: takeFrames(clip.input2d, ref.indices)} : {}),
      clip,
      actionIndex: clip.action === null ? null : this.actions.indexOf(clip.action),
    }
  }
}

function toFps(clip: MotionClip, fps: number): MotionClip {
  if (clip.space !== 'world') return clip // preprocessed windows are used at their own rate
  if (clip.fps === null) {
    throw inputError(`frame rate unknown, cannot resample to ${fps} fps`, {file: clip.file, hint: 'add "fps" to index.json or pass the source fps'})
  }
  if (clip.fps === fps) return clip
  return {...clip, fps, positions: resampleFps(clip.positions, clip.fps, fps)}
}
