/**
 * A restricted unpickler: the pickle virtual machine (protocols 0-5, Python 2 and 3 pickles) with an
 * explicit allowlist of globals. It never executes anything: a GLOBAL / STACK_GLOBAL / INST naming a
 * global outside the allowlist stops the load with a model error (exit 3), and even allowlisted
 * globals are only interpreted by the TypeScript handlers below, which build plain data.
 *
 * How Python values come back (`PickleValue`):
 *  - None → null; bool → boolean; int → number (bigint beyond 2^53); float → number;
 *  - str → string; bytes / bytearray → Uint8Array (bytes may be views into the input); Python 2 `str` (STRING, BINSTRING) → string
 *    (latin1, as Python 3's `encoding='latin1'`; consumers that expect bytes convert back);
 *  - list and tuple → array (tuples are not distinguished from lists);
 *  - dict and OrderedDict → `PickleDict` (a Map keeping insertion order; keys are the unpickled keys:
 *    strings for state dicts, numbers for optimiser states, `dict.get(0)`);
 *  - set / frozenset → Set;
 *  - torch tensors → `TorchTensor`, numpy arrays → `NumpyArray`, numpy scalars → number (bigint for
 *    64-bit integers beyond 2^53), numpy dtypes → `NumpyDType`, torch dtypes → `TorchDTypeValue`;
 *  - objects of data classes a caller allowlists → `PickleObject` (class name, constructor args, state).
 *
 * Extending the allowlist (e.g. SMPL .pkl files: chumpy arrays and a scipy sparse J_regressor):
 *
 * ```ts
 * const globals = withGlobals({
 *   'chumpy.ch.Ch': dataClass('chumpy.ch.Ch'),
 *   'scipy.sparse.csc.csc_matrix': dataClass('scipy.sparse.csc_matrix'),
 *   'scipy.sparse._csc.csc_matrix': dataClass('scipy.sparse.csc_matrix'),
 * })
 * const smpl = await readPickleFile('SMPL_NEUTRAL.pkl', {globals})
 * // smpl is a PickleDict; a chumpy array is a PickleObject whose `state` is a PickleDict holding 'x'
 * // (a NumpyArray); a csc_matrix's `state` holds 'data', 'indices', 'indptr' and '_shape'.
 * ```
 * `dataClass` objects are built through `copyreg._reconstructor`, NEWOBJ or INST/OBJ and given their
 * state by BUILD — all data, no code. Handlers added by callers must likewise only build data.
 */

import {modelError, type MotionError} from '../../core/errors.js'
import {bfloat16ToFloat32, decodeNpyBytes, float16ToFloat32, type NpyData, type NpyDType, npyTypeInfo} from '../npy.js'
import {size} from '../../core/ndarray.js'
import {readFileBytes} from '../read-file.js'

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

// ---- allowlist ---------------------------------------------------------------------------------------

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

/** A handler for a class whose instances are plain data: `PickleObject` with args and BUILD state. */
export function dataClass(className: string): GlobalHandler {
  return {
    call: (args) => ({kind: 'object', className, args}),
    build: (target, state) => {
      if (isKind(target, 'object')) target.state = state
      return target
    },
  }
}

/** The default allowlist plus `extra` (extra entries win). */
export function withGlobals(extra: Readonly<Record<string, GlobalHandler>>): GlobalRegistry {
  const out = new Map(DEFAULT_GLOBALS)
  for (const [k, v] of Object.entries(extra)) out.set(k, v)
  return out
}

/** Python 2 module names and numpy 2 module moves, mapped to the names the allowlist uses. */
const MODULE_ALIASES: Record<string, string> = {
  __builtin__: 'builtins',
  copy_reg: 'copyreg',
  'numpy._core.multiarray': 'numpy.core.multiarray',
  'numpy._core.numeric': 'numpy.core.numeric',
}

/** torch storage class name (pickled as a global) → element type; torch.ts resolves storage ids with it. */
export const TORCH_STORAGE_DTYPES: Readonly<Record<string, TorchDType>> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
  UntypedStorage: 'uint8',
}

const TORCH_DTYPE_NAMES: Record<string, TorchDType> = {
  float32: 'float32',
  float: 'float32',
  float64: 'float64',
  double: 'float64',
  float16: 'float16',
  half: 'float16',
  bfloat16: 'bfloat16',
  int64: 'int64',
  long: 'int64',
  int32: 'int32',
  int: 'int32',
  int16: 'int16',
  short: 'int16',
  int8: 'int8',
  uint8: 'uint8',
  bool: 'bool',
}

export const TORCH_ELEMENT_BYTES: Record<TorchDType, number> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
}

