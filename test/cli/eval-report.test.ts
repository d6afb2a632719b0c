import assert from 'node:assert/strict'
import {test} from 'node:test'
import {evalResultLines, evalSettingsNote} from '../../src/cli/eval-report.js'
import type {ModelEvalResult} from '../../src/eval/run.js'

const row = {action: 'walking', clips: 2, frames: 90, mpjpe: 48.46, p_mpjpe: 28.33, n_mpjpe: 48.5, n_mpjpe_rigid: 47.07, bone_cv: 0.0176, jump_ratio: 1.59}
const video = {
  model: 'models/pose3d', engine: 'onnx', split: 'test', data: 'cmu', cameraSeed: 7, noise: false, normalisation: 'window', clipLen: 60,
  video: {protocol: 'static camera', ...row, jump_ratio_max: 2.18, perAction: [row], byClip: {mpjpe: 50.1, p_mpjpe: 37.9, n_mpjpe: 49.7}, byFrame: {mpjpe: null, p_mpjpe: 45.3, n_mpjpe: 58.6}, units: 'mm'},
} as unknown as ModelEvalResult

test('static-camera report: per action, the mean of actions, then the clip and frame means under the same columns', () => {
  assert.equal(evalSettingsNote(video), 'model models/pose3d; engine onnx; test split of cmu; static cameras seed 7; exact 2D; each clip lifted as predict lifts a track (window-normalised, 60-frame windows)')
  const lines = evalResultLines(video)
  assert.deepEqual(lines.slice(1), [
    'action            clips  frames  MPJPE  P-MPJPE  N-MPJPE  rigid N-MPJPE  bone CV  jumps',
    'walking               2      90   48.5     28.3     48.5           47.1    0.018   1.59',
    'mean of actions       2      90   48.5     28.3     48.5           47.1    0.018   1.59',
    '(mean of clips)                   50.1     37.9     49.7',
    '(mean of frames)                     –     45.3     58.6',
    'largest jump ratio of any clip: 2.18',
  ])
})

test('action report: top-1 and top-5, the per-clip line when there is one, the classes with windows', () => {
  const r = {action: {top1: 85.5, top5: 100, samples: 1054, clipTop1: 97.2, clips: 579, perClass: [{class: 'walking', correct: 120, samples: 138}, {class: 'soccer', correct: 0, samples: 0}]}} as unknown as ModelEvalResult
  assert.deepEqual(evalResultLines(r), [
    'top-1 85.50%  top-5 100.00%  over 1054 windows',
    "per clip (the mean of its windows' probabilities, as predict labels a person): top-1 97.20% over 579 clips",
    'per class (right / windows): walking 120/138',
  ])
})
