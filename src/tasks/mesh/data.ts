/**
 * Mesh training and evaluation data (`motion finetune --task mesh`, `motion eval --task mesh`).
 *
 * SMPL datasets cannot ship, so the format is a plain folder anyone can write (and
 * `motion data synth-mesh` makes one with a body model):
 *
 *   DIR/index.json           optional: {"format": "motion-mesh", "clips": [{"file": "a.npz", "split": "train"}, ...]}
 *   DIR/train/*.npz          without index.json: the first folder names the split (train, test, ...);
 *   DIR/test/*.npz           files directly in DIR are training clips
 *
 * One .npz per clip (T frames):
 *   keypoints2d  [T, 17, 3]  H36M-17 2D joints and confidence: the model input, normalised as
 *                            MotionBERT's mesh readers do (x/w·2 − 1, y/w·2 − h/w), or in pixels
 *                            when `image_size` [w, h] is stored too (then normalised the same way);
 *   theta        [T, 82]     SMPL pose (24 axis-angle rotations, global orient first) and 10 betas;
 *   kp_3d        [T, 17, 3]  optional: H36M joints in mm (default: J_regressor_h36m · SMPL(theta));
 *   verts        [T, V, 3]   optional: vertices in mm (default: SMPL(theta)).
 * As the official MotionSMPL dataset, the 3D ground truth is the body model posed by theta unless
 * the clip gives it; the confidence is clipped to [0, 1].
 *
 * MotionBERT's own mesh detection pickles (data/mesh/mesh_det_pw3d.pkl, mesh_det_h36m.pkl,
 * mesh_det_coco.pkl) are read too: per split (`train`, `test`) frame arrays `joint_2d` [N, 17, 2+],
 * `confidence` (else 1), `smpl_pose` [N, 72], `smpl_shape` [N, 10] and `source` (the video of each
 * frame; consecutive frames of one video form a clip), normalised as DataReaderMesh (by 1920, or
 * 640 for COCO) or, with `camera_name`, DataReaderH36M (by each camera's image size).
 */
import {existsSync, promises as fsp} from 'node:fs'
import path from 'node:path'

import {isKind, PickleDict, type PickleValue, readPickleFile} from '../../formats/pickle/unpickler.js'
import {NUM_JOINTS} from '../../core/h36m.js'
import {flipPoses} from '../../data/augment/flip.js'
import {clipWindows} from '../../data/motion3d/windows.js'
import {inputError} from '../../core/errors.js'
import {readNpz, toFloat32} from '../../formats/npy.js'
import {type NDArray, shapeString} from '../../core/ndarray.js'
import type {Rng} from '../../core/rng.js'
import type {MeshBatchTarget, TrainBatch} from '../train-types.js'
import {type BodyModel, numVertices} from './body-model.js'
import {axisAngleToRotmat, flipAxisAnglePoses} from '../../nn/rotation.js'
import {smplFromTheta} from './run.js'

export const MESH_DATA_FORMAT = 'motion-mesh'
export const THETA_SIZE = 82

export interface MeshClip {
  /** File path relative to the data folder. */
  name: string
  file: string
  split: string
  /** [T, 17, 3] normalised x, y and confidence in [0, 1]. */
  keypoints2d: NDArray
  /** [T, 82] */
  theta: NDArray
  /** [T, 17, 3] mm, when the clip gives it. */
  kp3d?: NDArray
  /** [T, V, 3] mm, when the clip gives it. */
  verts?: NDArray
}

export interface MeshData {
  dir: string
  clips: MeshClip[]
}

/** Reads a mesh data folder (module comment) or a single clip .npz. */
export async function readMeshData(dir: string): Promise<MeshData> {
  const root = path.resolve(dir)
  const st = await fsp.stat(root).catch(() => null)
  if (!st) throw inputError('no such mesh data folder', {file: dir, hint: 'make one with: motion data synth-mesh --smpl-dir DIR --out DIR'})
  if (st.isFile()) {
    if (root.toLowerCase().endsWith('.pkl')) return {dir: path.dirname(root), clips: await readMeshDetPickle(root)}
    if (!root.toLowerCase().endsWith('.npz')) throw inputError('mesh data is a folder of .npz clips (or one .npz clip)', {file: dir, hint: describeFormat()})
    return {dir: path.dirname(root), clips: [await readMeshClip(root, path.basename(root), 'train')]}
  }
  const entries = await listClips(root)
  if (entries.length === 0) throw inputError('no .npz mesh clips in the folder', {file: dir, hint: describeFormat()})
  const clips: MeshClip[] = []
  for (const e of entries) clips.push(await readMeshClip(path.join(root, e.file), e.file, e.split))
  return {dir: root, clips}
}