function buildDefaultGlobals(): Map<string, GlobalHandler> {
  const g = new Map<string, GlobalHandler>()
  // Markers: may appear as arguments only.
  for (const name of Object.keys(TORCH_STORAGE_DTYPES)) {
    g.set(`torch.${name}`, {tag: name})
    g.set(`torch.storage.${name}`, {tag: name})
  }
  for (const name of Object.keys(TORCH_DTYPE_NAMES)) g.set(`torch.${name}`, {tag: `dtype:${name}`})
  g.set('torch.Tensor', {})
  g.set('torch.nn.parameter.Parameter', {})
  g.set('numpy.ndarray', {})
  g.set('builtins.object', {})

  const rebuildV2: GlobalHandler = {call: (args, ctx) => rebuildTensor(args, ctx, 'torch._utils._rebuild_tensor_v2')}
  g.set('torch._utils._rebuild_tensor_v2', rebuildV2)
  g.set('torch._utils._rebuild_tensor', {call: (args, ctx) => rebuildTensor(args, ctx, 'torch._utils._rebuild_tensor')})
  g.set('torch._utils._rebuild_tensor_v3', {
    // (storage, offset, size, stride, requires_grad, backward_hooks, dtype, metadata?)
    call: (args, ctx) => {
      const dtype = args[6]
      const tensor = rebuildTensor(args, ctx, 'torch._utils._rebuild_tensor_v3')
      if (isKind(dtype, 'torch-dtype') && dtype.dtype !== tensor.dtype) {
        throw ctx.fail(`untyped storages reinterpreted as ${dtype.dtype} are not supported`, 'load and re-save the checkpoint with torch.save')
      }
      return tensor
    },
  })
  const rebuildParameter: GlobalHandler = {
    call: (args, ctx) => {
      const data = args[0]
      if (!isKind(data, 'tensor')) throw ctx.fail('corrupt checkpoint: _rebuild_parameter without a tensor')
      data.requiresGrad = args[1] === true
      return data
    },
  }
  g.set('torch._utils._rebuild_parameter', rebuildParameter)
  g.set('torch._utils._rebuild_parameter_with_state', rebuildParameter)
  g.set('torch._tensor._rebuild_from_type_v2', {
    // (func, new_type, args, state): a Tensor subclass; we keep the tensor and drop the subclass.
    call: (args, ctx) => {
      const [func, , inner] = args
      if (!isKind(func, 'global') || !func.handler.call || !Array.isArray(inner)) {
        throw ctx.fail('corrupt checkpoint: bad _rebuild_from_type_v2 arguments')
      }
      return func.handler.call(inner, ctx)
    },
  })
  g.set('torch.Size', {call: (args) => (Array.isArray(args[0]) ? [...args[0]] : [])})
  g.set('collections.OrderedDict', {
    call: (args, ctx) => dictFromArgs(args, ctx),
    build: (target, state) => {
      if (target instanceof PickleDict) target.attributes = state
      return target
    },
  })
  g.set('builtins.dict', {call: (args, ctx) => dictFromArgs(args, ctx)})
  g.set('builtins.set', {call: (args) => new Set(Array.isArray(args[0]) ? args[0] : [])})
  g.set('builtins.frozenset', {call: (args) => new Set(Array.isArray(args[0]) ? args[0] : [])})
  g.set('builtins.bytearray', {
    call: (args) => {
      const a = args[0]
      if (a instanceof Uint8Array) return Uint8Array.from(a)
      if (typeof a === 'string') return latin1Bytes(a)
      if (Array.isArray(a)) return Uint8Array.from(a.map((x) => Number(x)))
      return new Uint8Array(0)
    },
  })
  g.set('builtins.bytes', g.get('builtins.bytearray')!)
  g.set('_codecs.encode', {
    // Python 3 pickles (protocol <= 2) store bytes as _codecs.encode(text, 'latin1').
    call: (args, ctx) => {
      const [text, encoding] = args
      if (typeof text !== 'string') throw ctx.fail('corrupt pickle: _codecs.encode without text')
      const enc = typeof encoding === 'string' ? encoding.toLowerCase().replace(/[-_]/g, '') : 'utf8'
      if (enc === 'latin1' || enc === 'iso88591') return latin1Bytes(text)
      if (enc === 'utf8') return new TextEncoder().encode(text)
      throw ctx.fail(`unsupported text encoding '${String(encoding)}' in _codecs.encode`)
    },
  })
  g.set('copyreg._reconstructor', {
    // copyreg._reconstructor(cls, base, state): protocol 0/1 way to make a new-style object.
    call: (args, ctx) => {
      const cls = args[0]
      if (!isKind(cls, 'global') || !cls.handler.call) throw ctx.fail('corrupt pickle: _reconstructor without a class')
      return cls.handler.call([], ctx)
    },
  })
  g.set('numpy.core.multiarray._reconstruct', {
    call: (): NumpyArray => ({kind: 'ndarray', dtype: 'uint8', shape: [0], data: new Uint8Array(0)}),
    build: (target, state, ctx) => numpySetState(target, state, ctx),
  })
  g.set('numpy.dtype', {
    call: (args, ctx) => {
      if (typeof args[0] !== 'string') throw ctx.fail('corrupt pickle: numpy.dtype without a type code')
      return {kind: 'numpy-dtype', code: args[0], byteOrder: '='}
    },
    build: (target, state) => {
      if (isKind(target, 'numpy-dtype') && Array.isArray(state) && typeof state[1] === 'string') target.byteOrder = state[1]
      return target
    },
  })
  g.set('numpy.core.multiarray.scalar', {call: (args, ctx) => numpyScalar(args, ctx)})
  g.set('numpy.core.numeric._frombuffer', {
    // (buffer, dtype, shape, order): numpy arrays pickled with protocol 5.
    call: (args, ctx) => {
      const [buf, dtype, shape, order] = args
      const bytes = typeof buf === 'string' ? latin1Bytes(buf) : buf
      if (!(bytes instanceof Uint8Array) || !isKind(dtype, 'numpy-dtype') || !Array.isArray(shape)) {
        throw ctx.fail('corrupt pickle: bad numpy _frombuffer arguments')
      }
      return numericArray(bytes, dtype, shape.map(Number), order === 'F', ctx)
    },
  })
  return g
}

