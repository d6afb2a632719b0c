/**
 * BVH (Biovision Hierarchy) reading: a parser for HIERARCHY + MOTION with any channel order,
 * forward kinematics to world joint positions, and the map from known skeletons (CMU, our own
 * H36M-17 BVH) to the H36M-17 joints every model uses. See docs/outputs.md, "BVH".
 *
 * Conventions (the same as Blender's importer):
 *  - rotation channels compose in the order listed, the first outermost: `Zrotation Xrotation
 *    Yrotation` is R = Rz · Rx · Ry; angles are degrees;
 *  - position channels replace the OFFSET components they name (a root's channels are its world
 *    position); a joint's world position is parent position + parent rotation · local translation;
 *  - an End Site is a point at its OFFSET in its joint's frame.
 */

import {inputError} from '../core/errors.js'
import {H36M_JOINTS, NUM_JOINTS} from '../core/h36m.js'
import {apply, eulerToMatrix, IDENTITY, matMul, type Axis, type Mat3, type Vec3} from '../formats/bvh-rotation.js'
import type {NDArray} from '../core/ndarray.js'
import {readFileText} from '../formats/read-file.js'

export type BvhChannel = 'Xposition' | 'Yposition' | 'Zposition' | 'Xrotation' | 'Yrotation' | 'Zrotation'

export interface BvhJoint {
  name: string
  /** Index of the parent joint, -1 for the root. Parents always come before their children. */
  parent: number
  offset: Vec3
  channels: BvhChannel[]
  /** Index of this joint's first channel within a frame's row of the motion data. */
  channelStart: number
  /** OFFSET of the joint's End Site, if it has one. */
  endSite?: Vec3
}

export interface Bvh {
  file: string
  joints: BvhJoint[]
  frameCount: number
  /** Seconds per frame, as in the file. */
  frameTime: number
  channelCount: number
  /** [frameCount, channelCount], row-major; rotations in degrees, positions in file units. */
  motion: Float64Array
}

/** World positions of every joint and End Site. */
export interface BvhPoints {
  /** Joint names in file order, then `<joint>_end` for each End Site. */
  names: string[]
  /** Parent point of each point (-1 for the root). */
  parents: number[]
  /** [frames, points, 3] in file units and axes. */
  positions: NDArray
}

const CHANNEL_NAMES: Record<string, BvhChannel> = {
  xposition: 'Xposition',
  yposition: 'Yposition',
  zposition: 'Zposition',
  xrotation: 'Xrotation',
  yrotation: 'Yrotation',
  zrotation: 'Zrotation',
}

export async function readBvh(file: string): Promise<Bvh> {
  return parseBvh(await readFileText(file, 'BVH'), file)
}

interface Token {
  text: string
  line: number
}

/** Splits the hierarchy part into tokens that remember their line (1-based). */
class Lexer {
  private readonly tokens: Token[] = []
  private pos = 0

  constructor(
    private readonly lines: string[],
    private readonly file: string,
  ) {}

  /** Tokenises lines up to and including the one holding the `Frame Time:` value, then stops. */
  tokenize(): number {
    for (let i = 0; i < this.lines.length; i++) {
      const words = this.lines[i]!.trim().split(/\s+/).filter((w) => w.length > 0)
      for (const w of words) this.tokens.push({text: w, line: i + 1})
      if (/^time:?$/i.test(words[1] ?? '') && /^frame$/i.test(words[0] ?? '')) return i + 1
    }
    return this.lines.length
  }

  peek(): Token | undefined {
    return this.tokens[this.pos]
  }

  next(what: string): Token {
    const t = this.tokens[this.pos++]
    if (!t) throw this.fail(this.lines.length, `unexpected end of file, expected ${what}`)
    return t
  }

  expect(word: string): Token {
    const t = this.next(`'${word}'`)
    if (t.text.toLowerCase() !== word.toLowerCase()) throw this.fail(t.line, `expected '${word}', found '${t.text}'`)
    return t
  }

  /** The remaining tokens of the current token's line, joined (joint names may contain spaces). */
  restOfLine(line: number): string[] {
    const out: string[] = []
    while (this.peek()?.line === line && this.peek()!.text !== '{') out.push(this.tokens[this.pos++]!.text)
    return out
  }

  number(what: string): number {
    const t = this.next(what)
    const v = Number(t.text)
    if (!Number.isFinite(v)) throw this.fail(t.line, `expected a number for ${what}, found '${t.text}'`)
    return v
  }

