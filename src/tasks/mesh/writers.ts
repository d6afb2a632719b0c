/**
 * Writers for mesh predictions, all atomic:
 *  - SMPL parameters per frame: .npz (theta, pose, betas, kp_3d, and verts/faces when asked) or .json;
 *  - one Wavefront .obj per frame into a folder (frame_000000.obj, ...);
 *  - one animated binary glTF (.glb): the first frame as the base mesh and every frame as a morph
 *    target, played by a STEP weights animation at the clip's frame rate.
 *
 * Coordinates: the model's camera frame (x right, y down, z away) in millimetres. Meshes (.obj, .glb)
 * are written as glTF requires — metres, y up, z towards the viewer — i.e. (x, −y, −z) / 1000, a
 * rotation, so triangle winding is kept. Parameters (.npz, .json) stay in the model's frame and mm.
 */
import path from 'node:path'

import {inputError} from '../../core/errors.js'
import type {NDArray} from '../../core/ndarray.js'
import {writeDirAtomic, writeFileAtomic} from '../../formats/atomic.js'
import {encodeNpz} from '../../formats/npy.js'
import {promises as fsp} from 'node:fs'

/** SMPL joint names in theta order (24 axis-angle rotations). */
export const SMPL_JOINT_NAMES = [
  'pelvis', 'left_hip', 'right_hip', 'spine1', 'left_knee', 'right_knee', 'spine2', 'left_ankle', 'right_ankle', 'spine3', 'left_foot', 'right_foot',
  'neck', 'left_collar', 'right_collar', 'head', 'left_shoulder', 'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist', 'left_hand', 'right_hand',
] as const

/** One person's mesh sequence. */
export interface MeshSequence {
  /** [F, 82]: 72 axis-angle (24 joints × 3, radians) + 10 betas. */
  theta: NDArray
  /** [F, V, 3] mm, camera frame. */
  verts: NDArray
  /** [F, 17, 3] mm, H36M joints. */
  kp_3d: NDArray
  /** Triangles, 3 vertex indices each. */
  faces: Uint32Array
  /** Frames per second, for animations (default 30). */
  fps?: number
}

export const MESH_DEFAULT_FPS = 30

function frameCount(seq: MeshSequence): {frames: number; verts: number} {
  const frames = seq.theta.data.length / 82
  const verts = seq.verts.data.length / (frames * 3)
  if (!Number.isInteger(frames) || frames < 1) throw inputError(`mesh output: theta must be [frames, 82], got [${seq.theta.shape.join(', ')}]`)
  if (!Number.isInteger(verts) || verts < 1) throw inputError(`mesh output: verts [${seq.verts.shape.join(', ')}] does not hold ${frames} frames of [V, 3]`)
  for (let i = 0; i < seq.faces.length; i++) {
    if (seq.faces[i]! >= verts) throw inputError(`mesh output: face index ${seq.faces[i]} is outside the ${verts} vertices`)
  }
  return {frames, verts}
}

/** Camera frame mm → glTF metres, y up (x, −y, −z). */
function toGltf(x: number, y: number, z: number): [number, number, number] {
  return [x / 1000, -y / 1000, -z / 1000]
}

// ---- parameters ----------------------------------------------------------------------------------

/** SMPL parameters and joints as .npz arrays (float32); verts and faces too when `withMesh`. */
export function meshParamsArrays(seq: MeshSequence, opts: {withMesh?: boolean} = {}): Record<string, NDArray> {
  const {frames, verts} = frameCount(seq)
  const pose = new Float32Array(frames * 72)
  const betas = new Float32Array(frames * 10)
  for (let f = 0; f < frames; f++) {
    pose.set(seq.theta.data.subarray(f * 82, f * 82 + 72), f * 72)
    betas.set(seq.theta.data.subarray(f * 82 + 72, f * 82 + 82), f * 10)
  }
  const out: Record<string, NDArray> = {
    theta: {data: seq.theta.data, shape: [frames, 82]},
    pose: {data: pose, shape: [frames, 72]},
    betas: {data: betas, shape: [frames, 10]},
    kp_3d: {data: seq.kp_3d.data, shape: [frames, 17, 3]},
  }
  if (opts.withMesh) {
    out.verts = {data: seq.verts.data, shape: [frames, verts, 3]}
    out.faces = {data: Float32Array.from(seq.faces), shape: [seq.faces.length / 3, 3]}
  }
  return out
}