/** The globals a torch state dict, an optimiser state or a numpy array pickle needs. */
export const DEFAULT_GLOBALS: GlobalRegistry = buildDefaultGlobals()

// ---- handlers ----------------------------------------------------------------------------------------

function rebuildTensor(args: PickleValue[], ctx: UnpickleContext, what: string): TorchTensor {
  const [storage, offset, shapeV, strideV, requiresGrad] = args
  if (!isKind(storage, 'storage') || typeof offset !== 'number' || !Array.isArray(shapeV) || !Array.isArray(strideV)) {
    throw ctx.fail(`corrupt checkpoint: bad ${what} arguments`)
  }
  const shape = shapeV.map(Number)
  const stride = strideV.map(Number)
  if (shape.length !== stride.length || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw ctx.fail(`corrupt checkpoint: tensor shape [${shape.join(', ')}] and strides [${stride.join(', ')}] do not match`)
  }
  const tensor: TorchTensor = {kind: 'tensor', dtype: storage.dtype, shape, data: new Float32Array(0), requiresGrad: requiresGrad === true}
  if (storage.deferred) {
    storage.deferred.push(() => {
      tensor.data = materialise(storage, offset, shape, stride, ctx)
    })
  } else {
    tensor.data = materialise(storage, offset, shape, stride, ctx)
  }
  return tensor
}

/** Decoded storages, so tensors sharing a storage decode it once. */
const decodedStorages = new WeakMap<TorchStorage, TorchTensorData>()

function decodeStorage(storage: TorchStorage): TorchTensorData {
  const cached = decodedStorages.get(storage)
  if (cached) return cached
  const {bytes, dtype} = storage
  const width = TORCH_ELEMENT_BYTES[dtype]
  const n = Math.floor(bytes.length / width)
  // A view on the checkpoint's bytes when they are aligned (torch aligns zip entries to 64 bytes), else a copy.
  const typed = <T>(Ctor: new (buffer: ArrayBufferLike, byteOffset: number, length: number) => T): T => {
    if (bytes.byteOffset % width === 0) return new Ctor(bytes.buffer, bytes.byteOffset, n)
    const copy = new Uint8Array(n * width)
    copy.set(bytes.subarray(0, n * width))
    return new Ctor(copy.buffer, 0, n)
  }
  let out: TorchTensorData
  switch (dtype) {
    case 'float32':
      out = typed(Float32Array)
      break
    case 'float64':
      out = typed(Float64Array)
      break
    case 'float16':
      out = float16ToFloat32(typed(Uint16Array))
      break
    case 'bfloat16':
      out = bfloat16ToFloat32(typed(Uint16Array))
      break
    case 'int64':
      out = typed(BigInt64Array)
      break
    case 'int32':
      out = typed(Int32Array)
      break
    case 'int16':
      out = typed(Int16Array)
      break
    case 'int8':
      out = typed(Int8Array)
      break
    case 'uint8':
    case 'bool':
      out = typed(Uint8Array)
      break
  }
  decodedStorages.set(storage, out)
  return out
}

/**
 * A tensor's elements in C order. Contiguous views share memory with their storage (and so with the
 * checkpoint's bytes and other tensors on that storage, as in torch); strided views are copied.
 */
