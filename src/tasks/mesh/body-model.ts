/**
 * The SMPL body model and MotionBERT's mesh files, from wherever the user has them:
 *  - the `head.smpl.*` buffers (and `head.init_pose` / `head.init_shape`) of an official mesh
 *    checkpoint, which carries the whole body model — no SMPL download needed to run it;
 *  - a folder (MotionBERT's data/mesh) with SMPL_NEUTRAL.npz or the official SMPL_NEUTRAL.pkl
 *    (a Python 2 pickle of chumpy arrays and a scipy sparse J_regressor, read by the restricted
 *    unpickler with just those two classes added, as data), J_regressor_h36m_correct.npy,
 *    smpl_mean_params.npz and optionally J_regressor_extra.npy.
 * SMPL is licensed and cannot ship with this tool: a missing file is an input error that names the
 * file, every place it was looked for, and where to get it.
 */
import {existsSync, statSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {type GlobalRegistry, type NumpyArray, PickleDict, type PickleValue, dataClass, isKind, readPickleFile, withGlobals} from '../../formats/pickle/unpickler.js'
import {tensorToFloat32} from '../../formats/state-dict.js'
import {inputError, modelError} from '../../core/errors.js'
import {readNpyFloat32, readNpz, toFloat32} from '../../formats/npy.js'
import {type NDArray, shapeString} from '../../core/ndarray.js'
import {SMPL_BETAS, SMPL_JOINTS, SMPL_PARENTS, SMPL_POSE_BASIS} from '../../nn/smpl.js'

export interface BodyModel {
  /** [V, 3] rest-pose vertices (metres). */
  vTemplate: NDArray
  /** [V, 3, 10] shape blend shapes. */
  shapedirs: NDArray
  /** [207, V·3] pose blend shapes (smplx layout). */
  posedirs: NDArray
  /** [24, V] SMPL joint regressor. */
  jRegressor: NDArray
  /** [V, 24] skinning weights. */
  lbsWeights: NDArray
  /** [F, 3] triangle vertex indices. */
  faces: Uint32Array
  /** [17, V] MotionBERT's H36M joint regressor (J_regressor_h36m_correct.npy). */
  jRegressorH36m: NDArray
  /** [9, V] extra joints (J_regressor_extra.npy); kept so official checkpoints round-trip. */
  jRegressorExtra?: NDArray
  /** [1, 144] mean pose in the 6D representation (smpl_mean_params.npz `pose`). */
  meanPose?: NDArray
  /** [1, 10] mean shape (smpl_mean_params.npz `shape`). */
  meanShape?: NDArray
  /** Where it came from (files, or the checkpoint). */
  source: string
}

export const SMPL_DOWNLOAD_URL = 'https://smpl.is.tue.mpg.de'
/** The flag and config key commands offer to point at the folder. */
export const SMPL_DIR_FLAG = '--smpl-dir'
export const SMPL_DIR_CONFIG_KEY = 'data_root'
export const SMPL_DIR_ENV = 'MOTION_SMPL_DIR'

/** File names looked for in each folder, in order. */
export const SMPL_MODEL_FILES = ['SMPL_NEUTRAL.npz', 'SMPL_NEUTRAL.pkl', 'basicModel_neutral_lbs_10_207_0_v1.0.0.pkl', 'basicmodel_neutral_lbs_10_207_0_v1.1.0.pkl'] as const
export const H36M_REGRESSOR_FILE = 'J_regressor_h36m_correct.npy'
export const MEAN_PARAMS_FILE = 'smpl_mean_params.npz'
export const EXTRA_REGRESSOR_FILE = 'J_regressor_extra.npy'

// ---- from / to model weights -------------------------------------------------------------------

/** Parameter names (relative to the head) holding each part of the body model. */
const NAMES = {
  vTemplate: 'smpl.v_template',
  shapedirs: 'smpl.shapedirs',
  posedirs: 'smpl.posedirs',
  jRegressor: 'smpl.J_regressor',
  lbsWeights: 'smpl.lbs_weights',
  parents: 'smpl.parents',
  faces: 'smpl.faces_tensor',
  jRegressorH36m: 'smpl.J_regressor_h36m',
  jRegressorExtra: 'smpl.J_regressor_extra',
  meanPose: 'init_pose',
  meanShape: 'init_shape',
} as const

/** Whether the weights carry a body model under `prefix` (official mesh checkpoints do). */
export function hasBodyModel(weights: ReadonlyMap<string, NDArray>, prefix = 'head.'): boolean {
  return weights.has(prefix + NAMES.vTemplate)
}

/** The body model held in a mesh model's weights (`head.smpl.*`, `head.init_*`). */
export function bodyModelFromWeights(weights: ReadonlyMap<string, NDArray>, opts: {prefix?: string; file?: string} = {}): BodyModel {
  const prefix = opts.prefix ?? 'head.'
  const get = (name: string): NDArray => {
    const w = weights.get(prefix + name)
    if (!w) throw modelError(`no ${prefix + name} in the weights: they do not hold an SMPL body model`, {file: opts.file, hint: bodyModelHint()})
    return w
  }
  const parents = Array.from(get(NAMES.parents).data, (v) => Math.round(v))
  checkParents(parents, opts.file ?? 'the checkpoint')
  const body: BodyModel = {
    vTemplate: get(NAMES.vTemplate),
    shapedirs: get(NAMES.shapedirs),
    posedirs: get(NAMES.posedirs),
    jRegressor: get(NAMES.jRegressor),
    lbsWeights: get(NAMES.lbsWeights),
    faces: Uint32Array.from(get(NAMES.faces).data, (v) => Math.round(v)),
    jRegressorH36m: get(NAMES.jRegressorH36m),
    jRegressorExtra: weights.get(prefix + NAMES.jRegressorExtra),
    meanPose: weights.get(prefix + NAMES.meanPose),
    meanShape: weights.get(prefix + NAMES.meanShape),
    source: opts.file ?? 'model weights',
  }
  checkBodyModel(body)
  return body
}

/**
 * The body model as mesh-head weights (`head.smpl.*` and, when the mean parameters are known,
 * `head.init_pose` / `head.init_shape`), to merge into a model's weights.
 */
export function bodyModelWeights(body: BodyModel, prefix = 'head.'): Map<string, NDArray> {
  const out = new Map<string, NDArray>()
  const set = (name: string, v: NDArray | undefined): void => {
    if (v) out.set(prefix + name, v)
  }
  set(NAMES.vTemplate, body.vTemplate)
  set(NAMES.shapedirs, body.shapedirs)
  set(NAMES.posedirs, body.posedirs)
  set(NAMES.jRegressor, body.jRegressor)
  set(NAMES.lbsWeights, body.lbsWeights)
  set(NAMES.parents, {data: Float32Array.from(SMPL_PARENTS), shape: [SMPL_JOINTS]})
  set(NAMES.faces, {data: Float32Array.from(body.faces), shape: [body.faces.length / 3, 3]})
  set(NAMES.jRegressorH36m, body.jRegressorH36m)
  set(NAMES.jRegressorExtra, body.jRegressorExtra)
  set(NAMES.meanPose, body.meanPose)
  set(NAMES.meanShape, body.meanShape)
  return out
}

export function numVertices(body: BodyModel): number {
  return body.vTemplate.shape[0]!
}

// ---- from files ------------------------------------------------------------------------------

export interface BodyModelSearch {
  /** A folder given on the command line (--smpl-dir); searched first. */
  dir?: string
  /** The config's data_root (MotionBERT keeps SMPL in data/mesh). */
  dataRoot?: string
  /** A specific SMPL model file (.npz or .pkl) instead of looking for SMPL_NEUTRAL.* in the folders. */
  modelFile?: string
  /** Whether smpl_mean_params.npz is needed (a new mesh head; an official checkpoint has its own). */
  needMeanParams?: boolean
  /** Working directory for relative defaults (default: process.cwd()). */
  cwd?: string
}

/** The folders looked in, in order: the flag, data_root, $MOTION_SMPL_DIR, ./data/mesh, ~/.motion/smpl. */
export function bodyModelSearchDirs(search: BodyModelSearch = {}): string[] {
  const cwd = search.cwd ?? process.cwd()
  const dirs = [search.dir, search.dataRoot, process.env[SMPL_DIR_ENV], path.join(cwd, 'data', 'mesh'), path.join(os.homedir(), '.motion', 'smpl')]
  const out: string[] = []
  for (const d of dirs) {
    if (!d) continue
    const abs = path.resolve(cwd, d)
    if (!out.includes(abs)) out.push(abs)
  }
  return out
}

/** Find and read the body model and MotionBERT's mesh files; a missing file names every place looked. */
export async function loadBodyModel(search: BodyModelSearch = {}): Promise<BodyModel> {
  const dirs = bodyModelSearchDirs(search)
  if (search.dir && !isDir(path.resolve(search.cwd ?? process.cwd(), search.dir))) {
    throw inputError(`SMPL folder ${search.dir} does not exist or is not a folder`, {hint: bodyModelHint()})
  }
  const modelFile = search.modelFile ? path.resolve(search.cwd ?? process.cwd(), search.modelFile) : findFile(dirs, SMPL_MODEL_FILES)
  if (!modelFile || !existsSync(modelFile)) throw missingFile(search.modelFile ? [search.modelFile] : [...SMPL_MODEL_FILES], search.modelFile ? [modelFile!] : dirs)
  // The companion files are looked for beside the model file first.
  const companionDirs = [path.dirname(modelFile), ...dirs.filter((d) => d !== path.dirname(modelFile))]
  const h36mFile = findFile(companionDirs, [H36M_REGRESSOR_FILE])
  if (!h36mFile) throw missingFile([H36M_REGRESSOR_FILE], companionDirs)
  const meanFile = findFile(companionDirs, [MEAN_PARAMS_FILE])
  if (!meanFile && search.needMeanParams) throw missingFile([MEAN_PARAMS_FILE], companionDirs)
  const extraFile = findFile(companionDirs, [EXTRA_REGRESSOR_FILE])

  const smpl = modelFile.toLowerCase().endsWith('.pkl') ? await readSmplPickle(modelFile) : await readSmplNpz(modelFile)
  const body: BodyModel = {...smpl, jRegressorH36m: await readNpyFloat32(h36mFile), source: path.dirname(modelFile)}
  if (extraFile) body.jRegressorExtra = await readNpyFloat32(extraFile)
  if (meanFile) Object.assign(body, await readMeanParams(meanFile))
  checkBodyModel(body, modelFile)
  return body
}

/** smpl_mean_params.npz → meanPose [1, 144], meanShape [1, 10]. */
export async function readMeanParams(file: string): Promise<{meanPose: NDArray; meanShape: NDArray}> {
  const npz = await readNpz(file)
  const pose = npz.get('pose')
  const shape = npz.get('shape')
  if (!pose || !shape) throw inputError(`expected arrays pose and shape (MotionBERT's smpl_mean_params.npz), found ${[...npz.keys()].join(', ') || 'none'}`, {file})
  const p = toFloat32(pose)
  const s = toFloat32(shape)
  if (p.data.length !== SMPL_JOINTS * 6) throw inputError(`pose has ${p.data.length} values, expected 144 (24 rotations in 6D)`, {file})
  if (s.data.length < SMPL_BETAS) throw inputError(`shape has ${s.data.length} values, expected 10`, {file})
  return {meanPose: {data: Float32Array.from(p.data), shape: [1, 144]}, meanShape: {data: Float32Array.from(s.data.subarray(0, SMPL_BETAS)), shape: [1, SMPL_BETAS]}}
}

type SmplCore = Omit<BodyModel, 'jRegressorH36m' | 'source'>

/** SMPL_NEUTRAL.npz (smplx's .npz layout: v_template, shapedirs, posedirs, J_regressor, weights, kintree_table, f). */
export async function readSmplNpz(file: string): Promise<SmplCore> {
  const npz = await readNpz(file)
  const get = (key: string): NDArray => {
    const a = npz.get(key)
    if (!a) throw inputError(`no ${key} array: not an SMPL model .npz (expected v_template, shapedirs, posedirs, J_regressor, weights, kintree_table, f)`, {file})
    return toFloat32(a)
  }
  return smplFromArrays(get, file)
}

/** The allowlist for the official SMPL .pkl: the default data globals plus chumpy arrays and scipy csc matrices, as data. */
export const SMPL_PICKLE_GLOBALS: GlobalRegistry = withGlobals({
  'chumpy.ch.Ch': dataClass('chumpy.ch.Ch'),
  'scipy.sparse.csc.csc_matrix': dataClass('scipy.sparse.csc_matrix'),
  'scipy.sparse._csc.csc_matrix': dataClass('scipy.sparse.csc_matrix'),
})

/** The official SMPL .pkl (Python 2, chumpy, scipy.sparse), read without running any of it. */
export async function readSmplPickle(file: string): Promise<SmplCore> {
  const root = await readPickleFile(file, {globals: SMPL_PICKLE_GLOBALS})
  if (!(root instanceof Map)) throw modelError('not an SMPL model pickle: expected a dict at the top level', {file})
  const get = (key: string): NDArray => {
    const v = root.get(key)
    if (v === undefined) throw modelError(`no ${key} entry: not an SMPL model pickle`, {file})
    return pickleArray(v, key, file)
  }
  return smplFromArrays(get, file)
}

function smplFromArrays(get: (key: string) => NDArray, file: string): SmplCore {
  const vTemplate = get('v_template') // [V, 3]
  const V = vTemplate.shape[0]!
  const shapedirsAll = get('shapedirs') // [V, 3, B≥10]
  const posedirsRaw = get('posedirs') // [V, 3, 207]
  const kintree = get('kintree_table') // [2, 24]
  const faces = get('f') // [F, 3]
  const bad = (what: string): never => {
    throw modelError(`not an SMPL body model: ${what}`, {file})
  }
  if (vTemplate.shape.length !== 2 || vTemplate.shape[1] !== 3) bad(`v_template is ${shapeString(vTemplate.shape)}, expected [V, 3]`)
  if (shapedirsAll.shape.length !== 3 || shapedirsAll.shape[0] !== V || shapedirsAll.shape[1] !== 3 || shapedirsAll.shape[2]! < SMPL_BETAS) {
    bad(`shapedirs is ${shapeString(shapedirsAll.shape)}, expected [${V}, 3, ≥10]`)
  }
  if (posedirsRaw.data.length !== V * 3 * SMPL_POSE_BASIS) bad(`posedirs is ${shapeString(posedirsRaw.shape)}, expected [${V}, 3, 207]`)
  if (kintree.shape.length !== 2 || kintree.shape[1] !== SMPL_JOINTS) bad(`kintree_table is ${shapeString(kintree.shape)}, expected [2, 24]`)
  if (faces.shape.length !== 2 || faces.shape[1] !== 3) bad(`f is ${shapeString(faces.shape)}, expected [F, 3]`)
  // smplx keeps the first num_betas=10 shape components.
  const nb = shapedirsAll.shape[2]!
  const shapedirs = new Float32Array(V * 3 * SMPL_BETAS)
  for (let i = 0; i < V * 3; i++) shapedirs.set(shapedirsAll.data.subarray(i * nb, i * nb + SMPL_BETAS), i * SMPL_BETAS)
  // smplx: posedirs reshaped [V·3, 207] and transposed → [207, V·3].
  const posedirs = new Float32Array(SMPL_POSE_BASIS * V * 3)
  for (let r = 0; r < V * 3; r++) for (let k = 0; k < SMPL_POSE_BASIS; k++) posedirs[k * V * 3 + r] = posedirsRaw.data[r * SMPL_POSE_BASIS + k]!
  const parents = Array.from(kintree.data.subarray(0, SMPL_JOINTS), (v, i) => (i === 0 ? -1 : Math.round(v)))
  checkParents(parents, file)
  return {
    vTemplate: {data: Float32Array.from(vTemplate.data), shape: [V, 3]},
    shapedirs: {data: shapedirs, shape: [V, 3, SMPL_BETAS]},
    posedirs: {data: posedirs, shape: [SMPL_POSE_BASIS, V * 3]},
    jRegressor: get('J_regressor'),
    lbsWeights: get('weights'),
    faces: Uint32Array.from(faces.data, (v) => Math.round(v)),
  }
}

/** A numpy array, a chumpy Ch (its `x`) or a scipy csc_matrix (made dense) from the SMPL pickle. */
function pickleArray(v: PickleValue, key: string, file: string): NDArray {
  if (isKind(v, 'ndarray')) return tensorToFloat32(v)
  if (isKind(v, 'object')) {
    const state = v.state instanceof Map ? v.state : undefined
    if (v.className === 'chumpy.ch.Ch') {
      const x = state?.get('x')
      if (x !== undefined && isKind(x, 'ndarray')) return tensorToFloat32(x)
      throw modelError(`${key} is a chumpy array without its values (no x)`, {file})
    }
    if (v.className === 'scipy.sparse.csc_matrix' && state) return denseFromCsc(state, key, file)
  }
  throw modelError(`${key} is not an array (got ${describe(v)})`, {file})
}

function denseFromCsc(state: PickleDict, key: string, file: string): NDArray {
  const data = state.get('data')
  const indices = state.get('indices')
  const indptr = state.get('indptr')
  const shapeV = state.get('_shape') ?? state.get('shape')
  if (!isNd(data) || !isNd(indices) || !isNd(indptr) || !Array.isArray(shapeV) || shapeV.length !== 2) {
    throw modelError(`${key} is a sparse matrix without data, indices, indptr and shape`, {file})
  }
  const [rows, cols] = shapeV.map(Number) as [number, number]
  const values = tensorToFloat32(data).data
  const idx = tensorToFloat32(indices).data
  const ptr = tensorToFloat32(indptr).data
  if (ptr.length !== cols + 1) throw modelError(`${key}: sparse matrix indptr has ${ptr.length} entries for ${cols} columns`, {file})
  const dense = new Float32Array(rows * cols)
  for (let c = 0; c < cols; c++) {
    for (let k = ptr[c]!; k < ptr[c + 1]!; k++) {
      const r = idx[k]!
      if (!(r >= 0 && r < rows)) throw modelError(`${key}: sparse matrix row index ${r} outside ${rows} rows`, {file})
      dense[r * cols + c] = values[k]!
    }
  }
  return {data: dense, shape: [rows, cols]}
}

function isNd(v: PickleValue | undefined): v is NumpyArray {
  return v !== undefined && isKind(v, 'ndarray')
}

function describe(v: PickleValue): string {
  if (v === null) return 'None'
  if (isKind(v, 'object')) return v.className
  if (v instanceof Map) return 'dict'
  if (Array.isArray(v)) return 'list'
  return typeof v
}

// ---- checks and messages --------------------------------------------------------------------------

function checkParents(parents: readonly number[], where: string): void {
  if (parents.length !== SMPL_JOINTS || parents.some((p, i) => i > 0 && p !== SMPL_PARENTS[i])) {
    throw modelError(`the body model's kinematic tree is not SMPL's (parents ${parents.join(',')})`, {
      file: where,
      hint: 'the mesh head needs an SMPL body model (24 joints, SMPL kinematic tree); SMPL-H/SMPL-X files do not fit',
    })
  }
}

/** Every array has the shape SMPL's layout implies for its vertex count. */
export function checkBodyModel(body: BodyModel, file?: string): void {
  const V = body.vTemplate.shape[0]!
  const want: Array<[string, NDArray | undefined, number[]]> = [
    ['v_template', body.vTemplate, [V, 3]],
    ['shapedirs', body.shapedirs, [V, 3, SMPL_BETAS]],
    ['posedirs', body.posedirs, [SMPL_POSE_BASIS, V * 3]],
    ['J_regressor', body.jRegressor, [SMPL_JOINTS, V]],
    ['weights', body.lbsWeights, [V, SMPL_JOINTS]],
    [H36M_REGRESSOR_FILE, body.jRegressorH36m, [17, V]],
    [EXTRA_REGRESSOR_FILE, body.jRegressorExtra, [9, V]],
    ['mean pose', body.meanPose, [1, 144]],
    ['mean shape', body.meanShape, [1, SMPL_BETAS]],
  ]
  const problems = want
    .filter(([, a, s]) => a && (a.shape.length !== s.length || a.shape.some((d, i) => d !== s[i])))
    .map(([name, a, s]) => `${name} is ${shapeString(a!.shape)}, expected ${shapeString(s)}`)
  for (let i = 0; i < body.faces.length; i++) {
    if (body.faces[i]! >= V) {
      problems.push(`face index ${body.faces[i]} is outside the ${V} vertices`)
      break
    }
  }
  if (problems.length) throw modelError(`the body model does not fit together: ${problems.join('; ')}`, {file: file ?? body.source})
}

function bodyModelHint(): string {
  return (
    `SMPL is licensed and cannot ship with motion: register and download it yourself from ${SMPL_DOWNLOAD_URL} ` +
    `(SMPL for Python, neutral model; save as SMPL_NEUTRAL.pkl or .npz) and get ${H36M_REGRESSOR_FILE} and ${MEAN_PARAMS_FILE} ` +
    `from MotionBERT's mesh data (data/mesh); then point ${SMPL_DIR_FLAG} (config key ${SMPL_DIR_CONFIG_KEY}, or $${SMPL_DIR_ENV}) at the folder`
  )
}

function missingFile(names: readonly string[], looked: readonly string[]): Error {
  const what = names.length === 1 ? names[0]! : `an SMPL model file (${names.join(' or ')})`
  return inputError(`${what} not found; looked in: ${looked.join(', ') || '(no folders)'}`, {hint: bodyModelHint()})
}

function findFile(dirs: readonly string[], names: readonly string[]): string | undefined {
  for (const d of dirs) {
    for (const n of names) {
      const f = path.join(d, n)
      if (existsSync(f)) return f
    }
  }
  return undefined
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory()
  } catch {
    return false
  }
}
