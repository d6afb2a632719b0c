/**
 * Tracked detections as AlphaPose results JSON (the list `motion predict FILE` and MotionBERT's
 * infer_wild read): `{image_id, category_id, keypoints: [x, y, c] x 17 (COCO-17), score, box: [x, y,
 * w, h], idx}`. Frame index i is written as image "<i+1>.jpg", so frame 0 is "1.jpg" and the reader
 * numbers frames from 1 whether or not anyone is seen in the first frame. Numbers are rounded
 * (0.01 px, 4 decimals for scores) before anything reads them, so the file read back gives
 * exactly the same keypoints as the run that wrote it.
 */

export interface AlphaPoseRecord {
  image_id: string
  category_id: 1
  keypoints: number[]
  score: number
  box: [number, number, number, number]
  idx: number
}

export interface TrackedDetection {
  frame: number
  id: number
  keypoints: Float32Array
  score: number
  box: readonly [number, number, number, number]
}

export function toAlphaPose(detections: readonly TrackedDetection[]): AlphaPoseRecord[] {
  return detections.map((d) => ({
    image_id: `${d.frame + 1}.jpg`,
    category_id: 1,
    keypoints: Array.from(d.keypoints, (v, k) => (k % 3 === 2 ? round(v, 4) : round(v, 2))),
    score: round(d.score, 4),
    box: [round(d.box[0], 2), round(d.box[1], 2), round(d.box[2] - d.box[0], 2), round(d.box[3] - d.box[1], 2)],
    idx: d.id,
  }))
}

function round(v: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(v * f) / f
}