function materialise(storage: TorchStorage, offset: number, shape: number[], stride: number[], ctx: UnpickleContext): TorchTensorData {
  const src = decodeStorage(storage)
  const n = size(shape)
  if (n === 0) return src.subarray(0, 0)
  let last = offset
  for (let k = 0; k < shape.length; k++) last += (shape[k]! - 1) * stride[k]!
  if (offset < 0 || last >= src.length || stride.some((s) => s < 0)) {
    throw ctx.fail(
      `corrupt checkpoint: a tensor of shape [${shape.join(', ')}] at offset ${offset} lies outside its storage '${storage.key}' (${src.length} elements)`,
    )
  }
  // Contiguous fast path.
  let contiguous = true
  let expect = 1
  for (let k = shape.length - 1; k >= 0; k--) {
    if (shape[k]! !== 1 && stride[k]! !== expect) contiguous = false
    expect *= shape[k]!
  }
  if (contiguous) return src.subarray(offset, offset + n)
  const out = new (src.constructor as new (n: number) => TorchTensorData)(n)
  const rank = shape.length
  const index = new Array<number>(rank).fill(0)
  const dst = out as unknown as {[i: number]: number | bigint}
  const from = src as unknown as {[i: number]: number | bigint}
  let p = offset
  for (let i = 0; i < n; i++) {
    dst[i] = from[p]!
    for (let k = rank - 1; k >= 0; k--) {
      index[k]!++
      p += stride[k]!
      if (index[k]! < shape[k]!) break
      p -= stride[k]! * shape[k]!
      index[k] = 0
    }
  }
  return out
}

function dictFromArgs(args: PickleValue[], ctx: UnpickleContext): PickleDict {
  const d = new PickleDict()
  const init = args[0]
  if (init === undefined || init === null) return d
  if (init instanceof PickleDict) return new PickleDict(init)
  if (Array.isArray(init)) {
    for (const pair of init) {
      if (!Array.isArray(pair) || pair.length !== 2) throw ctx.fail('corrupt pickle: dict items are not pairs')
      d.set(pair[0]!, pair[1]!)
    }
    return d
  }
  throw ctx.fail('corrupt pickle: bad dict constructor arguments')
}

function numpySetState(target: PickleValue, state: PickleValue, ctx: UnpickleContext): PickleValue {
  if (!isKind(target, 'ndarray') || !Array.isArray(state)) throw ctx.fail('corrupt pickle: bad numpy array state')
  // (version, shape, dtype, is_fortran, rawdata) or, from old numpy, without the version.
  const s = state.length === 5 ? state.slice(1) : state
  const [shapeV, dtype, fortran, raw] = s
  if (!Array.isArray(shapeV) || !isKind(dtype, 'numpy-dtype')) throw ctx.fail('corrupt pickle: bad numpy array state')
  const shape = shapeV.map(Number)
  if (dtype.code.startsWith('O')) {
    if (!Array.isArray(raw)) throw ctx.fail('corrupt pickle: object array without a list of items')
    return {kind: 'ndarray-object', shape, items: raw} satisfies NumpyObjectArray
  }
  const bytes = typeof raw === 'string' ? latin1Bytes(raw) : raw
  if (!(bytes instanceof Uint8Array)) throw ctx.fail('corrupt pickle: numpy array without raw data')
  const built = numericArray(bytes, dtype, shape, fortran === true || fortran === 1, ctx)
  Object.assign(target, built)
  return target
}

function numericArray(bytes: Uint8Array, dtype: NumpyDType, shape: number[], fortranOrder: boolean, ctx: UnpickleContext): NumpyArray {
  const info = npyTypeInfo(dtype.code)
  if (!info) throw ctx.fail(`numpy arrays of dtype '${dtype.code}' are not supported`)
  try {
    const data = decodeNpyBytes(bytes, dtype.code, shape, {bigEndian: dtype.byteOrder === '>', fortranOrder})
    return {kind: 'ndarray', dtype: info.dtype, shape, data}
  } catch (err) {
    throw ctx.fail(`corrupt numpy array: ${(err as Error).message}`)
  }
}

function numpyScalar(args: PickleValue[], ctx: UnpickleContext): PickleValue {
  const [dtype, raw] = args
  if (!isKind(dtype, 'numpy-dtype')) throw ctx.fail('corrupt pickle: numpy scalar without a dtype')
  if (dtype.code.startsWith('O')) return raw ?? null
  const bytes = typeof raw === 'string' ? latin1Bytes(raw) : raw
  if (!(bytes instanceof Uint8Array)) throw ctx.fail('corrupt pickle: numpy scalar without data')
  const arr = numericArray(bytes, dtype, [], false, ctx)
  const v = arr.data[0]!
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v
  if (arr.dtype === 'bool') return v !== 0
  if (arr.dtype === 'float16') return float16ToFloat32(Uint16Array.of(v))[0]!
  return v
}

