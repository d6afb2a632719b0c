/**
 * `motion predict --task mesh`: each chosen person's 2D track → per-frame SMPL meshes, as
 * infer_wild_mesh.py does (the same normalisation and clips as 3D pose: crop-scale to [-1, 1] or
 * pixel scale), with the flip test-time augmentation of the official mesh evaluation (validate in
 * train_mesh.py): the flipped clip's theta is flipped back (flip_thetas), posed by SMPL, and theta,
 * vertices and joints are averaged with the unflipped ones. (infer_wild_mesh averages vertices the
 * same way but mixes metres into its kp_3d; here kp_3d is J_regressor_h36m · vertices, in mm.)
 * Outputs (by --out): SMPL parameters .npz / .json, an animated .glb, or a folder of .obj; --render
 * draws the mesh (PNG sheet, GIF / WebP). Nothing is written until every person is done.
 */
import {promises as fsp} from 'node:fs'
import path from 'node:path'

import {normalizeWild, planWindows, flipInto} from '../../data/wild.js'
import {NUM_JOINTS} from '../../core/h36m.js'
import {inputError, modelError} from '../../core/errors.js'
import {type MeshSequence, writeMeshOutput} from './writers.js'
import type {NDArray} from '../../core/ndarray.js'
import {groupByRenderFile, personResults, shaped, writeAll} from '../outputs.js'
import type {TaskContext, TaskOutcome} from '../types.js'
import {type BodyModel, bodyModelFromWeights, numVertices} from './body-model.js'
import {flipAxisAnglePoses} from '../../nn/rotation.js'

export const MESH_RENDER_EXTENSIONS = ['.png', '.gif', '.webp', '.html'] as const
const DEFAULT_FPS = 30

/** Input errors for mesh outputs that could not be written; run before anything is read. */
export async function checkMeshOutputs(out: string, render: string | undefined): Promise<void> {
  const ext = path.extname(out).toLowerCase()
  if (!['.npz', '.json', '.glb', '', '.obj'].includes(ext)) {
    throw inputError(`cannot write a mesh as '${ext}'`, {
      file: out,
      hint: 'use .npz or .json (SMPL parameters per frame), .glb (animated mesh), or a folder name without an extension (one .obj per frame)',
    })
  }
  await checkFolder(path.dirname(path.resolve(out)), out)
  if (render !== undefined) {
    const rext = path.extname(render).toLowerCase()
    if (!(MESH_RENDER_EXTENSIONS as readonly string[]).includes(rext)) {
      throw inputError(`unknown render format '${rext || '(no extension)'}'`, {file: render, hint: `use one of ${MESH_RENDER_EXTENSIONS.join(', ')}`})
    }
    await checkFolder(path.dirname(path.resolve(render)), render)
    if (path.resolve(render) === path.resolve(out)) throw inputError('--render and --out name the same file', {file: out})
  }
}

async function checkFolder(dir: string, file: string): Promise<void> {
  const st = await fsp.stat(dir).catch(() => undefined)
  if (!st) throw inputError(`output folder ${dir} does not exist`, {file, hint: 'create the folder first or choose another output path'})
  if (!st.isDirectory()) throw inputError(`${dir} is not a folder`, {file})
}

export interface MeshTrackOptions {
  mode: 'scale' | 'pixel'
  videoSize?: [number, number]
  clipLen: number
  flip: boolean
  /** Input channels the model reads (3, or 2 for no_conf models). */
  channels: number
}

/** Runs the mesh model on a batch [B, t, 17, C] → {theta, verts, kp_3d}. */
export type RunMeshModel = (batch: NDArray) => Promise<Record<string, NDArray>>

