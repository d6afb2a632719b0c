/**
 * MotionBERT's NTU action pickles (data/action/ntu60_hrnet.pkl, ntu120_hrnet.pkl; the pyskl layout),
 * read by the restricted unpickler and prepared exactly as lib/data/dataset_action.py:
 *
 *   {'split': {'xsub_train': [frame_dir, ...], 'xsub_val': [...], ...},
 *    'annotations': [{'frame_dir', 'label', 'img_shape' (h, w), 'total_frames',
 *                     'keypoint' [M, T, 17, 2] COCO pixels, 'keypoint_score' [M, T, 17]}, ...]}
 *
 * Per sample, once: make_cam (x / max(w, h)·2 − 1 on both axes, by the longer side), human_tracking
 * (persons 0 and 1 swapped where that keeps motion continuous), coco2h36m, the confidence as the
 * third channel, resampled to clip_len (jittered for training, as resample(randomness=True)), a
 * zero person added to single-person samples. Per batch: random_move (training, `random_move`),
 * then crop_scale with scale_range_train / scale_range_test over all persons together.
 */
import {isKind, PickleDict, type PickleValue, readPickleFile} from '../formats/pickle/unpickler.js'
import {inputError} from '../core/errors.js'
import {toFloat32} from '../formats/npy.js'
import type {NDArray} from '../core/ndarray.js'
import type {Rng} from '../core/rng.js'
import {confidentBox} from './confident-box.js'
import {NUM_JOINTS} from '../core/h36m.js'
import {resampleIndices} from './motion3d/resample.js'

const COCO_JOINTS = 17

export interface NtuAnnotation {
  frameDir: string
  label: number
  /** (height, width) */
  imgShape: [number, number]
  totalFrames: number
  /** [M, T, 17, 2] pixels, COCO order. */
  keypoint: NDArray
  /** [M, T, 17] */
  score: NDArray
}

export interface NtuPickle {
  file: string
  splits: Map<string, Set<string>>
  annotations: NtuAnnotation[]
}

/** Whether a --data path names an action pickle rather than a clip folder. */
export function isActionPickle(file: string): boolean {
  return file.toLowerCase().endsWith('.pkl')
}

export async function readNtuPickle(file: string): Promise<NtuPickle> {
  const root = await readPickleFile(file)
  const bad = (what: string): never => {
    throw inputError(`not a MotionBERT NTU action pickle: ${what}`, {file, hint: "expected a dict with 'split' (names to frame_dir lists) and 'annotations' (dicts with keypoint, keypoint_score, label, total_frames, img_shape, frame_dir), as data/action/ntu60_hrnet.pkl"})
  }
  if (!(root instanceof PickleDict)) bad('the top level is not a dict')
  const dict = root as PickleDict
  const splitValue = dict.get('split')
  const annValue = dict.get('annotations')
  if (!(splitValue instanceof PickleDict)) bad("no 'split' dict")
  if (!Array.isArray(annValue)) bad("no 'annotations' list")
  const splits = new Map<string, Set<string>>()
  for (const [k, v] of splitValue as PickleDict) {
    if (typeof k !== 'string' || !Array.isArray(v)) bad(`split ${String(k)} is not a list of names`)
    splits.set(k as string, new Set((v as PickleValue[]).map(String)))
  }
  const annotations = (annValue as PickleValue[]).map((a, i) => readAnnotation(a, i, bad))
  return {file, splits, annotations}
}

