/**
 * The NDJSON messages of `motion predict --stream`.
 *
 * In, one frame per line:
 *   {"frame": 12, "people": [{"id": 1, "keypoints": [[x, y, score], ...]}]}
 * keypoints in pixels, in any supported layout (COCO-17, Halpe-26, H36M-17, and the other layouts
 * of src/data/joint-maps.ts), told apart by their count (17 is COCO-17 unless the layout is given);
 * [x, y] pairs mean score 1. "frame" may be left out (then: previous + 1).
 * Out, one line per input frame (see lifter.ts), or an error line for a line that could not be used:
 *   {"error": "line 7: ...", "line": 7}
 */
import {NUM_JOINTS} from '../../core/h36m.js'
import {JOINT_MAPS, mapToH36m, type SourceLayout} from '../../data/joint-maps.js'

export type StreamLayout = SourceLayout | 'auto'
export const STREAM_LAYOUTS: readonly StreamLayout[] = ['auto', 'coco17', 'halpe26', 'h36m17', 'coco18', 'body25', 'blazepose33']

export interface StreamPerson {
  /** The id as text (people are matched across frames by it). */
  id: string
  /** The id as it came (number or string), echoed in the output. */
  rawId: number | string
  /** [17 * 3] H36M-17 x, y (pixels), confidence. */
  keypoints: Float32Array
}

export interface StreamFrame {
  frame: number
  people: StreamPerson[]
}

/** A line that could not be used; the stream goes on. */
export class StreamLineError extends Error {}

const BY_COUNT: Readonly<Record<number, SourceLayout>> = {17: 'coco17', 18: 'coco18', 25: 'body25', 26: 'halpe26', 33: 'blazepose33'}

/** Parses one input line (previousFrame: the last frame number accepted, or -1). */
export function parseFrameLine(line: string, previousFrame: number, layout: StreamLayout = 'auto'): StreamFrame {
  let msg: unknown
  try {
    msg = JSON.parse(line)
  } catch (err) {
    throw new StreamLineError(`not JSON (${err instanceof Error ? err.message : String(err)})`)
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) throw new StreamLineError('a frame is a JSON object {"frame": N, "people": [...]}')
  const m = msg as Record<string, unknown>
  let frame = previousFrame + 1
  if (m.frame !== undefined) {
    if (typeof m.frame !== 'number' || !Number.isInteger(m.frame) || m.frame < 0) throw new StreamLineError(`"frame" must be a whole number >= 0, got ${JSON.stringify(m.frame)}`)
    frame = m.frame
  }
  if (frame <= previousFrame) throw new StreamLineError(`frame ${frame} does not come after frame ${previousFrame}; frames must increase`)
  const people = m.people ?? []
  if (!Array.isArray(people)) throw new StreamLineError('"people" must be a list')
  const seen = new Set<string>()
  const out = people.map((p, i) => {
    const person = parsePerson(p, i, layout)
    if (seen.has(person.id)) throw new StreamLineError(`person id ${person.id} appears twice in frame ${frame}`)
    seen.add(person.id)
    return person
  })
  return {frame, people: out}
}

function parsePerson(p: unknown, index: number, layout: StreamLayout): StreamPerson {
  if (typeof p !== 'object' || p === null) throw new StreamLineError(`people[${index}] is not an object`)
  const {id, keypoints} = p as {id?: unknown; keypoints?: unknown}
  const pid = id === undefined ? String(index + 1) : typeof id === 'number' || typeof id === 'string' ? String(id) : undefined
  if (pid === undefined) throw new StreamLineError(`people[${index}].id must be a number or a string`)
  if (!Array.isArray(keypoints)) throw new StreamLineError(`person ${pid}: "keypoints" must be a list of [x, y, score]`)
  const flat = flatKeypoints(keypoints, pid)
  const count = flat.length / 3
  const source = layout === 'auto' ? BY_COUNT[count] : layout
  if (!source) throw new StreamLineError(`person ${pid}: ${count} keypoints is no supported layout (17 COCO, 26 Halpe, 18 COCO-18, 25 BODY-25, 33 BlazePose)`)
  const map = JOINT_MAPS[source]
  if (map.sourceJoints.length !== count) throw new StreamLineError(`person ${pid}: ${count} keypoints, but ${map.title} has ${map.sourceJoints.length}`)
  return {id: pid, rawId: typeof id === 'number' || typeof id === 'string' ? id : index + 1, keypoints: mapToH36m(map, flat, new Float32Array(NUM_JOINTS * 3))}
}

/** [[x, y, s], ...] or [[x, y], ...] → flat x, y, s (scores clipped to [0, 1]). */
function flatKeypoints(points: unknown[], id: string): Float32Array {
  const flat = new Float32Array(points.length * 3)
  points.forEach((pt, j) => {
    if (!Array.isArray(pt) || (pt.length !== 2 && pt.length !== 3) || !pt.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new StreamLineError(`person ${id}: keypoint ${j} is not [x, y] or [x, y, score] with finite numbers`)
    }
    flat[j * 3] = pt[0] as number
    flat[j * 3 + 1] = pt[1] as number
    flat[j * 3 + 2] = pt.length === 3 ? Math.min(1, Math.max(0, pt[2] as number)) : 1
  })
  return flat
}
