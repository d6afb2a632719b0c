/**
 * COCO keypoint-results JSON: a list of `{image_id, category_id, keypoints: [51 numbers], score}`
 * (the format COCO evaluation and most top-down detectors write), optionally with a track id
 * (`track_id`, as PoseTrack-style trackers add, or `idx`). image_id is the frame number (an
 * integer, or a file name whose last digits are the number).
 */
import {readResultsList} from './alphapose.js'
import type {KeypointData, ReadOptions} from './types.js'

export function readCocoResults(file: string, json: unknown, opts: ReadOptions = {}): KeypointData {
  return readResultsList(file, json, {format: 'coco', idKeys: ['track_id', 'idx', 'person_id']}, opts)
}
