/**
 * Gives per-frame pose detections stable person ids.
 *
 * Each track remembers its last box and its velocity (pixels per frame, smoothed). In a new frame
 * every live track predicts where its box is now (constant velocity), and detections are matched
 * to tracks by the lowest cost, greedily: the distance between predicted and detected box centres
 * in units of the body's size, plus (1 - IoU) of the boxes. The velocity is what keeps ids apart
 * when two people cross; a track that finds no detection coasts on it for up to `maxGap` frames
 * (a short occlusion), and is picked up again where it is predicted to be. Unmatched detections
 * start new tracks, numbered 1, 2, ... in order of appearance.
 */

export interface TrackBox {
  /** [x1, y1, x2, y2] */
  box: readonly [number, number, number, number]
}

export interface TrackerOptions {
  /** Frames a track may go unseen and still be continued (default 30: one second at 30 fps). */
  maxGap?: number
  /** Highest matching cost accepted for a track seen in the previous frame (default 1). */
  maxCost?: number
}

interface Track {
  id: number
  lastFrame: number
  cx: number
  cy: number
  w: number
  h: number
  vx: number
  vy: number
  hits: number
}

export class PoseTracker {
  private readonly tracks: Track[] = []
  private nextId = 1
  private readonly maxGap: number
  private readonly maxCost: number

  constructor(opts: TrackerOptions = {}) {
    this.maxGap = opts.maxGap ?? 30
    this.maxCost = opts.maxCost ?? 1
  }

  /** Ids (1, 2, ...) for the detections of `frame`, in their order. Frames must come in increasing order. */
  update(frame: number, detections: readonly TrackBox[]): number[] {
    const live = this.tracks.filter((t) => frame - t.lastFrame <= this.maxGap)
    const boxes = detections.map((d) => centre(d.box))
    const pairs: {d: number; t: Track; cost: number}[] = []
    for (const t of live) {
      const gap = frame - t.lastFrame
      const px = t.cx + t.vx * gap
      const py = t.cy + t.vy * gap
      // a track unseen for a while may have drifted: accept a little more the longer it was lost
      const limit = this.maxCost * (1 + Math.min(gap - 1, 10) * 0.05)
      boxes.forEach((b, d) => {
        const size = Math.max(Math.hypot(t.w, t.h), Math.hypot(b.w, b.h), 1e-6)
        const cost = Math.hypot(b.cx - px, b.cy - py) / size + (1 - iou({cx: px, cy: py, w: t.w, h: t.h}, b))
        if (cost < limit) pairs.push({d, t, cost})
      })
    }
    pairs.sort((a, b) => a.cost - b.cost)
    const ids = new Array<number>(detections.length).fill(0)
    const used = new Set<Track>()
    for (const p of pairs) {
      if (ids[p.d] !== 0 || used.has(p.t)) continue
      used.add(p.t)
      ids[p.d] = p.t.id
      this.advance(p.t, frame, boxes[p.d]!)
    }
    boxes.forEach((b, d) => {
      if (ids[d] !== 0) return
      const t: Track = {id: this.nextId++, lastFrame: frame, ...b, vx: 0, vy: 0, hits: 1}
      this.tracks.push(t)
      ids[d] = t.id
    })
    return ids
  }

  private advance(t: Track, frame: number, b: Box): void {
    const gap = Math.max(1, frame - t.lastFrame)
    const vx = (b.cx - t.cx) / gap
    const vy = (b.cy - t.cy) / gap
    // the first step sets the velocity; later ones smooth it
    const k = t.hits === 1 ? 1 : 0.5
    t.vx = k * vx + (1 - k) * t.vx
    t.vy = k * vy + (1 - k) * t.vy
    Object.assign(t, b)
    t.lastFrame = frame
    t.hits++
  }
}

interface Box {
  cx: number
  cy: number
  w: number
  h: number
}

function centre(box: TrackBox['box']): Box {
  const w = Math.max(box[2] - box[0], 1e-6)
  const h = Math.max(box[3] - box[1], 1e-6)
  return {cx: (box[0] + box[2]) / 2, cy: (box[1] + box[3]) / 2, w, h}
}

function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a.cx + a.w / 2, b.cx + b.w / 2) - Math.max(a.cx - a.w / 2, b.cx - b.w / 2))
  const iy = Math.max(0, Math.min(a.cy + a.h / 2, b.cy + b.h / 2) - Math.max(a.cy - a.h / 2, b.cy - b.h / 2))
  const inter = ix * iy
  return inter / (a.w * a.h + b.w * b.h - inter)
}