async function listClips(root: string): Promise<Array<{file: string; split: string}>> {
  const indexFile = path.join(root, 'index.json')
  if (existsSync(indexFile)) {
    let index: unknown
    try {
      index = JSON.parse(await fsp.readFile(indexFile, 'utf8'))
    } catch (err) {
      throw inputError(`index.json is not valid JSON: ${(err as Error).message}`, {file: indexFile})
    }
    const list = (index as {clips?: unknown}).clips
    if (!Array.isArray(list)) throw inputError('index.json has no "clips" list', {file: indexFile, hint: describeFormat()})
    return list.map((c: unknown, i) => {
      const e = c as {file?: unknown; split?: unknown}
      if (typeof e.file !== 'string') throw inputError(`clips[${i}] has no "file"`, {file: indexFile})
      return {file: e.file, split: typeof e.split === 'string' ? e.split : 'train'}
    })
  }
  const out: Array<{file: string; split: string}> = []
  const walk = async (rel: string): Promise<void> => {
    const names = (await fsp.readdir(path.join(root, rel), {withFileTypes: true})).sort((a, b) => a.name.localeCompare(b.name))
    for (const d of names) {
      const r = rel ? `${rel}/${d.name}` : d.name
      if (d.isDirectory()) await walk(r)
      else if (d.name.toLowerCase().endsWith('.npz')) out.push({file: r, split: r.includes('/') ? r.split('/')[0]! : 'train'})
    }
  }
  await walk('')
  return out
}

/** One clip .npz (module comment), checked. */
export async function readMeshClip(file: string, name: string, split: string): Promise<MeshClip> {
  const npz = await readNpz(file)
  const get = (key: string): NDArray | undefined => {
    const a = npz.get(key)
    return a ? toFloat32(a) : undefined
  }
  const kp2 = get('keypoints2d')
  const theta = get('theta')
  if (!kp2 || !theta) {
    throw inputError(`a mesh clip needs keypoints2d and theta, found ${[...npz.keys()].join(', ') || 'no arrays'}`, {file, hint: describeFormat()})
  }
  const T = kp2.shape[0]!
  const expect = (what: string, a: NDArray, shape: number[]): void => {
    if (a.shape.length !== shape.length || a.shape.some((d, i) => d !== shape[i])) {
      throw inputError(`${what} is ${shapeString(a.shape)}, expected ${shapeString(shape)}`, {file, hint: describeFormat()})
    }
  }
  if (kp2.shape.length !== 3 || kp2.shape[1] !== NUM_JOINTS || (kp2.shape[2] !== 3 && kp2.shape[2] !== 2)) expect('keypoints2d', kp2, [T, NUM_JOINTS, 3])
  if (T < 1) throw inputError('the clip has no frames', {file})
  expect('theta', theta, [T, THETA_SIZE])
  const input = new Float32Array(T * NUM_JOINTS * 3)
  const C = kp2.shape[2]!
  const size = get('image_size')
  const [w, h] = size ? [size.data[0]!, size.data[1]!] : [0, 0]
  if (size && !(w > 0 && h > 0)) throw inputError(`image_size must be [width, height] > 0, got [${Array.from(size.data).join(', ')}]`, {file})
  for (let i = 0; i < T * NUM_JOINTS; i++) {
    let x = kp2.data[i * C]!
    let y = kp2.data[i * C + 1]!
    if (size) {
      // DataReaderMesh: x / w · 2 − 1, y / w · 2 − h / w (the long side maps to [-1, 1])
      x = (x / w) * 2 - 1
      y = (y / w) * 2 - h / w
    }
    input[i * 3] = x
    input[i * 3 + 1] = y
    input[i * 3 + 2] = C === 3 ? Math.min(1, Math.max(0, kp2.data[i * C + 2]!)) : 1
  }
  const clip: MeshClip = {name, file, split, keypoints2d: {data: input, shape: [T, NUM_JOINTS, 3]}, theta}
  const kp3d = get('kp_3d')
  if (kp3d) {
    expect('kp_3d', kp3d, [T, NUM_JOINTS, 3])
    clip.kp3d = kp3d
  }
  const verts = get('verts')
  if (verts) {
    if (verts.shape.length !== 3 || verts.shape[0] !== T || verts.shape[2] !== 3) expect('verts', verts, [T, verts.shape[1] ?? 0, 3])
    clip.verts = verts
  }
  return clip
}

