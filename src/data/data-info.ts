/**
 * What a data file or folder holds, for `motion data info`: 2D keypoint files (format, layout,
 * people and their frames, image size or keypoint extent, confidence statistics), 3D clip
 * folders (clips, actions, splits, frames, fps), BVH files (joints, frames, fps), NumPy files
 * (arrays, shapes, value ranges) and MotionBERT clip pickles. Checkpoints are refused with a
 * pointer to `motion import`.
 */
import {promises as fsp} from 'node:fs'
import path from 'node:path'
import {inputError} from '../core/errors.js'
import {type NpyArray, readNpy, readNpz, toFloat32} from '../formats/npy.js'
import {BVH_SKELETONS, bvhFps, bvhToH36m, readBvh} from './bvh.js'
import {JOINT_MAPS} from './joint-maps.js'
import {readKeypoints} from './keypoints/index.js'
import type {KeypointData} from './keypoints/types.js'
import {readClipFolder} from './motion3d/clip-folder.js'
import {readMotionbertClipPickle} from './motion3d/readers.js'
import {listPeople} from './people.js'

export interface KeypointFileInfo {
  kind: 'keypoints'
  path: string
  format: KeypointData['format']
  layout: string
  /** Video frames (frames nobody was detected in count). */
  frames: number
  firstFrameNumber: number | null
  units: KeypointData['units']
  /** From the file, when it says. */
  imageSize: [number, number] | null
  /** Range of x and y over keypoints with nonzero confidence (the image is at least this large). */
  extent: {x: [number, number]; y: [number, number]} | null
  personIds: KeypointData['personIds']
  detections: number
  people: {id: string; frames: number; firstFrame: number; lastFrame: number; duplicateFrames: number; meanConfidence: number}[]
  /** Over every H36M-17 keypoint of every detection. */
  confidence: {mean: number; min: number; p5: number; median: number; p95: number; max: number; zeroFraction: number}
}

export interface ClipFolderInfo {
  kind: 'clips'
  path: string
  clips: number
  frames: number
  fps: number | null
  seconds: number | null
  units: string
  upAxis: 'y' | 'z'
  actions: {action: string; clips: number; frames: number; splits: Record<string, number>}[]
  splits: {split: string; clips: number; frames: number}[]
  clipList: {name: string; action: string | null; split: string | null; frames: number}[]
}

export interface BvhFileInfo {
  kind: 'bvh'
  path: string
  joints: number
  jointNames: string[]
  endSites: number
  frames: number
  fps: number
  seconds: number
  channels: number
  /** The BVH_SKELETONS entry that maps it to H36M-17 (null: predict/project cannot use it). */
  h36mSkeleton: string | null
  mmPerUnit: number | null
}

export interface ArrayInfo {
  name: string
  dtype: string
  shape: number[]
  min: number | null
  max: number | null
  /** What the shape looks like in motion's terms. */
  looksLike: string | null
}

export interface ArrayFileInfo {
  kind: 'npy' | 'npz'
  path: string
  arrays: ArrayInfo[]
}

export interface ClipPickleInfo {
  kind: 'clip-pickle'
  path: string
  frames: number
  label: number[]
  input: number[] | null
}

export type DataInfo = KeypointFileInfo | ClipFolderInfo | BvhFileInfo | ArrayFileInfo | ClipPickleInfo

const CHECKPOINT_EXTENSIONS = new Set(['.bin', '.pth', '.pt', '.ckpt', '.tar', '.safetensors', '.onnx'])

