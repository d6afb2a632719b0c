import assert from 'node:assert/strict'
import {test} from 'node:test'
import {planLines, resultLines, type PredictPlan} from '../../src/cli/predict-report.js'
import type {PredictResult} from '../../src/tasks/types.js'

test('planLines: the input, the chosen track and why, at most 8 other tracks, the skipped ones', () => {
  const others = Array.from({length: 10}, (_, i) => ({id: String(i + 2), frames: 10 - i}))
  const plan = {
    data: {file: 'in.json', format: 'alphapose', frameCount: 1234, people: new Array(11)},
    selection: {reason: 'longest', tracks: [{id: '1', detectedFrames: 1200, filledFrames: 34, duplicateFrames: 2}], others, skipped: ['12']},
    windowsPerPerson: [41],
    video: false,
  } as unknown as PredictPlan
  assert.deepEqual(planLines(plan), [
    'input: in.json (alphapose, 1,234 frames, 11 people)',
    'person 1: the longest track (default); detected in 1,200 frames, 34 filled by interpolation (confidence 0), 2 with duplicate detections (best score kept)',
    'other tracks: 2 (10 frames), 3 (9 frames), 4 (8 frames), 5 (7 frames), 6 (6 frames), 7 (5 frames), 8 (4 frames), 9 (3 frames), and 2 more; choose one with --person ID or use --all-people',
    'skipped (no confident keypoint): 12',
  ])
})

test('resultLines: the video line, the model and the engine, counted in words ("1 thread", "1 short track")', () => {
  const result = {
    video: {source: {width: 1280, height: 720, fps: 30, frames: 1234}, detector: {name: 'multipose'}, people: 1, droppedTracks: 1},
    model: {bundled: true, path: 'models/pose3d', backbone: 'dstformer', head: 'pose3d'},
    engine: {name: 'onnx', threads: 1, reason: '--engine onnx'},
    options: {mode: 'window'},
    units: 'mm',
    rootRelative: true,
    task: 'pose3d',
    people: [],
  } as unknown as PredictResult
  assert.deepEqual(resultLines(result), [
    'video: 1280x720, 30 fps, 1,234 frames decoded; detector multipose; 1 person tracked (1 short track dropped)',
    'model: bundled models/pose3d (dstformer + pose3d)',
    'engine: onnx (1 thread): --engine onnx',
  ])
})