export async function writeMeshParamsNpz(seq: MeshSequence, file: string, opts: {withMesh?: boolean} = {}): Promise<void> {
  await writeFileAtomic(file, encodeNpz(meshParamsArrays(seq, opts)))
}

export interface MeshParamsJson {
  format: 'motion-smpl-params'
  version: 1
  units: {pose: 'radians (axis-angle)'; betas: 'SMPL shape coefficients'; kp_3d: 'mm'}
  coordinates: string
  joints: readonly string[]
  fps: number
  frames: Array<{frame: number; pose: number[]; betas: number[]; kp_3d: number[][]}>
}

export function toMeshParamsJson(seq: MeshSequence): MeshParamsJson {
  const {frames} = frameCount(seq)
  const round = (v: number): number => Math.round(v * 1e6) / 1e6
  return {
    format: 'motion-smpl-params',
    version: 1,
    units: {pose: 'radians (axis-angle)', betas: 'SMPL shape coefficients', kp_3d: 'mm'},
    coordinates: 'camera: x right, y down (image), z away from the camera',
    joints: SMPL_JOINT_NAMES,
    fps: seq.fps ?? MESH_DEFAULT_FPS,
    frames: Array.from({length: frames}, (_, f) => ({
      frame: f,
      pose: Array.from(seq.theta.data.subarray(f * 82, f * 82 + 72), round),
      betas: Array.from(seq.theta.data.subarray(f * 82 + 72, f * 82 + 82), round),
      kp_3d: Array.from({length: 17}, (_, j) => Array.from(seq.kp_3d.data.subarray((f * 17 + j) * 3, (f * 17 + j) * 3 + 3), (v) => Math.round(v * 1000) / 1000)),
    })),
  }
}

export async function writeMeshParamsJson(seq: MeshSequence, file: string): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(toMeshParamsJson(seq)) + '\n')
}

// ---- OBJ -----------------------------------------------------------------------------------------

/** One frame as Wavefront OBJ text (metres, y up; faces 1-based). */
export function encodeObj(seq: MeshSequence, frame: number): string {
  const {verts} = frameCount(seq)
  const lines = [`# motion mesh, frame ${frame}: ${verts} vertices, ${seq.faces.length / 3} triangles; metres, y up (glTF axes)`]
  const base = frame * verts * 3
  for (let v = 0; v < verts; v++) {
    const [x, y, z] = toGltf(seq.verts.data[base + v * 3]!, seq.verts.data[base + v * 3 + 1]!, seq.verts.data[base + v * 3 + 2]!)
    lines.push(`v ${x.toFixed(6)} ${y.toFixed(6)} ${z.toFixed(6)}`)
  }
  for (let i = 0; i < seq.faces.length; i += 3) lines.push(`f ${seq.faces[i]! + 1} ${seq.faces[i + 1]! + 1} ${seq.faces[i + 2]! + 1}`)
  return lines.join('\n') + '\n'
}

export function objFileName(frame: number): string {
  return `frame_${String(frame).padStart(6, '0')}.obj`
}

/** One .obj per frame into `dir` (created, or replaced as a whole). Returns the file names. */
export async function writeObjSequence(seq: MeshSequence, dir: string): Promise<string[]> {
  const {frames} = frameCount(seq)
  const names = Array.from({length: frames}, (_, f) => objFileName(f))
  await writeDirAtomic(
    dir,
    async (tmp) => {
      for (let f = 0; f < frames; f++) await fsp.writeFile(path.join(tmp, names[f]!), encodeObj(seq, f), 'utf8')
    },
    {mkdir: true},
  )
  return names
}