export async function dataInfo(target: string): Promise<DataInfo> {
  const stat = await fsp.stat(target).catch(() => null)
  if (!stat) throw inputError('no such file or folder', {file: target})
  if (stat.isDirectory()) {
    const entries = await fsp.readdir(target)
    if (!entries.includes('index.json') && entries.some((e) => e.endsWith('_keypoints.json'))) return keypointInfo(target)
    return clipFolderInfo(target)
  }
  const ext = path.extname(target).toLowerCase()
  if (CHECKPOINT_EXTENSIONS.has(ext)) {
    throw inputError(`looks like a model checkpoint (${ext}); motion data info describes data files`, {
      file: target,
      hint: 'use `motion import` to read and check a checkpoint',
    })
  }
  if (ext === '.bvh') return bvhInfo(target)
  if (ext === '.npy') return {kind: 'npy', path: target, arrays: [arrayInfo(path.basename(target, ext), await readNpy(target))]}
  if (ext === '.npz') {
    const arrays = await readNpz(target)
    return {kind: 'npz', path: target, arrays: [...arrays].map(([name, a]) => arrayInfo(name, a))}
  }
  if (ext === '.pkl') {
    const clip = await readMotionbertClipPickle(target)
    return {kind: 'clip-pickle', path: target, frames: clip.positions.shape[0]!, label: [...clip.positions.shape], input: clip.input2d ? [...clip.input2d.shape] : null}
  }
  return keypointInfo(target)
}

async function keypointInfo(file: string): Promise<KeypointFileInfo> {
  const data = await readKeypoints(file)
  const confidences: number[] = []
  let xmin = Infinity
  let xmax = -Infinity
  let ymin = Infinity
  let ymax = -Infinity
  let detections = 0
  const personConfidence = new Map<string, number>()
  for (const p of data.people) {
    let sum = 0
    let n = 0
    for (const list of p.frames.values()) {
      for (const d of list) {
        detections++
        for (let j = 0; j < 17; j++) {
          const c = d.keypoints[j * 3 + 2]!
          confidences.push(c)
          sum += c
          n++
          if (c > 0) {
            xmin = Math.min(xmin, d.keypoints[j * 3]!)
            xmax = Math.max(xmax, d.keypoints[j * 3]!)
            ymin = Math.min(ymin, d.keypoints[j * 3 + 1]!)
            ymax = Math.max(ymax, d.keypoints[j * 3 + 1]!)
          }
        }
      }
    }
    personConfidence.set(p.id, n > 0 ? sum / n : 0)
  }
  const sorted = Float64Array.from(confidences).sort()
  const q = (f: number): number => sorted[Math.min(sorted.length - 1, Math.floor(f * (sorted.length - 1) + 0.5))]!
  const mean = confidences.reduce((a, b) => a + b, 0) / Math.max(1, confidences.length)
  const duplicates = new Map(data.people.map((p) => [p.id, [...p.frames.values()].filter((l) => l.length > 1).length]))
  return {
    kind: 'keypoints',
    path: file,
    format: data.format,
    layout: JOINT_MAPS[data.layout].title,
    frames: data.frameCount,
    firstFrameNumber: data.firstFrameNumber ?? null,
    units: data.units,
    imageSize: data.imageSize ?? null,
    extent: xmin === Infinity ? null : {x: [xmin, xmax], y: [ymin, ymax]},
    personIds: data.personIds,
    detections,
    people: listPeople(data).map((p) => ({...p, duplicateFrames: duplicates.get(p.id) ?? 0, meanConfidence: personConfidence.get(p.id) ?? 0})),
    confidence: {mean, min: sorted[0]!, p5: q(0.05), median: q(0.5), p95: q(0.95), max: sorted[sorted.length - 1]!, zeroFraction: sorted.filter((c) => c === 0).length / sorted.length},
  }
}

async function clipFolderInfo(dir: string): Promise<ClipFolderInfo> {
  const set = await readClipFolder(dir)
  const frames = (n: {positions: {shape: number[]}}): number => n.positions.shape[0]!
  const fpsValues = [...new Set(set.clips.map((c) => c.fps))]
  const fps = fpsValues.length === 1 ? fpsValues[0]! : null
  const actions = new Map<string, {action: string; clips: number; frames: number; splits: Record<string, number>}>()
  const splits = new Map<string, {split: string; clips: number; frames: number}>()
  for (const c of set.clips) {
    const a = c.action ?? '(none)'
    const s = c.split ?? '(none)'
    const entry = actions.get(a) ?? {action: a, clips: 0, frames: 0, splits: {}}
    entry.clips++
    entry.frames += frames(c)
    entry.splits[s] = (entry.splits[s] ?? 0) + 1
    actions.set(a, entry)
    const se = splits.get(s) ?? {split: s, clips: 0, frames: 0}
    se.clips++
    se.frames += frames(c)
    splits.set(s, se)
  }
  const units = [...new Set(set.clips.map((c) => c.units))].join(', ')
  return {
    kind: 'clips',
    path: dir,
    clips: set.clips.length,
    frames: set.frames,
    fps,
    seconds: fps ? set.frames / fps : null,
    units,
    upAxis: set.clips[0]!.upAxis,
    actions: [...actions.values()].sort((a, b) => a.action.localeCompare(b.action)),
    splits: [...splits.values()].sort((a, b) => a.split.localeCompare(b.split)),
    clipList: set.clips.map((c) => ({name: c.name, action: c.action, split: c.split, frames: frames(c)})),
  }
}

