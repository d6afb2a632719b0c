/**
 * What the HTML viewer shows, independent of how it was predicted: one or more people, each a
 * [T, 17, 3] H36M-17 3D track in camera coordinates (x right, y down, z away), optionally the 2D
 * input it came from and a mesh surface. encodeScene turns it into the page's compact data.
 */
import {H36M_BONES, H36M_JOINTS, H36M_LEFT, H36M_RIGHT, NUM_JOINTS} from '../../core/h36m.js'
import type {NDArray} from '../../core/ndarray.js'
import {bytesToBase64, quantise, type QuantisedArray} from './encode.js'

export interface ViewerMesh {
  /** [T, V, 3] camera coordinates, the same units as the person's x3d. */
  verts: NDArray
  /** Triangles, 3 vertex indices each. */
  faces: Uint32Array
}

export interface ViewerPerson {
  id: string
  /** [T, 17, 3] H36M-17 joints, camera coordinates (x right, y down, z away). */
  x3d: NDArray
  /** [T, 17, 2|3] the 2D input in pixels (x, y, optional confidence), H36M-17 order. */
  input2d?: NDArray
  mesh?: ViewerMesh
}

export interface ViewerScene {
  title: string
  /** What one 3D unit is, shown on the page (e.g. "mm", "normalised [-1, 1]"). */
  unitLabel: string
  /** Frames per second of the source (playback at 1×). */
  fps: number
  people: ViewerPerson[]
  /** Width and height of the video, for the 2D panel (else fitted to the 2D points). */
  imageSize?: [number, number]
}

export interface EncodeOptions {
  /** Most bytes of mesh vertex data in the page (base64 included); meshes beyond it keep every n-th frame. Default 5 MB. */
  meshBudgetBytes?: number
}

export const DEFAULT_MESH_BUDGET_BYTES = 5_000_000

/** The page's data: everything the viewer script needs, JSON-serialisable. */
export interface PageData {
  version: 1
  title: string
  unitLabel: string
  fps: number
  frames: number
  joints: string[]
  bones: [number, number][]
  left: number[]
  right: number[]
  imageSize: [number, number] | null
  people: PagePerson[]
}

export interface PagePerson {
  id: string
  /** [T, 17, 3] camera coordinates. */
  x3d: QuantisedArray
  /** [T, 17, 2] pixels. */
  x2d: QuantisedArray | null
  /** [T, 17] confidence × 255 as bytes, base64 (null: no confidences). */
  conf: string | null
  mesh: PageMesh | null
}

export interface PageMesh {
  /** Mesh frame i is video frame i × frameStep. */
  frameStep: number
  /** [F, V, 3] camera coordinates. */
  verts: QuantisedArray
  /** Uint32 vertex indices, base64. */
  faces: string
}

export function encodeScene(scene: ViewerScene, opts: EncodeOptions = {}): PageData {
  if (scene.people.length === 0) throw new Error('the viewer needs at least one person')
  const frames = scene.people[0]!.x3d.shape[0]!
  for (const p of scene.people) {
    const [T, J, C] = p.x3d.shape
    if (J !== NUM_JOINTS || C !== 3) throw new Error(`person ${p.id}: 3D must be [T, ${NUM_JOINTS}, 3], got [${p.x3d.shape.join(', ')}]`)
    if (T !== frames) throw new Error(`person ${p.id} has ${T} frames, person ${scene.people[0]!.id} ${frames}; the viewer shows people on one timeline`)
  }
  const meshVerts = scene.people.reduce((a, p) => a + (p.mesh ? p.mesh.verts.shape[1]! : 0), 0)
  // Int16 codes take 2 bytes, base64 4/3 of that.
  const budget = opts.meshBudgetBytes ?? DEFAULT_MESH_BUDGET_BYTES
  const frameStep = meshVerts === 0 ? 1 : Math.max(1, Math.ceil((frames * meshVerts * 3 * 2 * 4) / 3 / budget))
  return {
    version: 1,
    title: scene.title,
    unitLabel: scene.unitLabel,
    fps: scene.fps,
    frames,
    joints: [...H36M_JOINTS],
    bones: H36M_BONES.map(([a, b]) => [a, b]),
    left: [...H36M_LEFT],
    right: [...H36M_RIGHT],
    imageSize: scene.imageSize ?? null,
    people: scene.people.map((p) => encodePerson(p, frameStep)),
  }
}

function encodePerson(p: ViewerPerson, frameStep: number): PagePerson {
  const T = p.x3d.shape[0]!
  let x2d: QuantisedArray | null = null
  let conf: string | null = null
  if (p.input2d) {
    const [T2, J, C] = p.input2d.shape
    if (T2 !== T || J !== NUM_JOINTS || (C !== 2 && C !== 3)) throw new Error(`person ${p.id}: 2D input must be [${T}, ${NUM_JOINTS}, 2|3], got [${p.input2d.shape.join(', ')}]`)
    const xy = new Float32Array(T * NUM_JOINTS * 2)
    const c = C === 3 ? new Uint8Array(T * NUM_JOINTS) : null
    for (let i = 0; i < T * NUM_JOINTS; i++) {
      xy[i * 2] = p.input2d.data[i * C]!
      xy[i * 2 + 1] = p.input2d.data[i * C + 1]!
      if (c) c[i] = Math.round(255 * Math.min(1, Math.max(0, p.input2d.data[i * C + 2]! || 0)))
    }
    x2d = quantise(xy, [T, NUM_JOINTS, 2])
    conf = c ? bytesToBase64(c) : null
  }
  return {id: p.id, x3d: quantise(p.x3d.data, p.x3d.shape), x2d, conf, mesh: p.mesh ? encodeMesh(p.mesh, frameStep, T) : null}
}

function encodeMesh(mesh: ViewerMesh, frameStep: number, frames: number): PageMesh {
  const [F, V, C] = mesh.verts.shape
  if (F !== frames || C !== 3) throw new Error(`mesh vertices must be [${frames}, V, 3], got [${mesh.verts.shape.join(', ')}]`)
  const kept = Math.ceil(frames / frameStep)
  const size = V! * 3
  const verts = new Float32Array(kept * size)
  for (let i = 0; i < kept; i++) verts.set(mesh.verts.data.subarray(i * frameStep * size, (i * frameStep + 1) * size), i * size)
  return {frameStep, verts: quantise(verts, [kept, V!, 3]), faces: bytesToBase64(mesh.faces)}
}
