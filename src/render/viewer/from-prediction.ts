/**
 * Scenes from what predict computes: pose predictions (one per person, all on the video's
 * timeline) and mesh sequences. Used by `--render out.html` for every task.
 */
import path from 'node:path'

import type {PoseUnits, Prediction} from '../../formats/writers/types.js'
import type {NDArray} from '../../core/ndarray.js'
import {renderHtml, type HtmlRenderResult} from './html.js'
import type {EncodeOptions, ViewerPerson, ViewerScene} from './scene.js'

export const DEFAULT_VIEWER_FPS = 30

/** How the page names a unit. */
export function unitLabel(units: PoseUnits): string {
  return units === 'mm' ? 'mm' : units === 'pixels' ? 'pixels' : 'normalised units (2D box scaled to [-1, 1])'
}

export interface SceneOptions {
  title?: string
  imageSize?: [number, number]
}

/** One page for several people's pose predictions (same units and length). */
export function sceneFromPredictions(preds: readonly Prediction[], opts: SceneOptions = {}): ViewerScene {
  if (preds.length === 0) throw new Error('no prediction to show')
  const first = preds[0]!
  const people: ViewerPerson[] = preds.map((p, i) => ({id: String(p.person ?? i + 1), x3d: p.x3d, ...(p.input2d ? {input2d: p.input2d} : {})}))
  return {
    title: opts.title ?? defaultTitle(first.source, people.length, first.model),
    unitLabel: unitLabel(first.units),
    fps: first.fps ?? DEFAULT_VIEWER_FPS,
    people,
    ...(opts.imageSize ? {imageSize: opts.imageSize} : {}),
  }
}

export interface MeshPerson {
  id: string
  /** [T, V, 3] mm, camera frame. */
  verts: NDArray
  /** [T, 17, 3] mm, H36M joints. */
  kp3d: NDArray
  faces: Uint32Array
  input2d?: NDArray
}

/** One page for several people's meshes (the surface plus the H36M joints regressed from it, mm). */
export function sceneFromMeshes(people: readonly MeshPerson[], opts: SceneOptions & {source: string; model: string; fps?: number}): ViewerScene {
  return {
    title: opts.title ?? defaultTitle(opts.source, people.length, opts.model),
    unitLabel: 'mm',
    fps: opts.fps ?? DEFAULT_VIEWER_FPS,
    people: people.map((p) => ({id: p.id, x3d: p.kp3d, mesh: {verts: p.verts, faces: p.faces}, ...(p.input2d ? {input2d: p.input2d} : {})})),
    ...(opts.imageSize ? {imageSize: opts.imageSize} : {}),
  }
}

function defaultTitle(source: string, people: number, model: string): string {
  return `${path.basename(source)} · ${people} ${people === 1 ? 'person' : 'people'} · ${model}`
}

/** `--render out.html` for pose predictions. */
export function renderPredictionsHtml(preds: readonly Prediction[], file: string, opts: SceneOptions & EncodeOptions = {}): Promise<HtmlRenderResult> {
  return renderHtml(sceneFromPredictions(preds, opts), file, opts)
}
