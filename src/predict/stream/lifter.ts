/**
 * The streaming state machine of `motion predict --stream`, independent of the model: frames go
 * in as they arrive, and the 3D of frame f comes out as soon as frame f + latency has arrived
 * (or at the end of the stream). Each person's 3D for frame f is lifted from a window of that
 * person's last `window` observations up to frame f + latency: `latency` frames of look-ahead,
 * the rest history. More look-ahead lets the model see where a movement goes (better accuracy),
 * at the cost of latency / fps seconds of delay (see docs/streaming.md for measured numbers).
 *
 * People appear with their first detection and disappear when they are no longer listed; a
 * person unseen for more than `maxGap` frames starts a new, empty history (a new track).
 */
import {NUM_JOINTS} from '../../core/h36m.js'
import type {NDArray} from '../../core/ndarray.js'
import type {StreamFrame} from './messages.js'

const ROW = NUM_JOINTS * 3

/** Lifts one person's window: [t, 17, 3] pixels + confidence → [t, 17, 3] 3D. */
export type LiftWindow = (track: NDArray) => Promise<NDArray>

/**
 * Lifts several windows at once (every person of a frame in one model call). Each result is the
 * window's [t, 17, 3] 3D, or the error that window alone failed with.
 */
export type LiftWindows = (tracks: readonly NDArray[]) => Promise<Array<NDArray | {error: unknown}>>

export interface StreamLifterOptions {
  /** Frames of look-ahead (>= 0). */
  latency: number
  /** Frames per model window, look-ahead included (>= latency + 1). */
  window: number
  /** A person unseen for more than this many frames starts over (default: window; at least latency). */
  maxGap?: number
  liftWindow: LiftWindow
  /** When given, used instead of liftWindow: all the windows a push needs in one call. */
  liftWindows?: LiftWindows
  /** Errors of liftWindow that only skip this person in this frame (e.g. too few confident keypoints); others end the stream. */
  isPersonError?: (err: unknown) => boolean
}

export interface StreamPersonPose {
  id: string
  rawId: number | string
  /** [17 * 3] H36M-17 3D joints (camera coordinates, the model's units); null when it could not be lifted. */
  pose3d: Float32Array | null
  /** Why pose3d is null. */
  error?: string
}

export interface StreamOutputFrame {
  frame: number
  people: StreamPersonPose[]
  /** Frames of look-ahead this frame actually had (less than latency near the end of the stream). */
  lookahead: number
}

interface Track {
  frames: number[]
  keypoints: Float32Array[]
}

export class StreamLifter {
  private readonly queue: StreamFrame[] = []
  private readonly tracks = new Map<string, Track>()
  private readonly maxGap: number
  private latest = -1

  constructor(private readonly opts: StreamLifterOptions) {
    if (!Number.isInteger(opts.latency) || opts.latency < 0) throw new RangeError(`latency must be a whole number >= 0, got ${opts.latency}`)
    if (!Number.isInteger(opts.window) || opts.window < opts.latency + 1) throw new RangeError(`window must be a whole number >= latency + 1 (${opts.latency + 1}), got ${opts.window}`)
    this.maxGap = Math.max(opts.maxGap ?? opts.window, opts.latency)
  }

  /** People with a history right now. */
  get activePeople(): string[] {
    return [...this.tracks.keys()]
  }

  /**
   * Takes one or more frames (frame numbers must increase) and returns the frames that became
   * computable, oldest first. Several frames at once (a backlog: input faster than the model)
   * share one model window per person, so the stream catches up instead of falling behind.
   */
  async push(input: StreamFrame | readonly StreamFrame[]): Promise<StreamOutputFrame[]> {
    const frames = Array.isArray(input) ? input : [input as StreamFrame]
    for (const frame of frames) this.add(frame)
    const ready: StreamFrame[] = []
    while (this.queue.length > 0 && this.queue[0]!.frame + this.opts.latency <= this.latest) ready.push(this.queue.shift()!)
    return this.emit(ready)
  }