async function bvhInfo(file: string): Promise<BvhFileInfo> {
  const bvh = await readBvh(file)
  const names = new Set(bvh.joints.map((j) => j.name))
  let h36mSkeleton: string | null = null
  let mmPerUnit: number | null = null
  if (Object.values(BVH_SKELETONS).some((s) => s.points.every((p) => names.has(p) || p.endsWith('_end')))) {
    try {
      const mapped = bvhToH36m(bvh)
      h36mSkeleton = mapped.skeleton
      mmPerUnit = mapped.mmPerUnit
    } catch {
      // a skeleton we cannot map: reported as null
    }
  }
  const fps = bvhFps(bvh)
  return {
    kind: 'bvh',
    path: file,
    joints: bvh.joints.length,
    jointNames: bvh.joints.map((j) => j.name),
    endSites: bvh.joints.filter((j) => j.endSite).length,
    frames: bvh.frameCount,
    fps,
    seconds: bvh.frameCount * bvh.frameTime,
    channels: bvh.channelCount,
    h36mSkeleton,
    mmPerUnit,
  }
}

function arrayInfo(name: string, a: NpyArray): ArrayInfo {
  let min = Infinity
  let max = -Infinity
  const numeric = !(a.data instanceof BigInt64Array || a.data instanceof BigUint64Array)
  // float16 is stored as raw bits; decode it to see values
  const values = (a.dtype === 'float16' ? toFloat32(a).data : a.data) as ArrayLike<number>
  if (numeric) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!
      if (v < min) min = v
      if (v > max) max = v
    }
  }
  return {name, dtype: a.dtype, shape: [...a.shape], min: min === Infinity ? null : min, max: max === -Infinity ? null : max, looksLike: numeric ? interpret(a.shape, values) : null}
}

/** A guess at what an array is, from its shape (and the confidence channel's range). */
function interpret(s: readonly number[], d: ArrayLike<number>): string | null {
  if (s.length < 3 || s.at(-2) !== 17) return null
  const lead = s.length === 4 ? `${s[0]} people, ${s[1]} frames` : s.length === 3 ? `${s[0]} frames` : null
  if (lead === null) return null
  if (s.at(-1) === 2) return `H36M-17 2D keypoints (${lead}; x, y)`
  if (s.at(-1) !== 3) return null
  let confLike = true
  for (let i = 2; i < d.length; i += 3) {
    // detectors' confidences can exceed 1 a little (AlphaPose up to about 1.1)
    if (!(d[i]! >= 0 && d[i]! <= 1.5)) {
      confLike = false
      break
    }
  }
  return confLike ? `H36M-17 2D keypoints (${lead}; x, y, confidence) — or 3D whose z lies in [0, 1.5]` : `H36M-17 3D positions (${lead}; x, y, z)`
}

// ---- text ----------------------------------------------------------------------------------------

const fmt = (v: number, digits = 1): string => v.toLocaleString('en-US', {maximumFractionDigits: digits, minimumFractionDigits: 0})