function latin1Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff
  return out
}

/** Narrows a PickleValue to one of the tagged object kinds. */
export function isKind<K extends TaggedKind>(v: PickleValue | undefined, kind: K): v is Extract<TaggedValue, {kind: K}> {
  return typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && !Array.isArray(v) && !(v instanceof Map) && !(v instanceof Set) && (v as {kind?: string}).kind === kind
}

type TaggedValue = TorchTensor | TorchStorage | TorchDTypeValue | NumpyArray | NumpyObjectArray | NumpyDType | PickleObject | PickleGlobal
type TaggedKind = TaggedValue['kind']

// ---- the VM ------------------------------------------------------------------------------------------

export interface UnpickleOptions {
  /** Names the source in error messages. */
  file: string
  /** The allowlist (default: DEFAULT_GLOBALS). */
  globals?: GlobalRegistry
  /** Resolves persistent ids (torch storages); without it a PERSID opcode is an error. */
  persistentLoad?: (pid: PickleValue, ctx: UnpickleContext) => PickleValue
  /** Where the pickle starts in `bytes` (legacy torch files hold several pickles back to back). */
  offset?: number
}

export interface UnpickleResult {
  value: PickleValue
  /** Byte offset just after the STOP opcode. */
  end: number
}

const MARK = Symbol('mark')
type StackItem = PickleValue | typeof MARK

/** Runs the pickle VM over `bytes`; refuses any global outside the allowlist. */
export function unpickle(bytes: Uint8Array, opts: UnpickleOptions): PickleValue {
  return unpickleAt(bytes, opts).value
}

