/**
 * `motion predict --task action`: each chosen person's track cut into model-length windows
 * (the last one ending at the track's end; a track shorter than a window is resampled to one, as
 * training does), each window normalised as the action training data (MotionBERT crop_scale: x, y
 * of the window's box of confident joints to [-1, 1], confidence kept), class probabilities per
 * window (softmax), and the track's label from their mean. Writes one JSON file per person.
 */
import {displayPath} from '../../formats/writers/display-path.js'
import {personValue} from '../../formats/writers/person-id.js'
import {promises as fsp} from 'node:fs'
import path from 'node:path'

import {resampleIndices} from '../../data/motion3d/resample.js'
import {confidentBox} from '../../data/confident-box.js'
import {inputError, modelError} from '../../core/errors.js'
import {writeFileAtomic} from '../../formats/atomic.js'
import type {NDArray} from '../../core/ndarray.js'
import {trackProbabilities} from '../../metrics/topk.js'
import {personResults, writeAll} from '../outputs.js'
import type {ActionPrediction, PersonResult, TaskContext, TaskOutcome} from '../types.js'

/** File beside an action model's config.json naming its classes in label order. */
export const CLASS_NAMES_FILE = 'classes.json'

/** Output extensions --task action writes. */
export const ACTION_OUTPUT_EXTENSIONS = ['.json'] as const

export async function checkActionOutputs(out: string, render: string | undefined): Promise<void> {
  if (path.extname(out).toLowerCase() !== '.json') {
    throw inputError(`--task action writes JSON, not '${path.extname(out) || '(no extension)'}'`, {file: out, hint: 'use --out NAME.json'})
  }
  if (render !== undefined) throw inputError('--render draws poses; --task action has none to draw', {hint: 'drop --render'})
  const dir = path.dirname(path.resolve(out))
  const st = await fsp.stat(dir).catch(() => undefined)
  if (!st?.isDirectory()) throw inputError(`output folder ${dir} does not exist`, {file: out, hint: 'create the folder first or choose another output path'})
}

/** The class names of an action model folder (classes.json), else `class 0`, `class 1`, .... */
export async function actionClassNames(modelPath: string, numClasses: number): Promise<string[]> {
  const dir = (await fsp.stat(modelPath).catch(() => undefined))?.isDirectory() ? modelPath : path.dirname(modelPath)
  const file = path.join(dir, CLASS_NAMES_FILE)
  const text = await fsp.readFile(file, 'utf8').catch(() => null)
  if (text === null) return Array.from({length: numClasses}, (_, i) => `class ${i}`)
  let names: unknown
  try {
    names = JSON.parse(text)
  } catch (err) {
    throw modelError(`not valid JSON: ${(err as Error).message}`, {file})
  }
  if (!Array.isArray(names) || names.length !== numClasses || !names.every((n) => typeof n === 'string')) {
    throw modelError(`must list the model's ${numClasses} class names as strings`, {file})
  }
  return names as string[]
}

/** Window start frames covering `frames`: every `clipLen`, the last one ending at the end. */
export function actionWindowStarts(frames: number, clipLen: number): number[] {
  if (frames <= clipLen) return [0]
  const starts: number[] = []
  for (let s = 0; s + clipLen <= frames; s += clipLen) starts.push(s)
  if (starts[starts.length - 1]! + clipLen < frames) starts.push(frames - clipLen)
  return starts
}

/**
 * MotionBERT crop_scale (dataset_action.py) with ratio 1: `[T, J, 3]` pixels + confidence →
 * x, y of the box of joints with nonzero confidence mapped to [-1, 1] (clipped), confidence kept.
 * Fewer than 4 confident joints, or a box without extent: zeros, as official.
 */