// ---- glTF (GLB) ------------------------------------------------------------------------------------

const FLOAT = 5126
const UNSIGNED_INT = 5125
const ARRAY_BUFFER = 34962
const ELEMENT_ARRAY_BUFFER = 34963

/** The animated mesh as GLB bytes: base mesh = frame 0, one morph target per frame, STEP weights animation. */
export function encodeGlb(seq: MeshSequence): Uint8Array {
  const {frames, verts} = frameCount(seq)
  const fps = seq.fps ?? MESH_DEFAULT_FPS
  const chunks: Uint8Array[] = []
  let byteLength = 0
  const bufferViews: Array<Record<string, number>> = []
  const accessors: Array<Record<string, unknown>> = []
  const addView = (bytes: Uint8Array, target?: number): number => {
    const pad = (4 - (byteLength % 4)) % 4
    if (pad) {
      chunks.push(new Uint8Array(pad))
      byteLength += pad
    }
    bufferViews.push({buffer: 0, byteOffset: byteLength, byteLength: bytes.length, ...(target ? {target} : {})})
    chunks.push(bytes)
    byteLength += bytes.length
    return bufferViews.length - 1
  }
  const addFloats = (data: Float32Array, type: 'VEC3' | 'SCALAR', count: number, target?: number, withBounds = false): number => {
    const view = addView(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), target)
    const acc: Record<string, unknown> = {bufferView: view, componentType: FLOAT, count, type}
    if (withBounds) {
      const width = type === 'VEC3' ? 3 : 1
      const min = new Array<number>(width).fill(Infinity)
      const max = new Array<number>(width).fill(-Infinity)
      for (let i = 0; i < count; i++) for (let c = 0; c < width; c++) {
        const v = data[i * width + c]!
        if (v < min[c]!) min[c] = v
        if (v > max[c]!) max[c] = v
      }
      acc.min = min
      acc.max = max
    }
    accessors.push(acc)
    return accessors.length - 1
  }

  const positions = (f: number): Float32Array => {
    const out = new Float32Array(verts * 3)
    const base = f * verts * 3
    for (let v = 0; v < verts; v++) out.set(toGltf(seq.verts.data[base + v * 3]!, seq.verts.data[base + v * 3 + 1]!, seq.verts.data[base + v * 3 + 2]!), v * 3)
    return out
  }
  const base = positions(0)
  const indices = Uint32Array.from(seq.faces)
  const indexView = addView(new Uint8Array(indices.buffer), ELEMENT_ARRAY_BUFFER)
  accessors.push({bufferView: indexView, componentType: UNSIGNED_INT, count: indices.length, type: 'SCALAR'})
  const indexAccessor = accessors.length - 1
  const baseAccessor = addFloats(base, 'VEC3', verts, ARRAY_BUFFER, true)
  const targets: Array<{POSITION: number}> = []
  for (let f = 0; f < frames; f++) {
    const p = positions(f)
    for (let i = 0; i < p.length; i++) p[i] = p[i]! - base[i]!
    targets.push({POSITION: addFloats(p, 'VEC3', verts, ARRAY_BUFFER, true)})
  }
  // Keyframe f shows frame f: weights one-hot, STEP interpolation.
  const times = Float32Array.from({length: frames}, (_, f) => f / fps)
  const timeAccessor = addFloats(times, 'SCALAR', frames, undefined, true)
  const weights = new Float32Array(frames * frames)
  for (let f = 0; f < frames; f++) weights[f * frames + f] = 1
  const weightAccessor = addFloats(weights, 'SCALAR', frames * frames)

  const json = {
    asset: {version: '2.0', generator: 'motion (mesh recovery)', extras: {format: 'motion.mesh', version: 1}},
    scene: 0,
    scenes: [{nodes: [0]}],
    nodes: [{mesh: 0, name: 'body'}],
    meshes: [
      {
        name: 'smpl',
        primitives: [{attributes: {POSITION: baseAccessor}, indices: indexAccessor, mode: 4, targets}],
        weights: Array.from({length: frames}, (_, f) => (f === 0 ? 1 : 0)),
        extras: {targetNames: Array.from({length: frames}, (_, f) => `frame_${f}`)},
      },
    ],
    animations: [{name: 'motion', samplers: [{input: timeAccessor, output: weightAccessor, interpolation: 'STEP'}], channels: [{sampler: 0, target: {node: 0, path: 'weights'}}]}],
    buffers: [{byteLength}],
    bufferViews,
    accessors,
    extras: {units: 'metres', axes: 'y up, z towards the viewer (camera x, −y, −z)', fps, frames},
  }
  return packGlb(JSON.stringify(json), chunks, byteLength)
}

