/**
 * From an unpickled checkpoint to a state dict: finds the weights (under model_pos, model or
 * state_dict, or the root itself when it is a bare state dict), strips DataParallel's `module.`
 * prefixes and converts every tensor to a float32 NDArray.
 */

import {modelError} from '../core/errors.js'
import type {NDArray} from '../core/ndarray.js'
import {toFloat32} from './npy.js'
import {looksLikeSafetensors, readSafetensors} from './safetensors.js'
import {readTorchCheckpoint, type TorchReadOptions} from './torch.js'
import {isKind, type NumpyArray, PickleDict, type PickleValue, type TorchDType, type TorchTensor} from './pickle/unpickler.js'

/** Where the official code bases keep their weights, in the order they are looked for. */
export const STATE_DICT_KEYS = ['model_pos', 'model', 'state_dict'] as const

export interface CheckpointMeta {
  /** Training epoch, when the checkpoint records one. */
  epoch?: number
  /** Every other top-level number, string or boolean (lr, min_loss, best_jpe, ...). */
  [key: string]: number | string | boolean | undefined
}

export interface StateDictResult {
  /** Parameter and buffer names (without `module.`) → float32 arrays, in checkpoint order. */
  stateDict: Map<string, NDArray>
  /** The element type each entry had in the checkpoint (int64 for num_batches_tracked, SMPL faces, ...). */
  dtypes: Map<string, TorchDType | NumpyArray['dtype']>
  /** The top-level key holding the state dict, or null for a bare state dict. */
  foundUnder: string | null
  meta: CheckpointMeta
  /** The other top-level keys (optimizer, random_state, ...), for callers that want them. */
  otherKeys: string[]
}

export interface ExtractOptions {
  /** Top-level keys to look under, in order (default: model_pos, model, state_dict). */
  keys?: readonly string[]
}

/** Extracts the model weights from a checkpoint's root object. */
export function extractStateDict(root: PickleValue, file: string, opts: ExtractOptions = {}): StateDictResult {
  const keys = opts.keys ?? STATE_DICT_KEYS
  if (!(root instanceof Map)) {
    throw modelError(`no state dict found: the checkpoint holds ${describeValue(root)}, not a dict`, {file})
  }
  let dict: Map<PickleValue, PickleValue> | undefined
  let foundUnder: string | null = null
  for (const key of keys) {
    const v = root.get(key)
    if (v === undefined) continue
    if (!(v instanceof Map)) {
      throw modelError(`'${key}' holds ${describeValue(v)}, not a state dict`, {file})
    }
    dict = v
    foundUnder = key
    break
  }
  if (!dict) {
    if (isBareStateDict(root)) dict = root
    else {
      const top = [...root.keys()].map(String)
      throw modelError(
        `no state dict found under ${keys.join(', ').replace(/, ([^,]*)$/, ' or $1')}; top-level keys: ${top.slice(0, 12).join(', ') || '(none)'}${top.length > 12 ? ', ...' : ''}`,
        {file, hint: 'if the weights are under another key, name it in the model config or re-save the state dict'},
      )
    }
  }
  const stateDict = new Map<string, NDArray>()
  const dtypes = new Map<string, TorchDType | NumpyArray['dtype']>()
  for (const [rawKey, value] of dict) {
    const name = stripModulePrefix(String(rawKey))
    if (!isKind(value, 'tensor') && !isKind(value, 'ndarray')) {
      const where = foundUnder ? `'${foundUnder}'` : 'the state dict'
      throw modelError(`entry '${String(rawKey)}' in ${where} is ${describeValue(value)}, not a tensor`, {file})
    }
    if (stateDict.has(name)) throw modelError(`state dict key '${name}' appears twice (with and without 'module.')`, {file})
    stateDict.set(name, tensorToFloat32(value))
    dtypes.set(name, value.dtype)
  }
  const meta: CheckpointMeta = {}
  const otherKeys: string[] = []
  if (foundUnder !== null) {
    for (const [k, v] of root) {
      if (k === foundUnder) continue
      const key = String(k)
      if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') meta[key] = v
      else otherKeys.push(key)
    }
  }
  return {stateDict, dtypes, foundUnder, meta, otherKeys}
}