  fail(line: number, message: string): Error {
    return inputError(`line ${line}: ${message}`, {file: this.file, hint: 'the file is not valid BVH (HIERARCHY ... MOTION)'})
  }
}

/** Parses BVH text; `file` names the source in error messages. */
export function parseBvh(text: string, file: string): Bvh {
  const lines = text.split(/\r\n|\r|\n/)
  const lex = new Lexer(lines, file)
  const motionStart = lex.tokenize()
  if (!lex.peek()) throw inputError('empty BVH file', {file})
  const first = lex.next('HIERARCHY')
  if (first.text.toUpperCase() !== 'HIERARCHY') throw lex.fail(first.line, `expected 'HIERARCHY' at the start, found '${first.text}'`)

  const joints: BvhJoint[] = []
  let channelCount = 0
  const rootTok = lex.next("'ROOT'")
  if (rootTok.text.toUpperCase() !== 'ROOT') throw lex.fail(rootTok.line, `expected 'ROOT', found '${rootTok.text}'`)

  const parseJoint = (nameLine: number, parent: number): void => {
    const nameParts = lex.restOfLine(nameLine)
    if (nameParts.length === 0) throw lex.fail(nameLine, 'joint without a name')
    const name = nameParts.join('_')
    lex.expect('{')
    lex.expect('OFFSET')
    const offset: Vec3 = [lex.number('OFFSET x'), lex.number('OFFSET y'), lex.number('OFFSET z')]
    const chTok = lex.expect('CHANNELS')
    const n = lex.number('the channel count')
    if (!Number.isInteger(n) || n < 0 || n > 6) throw lex.fail(chTok.line, `CHANNELS count must be 0..6, found ${n}`)
    const channels: BvhChannel[] = []
    for (let c = 0; c < n; c++) {
      const t = lex.next('a channel name')
      const ch = CHANNEL_NAMES[t.text.toLowerCase()]
      if (!ch) throw lex.fail(t.line, `unknown channel '${t.text}' (expected X/Y/Z position or rotation)`)
      if (channels.includes(ch)) throw lex.fail(t.line, `channel '${t.text}' listed twice for joint ${name}`)
      channels.push(ch)
    }
    const index = joints.length
    joints.push({name, parent, offset, channels, channelStart: channelCount})
    channelCount += n
    for (;;) {
      const t = lex.next(`'}' closing joint ${name}`)
      const word = t.text.toUpperCase()
      if (word === '}') return
      if (word === 'JOINT') {
        parseJoint(t.line, index)
      } else if (word === 'END') {
        const site = lex.next("'Site'")
        if (site.text.toUpperCase() !== 'SITE') throw lex.fail(site.line, `expected 'End Site', found 'End ${site.text}'`)
        lex.restOfLine(site.line)
        if (joints[index]!.endSite) throw lex.fail(t.line, `joint ${name} has more than one End Site`)
        lex.expect('{')
        lex.expect('OFFSET')
        joints[index]!.endSite = [lex.number('End Site x'), lex.number('End Site y'), lex.number('End Site z')]
        lex.expect('}')
      } else {
        throw lex.fail(t.line, `expected JOINT, End Site or '}' in joint ${name}, found '${t.text}'`)
      }
    }
  }
  parseJoint(rootTok.line, -1)

  const motionTok = lex.next("'MOTION'")
  if (motionTok.text.toUpperCase() === 'ROOT') throw lex.fail(motionTok.line, 'more than one ROOT is not supported')
  if (motionTok.text.toUpperCase() !== 'MOTION') throw lex.fail(motionTok.line, `expected 'MOTION', found '${motionTok.text}'`)
  const framesTok = lex.next("'Frames:'")
  if (!/^frames:?$/i.test(framesTok.text)) throw lex.fail(framesTok.line, `expected 'Frames:', found '${framesTok.text}'`)
  if (lex.peek()?.text === ':') lex.next(':')
  const frameCount = lex.number('the frame count')
  if (!Number.isInteger(frameCount) || frameCount < 0) throw lex.fail(framesTok.line, `frame count must be a whole number, found ${frameCount}`)
  const frameTok = lex.next("'Frame Time:'")
  const timeTok = lex.next("'Frame Time:'")
  if (frameTok.text.toLowerCase() !== 'frame' || !/^time:?$/i.test(timeTok.text)) {
    throw lex.fail(frameTok.line, `expected 'Frame Time:', found '${frameTok.text} ${timeTok.text}'`)
  }
  if (lex.peek()?.text === ':') lex.next(':')
  const frameTime = lex.number('the frame time')
  if (!(frameTime > 0)) throw lex.fail(timeTok.line, `frame time must be positive, found ${frameTime}`)
  if (lex.peek()) throw lex.fail(lex.peek()!.line, `unexpected '${lex.peek()!.text}' after the frame time`)

  const motion = new Float64Array(frameCount * channelCount)
  let frame = 0
  for (let i = motionStart; i < lines.length; i++) {
    const line = lines[i]!.trim()
    if (line.length === 0) continue
    if (frame >= frameCount) {
      throw inputError(`line ${i + 1}: more motion lines than the ${frameCount} frames the header states`, {file})
    }
    const values = line.split(/\s+/)
    if (values.length !== channelCount) {
      throw inputError(`line ${i + 1}: frame ${frame} has ${values.length} values, the hierarchy has ${channelCount} channels`, {
        file,
        hint: 'the file may be truncated or its hierarchy and motion do not match',
      })
    }
    const base = frame * channelCount
    for (let c = 0; c < channelCount; c++) {
      const v = Number(values[c])
      if (!Number.isFinite(v)) throw inputError(`line ${i + 1}: value ${c + 1} '${values[c]}' is not a finite number`, {file})
      motion[base + c] = v
    }
    frame++
  }
  if (frame < frameCount) {
    throw inputError(`line ${lines.length}: file ends after ${frame} of the ${frameCount} frames the header states`, {
      file,
      hint: 'the file looks truncated',
    })
  }
  return {file, joints, frameCount, frameTime, channelCount, motion}
}