function packGlb(jsonText: string, binChunks: readonly Uint8Array[], binLength: number): Uint8Array {
  const jsonBytes = new TextEncoder().encode(jsonText)
  const jsonPadded = jsonBytes.length + ((4 - (jsonBytes.length % 4)) % 4)
  const binPadded = binLength + ((4 - (binLength % 4)) % 4)
  const total = 12 + 8 + jsonPadded + 8 + binPadded
  const out = new Uint8Array(total)
  const dv = new DataView(out.buffer)
  dv.setUint32(0, 0x46546c67, true) // 'glTF'
  dv.setUint32(4, 2, true)
  dv.setUint32(8, total, true)
  dv.setUint32(12, jsonPadded, true)
  dv.setUint32(16, 0x4e4f534a, true) // 'JSON'
  out.set(jsonBytes, 20)
  out.fill(0x20, 20 + jsonBytes.length, 20 + jsonPadded) // JSON pads with spaces
  const binStart = 20 + jsonPadded
  dv.setUint32(binStart, binPadded, true)
  dv.setUint32(binStart + 4, 0x004e4942, true) // 'BIN\0'
  let o = binStart + 8
  for (const c of binChunks) {
    out.set(c, o)
    o += c.length
  }
  return out
}

export async function writeGlb(seq: MeshSequence, file: string): Promise<void> {
  await writeFileAtomic(file, encodeGlb(seq))
}

// ---- dispatch by extension ---------------------------------------------------------------------------

export const MESH_OUTPUT_KINDS = {
  '.npz': 'SMPL parameters, joints, vertices and faces (.npz)',
  '.json': 'SMPL parameters and joints per frame (.json)',
  '.glb': 'animated mesh (binary glTF, morph target per frame)',
  '/': 'a folder of .obj meshes, one per frame (any path without an extension)',
} as const

/**
 * Write a mesh sequence by the output's extension: .npz, .json, .glb, or (no extension, or .obj
 * given as a folder name) a folder of per-frame .obj files. Returns what was written.
 */
export async function writeMeshOutput(seq: MeshSequence, out: string): Promise<{kind: 'npz' | 'json' | 'glb' | 'obj'; files: string[]}> {
  const ext = path.extname(out).toLowerCase()
  if (ext === '.npz') {
    await writeMeshParamsNpz(seq, out, {withMesh: true})
    return {kind: 'npz', files: [out]}
  }
  if (ext === '.json') {
    await writeMeshParamsJson(seq, out)
    return {kind: 'json', files: [out]}
  }
  if (ext === '.glb') {
    await writeGlb(seq, out)
    return {kind: 'glb', files: [out]}
  }
  if (ext === '' || ext === '.obj') {
    const dir = ext === '.obj' ? out.slice(0, -4) : out
    const names = await writeObjSequence(seq, dir)
    return {kind: 'obj', files: names.map((n) => path.join(dir, n))}
  }
  throw inputError(`cannot write a mesh as ${ext}`, {file: out, hint: `use .npz or .json (SMPL parameters), .glb (animated mesh) or a folder name (one .obj per frame)`})
}