/** MotionBERT's mesh detection pickle (module comment) as clips, one per run of a video's frames. */
export async function readMeshDetPickle(file: string): Promise<MeshClip[]> {
  const root = await readPickleFile(file)
  const bad = (what: string): never => {
    throw inputError(`not a MotionBERT mesh pickle: ${what}`, {file, hint: 'expected {train: {...}, test: {...}} with joint_2d, smpl_pose, smpl_shape and source per frame, as data/mesh/mesh_det_pw3d.pkl'})
  }
  if (!(root instanceof PickleDict)) bad('the top level is not a dict')
  const clips: MeshClip[] = []
  const res = path.basename(file).toLowerCase().includes('coco') ? 640 : 1920 // train_mesh.py: COCO 640², 3DPW 1920²
  for (const split of ['train', 'test']) {
    const part = (root as PickleDict).get(split)
    if (part === undefined) continue
    if (!(part instanceof PickleDict)) bad(`${split} is not a dict`)
    const d = part as PickleDict
    const array = (key: string, optional = false): NDArray | undefined => {
      const v = d.get(key)
      if (v === undefined && optional) return undefined
      if (!isKind(v, 'ndarray')) bad(`${split}.${key} is missing or not a numeric array`)
      const nd = v as Extract<PickleValue, {kind: 'ndarray'}>
      return toFloat32({data: nd.data, shape: nd.shape, dtype: nd.dtype})
    }
    const j2d = array('joint_2d')!
    const pose = array('smpl_pose')!
    const shape = array('smpl_shape')!
    const conf = array('confidence', true)
    const N = j2d.shape[0]!
    const C = j2d.shape[2] ?? 0
    if (j2d.shape.length !== 3 || j2d.shape[1] !== NUM_JOINTS || C < 2) bad(`${split}.joint_2d is ${shapeString(j2d.shape)}, expected [N, 17, 2]`)
    if (pose.data.length !== N * 72 || shape.data.length !== N * 10) bad(`${split}.smpl_pose / smpl_shape do not hold 72 / 10 values for each of the ${N} frames`)
    if (conf && conf.data.length !== N * NUM_JOINTS) bad(`${split}.confidence does not hold 17 values per frame`)
    const source = labels(d.get('source'), N) ?? bad(`${split}.source is not a list of ${N} video names`)
    const cameras = d.has('camera_name') ? labels(d.get('camera_name'), N) ?? bad(`${split}.camera_name is not a list of ${N} names`) : null
    let start = 0
    for (let i = 1; i <= N; i++) {
      if (i < N && source[i] === source[start]) continue
      const T = i - start
      const kp = new Float32Array(T * NUM_JOINTS * 3)
      const theta = new Float32Array(T * THETA_SIZE)
      for (let t = 0; t < T; t++) {
        const f = start + t
        const [w, h] = cameras ? h36mCameraSize(cameras[f]!, file) : [res, res]
        for (let j = 0; j < NUM_JOINTS; j++) {
          const o = (t * NUM_JOINTS + j) * 3
          const s = (f * NUM_JOINTS + j) * C
          kp[o] = (j2d.data[s]! / w) * 2 - 1
          kp[o + 1] = (j2d.data[s + 1]! / w) * 2 - h / w
          kp[o + 2] = conf ? Math.min(1, Math.max(0, conf.data[f * NUM_JOINTS + j]!)) : 1
        }
        theta.set(pose.data.subarray(f * 72, f * 72 + 72), t * THETA_SIZE)
        theta.set(shape.data.subarray(f * 10, f * 10 + 10), t * THETA_SIZE + 72)
      }
      clips.push({name: `${split}/${source[start]}`, file, split, keypoints2d: {data: kp, shape: [T, NUM_JOINTS, 3]}, theta: {data: theta, shape: [T, THETA_SIZE]}})
      start = i
    }
  }
  if (clips.length === 0) bad('no train or test frames')
  return clips
}

/** A list (or object array) of N names, as strings. */
function labels(v: PickleValue | undefined, n: number): string[] | null {
  const items = Array.isArray(v) ? v : isKind(v, 'ndarray-object') ? v.items : isKind(v, 'ndarray') ? Array.from(v.data as ArrayLike<number | bigint>) : null
  if (!items || items.length !== n) return null
  return items.map((x) => (x instanceof Uint8Array ? new TextDecoder().decode(x) : String(x)))
}