/** Local rotation of a joint in one frame, from its rotation channels in listed order. */
function localRotation(joint: BvhJoint, row: Float64Array, base: number): Mat3 {
  let r: Mat3 | undefined
  const order: Axis[] = []
  const angles: number[] = []
  joint.channels.forEach((ch, c) => {
    if (ch.endsWith('rotation')) {
      order.push((ch.charCodeAt(0) - 88) as Axis) // 'X' = 88
      angles.push(row[base + joint.channelStart + c]!)
    }
  })
  if (order.length === 3) return eulerToMatrix(order as [Axis, Axis, Axis], angles)
  for (let n = 0; n < order.length; n++) {
    const single = eulerToMatrix([order[n]!, 0, 0], [angles[n]!, 0, 0])
    r = r ? matMul(r, single) : single
  }
  return r ?? IDENTITY
}

/** Forward kinematics: world positions of every joint and End Site for every frame. */
export function bvhPositions(bvh: Bvh): BvhPoints {
  const names = bvh.joints.map((j) => j.name)
  const parents = bvh.joints.map((j) => j.parent)
  const endOf: number[] = []
  bvh.joints.forEach((j, i) => {
    if (j.endSite) {
      endOf.push(i)
      names.push(`${j.name}_end`)
      parents.push(i)
    }
  })
  const P = names.length
  const J = bvh.joints.length
  const T = bvh.frameCount
  const out = new Float32Array(T * P * 3) // [T, P, 3]
  const world: Mat3[] = new Array<Mat3>(J)
  const pos: Vec3[] = new Array<Vec3>(J)
  for (let t = 0; t < T; t++) {
    const base = t * bvh.channelCount
    for (let j = 0; j < J; j++) {
      const joint = bvh.joints[j]!
      const local: number[] = [...joint.offset]
      joint.channels.forEach((ch, c) => {
        if (ch.endsWith('position')) local[ch.charCodeAt(0) - 88] = bvh.motion[base + joint.channelStart + c]!
      })
      const rot = localRotation(joint, bvh.motion, base)
      if (joint.parent < 0) {
        world[j] = rot
        pos[j] = local as Vec3
      } else {
        const pr = world[joint.parent]!
        const d = apply(pr, local)
        const pp = pos[joint.parent]!
        pos[j] = [pp[0] + d[0], pp[1] + d[1], pp[2] + d[2]]
        world[j] = matMul(pr, rot)
      }
      out.set(pos[j]!, (t * P + j) * 3)
    }
    endOf.forEach((j, e) => {
      const d = apply(world[j]!, bvh.joints[j]!.endSite!)
      const p = pos[j]!
      out.set([p[0] + d[0], p[1] + d[1], p[2] + d[2]], (t * P + J + e) * 3)
    })
  }
  return {names, parents, positions: {data: out, shape: [T, P, 3]}}
}

