/** What the restricted unpickler (unpickler.ts) returns, and the contract of an allowlisted global. */
import type {MotionError} from '../../core/errors.js'
import type {NpyData, NpyDType} from '../npy.js'

// ---- values ----------------------------------------------------------------------------------------

export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | PickleDict
  | Set<PickleValue>
  | TorchTensor
  | TorchStorage
  | TorchDTypeValue
  | NumpyArray
  | NumpyObjectArray
  | NumpyDType
  | PickleObject
  | PickleGlobal

/** dict / OrderedDict, in insertion order. `attributes` holds instance state set by BUILD (OrderedDict._metadata). */
export class PickleDict extends Map<PickleValue, PickleValue> {
  declare attributes?: PickleValue
}

/** Element types of torch tensors. float16 and bfloat16 tensors carry float32 `data` (converted on load). */
export type TorchDType = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool'

export type TorchTensorData = Float32Array | Float64Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array

/**
 * A torch tensor, materialised as C-contiguous data (views honour their storage offset and strides).
 * `data` may share memory with the checkpoint and with other tensors on the same storage: treat it
 * as read-only (copy before modifying in place).
 */
export interface TorchTensor {
  kind: 'tensor'
  dtype: TorchDType
  shape: number[]
  data: TorchTensorData
  requiresGrad: boolean
}

/** A torch storage as handed to the unpickler by the checkpoint reader's persistent_load. */
export interface TorchStorage {
  kind: 'storage'
  dtype: TorchDType
  /** Raw little-endian bytes of the whole storage. */
  bytes: Uint8Array
  key: string
  /**
   * Legacy (pre-1.6) torch files store the data after the pickle: such storages start empty with
   * `deferred` set, tensors on them register their materialisation here, and the reader runs these
   * once the bytes are in place.
   */
  deferred?: Array<() => void>
}

export interface TorchDTypeValue {
  kind: 'torch-dtype'
  dtype: TorchDType
}

/** A numeric numpy array in C order. */
export interface NumpyArray {
  kind: 'ndarray'
  dtype: NpyDType
  shape: number[]
  data: NpyData
}

/** A numpy array of Python objects (dtype 'O'). */
export interface NumpyObjectArray {
  kind: 'ndarray-object'
  shape: number[]
  items: PickleValue[]
}

export interface NumpyDType {
  kind: 'numpy-dtype'
  /** numpy type code without byte order: 'f4', 'i8', 'u4', 'b1', 'O8', ... */
  code: string
  /** '<', '>', '|' or '=' (set by BUILD; '=' until then). */
  byteOrder: string
}

/** An instance of an allowlisted data class: constructor arguments plus the state BUILD gave it. */
export interface PickleObject {
  kind: 'object'
  className: string
  args: PickleValue[]
  state?: PickleValue
}

/** A reference to an allowlisted global that has not been called (e.g. the class in a REDUCE). */
export interface PickleGlobal {
  kind: 'global'
  name: string
  handler: GlobalHandler
}

export interface UnpickleContext {
  file: string
  fail: (problem: string, hint?: string) => MotionError
}

/**
 * How one allowlisted global is interpreted. A handler without `call` may appear only as an argument
 * (e.g. `torch.FloatStorage` inside a persistent id, `numpy.ndarray` given to `_reconstruct`).
 */
export interface GlobalHandler {
  /** REDUCE / NEWOBJ / INST / OBJ: interpret `global(*args)`; must only build data. */
  call?: (args: PickleValue[], ctx: UnpickleContext) => PickleValue
  /** BUILD on a value `call` returned: apply `__setstate__(state)`; returns the value to keep. */
  build?: (target: PickleValue, state: PickleValue, ctx: UnpickleContext) => PickleValue
  /** Extra data for handlers that need it (storage and dtype names). */
  tag?: string
}

/** Fully qualified global name ('module.name') → handler. */
export type GlobalRegistry = ReadonlyMap<string, GlobalHandler>

export function isKind<K extends TaggedKind>(v: PickleValue | undefined, kind: K): v is Extract<TaggedValue, {kind: K}> {
  return typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && !Array.isArray(v) && !(v instanceof Map) && !(v instanceof Set) && (v as {kind?: string}).kind === kind
}

type TaggedValue = TorchTensor | TorchStorage | TorchDTypeValue | NumpyArray | NumpyObjectArray | NumpyDType | PickleObject | PickleGlobal
type TaggedKind = TaggedValue['kind']