/** One [T, 17, 3] pixel track → theta [T, 82], verts [T, V, 3] mm, kp_3d [T, 17, 3] mm. */
export async function predictMeshTrack(
  keypoints: NDArray,
  body: BodyModel,
  opts: MeshTrackOptions,
  run: RunMeshModel,
  onWindow?: (p: {window: number; windows: number; start: number; end: number; finalized: number}) => void,
): Promise<Pick<MeshSequence, 'theta' | 'verts' | 'kp_3d'>> {
  const normalized = normalizeWild(keypoints, opts)
  const T = keypoints.shape[0]!
  const V = numVertices(body)
  const theta = new Float32Array(T * 82)
  const verts = new Float32Array(T * V * 3)
  const kp = new Float32Array(T * NUM_JOINTS * 3)
  const windows = planWindows(T, opts.clipLen)
  const C = opts.channels
  const B = opts.flip ? 2 : 1
  for (const [i, {start, end}] of windows.entries()) {
    const t = end - start
    const batch = new Float32Array(B * t * NUM_JOINTS * C)
    for (let f = 0; f < t; f++) {
      for (let j = 0; j < NUM_JOINTS; j++) {
        for (let c = 0; c < C; c++) batch[(f * NUM_JOINTS + j) * C + c] = normalized.data[((start + f) * NUM_JOINTS + j) * 3 + c]!
      }
    }
    if (opts.flip) flipInto(batch, 0, batch, t * NUM_JOINTS * C, t, C)
    const out = await run({data: batch, shape: [B, t, NUM_JOINTS, C]})
    const th = out.theta
    const vs = out.verts
    const ks = out.kp_3d
    if (!th || !vs || !ks || th.data.length !== B * t * 82 || vs.data.length !== B * t * V * 3) {
      throw modelError(`the mesh model returned ${Object.entries(out).map(([k, v]) => `${k} [${v.shape.join(', ')}]`).join(', ') || 'nothing'}, expected theta, verts and kp_3d for [${B}, ${t}] frames`)
    }
    let thetaW = th.data.subarray(0, t * 82)
    let vertsW = vs.data.subarray(0, t * V * 3)
    let kpW = ks.data.subarray(0, t * NUM_JOINTS * 3)
    if (opts.flip) {
      // flip_thetas_batch on the flipped clip's pose, then SMPL with its betas
      const flippedTheta = th.data.subarray(t * 82, 2 * t * 82)
      const pose = new Float32Array(t * 72)
      for (let f = 0; f < t; f++) pose.set(flippedTheta.subarray(f * 82, f * 82 + 72), f * 72)
      const back = flipAxisAnglePoses(pose, t)
      const thetaBack = new Float32Array(t * 82)
      for (let f = 0; f < t; f++) {
        thetaBack.set(back.subarray(f * 72, f * 72 + 72), f * 82)
        thetaBack.set(flippedTheta.subarray(f * 82 + 72, f * 82 + 82), f * 82 + 72)
      }
      // SMPL runs on tfjs: loaded here, so predict's other tasks never load it
      const {smplFromTheta} = await import('./run.js')
      const mesh = await smplFromTheta(body, {data: thetaBack, shape: [t, 82]})
      thetaW = average(thetaW, thetaBack)
      vertsW = average(vertsW, mesh.verts.data)
      kpW = average(kpW, mesh.kp_3d.data)
    }
    theta.set(thetaW, start * 82)
    verts.set(vertsW, start * V * 3)
    kp.set(kpW, start * NUM_JOINTS * 3)
    onWindow?.({window: i, windows: windows.length, start, end, finalized: end})
  }
  return {theta: {data: theta, shape: [T, 82]}, verts: {data: verts, shape: [T, V, 3]}, kp_3d: {data: kp, shape: [T, NUM_JOINTS, 3]}}
}

function average(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length)
  for (let i = 0; i < a.length; i++) out[i] = (a[i]! + b[i]!) / 2
  return out
}