/** Human-readable lines for an info result. */
export function formatDataInfo(info: DataInfo): string[] {
  switch (info.kind) {
    case 'keypoints': {
      const lines = [
        `${info.path}: 2D keypoints, ${info.format} (${info.layout === 'H36M-17' ? 'H36M-17' : `${info.layout} -> H36M-17`}), ${fmt(info.frames, 0)} frames${info.firstFrameNumber !== null ? ` (numbered from ${info.firstFrameNumber})` : ''}, ${fmt(info.detections, 0)} detections, units ${info.units}`,
        info.imageSize
          ? `  image ${info.imageSize[0]}x${info.imageSize[1]}`
          : info.extent
            ? `  image size not stated; keypoints span x ${fmt(info.extent.x[0])}..${fmt(info.extent.x[1])}, y ${fmt(info.extent.y[0])}..${fmt(info.extent.y[1])}`
            : '  no keypoint has a nonzero confidence',
        `  people: ${info.people.length} (${info.personIds === 'file' ? 'ids from the file' : info.personIds === 'single' ? 'one detection per frame, one person' : 'linked frame to frame by position'})`,
      ]
      for (const p of info.people.slice(0, 20)) {
        lines.push(
          `    ${p.id}: ${p.frames} frames (${p.firstFrame}..${p.lastFrame})${p.duplicateFrames ? `, ${p.duplicateFrames} with several detections` : ''}, mean confidence ${p.meanConfidence.toFixed(2)}`,
        )
      }
      if (info.people.length > 20) lines.push(`    ... ${info.people.length - 20} more`)
      const c = info.confidence
      lines.push(
        `  confidence: mean ${c.mean.toFixed(2)}, median ${c.median.toFixed(2)}, 5% ${c.p5.toFixed(2)}, 95% ${c.p95.toFixed(2)}, range ${c.min.toFixed(2)}..${c.max.toFixed(2)}, ${(c.zeroFraction * 100).toFixed(1)}% zero`,
      )
      return lines
    }
    case 'clips': {
      const lines = [
        `${info.path}: 3D clips, ${info.clips} clips, ${fmt(info.frames, 0)} frames${info.fps ? ` at ${info.fps} fps (${fmt(info.seconds! / 60)} min)` : ', fps unknown'}, units ${info.units}, ${info.upAxis} up`,
        `  splits: ${info.splits.map((s) => `${s.split} ${s.clips} clips / ${fmt(s.frames, 0)} frames`).join(', ')}`,
        `  actions (${info.actions.length}):`,
      ]
      for (const a of info.actions) {
        const bySplit = Object.entries(a.splits).map(([s, n]) => `${s} ${n}`).join(', ')
        lines.push(`    ${a.action.padEnd(20)} ${String(a.clips).padStart(3)} ${a.clips === 1 ? 'clip ' : 'clips'} (${bySplit}), ${fmt(a.frames, 0)} frames`)
      }
      return lines
    }
    case 'bvh':
      return [
        `${info.path}: BVH, ${info.joints} joints (+${info.endSites} end sites), ${fmt(info.frames, 0)} frames at ${fmt(info.fps, 3)} fps (${fmt(info.seconds, 2)} s), ${info.channels} channels`,
        `  joints: ${info.jointNames.join(', ')}`,
        info.h36mSkeleton
          ? `  maps to H36M-17 as the '${info.h36mSkeleton}' skeleton (${fmt(info.mmPerUnit!, 4)} mm per unit)`
          : `  not a skeleton motion maps to H36M-17 (known: ${Object.keys(BVH_SKELETONS).join(', ')})`,
      ]
    case 'npy':
    case 'npz':
      return [
        `${info.path}: ${info.kind === 'npy' ? 'NumPy array' : `NumPy archive, ${info.arrays.length} arrays`}`,
        ...info.arrays.map(
          (a) => `  ${a.name}: ${a.dtype} [${a.shape.join(', ')}]${a.min !== null ? `, values ${fmt(a.min, 3)}..${fmt(a.max!, 3)}` : ''}${a.looksLike ? ` — ${a.looksLike}` : ''}`,
        ),
      ]
    case 'clip-pickle':
      return [`${info.path}: MotionBERT clip pickle, ${info.frames} frames, data_label [${info.label.join(', ')}], data_input ${info.input ? `[${info.input.join(', ')}]` : 'None'}`]
  }
}