/** As `unpickle`, also returning where the pickle ended. */
export function unpickleAt(bytes: Uint8Array, opts: UnpickleOptions): UnpickleResult {
  const file = opts.file
  const fail = (problem: string, hint?: string): MotionError => modelError(problem, {file, hint})
  const ctx: UnpickleContext = {file, fail}
  const globals = opts.globals ?? DEFAULT_GLOBALS
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const stack: StackItem[] = []
  const memo = new Map<number, PickleValue>()
  let pos = opts.offset ?? 0
  let opPos = pos

  const truncated = (): MotionError =>
    fail(`truncated pickle: the data ends at byte ${bytes.length} in the middle of an opcode`, 'the file was cut short; download or copy it again')
  const need = (n: number): void => {
    if (pos + n > bytes.length) throw truncated()
  }
  const u8 = (): number => {
    need(1)
    return bytes[pos++]!
  }
  const u16 = (): number => {
    need(2)
    const v = view.getUint16(pos, true)
    pos += 2
    return v
  }
  const u32 = (): number => {
    need(4)
    const v = view.getUint32(pos, true)
    pos += 4
    return v
  }
  const i32 = (): number => {
    need(4)
    const v = view.getInt32(pos, true)
    pos += 4
    return v
  }
  const u64 = (): number => {
    need(8)
    const v = view.getBigUint64(pos, true)
    pos += 8
    if (v > BigInt(bytes.length)) throw truncated()
    return Number(v)
  }
  const take = (n: number): Uint8Array => {
    need(n)
    const v = bytes.subarray(pos, pos + n)
    pos += n
    return v
  }
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos)
    if (end < 0) throw truncated()
    const s = latin1(bytes.subarray(pos, end))
    pos = end + 1
    return s.endsWith('\r') ? s.slice(0, -1) : s
  }
  const pop = (): PickleValue => {
    const v = stack.pop()
    if (v === undefined || v === MARK) throw fail(`corrupt pickle: stack underflow at byte ${opPos}`)
    return v
  }
  const top = (): PickleValue => {
    const v = stack[stack.length - 1]
    if (v === undefined || v === MARK) throw fail(`corrupt pickle: stack underflow at byte ${opPos}`)
    return v
  }
  const popMark = (): PickleValue[] => {
    let i = stack.length - 1
    while (i >= 0 && stack[i] !== MARK) i--
    if (i < 0) throw fail(`corrupt pickle: no MARK at byte ${opPos}`)
    const items = stack.splice(i) as PickleValue[]
    items.shift()
    return items
  }
  const memoGet = (key: number): PickleValue => {
    if (!memo.has(key)) throw fail(`corrupt pickle: memo entry ${key} missing at byte ${opPos}`)
    return memo.get(key)!
  }
  const resolveGlobal = (moduleName: string, name: string): PickleGlobal => {
    const mod = MODULE_ALIASES[moduleName] ?? moduleName
    const full = `${mod}.${name}`
    const handler = globals.get(full)
    if (!handler) throw refuseGlobal(`${moduleName}.${name}`, file)
    return {kind: 'global', name: full, handler}
  }
  const call = (fn: PickleValue, args: PickleValue[]): PickleValue => {
    if (!isKind(fn, 'global')) throw fail(`corrupt pickle: call of a non-global at byte ${opPos}`)
    if (!fn.handler.call) throw fail(`the pickle calls '${fn.name}', which is only allowed as data`, 'the file may be malicious')
    return fn.handler.call(args, ctx)
  }
  const asGlobalValue = (g: PickleGlobal): PickleValue => {
    // torch.float32 and friends are values, not callables.
    const tag = g.handler.tag
    if (tag?.startsWith('dtype:')) return {kind: 'torch-dtype', dtype: TORCH_DTYPE_NAMES[tag.slice(6)]!}
    return g
  }
  const setItems = (target: PickleValue, items: PickleValue[]): void => {
    if (!(target instanceof Map)) throw fail(`corrupt pickle: SETITEM on a non-dict at byte ${opPos}`)
    if (items.length % 2) throw fail(`corrupt pickle: odd SETITEMS at byte ${opPos}`)
    for (let i = 0; i < items.length; i += 2) target.set(items[i]!, items[i + 1]!)
  }
  const appendItems = (target: PickleValue, items: PickleValue[]): void => {
    if (Array.isArray(target)) target.push(...items)
    else if (target instanceof Set) for (const it of items) target.add(it)
    else throw fail(`corrupt pickle: APPEND on a non-list at byte ${opPos}`)
  }

  for (;;) {
    opPos = pos
    if (pos >= bytes.length) throw truncated()
    const op = bytes[pos++]!
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) throw fail(`unsupported pickle protocol ${bytes[pos - 1]}`)
        break
      case 0x95: // FRAME
        u64()
        break
      case 0x2e: // STOP
        return {value: pop(), end: pos}
      // ---- stack and memo
      case 0x28: // MARK
        stack.push(MARK)
        break
      case 0x30: // POP
        if (stack.pop() === undefined) throw fail(`corrupt pickle: stack underflow at byte ${opPos}`)
        break
      case 0x31: // POP_MARK
        popMark()
        break
      case 0x32: // DUP
        stack.push(top())
        break
      case 0x70: // PUT
        memo.set(Number(line()), top())
        break
      case 0x71: // BINPUT
        memo.set(u8(), top())
        break
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top())
        break
      case 0x94: // MEMOIZE
        memo.set(memo.size, top())
        break
      case 0x67: // GET
        stack.push(memoGet(Number(line())))
        break
      case 0x68: // BINGET
        stack.push(memoGet(u8()))
        break
      case 0x6a: // LONG_BINGET
        stack.push(memoGet(u32()))
        break
      // ---- constants and numbers
      case 0x4e: // NONE
        stack.push(null)
        break
      case 0x88: // NEWTRUE
        stack.push(true)
        break
      case 0x89: // NEWFALSE
        stack.push(false)
        break
      case 0x49: {
        // INT (protocol 0; "01"/"00" are Python 2 booleans)
        const s = line()
        stack.push(s === '01' ? true : s === '00' ? false : parseIntText(s, fail))
        break
      }
      case 0x4a: // BININT
        stack.push(i32())
        break
      case 0x4b: // BININT1
        stack.push(u8())
        break
      case 0x4d: // BININT2
        stack.push(u16())
        break
      case 0x4c: // LONG
        stack.push(parseIntText(line().replace(/L$/, ''), fail))
        break
      case 0x8a: // LONG1
        stack.push(decodeLong(take(u8())))
        break
      case 0x8b: {
        // LONG4
        const n = i32()
        if (n < 0) throw fail('corrupt pickle: negative LONG4 length')
        stack.push(decodeLong(take(n)))
        break
      }
      case 0x46: {
        // FLOAT
        const v = Number(line())
        stack.push(v)
        break
      }
      case 0x47: {
        // BINFLOAT (big-endian)
        need(8)
        stack.push(view.getFloat64(pos, false))
        pos += 8
        break
      }
      // ---- strings and bytes
      case 0x53: // STRING
        stack.push(decodePythonStringLiteral(line(), fail))
        break
      case 0x54: {
        // BINSTRING
        const n = i32()
        if (n < 0) throw fail('corrupt pickle: negative BINSTRING length')
        stack.push(latin1(take(n)))
        break
      }
      case 0x55: // SHORT_BINSTRING
        stack.push(latin1(take(u8())))
        break
      case 0x56: // UNICODE (raw-unicode-escape)
        stack.push(decodeRawUnicodeEscape(line()))
        break
      case 0x58: // BINUNICODE
        stack.push(utf8(take(u32())))
        break
      case 0x8c: // SHORT_BINUNICODE
        stack.push(utf8(take(u8())))
        break
      case 0x8d: // BINUNICODE8
        stack.push(utf8(take(u64())))
        break
      // bytes are views into the input (no copy: numpy arrays in data pickles can be large)
      case 0x42: // BINBYTES
        stack.push(take(u32()))
        break
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()))
        break
      case 0x8e: // BINBYTES8
        stack.push(take(u64()))
        break
      case 0x96: // BYTEARRAY8
        stack.push(Uint8Array.from(take(u64())))
        break
      case 0x97: // NEXT_BUFFER
        throw fail('the pickle uses out-of-band buffers (protocol 5), which a file cannot provide')
      case 0x98: // READONLY_BUFFER
        break
      // ---- containers
      case 0x29: // EMPTY_TUPLE
        stack.push([])
        break
      case 0x74: // TUPLE
        stack.push(popMark())
        break
      case 0x85: // TUPLE1
        stack.push([pop()])
        break
      case 0x86: {
        // TUPLE2
        const b = pop()
        stack.push([pop(), b])
        break
      }
      case 0x87: {
        // TUPLE3
        const c = pop()
        const b = pop()
        stack.push([pop(), b, c])
        break
      }
      case 0x5d: // EMPTY_LIST
        stack.push([])
        break
      case 0x6c: // LIST
        stack.push(popMark())
        break
      case 0x61: {
        // APPEND
        const v = pop()
        appendItems(top(), [v])
        break
      }
      case 0x65: {
        // APPENDS
        const items = popMark()
        appendItems(top(), items)
        break
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new PickleDict())
        break
      case 0x64: {
        // DICT
        const d = new PickleDict()
        setItems(d, popMark())
        stack.push(d)
        break
      }
      case 0x73: {
        // SETITEM
        const v = pop()
        const k = pop()
        setItems(top(), [k, v])
        break
      }
      case 0x75: {
        // SETITEMS
        const items = popMark()
        setItems(top(), items)
        break
      }
      case 0x8f: // EMPTY_SET
        stack.push(new Set<PickleValue>())
        break
      case 0x90: {
        // ADDITEMS
        const items = popMark()
        appendItems(top(), items)
        break
      }
      case 0x91: // FROZENSET
        stack.push(new Set<PickleValue>(popMark()))
        break
      // ---- globals and objects
      case 0x63: {
        // GLOBAL "module\nname\n"
        const moduleName = line()
        const name = line()
        stack.push(asGlobalValue(resolveGlobal(moduleName, name)))
        break
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop()
        const moduleName = pop()
        if (typeof moduleName !== 'string' || typeof name !== 'string') throw fail('corrupt pickle: STACK_GLOBAL without names')
        stack.push(asGlobalValue(resolveGlobal(moduleName, name)))
        break
      }
      case 0x82:
      case 0x83:
      case 0x84: // EXT1/2/4
        throw fail('the pickle uses the copyreg extension registry, which a checkpoint never needs', 'the file may be malicious')
      case 0x52: {
        // REDUCE
        const args = pop()
        const fn = pop()
        if (!Array.isArray(args)) throw fail(`corrupt pickle: REDUCE without an argument tuple at byte ${opPos}`)
        stack.push(call(fn, args))
        break
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args)
        const args = pop()
        const cls = pop()
        if (!Array.isArray(args)) throw fail(`corrupt pickle: NEWOBJ without an argument tuple at byte ${opPos}`)
        stack.push(call(cls, args))
        break
      }
      case 0x92: {
        // NEWOBJ_EX: cls.__new__(cls, *args, **kwargs)
        pop() // kwargs
        const args = pop()
        const cls = pop()
        if (!Array.isArray(args)) throw fail(`corrupt pickle: NEWOBJ_EX without an argument tuple at byte ${opPos}`)
        stack.push(call(cls, args))
        break
      }
      case 0x69: {
        // INST "module\nname\n": cls(*args from mark)
        const moduleName = line()
        const name = line()
        const cls = resolveGlobal(moduleName, name)
        stack.push(call(cls, popMark()))
        break
      }
      case 0x6f: {
        // OBJ: mark, cls, args...
        const items = popMark()
        if (items.length === 0) throw fail(`corrupt pickle: OBJ without a class at byte ${opPos}`)
        stack.push(call(items[0]!, items.slice(1)))
        break
      }
      case 0x62: {
        // BUILD
        const state = pop()
        const target = pop()
        stack.push(build(target, state, globals, ctx, opPos))
        break
      }
      case 0x50: {
        // PERSID
        const pid = line()
        if (!opts.persistentLoad) throw fail('the pickle refers to external data (persistent id) that this reader cannot provide')
        stack.push(opts.persistentLoad(pid, ctx))
        break
      }
      case 0x51: {
        // BINPERSID
        const pid = pop()
        if (!opts.persistentLoad) throw fail('the pickle refers to external data (persistent id) that this reader cannot provide')
        stack.push(opts.persistentLoad(pid, ctx))
        break
      }
      default:
        throw fail(`corrupt pickle: unknown opcode 0x${op.toString(16).padStart(2, '0')} at byte ${opPos}`)
    }
  }
}

