/**
 * What `motion predict` prints (stderr, human-readable): the plan once the input is read and the
 * people chosen, and the report once everything is written. Pure functions of the library's
 * results, so the command stays parse → predict → print.
 */
import path from 'node:path'
import {getTask, type Task} from '../heads/tasks.js'
import type {PredictHooks, PredictResult} from '../tasks/types.js'
import {formatTable} from './table.js'
import {count} from '../core/text.js'

export type PredictPlan = Parameters<NonNullable<PredictHooks['onPlan']>>[0]

function reasonText(reason: PredictResult['reason']): string {
  return reason === 'requested' ? 'chosen with --person' : reason === 'longest' ? 'the longest track (default)' : 'one of all people (--all-people)'
}

/** The input, each chosen person's track, the tracks left out. */
export function planLines({data, selection, video}: PredictPlan): string[] {
  const lines = [`input: ${data.file} (${video ? 'video, 2D from the bundled detector' : data.format}, ${count(data.frameCount, 'frame')}, ${count(data.people.length, 'person', 'people')})`]
  for (const t of selection.tracks) {
    lines.push(`person ${t.id}: ${reasonText(selection.reason)}; detected in ${count(t.detectedFrames, 'frame')}, ${t.filledFrames} filled by interpolation (confidence 0)${t.duplicateFrames ? `, ${t.duplicateFrames} with duplicate detections (best score kept)` : ''}`)
  }
  const others = selection.others
  if (others.length) lines.push(`other tracks: ${others.slice(0, 8).map((o) => `${o.id} (${count(o.frames, 'frame')})`).join(', ')}${others.length > 8 ? `, and ${others.length - 8} more` : ''}; choose one with --person ID or use --all-people`)
  if (selection.skipped.length) lines.push(`skipped (no confident keypoint): ${selection.skipped.join(', ')}`)
  return lines
}

/** The video stages, the model and engine, then what was written for each person. */
export function resultLines(result: PredictResult): string[] {
  const lines: string[] = []
  if (result.video) {
    const v = result.video
    lines.push(`video: ${v.source.width}x${v.source.height}, ${v.source.fps} fps, ${count(v.source.frames, 'frame')} decoded; detector ${v.detector.name}; ${count(v.people, 'person', 'people')} tracked${v.droppedTracks ? ` (${count(v.droppedTracks, 'short track')} dropped)` : ''}`)
    if (v.save2d) lines.push(`wrote ${v.save2d} (2D, AlphaPose format)`)
  }
  if (result.times) {
    const t = result.times
    const fps = result.video ? result.video.source.frames / (t.total_ms / 1000) : 0
    lines.push(`times: decode ${t.decode_ms} ms, detect ${t.detect_ms} ms, track ${t.track_ms} ms, model load ${t.model_load_ms} ms (alongside detection; then ${t.setup_ms} ms to lifting), lift ${t.lift_ms} ms, write ${t.write_ms} ms; ${(t.total_ms / 1000).toFixed(1)} s in all (${fps.toFixed(1)} frames/s)`)
  }
  lines.push(`model: ${result.model.bundled ? 'bundled ' : ''}${result.model.path} (${result.model.backbone} + ${result.model.head})`)
  lines.push(`engine: ${result.engine.name}${result.engine.backend ? ` (backend ${result.engine.backend})` : ''}${result.engine.threads ? ` (${count(result.engine.threads, 'thread')})` : ''}: ${result.engine.reason}`)
  const units = unitsText(result)
  const root = result.rootRelative ? 'root-relative (pelvis at 0)' : "first frame's root depth of each clip set to 0"
  for (const p of result.people) {
    if (p.action) {
      // The answer first: the label, then each class's mean probability, highest first.
      lines.push(`action: ${p.action.label}`)
      const ranked = Object.entries(p.action.scores).sort((a, b) => b[1] - a[1])
      for (const line of formatTable(ranked.map(([name, score]) => [name, score.toFixed(3)]))) lines.push(`  ${line}`)
      lines.push(`wrote ${p.out}: person ${p.person}, ${count(p.frames, 'frame')} in ${count(p.action.windows.length, 'window')}, label ${p.action.label} (mean class probability over the windows)`)
    } else if (getTask(result.task as Task).output === 'meshes') {
      lines.push(`wrote ${p.files !== undefined ? `${p.out}${path.sep} (${count(p.files, 'file')} frame_NNNNNN.obj, one per frame)` : p.out}: person ${p.person}, ${count(p.frames, 'frame')}, SMPL mesh and parameters (vertices and joints in mm; meshes in metres, y up)`)
    } else {
      lines.push(`wrote ${p.out}: person ${p.person}, ${count(p.frames, 'frame')} x 17 joints, units ${units}, camera coordinates (x right, y down, z away), ${root}`)
    }
    if (p.render && !result.video) lines.push(`wrote ${p.render}`)
  }
  if (result.video?.render) lines.push(`wrote ${result.video.render}`)
  return lines
}

function unitsText(result: PredictResult): string {
  // MixSTE / Strided run their official windows on 2D normalised by the video size ('screen').
  const screen = result.options.mode === 'screen'
  if (result.units === 'pixels') return 'pixels (x, y aligned with the video; z in the same scale)'
  if (result.units === 'mm') return `mm (the ${result.model.backbone} model's ${result.model.outputUnits === 'metres' ? 'metres x 1000' : 'millimetres'}; ${screen ? '2D normalised by --video-size as its official code does' : "each window's 2D scaled to its own box"})`
  return screen
    ? `normalised image units, as the ${result.model.backbone} model was trained here (x, y as the 2D input normalised by the video width: x / w * 2 - 1; z on the same scale)`
    : 'normalised [-1, 1] (the 2D track scaled to its box)'
}
