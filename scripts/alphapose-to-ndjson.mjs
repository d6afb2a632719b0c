#!/usr/bin/env node
// AlphaPose results JSON → the NDJSON frames of `motion predict --stream` (one line per image, in
// file order; Halpe-26 or COCO-17 keypoints as [x, y, score]).
// Usage: node scripts/alphapose-to-ndjson.mjs alphapose-results.json > frames.ndjson
import {readFileSync} from 'node:fs'

export function alphaposeToFrames(file) {
  const entries = JSON.parse(readFileSync(file, 'utf8'))
  const frames = new Map()
  for (const e of entries) {
    if (!frames.has(e.image_id)) frames.set(e.image_id, [])
    const kp = []
    for (let i = 0; i < e.keypoints.length; i += 3) kp.push([e.keypoints[i], e.keypoints[i + 1], e.keypoints[i + 2]])
    const people = frames.get(e.image_id)
    const id = (Array.isArray(e.idx) ? e.idx[0] : e.idx) ?? people.length + 1
    if (!people.some((p) => p.id === id)) people.push({id, keypoints: kp})
  }
  return [...frames.values()].map((people, frame) => ({frame, people}))
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const f of alphaposeToFrames(process.argv[2])) process.stdout.write(`${JSON.stringify(f)}\n`)
}
