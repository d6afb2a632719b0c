/**
 * `motion predict` as plain functions: check outputs → read keypoints → choose people → load the
 * model (--checkpoint or the bundled one) → pick the engine → run the task (see tasks.ts) → write.
 * Every failure is a MotionError; outputs are written only at the end, all-or-nothing.
 */
import path from 'node:path'

import {readKeypoints} from '../data/keypoints/index.js'
import {selectPeople} from '../data/people.js'
import {inputError, modelError} from '../core/errors.js'
import {createEngine} from '../model/engine.js'
import {loadModel} from '../model/load.js'
import {resolveDefaultModel} from '../model/default-model.js'
import {checkOutputs, personPath} from '../tasks/outputs.js'
import {liftingStrategy} from '../model/lifting.js'
import {windowsFor} from '../tasks/pose3d/predict.js'
import {clipLength, predictTask} from '../tasks/registry.js'
import type {PredictHooks, PredictOptions, PredictResult, TaskContext} from '../tasks/types.js'

export type {PredictHooks, PredictOptions, PredictProgress, PredictResult, PersonResult} from '../tasks/types.js'
export {defaultOutput, personPath, RENDER_OUTPUT_EXTENSIONS} from '../tasks/outputs.js'
export {defaultModelPath, MODELS_ENV, modelsDir, packageRoot} from '../model/default-model.js'
export {PREDICT_TASKS} from '../tasks/registry.js'

export async function runPredict(options: PredictOptions, hooks: PredictHooks = {}): Promise<PredictResult> {
  const task = options.task ?? 'pose3d'
  const entry = predictTask(task)
  checkFlags(options)
  // No `out` (library use): nothing is written; the results carry the arrays.
  const out = options.out !== undefined ? path.resolve(options.out) : undefined
  const render = options.render !== undefined ? path.resolve(options.render) : undefined
  if (out === undefined && render !== undefined) throw inputError('a render needs an output file too', {hint: 'give out as well as render, or leave both out to get the arrays only'})
  if (out !== undefined) await (entry.checkOutputs ?? checkOutputs)(out, render)

  const data = await readKeypoints(options.input, {format: options.format})
  const selection = selectPeople(data, {person: options.person, all: options.allPeople})
  const checkpoint = options.checkpoint ?? (await resolveDefaultModel(task))
  const loaded = await loadModel(checkpoint, {config: options.modelConfig})
  if (loaded.task !== task) {
    throw modelError(`is a ${loaded.task} model; predict --task ${task} needs a ${task} model`, {file: checkpoint, hint: `use --task ${loaded.task}, or a ${task} checkpoint`})
  }
  const bundled = options.checkpoint === undefined
  const modelLabel = bundled ? `bundled ${path.basename(path.dirname(checkpoint))}/${path.basename(checkpoint)}` : path.resolve(checkpoint)

  const many = selection.tracks.length > 1 || options.allPeople === true
  const outputs = selection.tracks.map((t) => ({
    out: out === undefined ? null : many ? personPath(out, t.id) : out,
    render: render === undefined ? null : many ? personPath(render, t.id) : render,
  }))
  const ctxBase = {options, loaded}
  const clipLen = clipLength(ctxBase)
  const strategy = liftingStrategy(loaded.model, loaded.outputUnits)
  if (options.videoSize && !options.pixel && !strategy) throw inputError('--video-size is only used with --pixel', {hint: 'add --pixel, or drop --video-size'})
  const windows = (frames: number): number => (strategy ? strategy.calls(frames) : windowsFor(frames, clipLen, options.overlap ?? 0))
  hooks.onPlan?.({data, selection, windowsPerPerson: selection.tracks.map((t) => windows(t.keypoints.shape[0]!))})

  const engine = await createEngine(loaded.model, {...options.engine, file: options.input})
  try {
    const ctx: TaskContext = {options, data, selection, tracks: selection.tracks, loaded, modelLabel, engine, outputs, hooks}
    const outcome = await entry.run(ctx)
    return {
      task,
      input: path.resolve(options.input),
      format: data.format,
      frames: data.frameCount,
      reason: selection.reason,
      people: outcome.people,
      others: selection.others,
      skipped: selection.skipped,
      units: outcome.units,
      rootRelative: outcome.rootRelative,
      model: {path: loaded.source.path, bundled, kind: loaded.source.kind, backbone: loaded.model.backbone.name, head: loaded.model.head.name, ...(loaded.outputUnits ? {outputUnits: loaded.outputUnits} : {})},
      engine: {name: engine.name, reason: engine.reason, backend: engine.backend ?? null, threads: engine.threads ?? null},
      options: outcome.options,
    }
  } finally {
    await engine.dispose()
  }
}

/** Flag combinations that cannot work, caught before anything is read. */
function checkFlags(o: PredictOptions): void {
  if (o.pixel && !o.videoSize) {
    throw inputError('--pixel needs the video size to keep pixel scale', {file: o.input, hint: 'add --video-size WIDTHxHEIGHT (e.g. 1920x1080), or drop --pixel to scale to [-1, 1]'})
  }
  // --video-size without --pixel: refused after the model is known (MixSTE / Strided normalise by it).
  if (o.person !== undefined && o.allPeople) throw inputError('--person and --all-people cannot be combined', {hint: 'choose one person, or all of them'})
  if (o.clipLen !== undefined && !(Number.isInteger(o.clipLen) && o.clipLen >= 1)) throw inputError(`--clip-len must be a whole number >= 1, got ${o.clipLen}`)
  if (o.fps !== undefined && !(o.fps > 0 && Number.isFinite(o.fps))) throw inputError(`--fps must be a positive number, got ${o.fps}`)
}

/** Parses `--video-size WIDTHxHEIGHT` (also `W,H`). */
export function parseVideoSize(text: string): [number, number] {
  const m = /^\s*(\d+(?:\.\d+)?)\s*[x×,]\s*(\d+(?:\.\d+)?)\s*$/i.exec(text)
  const w = m ? Number(m[1]) : NaN
  const h = m ? Number(m[2]) : NaN
  if (!(w > 0 && h > 0)) throw inputError(`--video-size "${text}" is not WIDTHxHEIGHT with positive numbers`, {hint: 'e.g. --video-size 1920x1080'})
  return [w, h]
}