  private add(frame: StreamFrame): void {
    if (frame.frame <= this.latest) throw new RangeError(`frame ${frame.frame} does not come after frame ${this.latest}`)
    this.latest = frame.frame
    for (const p of frame.people) {
      let track = this.tracks.get(p.id)
      const last = track?.frames[track.frames.length - 1]
      if (!track || last === undefined || frame.frame - last > this.maxGap) {
        track = {frames: [], keypoints: []}
        this.tracks.set(p.id, track)
      }
      track.frames.push(frame.frame)
      track.keypoints.push(p.keypoints)
    }
    for (const [id, track] of this.tracks) if (frame.frame - track.frames[track.frames.length - 1]! > this.maxGap) this.tracks.delete(id)
    this.queue.push(frame)
  }

  /** End of stream: the frames still waiting for look-ahead, computed with what there is. */
  async finish(): Promise<StreamOutputFrame[]> {
    return this.emit(this.queue.splice(0, this.queue.length))
  }

  /** 3D for `frames` (oldest first): per person, one window answers every frame it covers; all windows go to the model together. */
  private async emit(frames: readonly StreamFrame[]): Promise<StreamOutputFrame[]> {
    const poses = frames.map(() => new Map<string, StreamPersonPose>())
    const ids = [...new Set(frames.flatMap((f) => f.people.map((p) => p.id)))]
    const jobs: Array<{id: string; start: number; track: NDArray; covered: Array<{i: number; at: number; person: StreamFrame['people'][number]}>}> = []
    for (const id of ids) {
      const track = this.tracks.get(id)
      // frames of this batch with this person, as indices into the track (newest last)
      const wanted = frames.flatMap((f, i) => {
        const person = f.people.find((p) => p.id === id)
        const at = track && person ? track.frames.lastIndexOf(f.frame) : -1
        return person && at >= 0 ? [{i, at, person}] : []
      })
      while (wanted.length > 0 && track) {
        const newest = wanted[wanted.length - 1]!
        const horizon = frames[newest.i]!.frame + this.opts.latency
        let end = newest.at + 1
        while (end < track.frames.length && track.frames[end]! <= horizon) end++
        const start = Math.max(0, end - this.opts.window)
        const covered = wanted.filter((w) => w.at >= start)
        wanted.splice(wanted.length - covered.length, covered.length)
        const t = end - start
        const data = new Float32Array(t * ROW)
        for (let k = 0; k < t; k++) data.set(track.keypoints[start + k]!, k * ROW)
        jobs.push({id, start, track: {data, shape: [t, NUM_JOINTS, 3]}, covered})
      }
    }
    const results = await this.lift(jobs.map((j) => j.track))
    for (const [k, {id, start, covered}] of jobs.entries()) {
      const result = results[k]!
      let error: string | undefined
      if (!('data' in result)) {
        if (!this.opts.isPersonError?.(result.error)) throw result.error
        error = result.error instanceof Error ? result.error.message : String(result.error)
      }
      for (const w of covered) {
        // frame `at` is row at - start of its window
        const row = w.at - start
        poses[w.i]!.set(id, 'data' in result ? {id, rawId: w.person.rawId, pose3d: result.data.slice(row * ROW, (row + 1) * ROW)} : {id, rawId: w.person.rawId, pose3d: null, error})
      }
    }
    this.prune()
    return frames.map((f, i) => ({
      frame: f.frame,
      people: f.people.flatMap((p) => poses[i]!.get(p.id) ?? []),
      lookahead: Math.min(this.opts.latency, Math.max(0, this.latest - f.frame)),
    }))
  }

  /** [t, 17, 3] windows → their 3D (or each one's error): in one call when liftWindows is given, else one by one. */
  private async lift(tracks: readonly NDArray[]): Promise<Array<NDArray | {error: unknown}>> {
    if (tracks.length === 0) return []
    if (this.opts.liftWindows) return this.opts.liftWindows(tracks)
    const out: Array<NDArray | {error: unknown}> = []
    for (const track of tracks) out.push(await this.opts.liftWindow(track).catch((error: unknown) => ({error})))
    return out
  }

  /** Drops history no waiting frame's window can reach any more. */
  private prune(): void {
    const oldestWaiting = this.queue[0]?.frame ?? this.latest + 1
    for (const track of this.tracks.values()) {
      // keep `window` observations before the oldest waiting frame
      let first = track.frames.findIndex((f) => f >= oldestWaiting)
      if (first < 0) first = track.frames.length
      const drop = Math.max(0, first - this.opts.window)
      if (drop > 0) {
        track.frames.splice(0, drop)
        track.keypoints.splice(0, drop)
      }
    }
  }
}