/** Frames per second from the frame time; rounded to a whole number when within 0.01% of one (0.0083333 s -> 120). */
export function bvhFps(bvh: Bvh): number {
  const fps = 1 / bvh.frameTime
  const whole = Math.round(fps)
  return Math.abs(fps - whole) <= 1e-4 * fps ? whole : fps
}

/**
 * Skeletons `bvhToH36m` knows, as the BVH point (joint name or `<joint>_end`) used for each
 * H36M-17 joint. The CMU choices match ../shared/data/cmu-mocap-h36m17 (same bone proportions):
 * pelvis = Hips (the root, above the hip joints), spine = the first joint above the lower back
 * (Chest), thorax = the base of the neck (CMU `Neck`), neck = CMU `Head` (base of the skull),
 * head = the head's End Site (top of the head).
 */
export const BVH_SKELETONS: Readonly<Record<string, BvhSkeletonSpec>> = {
  // Our own writer (src/formats/writers/bvh.ts): the H36M names themselves.
  h36m: {points: H36M_JOINTS, asfUnits: false},
  // CMU BVH as distributed with the database (e.g. 131_01.bvh): LeftHip/LeftKnee/LeftAnkle, Chest/Chest2/Neck/Head.
  cmu: {
    points: [
      'Hips', 'RightHip', 'RightKnee', 'RightAnkle', 'LeftHip', 'LeftKnee', 'LeftAnkle',
      'Chest', 'Neck', 'Head', 'Head_end',
      'LeftShoulder', 'LeftElbow', 'LeftWrist', 'RightShoulder', 'RightElbow', 'RightWrist',
    ],
    asfUnits: true,
  },
  // CMU conversions with MotionBuilder-style names (LeftUpLeg/LeftLeg/LeftFoot, Spine/Spine1/Neck/Neck1/Head).
  'cmu-mb': {
    points: [
      'Hips', 'RightUpLeg', 'RightLeg', 'RightFoot', 'LeftUpLeg', 'LeftLeg', 'LeftFoot',
      'Spine', 'Neck1', 'Head', 'Head_end',
      'LeftArm', 'LeftForeArm', 'LeftHand', 'RightArm', 'RightForeArm', 'RightHand',
    ],
    asfUnits: true,
  },
  // Bandai Namco Research Motiondataset (6 channels on every joint, ZXY, cm). It has no thorax, nose
  // or head-top joint; they are derived as ../shared/tools/bandai_bvh_to_h36m.py derives them (see
  // deriveBandai), so a file converted here equals ../shared/data/bandai2-h36m17.
  bandai: {
    points: [
      'Hips', 'UpperLeg_R', 'LowerLeg_R', 'Foot_R', 'UpperLeg_L', 'LowerLeg_L', 'Foot_L',
      'Spine', 'Chest', 'Neck', 'Head',
      'UpperArm_L', 'LowerArm_L', 'Hand_L', 'UpperArm_R', 'LowerArm_R', 'Hand_R',
    ],
    asfUnits: false,
    derive: deriveBandai,
  },
}

export interface BvhSkeletonSpec {
  /** The BVH point for each H36M-17 joint (or the points `derive` reads, in that order). */
  points: readonly string[]
  /** Lengths in CMU ASF units when the legs are 8..25 units long. */
  asfUnits: boolean
  /** Joints that are not BVH points: rewrites one frame's 17 joints (mm, read from `points`) in place. */
  derive?: (frame: Float32Array) => void
}

/**
 * Bandai's H36M joints from its points (one frame, [17, 3] mm, read in `points` order): thorax = the
 * point on Chest->Neck level with the shoulders (slot 8 holds Chest), neck/nose = Neck + 50 mm and
 * head = Head + 90 mm along the Neck->Head direction (slots 9 and 10 hold Neck and Head).
 */
export function deriveBandai(f: Float32Array): void {
  const at = (j: number): [number, number, number] => [f[j * 3]!, f[j * 3 + 1]!, f[j * 3 + 2]!]
  const chest = at(8)
  const neck = at(9)
  const head = at(10)
  const up = [head[0] - neck[0], head[1] - neck[1], head[2] - neck[2]]
  const n = Math.hypot(up[0]!, up[1]!, up[2]!) || 1
  const shoulders = [0, 1, 2].map((c) => (f[11 * 3 + c]! + f[14 * 3 + c]!) / 2)
  const d = [neck[0] - chest[0], neck[1] - chest[1], neck[2] - chest[2]]
  const dd = d[0]! ** 2 + d[1]! ** 2 + d[2]! ** 2
  const k = dd > 0 ? Math.min(1, Math.max(0, ((shoulders[0]! - chest[0]) * d[0]! + (shoulders[1]! - chest[1]) * d[1]! + (shoulders[2]! - chest[2]) * d[2]!) / dd)) : 0
  for (let c = 0; c < 3; c++) {
    f[8 * 3 + c] = chest[c]! + k * d[c]!
    f[9 * 3 + c] = neck[c]! + (50 * up[c]!) / n
    f[10 * 3 + c] = head[c]! + (90 * up[c]!) / n
  }
}

