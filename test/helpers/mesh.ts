/** Shared by the mesh tests: fixture paths, case.json and a GLB reader. */
import assert from 'node:assert/strict'
import path from 'node:path'
import {fixturesDir, repoRoot} from './paths.js'
import {readCaseJson} from './fixtures.js'

export const meshTiny = path.join(fixturesDir, 'mesh-tiny')
export const meshWide = path.join(repoRoot, 'test', 'fixtures', 'official-wide', 'mesh-wide')
export const smplPklDir = path.join(repoRoot, 'test', 'fixtures', 'mesh', 'smpl-pkl')

export interface MeshCase {
  config: {num_heads: number}
  checkpoint: string
  cases: Array<{input: string; theta: string; verts: string; kp_3d: string; shape: number[]}>
}

export function readCase(dir: string): MeshCase {
  return readCaseJson<MeshCase>(dir)
}

// ---- a minimal GLB reader ----------------------------------------------------------------------
export interface Gltf {
  accessors: Array<{bufferView: number; componentType: number; count: number; type: string; min?: number[]; max?: number[]}>
  bufferViews: Array<{byteOffset: number; byteLength: number}>
  meshes: Array<{primitives: Array<{attributes: {POSITION: number}; indices: number; targets: Array<{POSITION: number}>}>}>
  animations: Array<{samplers: Array<{input: number; output: number; interpolation: string}>; channels: Array<{sampler: number; target: {node: number; path: string}}>}>
  nodes: Array<{mesh: number}>
}

export function parseGlb(bytes: Uint8Array): {json: Gltf; read: (accessor: number) => Float32Array | Uint32Array} {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  assert.equal(dv.getUint32(0, true), 0x46546c67, 'magic glTF')
  assert.equal(dv.getUint32(4, true), 2, 'version 2')
  assert.equal(dv.getUint32(8, true), bytes.length, 'length')
  const jsonLen = dv.getUint32(12, true)
  assert.equal(dv.getUint32(16, true), 0x4e4f534a, 'JSON chunk')
  const json = JSON.parse(new TextDecoder().decode(bytes.subarray(20, 20 + jsonLen))) as Gltf
  const binHeader = 20 + jsonLen
  const binLen = dv.getUint32(binHeader, true)
  assert.equal(dv.getUint32(binHeader + 4, true), 0x004e4942, 'BIN chunk')
  const bin = bytes.slice(binHeader + 8, binHeader + 8 + binLen)
  const width: Record<string, number> = {SCALAR: 1, VEC3: 3}
  const read = (i: number): Float32Array | Uint32Array => {
    const a = json.accessors[i]!
    const view = json.bufferViews[a.bufferView]!
    const n = a.count * width[a.type]!
    assert.ok(n * 4 <= view.byteLength)
    assert.equal(view.byteOffset % 4, 0, 'aligned')
    return a.componentType === 5125 ? new Uint32Array(bin.buffer, view.byteOffset, n) : new Float32Array(bin.buffer, view.byteOffset, n)
  }
  return {json, read}
}
