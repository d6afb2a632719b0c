/**
 * How outputs name a person: the track id as a JSON number when it is a whole number (AlphaPose
 * idx, COCO/OpenPose/CSV person indexes), else the detector's id as text (docs/outputs.md).
 */
export function personValue(id: string | number): number | string {
  if (typeof id === 'number') return id
  return /^(0|[1-9]\d{0,14})$/.test(id) ? Number(id) : id
}