/** Millimetres per CMU ASF length unit: the ASF files state `length` in units of 1/0.45 inch. */
export const CMU_ASF_MM_PER_UNIT = 25.4 / 0.45

export interface BvhToH36mOptions {
  /** Millimetres per file unit; by default inferred (see `inferMmPerUnit`). */
  mmPerUnit?: number
}

export interface BvhH36m {
  /** [T, 17, 3] millimetres, y up, the file's axes. */
  x3d: NDArray
  fps: number
  /** Which entry of BVH_SKELETONS matched. */
  skeleton: string
  mmPerUnit: number
}

/** Maps a BVH of a known skeleton to H36M-17 joint positions in millimetres (y up, as BVH). */
export function bvhToH36m(bvh: Bvh, opts: BvhToH36mOptions = {}): BvhH36m {
  const names = new Set(bvh.joints.map((j) => j.name))
  const hasPoint = (p: string): boolean => names.has(p) || (p.endsWith('_end') && bvh.joints.some((j) => j.endSite && `${j.name}_end` === p))
  const match = Object.entries(BVH_SKELETONS).find(([, s]) => s.points.every(hasPoint))
  if (!match) {
    throw inputError(`BVH skeleton not recognised (joints: ${[...names].slice(0, 12).join(', ')}${names.size > 12 ? ', ...' : ''})`, {
      file: bvh.file,
      hint: `supported skeletons: ${Object.keys(BVH_SKELETONS).join(', ')} (see docs/outputs.md, "Reading BVH")`,
    })
  }
  const [skeleton, spec] = match
  const mmPerUnit = opts.mmPerUnit ?? inferMmPerUnit(bvh, spec)
  if (!(mmPerUnit > 0)) throw inputError(`millimetres per unit must be positive, got ${mmPerUnit}`, {file: bvh.file})
  const pts = bvhPositions(bvh)
  const index = spec.points.map((p) => pts.names.indexOf(p))
  const T = bvh.frameCount
  const P = pts.names.length
  const out = new Float32Array(T * NUM_JOINTS * 3) // [T, 17, 3]
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < NUM_JOINTS; j++) {
      const src = (t * P + index[j]!) * 3
      const dst = (t * NUM_JOINTS + j) * 3
      for (let c = 0; c < 3; c++) out[dst + c] = pts.positions.data[src + c]! * mmPerUnit
    }
    spec.derive?.(out.subarray(t * NUM_JOINTS * 3, (t + 1) * NUM_JOINTS * 3))
  }
  return {x3d: {data: out, shape: [T, NUM_JOINTS, 3]}, fps: bvhFps(bvh), skeleton, mmPerUnit}
}

/**
 * The file's length unit, from its skeleton: CMU skeletons in ASF units (thigh + shin of 8..25
 * units) are 1/0.45 inch; otherwise the rest-pose thigh + shin length decides between metres
 * (0.4..1.5), centimetres (40..150) and millimetres (400..1500). Anything else needs `mmPerUnit`.
 */
export function inferMmPerUnit(bvh: Bvh, spec: BvhSkeletonSpec): number {
  const offsetLength = (name: string): number => {
    const j = bvh.joints.find((x) => x.name === name)
    return j ? Math.hypot(...j.offset) : 0
  }
  // Left knee offset (thigh) + left ankle offset (shin), in the skeleton's own names.
  const leg = offsetLength(spec.points[5]!) + offsetLength(spec.points[6]!)
  if (spec.asfUnits && leg >= 8 && leg <= 25) return CMU_ASF_MM_PER_UNIT
  if (leg >= 0.4 && leg <= 1.5) return 1000
  if (leg >= 40 && leg <= 150) return 10
  if (leg >= 400 && leg <= 1500) return 1
  throw inputError(`cannot tell the BVH length unit (thigh + shin is ${leg.toPrecision(4)} units)`, {
    file: bvh.file,
    hint: 'give the millimetres per file unit explicitly (mmPerUnit)',
  })
}