/** DataReaderH36M's image size per camera: [width, height]. */
function h36mCameraSize(camera: string, file: string): [number, number] {
  if (camera === '54138969' || camera === '60457274') return [1000, 1002]
  if (camera === '55011271' || camera === '58860488') return [1000, 1000]
  throw inputError(`unknown Human3.6M camera '${camera}' (expected 54138969, 55011271, 58860488 or 60457274)`, {file})
}

export function describeFormat(): string {
  return 'mesh data: a folder of .npz clips (train/, test/ or index.json) each with keypoints2d [T,17,3] (normalised, or pixels with image_size [w,h]) and theta [T,82] (72 SMPL axis-angle + 10 betas), optionally kp_3d [T,17,3] and verts [T,V,3] in mm; motion data synth-mesh makes one; MotionBERT\'s mesh_det_*.pkl are read too'
}

// ---- windows and ground truth -------------------------------------------------------------------

export interface MeshWindow {
  clip: number
  /** Frame indices into the clip (clip_len of them). */
  frames: Int32Array
}

/** Windows of the clips of one split (split_clips per clip: stride `stride`, short clips resampled). */
export function meshWindows(clips: readonly MeshClip[], clipLen: number, stride: number): MeshWindow[] {
  const out: MeshWindow[] = []
  clips.forEach((c, i) => {
    for (const frames of clipWindows(c.keypoints2d.shape[0]!, clipLen, stride)) out.push({clip: i, frames})
  })
  return out
}

/** Per-clip ground truth in mm, posed by the body model unless the clip gives it. */
export interface ClipTruth {
  /** [T, 17, 3] */
  kp3d: Float32Array
  /** [T, V, 3], when computed or given. */
  verts?: Float32Array
}

/** SMPL(theta) for every frame of a clip: kp_3d always, vertices when asked. */
export async function clipTruth(body: BodyModel, theta: NDArray, given: {kp3d?: NDArray; verts?: NDArray}, withVerts: boolean): Promise<ClipTruth> {
  const needSmpl = !given.kp3d || (withVerts && !given.verts)
  const posed = needSmpl ? await smplFromTheta(body, theta) : null
  const V = numVertices(body)
  if (withVerts && given.verts && given.verts.shape[1] !== V) {
    throw inputError(`the clip's verts have ${given.verts.shape[1]} vertices, the model's body model ${V}`)
  }
  return {
    kp3d: given.kp3d?.data ?? posed!.kp_3d.data,
    ...(withVerts ? {verts: given.verts?.data ?? posed!.verts.data} : {}),
  }
}

/** theta [T, 82] with the pose flipped as the official flip_thetas (betas unchanged). */
export function flipTheta(theta: NDArray): NDArray {
  const T = theta.data.length / THETA_SIZE
  const pose = new Float32Array(T * 72)
  for (let f = 0; f < T; f++) pose.set(theta.data.subarray(f * THETA_SIZE, f * THETA_SIZE + 72), f * 72)
  const flipped = flipAxisAnglePoses(pose, T)
  const out = Float32Array.from(theta.data)
  for (let f = 0; f < T; f++) out.set(flipped.subarray(f * 72, f * 72 + 72), f * THETA_SIZE)
  return {data: out, shape: [...theta.shape]}
}

export interface MeshBatchOptions {
  batchSize: number
  clipLen: number
  stride: number
  /** MotionSMPL's training flip: 2D and theta flipped together, half the time. */
  flip: boolean
  /** Vertices in the target (lambda_verts > 0). */
  withVerts: boolean
  /** Drop the confidence channel (no_conf). */
  noConf?: boolean
}

/**
 * Training batches of mesh windows. The ground truth of every clip (and of its flipped version, with
 * flip) is posed once by `prepare`, so batches are built synchronously.
 */
export class MeshBatchSource {
  readonly task = 'mesh' as const
  private readonly windows: MeshWindow[]
  private truth: ClipTruth[] = []
  private flippedTruth: ClipTruth[] = []
  private flippedTheta: NDArray[] = []

  private constructor(
    private readonly clips: readonly MeshClip[],
    private readonly opts: MeshBatchOptions,
  ) {
    this.windows = meshWindows(clips, opts.clipLen, opts.stride)
  }

