/**
 * Mesh evaluation as train_mesh.py's validate: test windows of clip_len frames (stride clip_len),
 * with flip the flipped clip's prediction is flipped back (flip_thetas), posed by SMPL and averaged
 * with the plain one; MPVE, MPJPE and PA-MPJPE (14 joints) in mm against the ground truth posed by
 * the model's body model from the true theta (or the clip's own kp_3d / verts).
 */
import {NUM_JOINTS} from '../../core/h36m.js'
import {inputError, modelError} from '../../core/errors.js'
import type {NDArray} from '../../core/ndarray.js'
import {flipPoses} from '../../data/augment/flip.js'
import {type BodyModel, numVertices} from './body-model.js'
import {type MeshClip, THETA_SIZE, flipTheta, gatherFrames, meshWindows} from './data.js'
import {evaluateMesh, type MeshMetrics} from './metrics.js'
import {smplFromTheta} from './run.js'

export interface MeshEvalOptions {
  clipLen: number
  batchSize: number
  /** Flip test-time augmentation (the config's flip). */
  flip: boolean
  /** At most this many windows, spread over the clips (0 or undefined: all). */
  limit?: number
  /** The model reads x, y only. */
  noConf?: boolean
}

/** The metrics over every window evaluated. */
export interface MeshEvalResult extends MeshMetrics {
  windows: number
}

/** Runs the mesh model on [B, T, 17, C] and returns its finished outputs (theta, verts, kp_3d). */
export type MeshRunner = (x: NDArray) => Promise<Record<string, NDArray>>

export async function evaluateMeshClips(run: MeshRunner, clips: readonly MeshClip[], body: BodyModel, opts: MeshEvalOptions): Promise<MeshEvalResult> {
  const all = meshWindows(clips, opts.clipLen, opts.clipLen)
  if (all.length === 0) throw inputError('no test windows in the mesh data')
  const windows = opts.limit && opts.limit > 0 && opts.limit < all.length ? Array.from({length: opts.limit}, (_, i) => all[Math.floor((i * all.length) / opts.limit!)]!) : all
  const T = opts.clipLen
  const J = NUM_JOINTS
  const V = numVertices(body)
  const C = opts.noConf ? 2 : 3
  const sums = {mpve: 0, mpjpe: 0, pa_mpjpe: 0, mpjpe_17j: 0, pa_mpjpe_17j: 0}
  let frames = 0
  for (let start = 0; start < windows.length; start += opts.batchSize) {
    const batch = windows.slice(start, start + opts.batchSize)
    const B = batch.length
    const copies = opts.flip ? 2 : 1
    const input = new Float32Array(copies * B * T * J * C)
    const theta = new Float32Array(B * T * THETA_SIZE)
    batch.forEach((w, b) => {
      const clip = clips[w.clip]!
      const views = [gatherFrames(clip.keypoints2d, w.frames)]
      if (opts.flip) views.push(flipPoses(views[0]!))
      views.forEach((x, k) => {
        const o = (k * B + b) * T * J * C
        for (let i = 0; i < T * J; i++) for (let c = 0; c < C; c++) input[o + i * C + c] = x.data[i * 3 + c]!
      })
      theta.set(gatherFrames(clip.theta, w.frames).data, b * T * THETA_SIZE)
    })
    const out = await run({data: input, shape: [copies * B, T, J, C]})
    const {verts, kp_3d: kp} = out
    if (!verts || !kp || !out.theta || verts.data.length !== copies * B * T * V * 3) {
      throw modelError(`the mesh model returned ${Object.entries(out).map(([k, v]) => `${k} [${v.shape.join(', ')}]`).join(', ') || 'nothing'}, expected theta, verts and kp_3d for [${copies * B}, ${T}] frames with ${V} vertices`)
    }
    let predVerts = verts.data.subarray(0, B * T * V * 3)
    let predKp = kp.data.subarray(0, B * T * J * 3)
    if (opts.flip) {
      const back = flipTheta({data: out.theta.data.slice(B * T * THETA_SIZE, 2 * B * T * THETA_SIZE), shape: [B * T, THETA_SIZE]})
      const posed = await smplFromTheta(body, back)
      predVerts = average(predVerts, posed.verts.data)
      predKp = average(predKp, posed.kp_3d.data)
    }
    const gt = await windowTruth(body, clips, batch, {data: theta, shape: [B * T, THETA_SIZE]})
    const m = evaluateMesh({verts: {data: predVerts, shape: [B * T, V, 3]}, kp_3d: {data: predKp, shape: [B * T, J, 3]}}, gt)
    for (const k of Object.keys(sums) as Array<keyof typeof sums>) sums[k] += m[k] * m.frames
    frames += m.frames
  }
  return {
    mpve: sums.mpve / frames,
    mpjpe: sums.mpjpe / frames,
    pa_mpjpe: sums.pa_mpjpe / frames,
    mpjpe_17j: sums.mpjpe_17j / frames,
    pa_mpjpe_17j: sums.pa_mpjpe_17j / frames,
    frames,
    windows: windows.length,
    units: 'mm',
  }
}

/** Ground truth of a batch of windows: SMPL(theta), or what the clips give. */
async function windowTruth(body: BodyModel, clips: readonly MeshClip[], batch: ReadonlyArray<{clip: number; frames: Int32Array}>, theta: NDArray): Promise<{verts: NDArray; kp_3d: NDArray}> {
  const given = batch.every((w) => clips[w.clip]!.verts && clips[w.clip]!.kp3d)
  const frames = theta.shape[0]!
  if (given) {
    const cat = (pick: (c: MeshClip) => NDArray): NDArray => {
      const parts = batch.map((w) => gatherFrames(pick(clips[w.clip]!), w.frames))
      const out = new Float32Array(parts.reduce((s, p) => s + p.data.length, 0))
      let o = 0
      for (const p of parts) (out.set(p.data, o), (o += p.data.length))
      return {data: out, shape: [frames, ...parts[0]!.shape.slice(1)]}
    }
    return {verts: cat((c) => c.verts!), kp_3d: cat((c) => c.kp3d!)}
  }
  const posed = await smplFromTheta(body, theta)
  return {verts: posed.verts, kp_3d: posed.kp_3d}
}

function average(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length)
  for (let i = 0; i < a.length; i++) out[i] = (a[i]! + b[i]!) / 2
  return out
}