/** The predict task runner for meshes (see the module comment). */
export async function predictMesh(ctx: TaskContext, clipLen: number, channels: number): Promise<TaskOutcome> {
  const {options: o, tracks, engine, loaded} = ctx
  if ((o.overlap ?? 0) > 0) throw inputError('--overlap is not supported for --task mesh (meshes are predicted clip by clip, as infer_wild_mesh)')
  if (o.smooth !== undefined) throw inputError('--smooth is not supported for --task mesh', {hint: 'smooth the 2D input instead, or drop --smooth'})
  if (o.rootrel) throw inputError('--rootrel does not apply to --task mesh: meshes are always around the SMPL root')
  const body = bodyModelFromWeights(loaded.model.weights, {file: loaded.source.path})
  const opts: MeshTrackOptions = {mode: o.pixel ? 'pixel' : 'scale', videoSize: o.videoSize, clipLen, flip: o.flip ?? true, channels}
  const sequences: MeshSequence[] = []
  for (const [i, track] of tracks.entries()) {
    const T = track.keypoints.shape[0]!
    const mesh = await predictMeshTrack(track.keypoints, body, opts, (batch) => engine.run(batch), (p) =>
      ctx.hooks.onProgress?.({...p, person: track.id, personIndex: i, people: tracks.length, frames: T}),
    )
    sequences.push({...mesh, faces: body.faces, fps: o.fps ?? DEFAULT_FPS})
  }
  const render = o.render !== undefined ? (await import('../../render/mesh.js')).renderMesh : undefined
  // What each person's out really became (a folder of frame_NNNNNN.obj for .obj or no extension).
  const written: Array<{kind: string; files: string[]} | undefined> = []
  // No out (library use): nothing is written, the arrays come back in the result.
  const writes: Array<{file: string; write: () => Promise<void>}> = sequences.flatMap((seq, i) => {
    const out = ctx.outputs[i]!.out
    return out === null ? [] : [{file: out, write: async () => void (written[i] = await writeMeshOutput(seq, out))}]
  })
  if (render) {
    for (const [file, group] of groupByRenderFile(ctx, sequences.map((seq, i) => ({seq, track: tracks[i]!})))) {
      if (path.extname(file).toLowerCase() === '.html') writes.push({file, write: () => renderMeshPage(ctx, group, file)})
      else writes.push({file, write: () => render(group[0]!.seq, file)})
    }
  }
  ctx.hooks.onWriting?.()
  await writeAll(writes)
  const people = personResults(ctx).map((p, i) => {
    const seq = sequences[i]!
    const T = seq.theta.shape[0]!
    const mesh = {
      theta: shaped(seq.theta.data, [T, 82] as const),
      vertices: shaped(seq.verts.data, [T, seq.verts.shape[1]!, 3] as const),
      joints: shaped(seq.kp_3d.data, [T, 17, 3] as const),
      faces: seq.faces,
    }
    const w = written[i]
    // writeMeshOutput writes NAME.obj as the folder NAME/ of frame_NNNNNN.obj files.
    return w?.kind === 'obj' && p.out !== null ? {...p, mesh, out: path.extname(p.out).toLowerCase() === '.obj' ? p.out.slice(0, -4) : p.out, files: w.files.length} : {...p, mesh}
  })
  return {
    people,
    units: 'mm',
    rootRelative: false,
    options: {mode: opts.mode, videoSize: opts.videoSize ?? null, clipLen, flip: opts.flip, fps: o.fps ?? null, vertices: numVertices(body), engine: engine.name},
  }
}

/** `--render out.html`: every person's mesh surface and joints (mm) with their 2D input, on one page. */
async function renderMeshPage(ctx: TaskContext, group: {seq: MeshSequence; track: TaskContext['tracks'][number]}[], file: string): Promise<void> {
  const {renderHtml} = await import('../../render/viewer/html.js')
  const {sceneFromMeshes} = await import('../../render/viewer/from-prediction.js')
  const people = group.map(({seq, track}) => ({id: track.id, verts: seq.verts, kp3d: seq.kp_3d, faces: seq.faces, input2d: track.keypoints}))
  const scene = sceneFromMeshes(people, {source: ctx.options.input, model: ctx.modelLabel, fps: group[0]!.seq.fps, ...(ctx.data.imageSize ? {imageSize: ctx.data.imageSize} : {})})
  await renderHtml(scene, file)
}