export function cropScale2d(x: NDArray): NDArray {
  const d = x.data
  const {xmin, xmax, ymin, ymax, count: valid} = confidentBox(d, 3)
  const out = new Float32Array(d.length)
  const scale = Math.max(xmax - xmin, ymax - ymin)
  if (valid < 4 || !(scale > 0)) return {data: out, shape: [...x.shape]}
  const xs = (xmin + xmax - scale) / 2
  const ys = (ymin + ymax - scale) / 2
  const clip = (v: number): number => Math.min(1, Math.max(-1, v))
  for (let i = 0; i < d.length; i += 3) {
    out[i] = clip(((d[i]! - xs) / scale - 0.5) * 2)
    out[i + 1] = clip(((d[i + 1]! - ys) / scale - 0.5) * 2)
    out[i + 2] = d[i + 2]!
  }
  return {data: out, shape: [...x.shape]}
}

export async function predictAction(ctx: TaskContext, clipLen: number, channels: number): Promise<TaskOutcome> {
  const {tracks, engine, loaded} = ctx
  const numClasses = Number(loaded.model.config.headConfig.action_classes ?? loaded.model.config.headConfig.num_classes)
  const names = await actionClassNames(loaded.source.path, numClasses)
  const predictions: ActionPrediction[] = []
  for (const [i, track] of tracks.entries()) {
    const kp = track.keypoints // [T, 17, 3] pixels + confidence
    const [T, J, C] = kp.shape as [number, number, number]
    const starts = actionWindowStarts(T, clipLen)
    const per = J * C
    // [W, M=1, clipLen, J, channels]
    const batch = new Float32Array(starts.length * clipLen * J * channels)
    starts.forEach((s, w) => {
      const idx = T >= clipLen ? Int32Array.from({length: clipLen}, (_, k) => s + k) : resampleIndices(T, clipLen)
      const win = new Float32Array(clipLen * per)
      idx.forEach((f, k) => win.set(kp.data.subarray(f * per, (f + 1) * per), k * per))
      const norm = cropScale2d({data: win, shape: [clipLen, J, C]})
      for (let n = 0; n < clipLen * J; n++) for (let c = 0; c < channels; c++) batch[(w * clipLen * J + n) * channels + c] = norm.data[n * C + c]!
    })
    const out = await engine.run({data: batch, shape: [starts.length, 1, clipLen, J, channels]})
    const logits = out.logits
    if (!logits) throw modelError(`the model returned ${Object.keys(out).join(', ') || 'nothing'}, not logits`, {file: loaded.source.path})
    const K = logits.shape[1]!
    const {perWindow: probs, mean} = trackProbabilities(logits.data, starts.length, K)
    const best = mean.indexOf(Math.max(...mean))
    predictions.push({
      person: personValue(track.id),
      label: names[best]!,
      scores: Object.fromEntries(names.map((n, k) => [n, mean[k]!])),
      windows: starts.map((s, w) => {
        const p = probs[w]!
        const top = p.indexOf(Math.max(...p))
        return {start: s, end: Math.min(T, s + clipLen), label: names[top]!, score: p[top]!}
      }),
    })
    ctx.hooks.onProgress?.({window: starts.length - 1, windows: starts.length, start: starts[starts.length - 1]!, end: T, finalized: T, person: track.id, personIndex: i, people: tracks.length, frames: T})
  }
  ctx.hooks.onWriting?.()
  await writeAll(
    predictions.flatMap((pred, i) => {
      const file = ctx.outputs[i]!.out
      if (file === null) return []
      const body = {format: 'motion.action', version: 1, task: 'action', input: displayPath(ctx.options.input), model: ctx.modelLabel, clipLen, classes: names, ...pred}
      return [{file, write: () => writeFileAtomic(file, `${JSON.stringify(body, null, 2)}\n`)}]
    }),
  )
  const people: PersonResult[] = personResults(ctx).map((person, i) => ({...person, render: null, action: predictions[i]!}))
  return {people, units: 'normalized', rootRelative: false, options: {clipLen, windows: 'non-overlapping, last ending at the track end', normalisation: 'crop_scale per window'}}
}
