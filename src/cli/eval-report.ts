/**
 * What `motion eval` prints for a model scored on a clip folder: a one-line note on how it was
 * scored (stderr) and the tables (stdout). Pure functions of evaluateModel's result, so the
 * command stays parse → evaluate → print.
 */
import type {ModelEvalResult} from '../eval/run.js'
import {formatTable} from './table.js'

/** How the model was scored: model, engine, split, cameras, 2D, windows. */
export function evalSettingsNote(r: ModelEvalResult): string {
  const base = `model ${r.model}; engine ${r.engine}; ${r.split} split of ${r.data}`
  if (r.video) return `${base}; static cameras seed ${r.cameraSeed}; ${r.noise ? 'noisy' : 'exact'} 2D; each clip lifted as predict lifts a track (${r.normalisation === 'window' ? 'window-normalised' : 'track crop-scaled'}, ${r.clipLen}-frame windows)`
  const normalisation = r.normalisation === 'crop' ? 'crop-scaled' : r.normalisation === 'window' ? 'static cameras, window-normalised' : 'image-normalised'
  return `${base}; cameras seed ${r.cameraSeed}; ${r.noise ? 'noisy' : 'exact'} 2D; ${normalisation} ${r.clipLen}-frame windows`
}

/** The per-action tables of pose models and the top-1 lines of action models. */
export function evalResultLines(r: ModelEvalResult): string[] {
  const lines: string[] = []
  if (r.video) {
    const v = r.video
    const cell = (x: number | null, digits = 1): string => (x === null ? '–' : x.toFixed(digits))
    // eslint-disable-next-line no-restricted-syntax -- the column of the clips' action labels, not the task
    const rows = [['action', 'clips', 'frames', 'MPJPE', 'P-MPJPE', 'N-MPJPE', 'rigid N-MPJPE', 'bone CV', 'jumps'], ...v.perAction.map((a) => [a.action, String(a.clips), String(a.frames), cell(a.mpjpe), cell(a.p_mpjpe), cell(a.n_mpjpe), cell(a.n_mpjpe_rigid), cell(a.bone_cv, 3), cell(a.jump_ratio, 2)])]
    rows.push(['mean of actions', String(v.clips), String(v.frames), cell(v.mpjpe), cell(v.p_mpjpe), cell(v.n_mpjpe), cell(v.n_mpjpe_rigid), cell(v.bone_cv, 3), cell(v.jump_ratio, 2)])
    rows.push(['(mean of clips)', '', '', cell(v.byClip.mpjpe), cell(v.byClip.p_mpjpe), cell(v.byClip.n_mpjpe)])
    rows.push(['(mean of frames)', '', '', cell(v.byFrame.mpjpe), cell(v.byFrame.p_mpjpe), cell(v.byFrame.n_mpjpe)])
    lines.push("errors in mm, root-relative (mean over each action's frames; bone CV and jumps: median over clips; jumps = largest step / median step, over the truth's; the headline figures are the mean of actions):")
    lines.push(...formatTable(rows))
    lines.push(`largest jump ratio of any clip: ${v.jump_ratio_max.toFixed(2)}`)
    return lines
  }
  if (r.pose) {
    // eslint-disable-next-line no-restricted-syntax -- the column of the clips' action labels, not the task
    const rows = [['action', 'frames', 'MPJPE', 'P-MPJPE', 'N-MPJPE'], ...r.pose.perAction.map((a) => [a.action, String(a.frames), a.mpjpe.toFixed(1), a.p_mpjpe.toFixed(1), a.n_mpjpe.toFixed(1)])]
    rows.push(['mean of actions', String(r.pose.frames), r.pose.mpjpe.toFixed(1), r.pose.p_mpjpe.toFixed(1), r.pose.n_mpjpe.toFixed(1)])
    lines.push("errors in mm, root-relative (mean over each action's frames; the last row is the mean over actions):")
    lines.push(...formatTable(rows))
  }
  if (r.action) {
    lines.push(`top-1 ${r.action.top1.toFixed(2)}%  top-5 ${r.action.top5.toFixed(2)}%  over ${r.action.samples} windows`)
    if ('clipTop1' in r.action && 'clips' in r.action) lines.push(`per clip (the mean of its windows' probabilities, as predict labels a person): top-1 ${r.action.clipTop1.toFixed(2)}% over ${r.action.clips} clips`)
    const shown = r.action.perClass.filter((c) => c.samples > 0)
    if (shown.length <= 20) lines.push(`per class (right / windows): ${shown.map((c) => `${c.class} ${c.correct}/${c.samples}`).join(', ')}`)
  }
  return lines
}
