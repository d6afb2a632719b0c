/**
 * The unpickler's default allowlist: the torch, numpy and collections globals a state dict or a
 * data pickle needs, each interpreted by a handler that builds plain data (never runs code).
 */
import {PickleDict, isKind, type PickleValue, type TorchDType, type TorchTensorData, type TorchTensor, type TorchStorage, type NumpyArray, type NumpyObjectArray, type NumpyDType, type UnpickleContext, type GlobalHandler, type GlobalRegistry} from './values.js'
import {bfloat16ToFloat32, decodeNpyBytes, float16ToFloat32, npyTypeInfo} from '../npy.js'
import {copyStrided, size} from '../../core/ndarray.js'

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
export const MODULE_ALIASES: Record<string, string> = {
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

export const TORCH_DTYPE_NAMES: Record<string, TorchDType> = {
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
  return copyStrided(src, offset, shape, stride, new (src.constructor as new (n: number) => TorchTensorData)(n))
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