/** A dict whose values are all tensors (at least one). */
function isBareStateDict(d: Map<PickleValue, PickleValue>): boolean {
  if (d.size === 0) return false
  for (const [k, v] of d) {
    if (typeof k !== 'string') return false
    if (!isKind(v, 'tensor') && !isKind(v, 'ndarray')) return false
  }
  return true
}

export function stripModulePrefix(key: string): string {
  let k = key
  while (k.startsWith('module.')) k = k.slice('module.'.length)
  return k
}

/** A tensor or numpy array as float32 (int64 through Number; float16/bfloat16 were converted on load). */
export function tensorToFloat32(t: TorchTensor | NumpyArray): NDArray {
  if (isKind(t, 'ndarray')) return toFloat32(t)
  const {data, shape} = t
  if (data instanceof Float32Array) return {data, shape}
  const out = new Float32Array(data.length)
  if (data instanceof BigInt64Array) for (let i = 0; i < data.length; i++) out[i] = Number(data[i]!)
  else out.set(data)
  return {data: out, shape}
}

/**
 * Follows keys into nested dicts and lists: `pickleGet(root, 'optimizer', 'state', 0, 'exp_avg')`.
 * Returns undefined when any step is missing.
 */
export function pickleGet(value: PickleValue | undefined, ...path: Array<string | number>): PickleValue | undefined {
  let v = value
  for (const key of path) {
    if (v instanceof Map) v = v.get(key)
    else if (Array.isArray(v) && typeof key === 'number') v = v[key]
    else return undefined
  }
  return v
}

/** A short description of a value's type for error messages. */
export function describeValue(v: PickleValue | undefined): string {
  if (v === undefined) return 'nothing'
  if (v === null) return 'None'
  if (typeof v === 'number' || typeof v === 'bigint') return 'a number'
  if (typeof v === 'string') return 'a string'
  if (typeof v === 'boolean') return 'a boolean'
  if (v instanceof Uint8Array) return 'bytes'
  if (Array.isArray(v)) return `a list of ${v.length}`
  if (v instanceof PickleDict || v instanceof Map) return `a dict of ${v.size}`
  if (v instanceof Set) return 'a set'
  switch (v.kind) {
    case 'tensor':
      return `a ${v.dtype} tensor [${v.shape.join(', ')}]`
    case 'ndarray':
      return `a numpy ${v.dtype} array [${v.shape.join(', ')}]`
    case 'object':
      return `a ${v.className} object`
    case 'global':
      return `the global ${v.name}`
    default:
      return `a ${v.kind}`
  }
}

export interface LoadedStateDict extends StateDictResult {
  format: 'zip' | 'legacy' | 'pickle' | 'safetensors'
  /** safetensors `__metadata__` ({} for torch files). */
  metadata: Record<string, string>
}

/**
 * Reads the weights of any checkpoint file we understand: `.safetensors` (by extension or content)
 * or a PyTorch file (then `extractStateDict` with `opts.keys`).
 */
export async function loadStateDict(file: string, opts: ExtractOptions & TorchReadOptions = {}): Promise<LoadedStateDict> {
  if (file.endsWith('.safetensors') || (await looksLikeSafetensors(file))) {
    const st = await readSafetensors(file)
    return {stateDict: st.tensors, dtypes: new Map(), foundUnder: null, meta: {}, otherKeys: [], format: 'safetensors', metadata: st.metadata}
  }
  const ckpt = await readTorchCheckpoint(file, opts)
  return {...extractStateDict(ckpt.root, file, opts), format: ckpt.format, metadata: {}}
}