function build(target: PickleValue, state: PickleValue, globals: GlobalRegistry, ctx: UnpickleContext, at: number): PickleValue {
  if (target instanceof PickleDict) {
    target.attributes = state
    return target
  }
  if (isKind(target, 'ndarray')) return globals.get('numpy.core.multiarray._reconstruct')!.build!(target, state, ctx)
  if (isKind(target, 'numpy-dtype')) return globals.get('numpy.dtype')!.build!(target, state, ctx)
  if (isKind(target, 'object')) {
    const handler = globals.get(target.className)
    if (handler?.build) return handler.build(target, state, ctx)
    target.state = state
    return target
  }
  if (isKind(target, 'tensor')) return target // _rebuild_parameter_with_state's attributes: nothing to keep
  throw ctx.fail(`corrupt pickle: BUILD on a value that takes no state at byte ${at}`)
}

/** The refusal every unknown global gets. Nothing named in a pickle is ever run. */
export function refuseGlobal(qualifiedName: string, file: string): MotionError {
  const wholeModel = /^(torch\.nn\.|__main__\.|lib\.model\.|model\.|common\.)/.test(qualifiedName)
  const hint = wholeModel
    ? 'this looks like a whole pickled model (torch.save(model)); re-save model.state_dict() instead'
    : 'only load checkpoints from sources you trust'
  return modelError(
    `refused to load: the pickle names the global '${qualifiedName}', which a checkpoint never needs; the file may be malicious`,
    {file, hint},
  )
}