function readAnnotation(a: PickleValue, i: number, bad: (what: string) => never): NtuAnnotation {
  if (!(a instanceof PickleDict)) bad(`annotations[${i}] is not a dict`)
  const d = a as PickleDict
  const num = (key: string): number => {
    const v = d.get(key)
    const n = typeof v === 'bigint' ? Number(v) : v
    if (typeof n !== 'number' || !Number.isFinite(n)) bad(`annotations[${i}].${key} is not a number`)
    return n as number
  }
  const array = (key: string): NDArray => {
    const v = d.get(key)
    if (!isKind(v, 'ndarray')) bad(`annotations[${i}].${key} is not a numeric array`)
    const nd = v as Extract<PickleValue, {kind: 'ndarray'}>
    return toFloat32({data: nd.data, shape: nd.shape, dtype: nd.dtype})
  }
  const keypoint = array('keypoint')
  const score = array('keypoint_score')
  const [M, T, J, C] = keypoint.shape
  if (keypoint.shape.length !== 4 || J !== COCO_JOINTS || C! < 2) bad(`annotations[${i}].keypoint is [${keypoint.shape.join(', ')}], expected [M, T, 17, 2] (COCO-17 pixels)`)
  if (score.data.length !== M! * T! * J!) bad(`annotations[${i}].keypoint_score is [${score.shape.join(', ')}], expected [${M}, ${T}, 17]`)
  const shape = d.get('img_shape')
  if (!Array.isArray(shape) || shape.length !== 2) bad(`annotations[${i}].img_shape is not (height, width)`)
  const imgShape = (shape as PickleValue[]).map((v) => Number(v)) as [number, number]
  const frameDir = d.get('frame_dir')
  const totalFrames = num('total_frames')
  if (totalFrames < 1 || totalFrames > T!) bad(`annotations[${i}].total_frames is ${totalFrames}, the keypoints have ${T} frames`)
  return {frameDir: typeof frameDir === 'string' ? frameDir : String(i), label: num('label'), imgShape, totalFrames, keypoint: C === 2 ? keypoint : firstChannels(keypoint, 2), score}
}

function firstChannels(x: NDArray, keep: number): NDArray {
  const C = x.shape[x.shape.length - 1]!
  const n = x.data.length / C
  const out = new Float32Array(n * keep)
  for (let i = 0; i < n; i++) for (let c = 0; c < keep; c++) out[i * keep + c] = x.data[i * C + c]!
  return {data: out, shape: [...x.shape.slice(0, -1), keep]}
}

// ---- per-sample preparation (ActionDataset.__init__) --------------------------------------------

export interface NtuSample {
  frameDir: string
  label: number
  /** [P, clipLen, 17, 3]: normalised x, y (make_cam) and confidence; persons padded with zeros. */
  motion: NDArray
}

/** Split names: `${prefix}_train` / `${prefix}_val` (the config's data_split, e.g. xsub), or the only prefix there is. */
export function ntuSplitNames(pkl: NtuPickle, dataSplit?: string): {train: string; test: string} {
  const names = [...pkl.splits.keys()]
  const prefixes = [...new Set(names.filter((n) => n.endsWith('_train')).map((n) => n.slice(0, -'_train'.length)))]
  const prefix = dataSplit ?? (prefixes.length === 1 ? prefixes[0] : undefined)
  if (prefix === undefined || !pkl.splits.has(`${prefix}_train`)) {
    throw inputError(
      dataSplit ? `the pickle has no split ${dataSplit}_train` : `the pickle has ${prefixes.length === 0 ? 'no *_train split' : `several training splits (${prefixes.join(', ')})`}`,
      {file: pkl.file, hint: `splits: ${names.join(', ') || 'none'}; choose one with the config key data_split (e.g. xsub)`},
    )
  }
  const test = [`${prefix}_val`, `${prefix}_test`].find((n) => pkl.splits.has(n)) ?? `${prefix}_val`
  return {train: `${prefix}_train`, test}
}

export interface NtuPrepareOptions {
  clipLen: number
  /** People per sample (at least 2, as official). */
  persons: number
  /** Training: jittered resampling (resample randomness=True), drawn from this rng. */
  rng?: Rng
}