  static async create(clips: readonly MeshClip[], body: BodyModel, opts: MeshBatchOptions): Promise<MeshBatchSource> {
    if (clips.length === 0) throw inputError('no mesh clips to train on', {hint: describeFormat()})
    const s = new MeshBatchSource(clips, opts)
    if (s.windows.length === 0) throw inputError('no training windows in the mesh data')
    for (const c of clips) {
      s.truth.push(await clipTruth(body, c.theta, c, opts.withVerts))
      if (opts.flip) {
        const ft = flipTheta(c.theta)
        s.flippedTheta.push(ft)
        s.flippedTruth.push(await clipTruth(body, ft, {}, opts.withVerts))
      }
    }
    return s
  }

  get size(): number {
    return this.windows.length
  }

  /** At most the number of windows, so every batch has the same shape (the onnx graph is static). */
  get batchSize(): number {
    return Math.min(this.opts.batchSize, this.windows.length)
  }

  batch(indices: readonly number[], rng: Rng): TrainBatch {
    const N = indices.length
    const T = this.opts.clipLen
    const J = NUM_JOINTS
    const C = this.opts.noConf ? 2 : 3
    const V = this.opts.withVerts ? this.truth[0]!.verts!.length / this.clips[0]!.theta.shape[0]! / 3 : 0
    const input = new Float32Array(N * T * J * C)
    const theta = new Float32Array(N * T * THETA_SIZE)
    const kp3d = new Float32Array(N * T * J * 3)
    const verts = this.opts.withVerts ? new Float32Array(N * T * V * 3) : undefined
    indices.forEach((index, n) => {
      const w = this.windows[index]!
      const clip = this.clips[w.clip]!
      const flipped = this.opts.flip && rng.next() > 0.5
      let x: NDArray = gatherFrames(clip.keypoints2d, w.frames)
      if (flipped) x = flipPoses(x)
      for (let i = 0; i < T * J; i++) for (let c = 0; c < C; c++) input[(n * T * J + i) * C + c] = x.data[i * 3 + c]!
      const th = flipped ? this.flippedTheta[w.clip]! : clip.theta
      const truth = flipped ? this.flippedTruth[w.clip]! : this.truth[w.clip]!
      w.frames.forEach((f, t) => {
        theta.set(th.data.subarray(f * THETA_SIZE, (f + 1) * THETA_SIZE), (n * T + t) * THETA_SIZE)
        kp3d.set(truth.kp3d.subarray(f * J * 3, (f + 1) * J * 3), (n * T + t) * J * 3)
        if (verts) verts.set(truth.verts!.subarray(f * V * 3, (f + 1) * V * 3), (n * T + t) * V * 3)
      })
    })
    const mesh: MeshBatchTarget = {
      ...meshParamsTarget({data: theta, shape: [N, T, THETA_SIZE]}),
      kp_3d: {data: kp3d, shape: [N, T, J, 3]},
      ...(verts ? {verts: {data: verts, shape: [N, T, V, 3]}} : {}),
    }
    return {task: 'mesh', input: {data: input, shape: [N, T, J, C]}, mesh}
  }
}

/** The rotation matrices [..., 24, 3, 3] and betas [..., 10] of theta [..., 82]. */
export function meshParamsTarget(theta: NDArray): Pick<MeshBatchTarget, 'rotmat' | 'betas'> {
  const lead = theta.shape.slice(0, -1)
  const frames = theta.data.length / THETA_SIZE
  const pose = new Float32Array(frames * 72)
  const betas = new Float32Array(frames * 10)
  for (let f = 0; f < frames; f++) {
    pose.set(theta.data.subarray(f * THETA_SIZE, f * THETA_SIZE + 72), f * 72)
    betas.set(theta.data.subarray(f * THETA_SIZE + 72, (f + 1) * THETA_SIZE), f * 10)
  }
  return {rotmat: {data: axisAngleToRotmat(pose, frames * 24), shape: [...lead, 24, 3, 3]}, betas: {data: betas, shape: [...lead, 10]}}
}

/** x [T, ...] at the given frames → [frames.length, ...]. */
export function gatherFrames(x: NDArray, frames: Int32Array): NDArray {
  const per = x.data.length / x.shape[0]!
  const out = new Float32Array(frames.length * per)
  frames.forEach((f, i) => out.set(x.data.subarray(f * per, (f + 1) * per), i * per))
  return {data: out, shape: [frames.length, ...x.shape.slice(1)]}
}