function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0
  let v = 0n
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!)
  if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length)
  return narrowInt(v)
}

function narrowInt(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v
}

function parseIntText(s: string, fail: (p: string) => MotionError): number | bigint {
  const t = s.trim()
  if (!/^[-+]?\d+$/.test(t)) throw fail(`corrupt pickle: bad integer '${t.slice(0, 20)}'`)
  return narrowInt(BigInt(t))
}

function latin1(b: Uint8Array): string {
  let s = ''
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192))
  return s
}

const utf8Decoder = new TextDecoder('utf-8')
function utf8(b: Uint8Array): string {
  return utf8Decoder.decode(b)
}

/** A Python 2 `repr` string literal as written by the STRING opcode: 'abc\n' or "it's". */
function decodePythonStringLiteral(text: string, fail: (p: string) => MotionError): string {
  const q = text[0]
  if ((q !== "'" && q !== '"') || text[text.length - 1] !== q || text.length < 2) throw fail('corrupt pickle: bad STRING literal')
  const body = text.slice(1, -1)
  let out = ''
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!
    if (c !== '\\') {
      out += c
      continue
    }
    const n = body[++i]
    switch (n) {
      case 'n':
        out += '\n'
        break
      case 'r':
        out += '\r'
        break
      case 't':
        out += '\t'
        break
      case 'a':
        out += '\x07'
        break
      case 'b':
        out += '\b'
        break
      case 'f':
        out += '\f'
        break
      case 'v':
        out += '\v'
        break
      case 'x':
        out += String.fromCharCode(parseInt(body.slice(i + 1, i + 3), 16))
        i += 2
        break
      default:
        if (n !== undefined && n >= '0' && n <= '7') {
          const m = /^[0-7]{1,3}/.exec(body.slice(i))![0]
          out += String.fromCharCode(parseInt(m, 8))
          i += m.length - 1
        } else out += n ?? ''
    }
  }
  return out
}

function decodeRawUnicodeEscape(text: string): string {
  return text.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, a: string | undefined, b: string | undefined) =>
    String.fromCodePoint(parseInt((a ?? b)!, 16)),
  )
}

// ---- files ----------------------------------------------------------------------------------------------

/**
 * Reads a plain pickle file (MotionBERT data .pkl, SMPL .pkl with extra globals) with the restricted
 * unpickler. Missing files are input errors; anything wrong inside is a model error.
 */
export async function readPickleFile(file: string, opts: {globals?: GlobalRegistry} = {}): Promise<PickleValue> {
  const bytes = await readFileBytes(file, 'pickle')
  if (bytes.length === 0) throw modelError('empty file (0 bytes), expected a pickle', {file})
  return unpickle(bytes, {file, globals: opts.globals})
}