/** The samples of one split, prepared as ActionDataset does (module comment). */
export function ntuSamples(pkl: NtuPickle, split: string, opts: NtuPrepareOptions): NtuSample[] {
  const names = pkl.splits.get(split)
  if (!names) throw inputError(`the pickle has no split ${split}`, {file: pkl.file, hint: `splits: ${[...pkl.splits.keys()].join(', ')}`})
  return pkl.annotations.filter((a) => names.has(a.frameDir)).map((a) => prepareSample(a, opts))
}

export function prepareSample(a: NtuAnnotation, opts: NtuPrepareOptions): NtuSample {
  const [M, T] = a.keypoint.shape as [number, number]
  const cam = humanTracking(makeCam(a.keypoint, a.imgShape), M, T) // [M, T, 17, 2]
  const ids = resampleIndices(a.totalFrames, opts.clipLen, {rng: opts.rng})
  const P = Math.max(2, opts.persons)
  const L = opts.clipLen
  const out = new Float32Array(P * L * NUM_JOINTS * 3)
  const h36m = new Float64Array(NUM_JOINTS * 2)
  for (let m = 0; m < Math.min(M, P); m++) {
    for (let t = 0; t < L; t++) {
      const f = ids[t]!
      coco2h36mFrame(cam, (m * T + f) * COCO_JOINTS * 2, h36m)
      for (let j = 0; j < NUM_JOINTS; j++) {
        const o = ((m * L + t) * NUM_JOINTS + j) * 3
        out[o] = h36m[j * 2]!
        out[o + 1] = h36m[j * 2 + 1]!
        // coco2h36m maps coordinates only; the confidence keeps its COCO index (as official).
        out[o + 2] = a.score.data[(m * T + f) * COCO_JOINTS + j]!
      }
    }
  }
  return {frameDir: a.frameDir, label: a.label, motion: {data: out, shape: [P, L, NUM_JOINTS, 3]}}
}

/** make_cam: pixels → x / s·2 − 1 with s the longer image side, on both axes. */
function makeCam(kp: NDArray, [h, w]: [number, number]): Float64Array {
  const s = w >= h ? w : h
  const out = new Float64Array(kp.data.length)
  for (let i = 0; i < out.length; i++) out[i] = Math.fround(Math.fround(kp.data[i]! / s) * 2 - 1)
  return out
}

/** human_tracking: persons 0 and 1 swap from frame t on whenever person 0 moved less towards person 1's last pose. */
function humanTracking(x: Float64Array, M: number, T: number): Float64Array {
  if (M === 1) return x
  const per = COCO_JOINTS * 2
  const out = new Float64Array(x.length) // persons beyond the first two become zeros, as official
  const at = (m: number, t: number): number => (m * T + t) * per
  out.set(x.subarray(at(0, 0), at(0, 0) + per), at(0, 0))
  out.set(x.subarray(at(1, 0), at(1, 0) + per), at(1, 0))
  let swaps = 0
  for (let t = 1; t < T; t++) {
    let d0 = 0
    let d1 = 0
    for (let j = 0; j < COCO_JOINTS; j++) {
      const a = at(0, t) + j * 2
      const b0 = at(0, t - 1) + j * 2
      const b1 = at(1, t - 1) + j * 2
      d0 += Math.hypot(x[a]! - x[b0]!, x[a + 1]! - x[b0 + 1]!)
      d1 += Math.hypot(x[a]! - x[b1]!, x[a + 1]! - x[b1 + 1]!)
    }
    if (d0 > d1) swaps++
    const sel = swaps % 2
    out.set(x.subarray(at(sel, t), at(sel, t) + per), at(0, t))
    out.set(x.subarray(at(1 - sel, t), at(1 - sel, t) + per), at(1, t))
  }
  return out
}

