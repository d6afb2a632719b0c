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
import {NUM_JOINTS} from '../data/h36m.js'
import type {NDArray} from '../ndarray.js'
import type {StreamFrame} from './messages.js'

const ROW = NUM_JOINTS * 3

/** Lifts one person's window: [t, 17, 3] pixels + confidence → [t, 17, 3] 3D. */
export type LiftWindow = (track: NDArray) => Promise<NDArray>

export interface StreamLifterOptions {
  /** Frames of look-ahead (>= 0). */
  latency: number
  /** Frames per model window, look-ahead included (>= latency + 1). */
  window: number
  /** A person unseen for more than this many frames starts over (default: window; at least latency). */
  maxGap?: number
  liftWindow: LiftWindow
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

  /** Takes a frame (frame numbers must increase) and returns the frames that became computable, oldest first. */
  async push(frame: StreamFrame): Promise<StreamOutputFrame[]> {
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
      // keep what later windows can still reach: the queued frames' windows and their look-ahead
      const keep = this.opts.window + 2 * this.opts.latency + 2
      if (track.frames.length > keep) {
        track.frames.splice(0, track.frames.length - keep)
        track.keypoints.splice(0, track.keypoints.length - keep)
      }
    }
    for (const [id, track] of this.tracks) if (frame.frame - track.frames[track.frames.length - 1]! > this.maxGap) this.tracks.delete(id)
    this.queue.push(frame)
    const out: StreamOutputFrame[] = []
    while (this.queue.length > 0 && this.queue[0]!.frame + this.opts.latency <= frame.frame) out.push(await this.emit(this.queue.shift()!))
    return out
  }

  /** End of stream: the frames still waiting for look-ahead, computed with what there is. */
  async finish(): Promise<StreamOutputFrame[]> {
    const out: StreamOutputFrame[] = []
    while (this.queue.length > 0) out.push(await this.emit(this.queue.shift()!))
    return out
  }

  private async emit(frame: StreamFrame): Promise<StreamOutputFrame> {
    const horizon = frame.frame + this.opts.latency
    const people: StreamPersonPose[] = []
    for (const p of frame.people) {
      const track = this.tracks.get(p.id)
      const at = track ? track.frames.lastIndexOf(frame.frame) : -1
      if (!track || at < 0) continue // cannot happen while maxGap >= latency; kept safe
      let end = at + 1
      while (end < track.frames.length && track.frames[end]! <= horizon) end++
      const start = Math.max(0, end - this.opts.window)
      const t = end - start
      const data = new Float32Array(t * ROW)
      for (let i = 0; i < t; i++) data.set(track.keypoints[start + i]!, i * ROW)
      // [t, 17, 3] → [t, 17, 3]; this frame is row at - start
      let lifted: NDArray
      try {
        lifted = await this.opts.liftWindow({data, shape: [t, NUM_JOINTS, 3]})
      } catch (err) {
        if (!this.opts.isPersonError?.(err)) throw err
        people.push({id: p.id, rawId: p.rawId, pose3d: null, error: err instanceof Error ? err.message : String(err)})
        continue
      }
      const row = at - start
      people.push({id: p.id, rawId: p.rawId, pose3d: lifted.data.slice(row * ROW, (row + 1) * ROW)})
    }
    return {frame: frame.frame, people, lookahead: Math.min(this.opts.latency, Math.max(0, this.latest - frame.frame))}
  }
}