/** coco2h36m on one frame of x, y (COCO-17 at `offset`) into `out` [17 × 2]. */
function coco2h36mFrame(x: Float64Array, offset: number, out: Float64Array): void {
  const p = (j: number, c: number): number => x[offset + j * 2 + c]!
  for (let c = 0; c < 2; c++) {
    const mid = (a: number, b: number): number => Math.fround(Math.fround(p(a, c) + p(b, c)) * 0.5)
    const pelvis = mid(11, 12)
    const thorax = mid(5, 6)
    const v = [pelvis, p(12, c), p(14, c), p(16, c), p(11, c), p(13, c), p(15, c), (pelvis + thorax) * 0.5, thorax, p(0, c), mid(1, 2), p(5, c), p(7, c), p(9, c), p(6, c), p(8, c), p(10, c)]
    for (let j = 0; j < NUM_JOINTS; j++) out[j * 2 + c] = v[j]!
  }
}

// ---- per-batch augmentation (NTURGBD.__getitem__) ------------------------------------------------

/**
 * random_move with one move per clip: a rotation (±10°), scale (0.9–1.1) and translation (±0.1)
 * drawn at the first and the last frame and interpolated linearly, applied to x, y of every person.
 */
export function randomMove(x: NDArray, rng: Rng): NDArray {
  const [P, T, J, C] = x.shape as [number, number, number, number]
  const draw = (lo: number, hi: number): [number, number] => [rng.uniform(lo, hi), rng.uniform(lo, hi)]
  const A = draw(-10, 10)
  const S = draw(0.9, 1.1)
  const TX = draw(-0.1, 0.1)
  const TY = draw(-0.1, 0.1)
  const lin = (v: [number, number], t: number): number => (T > 1 ? v[0] + ((v[1] - v[0]) * t) / (T - 1) : v[0])
  const out = Float32Array.from(x.data)
  for (let t = 0; t < T; t++) {
    const a = (lin(A, t) * Math.PI) / 180
    const s = lin(S, t)
    const [c, sn] = [Math.cos(a) * s, Math.sin(a) * s]
    const tx = lin(TX, t)
    const ty = lin(TY, t)
    for (let m = 0; m < P; m++) {
      for (let j = 0; j < J; j++) {
        const o = ((m * T + t) * J + j) * C
        const px = x.data[o]!
        const py = x.data[o + 1]!
        out[o] = c * px - sn * py + tx
        out[o + 1] = sn * px + c * py + ty
      }
    }
  }
  return {data: out, shape: [...x.shape]}
}

/**
 * crop_scale over all persons of a sample: the box of the joints with nonzero confidence, its
 * longer side times a ratio drawn from `scaleRange`, mapped to [-1, 1] and clipped (every
 * channel); fewer than 4 such joints or no extent: zeros.
 */
export function cropScaleAction(x: NDArray, scaleRange: readonly [number, number], rng?: Rng): NDArray {
  const d = x.data
  const C = x.shape[x.shape.length - 1]!
  const {xmin, xmax, ymin, ymax, count: valid} = confidentBox(d, C)
  const out = new Float32Array(d.length)
  if (valid < 4) return {data: out, shape: [...x.shape]}
  const ratio = rng ? rng.uniform(scaleRange[0], scaleRange[1]) : scaleRange[0]
  const scale = Math.max(xmax - xmin, ymax - ymin) * ratio
  if (scale === 0) return {data: out, shape: [...x.shape]}
  const xs = (xmin + xmax - scale) / 2
  const ys = (ymin + ymax - scale) / 2
  const clip = (v: number): number => Math.min(1, Math.max(-1, v))
  for (let i = 0; i < d.length; i += C) {
    out[i] = clip(((d[i]! - xs) / scale - 0.5) * 2)
    out[i + 1] = clip(((d[i + 1]! - ys) / scale - 0.5) * 2)
    for (let c = 2; c < C; c++) out[i + c] = clip(d[i + c]!)
  }
  return {data: out, shape: [...x.shape]}
}

/** NTU class names from the label index: A001, A002, ... (the action ids in NTU file names). */
export function ntuClassNames(count: number): string[] {
  return Array.from({length: count}, (_, i) => `A${String(i + 1).padStart(3, '0')}`)
}
