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
import {readFileBytes} from '../read-file.js'
import {PickleDict, isKind, type PickleValue, type PickleGlobal, type UnpickleContext, type GlobalRegistry} from './values.js'
import {MODULE_ALIASES, TORCH_DTYPE_NAMES, DEFAULT_GLOBALS} from './globals.js'

export * from './values.js'
export {dataClass, DEFAULT_GLOBALS, TORCH_ELEMENT_BYTES, TORCH_STORAGE_DTYPES, withGlobals} from './globals.js'

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
  const m = new PickleMachine(bytes, opts)
  const {fail, u8, u64, pop} = m
  for (;;) {
    m.opPos = m.pos
    if (m.pos >= bytes.length) throw m.truncated()
    const op = bytes[m.pos++]!
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) throw fail(`unsupported pickle protocol ${bytes[m.pos - 1]}`)
        continue
      case 0x95: // FRAME
        u64()
        continue
      case 0x2e: // STOP
        return {value: pop(), end: m.pos}
    }
    if (!(stackOp(m, op) || numberOp(m, op) || textOp(m, op) || containerOp(m, op) || objectOp(m, op))) {
      throw fail(`corrupt pickle: unknown opcode 0x${op.toString(16).padStart(2, '0')} at byte ${m.opPos}`)
    }
  }
}

/** The pickle VM's state — the input cursor, the stack and the memo — and the reads every opcode shares. */
class PickleMachine {
  readonly file: string
  readonly globals: GlobalRegistry
  readonly view: DataView
  readonly stack: StackItem[] = []
  readonly memo = new Map<number, PickleValue>()
  /** The next byte to read, and where the current opcode started (for messages). */
  pos: number
  opPos: number
  readonly fail = (problem: string, hint?: string): MotionError => modelError(problem, {file: this.file, hint})
  readonly ctx: UnpickleContext

  constructor(
    readonly bytes: Uint8Array,
    readonly opts: UnpickleOptions,
  ) {
    this.file = opts.file
    this.ctx = {file: this.file, fail: this.fail}
    this.globals = opts.globals ?? DEFAULT_GLOBALS
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.pos = opts.offset ?? 0
    this.opPos = this.pos
  }

  readonly truncated = (): MotionError =>
    this.fail(`truncated pickle: the data ends at byte ${this.bytes.length} in the middle of an opcode`, 'the file was cut short; download or copy it again')
  readonly need = (n: number): void => {
    if (this.pos + n > this.bytes.length) throw this.truncated()
  }
  readonly u8 = (): number => {
    this.need(1)
    return this.bytes[this.pos++]!
  }
  readonly u16 = (): number => {
    this.need(2)
    const v = this.view.getUint16(this.pos, true)
    this.pos += 2
    return v
  }
  readonly u32 = (): number => {
    this.need(4)
    const v = this.view.getUint32(this.pos, true)
    this.pos += 4
    return v
  }
  readonly i32 = (): number => {
    this.need(4)
    const v = this.view.getInt32(this.pos, true)
    this.pos += 4
    return v
  }
  readonly u64 = (): number => {
    this.need(8)
    const v = this.view.getBigUint64(this.pos, true)
    this.pos += 8
    if (v > BigInt(this.bytes.length)) throw this.truncated()
    return Number(v)
  }
  readonly take = (n: number): Uint8Array => {
    this.need(n)
    const v = this.bytes.subarray(this.pos, this.pos + n)
    this.pos += n
    return v
  }
  readonly line = (): string => {
    const end = this.bytes.indexOf(0x0a, this.pos)
    if (end < 0) throw this.truncated()
    const s = latin1(this.bytes.subarray(this.pos, end))
    this.pos = end + 1
    return s.endsWith('\r') ? s.slice(0, -1) : s
  }
  readonly pop = (): PickleValue => {
    const v = this.stack.pop()
    if (v === undefined || v === MARK) throw this.fail(`corrupt pickle: stack underflow at byte ${this.opPos}`)
    return v
  }
  readonly top = (): PickleValue => {
    const v = this.stack[this.stack.length - 1]
    if (v === undefined || v === MARK) throw this.fail(`corrupt pickle: stack underflow at byte ${this.opPos}`)
    return v
  }
  readonly popMark = (): PickleValue[] => {
    let i = this.stack.length - 1
    while (i >= 0 && this.stack[i] !== MARK) i--
    if (i < 0) throw this.fail(`corrupt pickle: no MARK at byte ${this.opPos}`)
    const items = this.stack.splice(i) as PickleValue[]
    items.shift()
    return items
  }
  readonly memoGet = (key: number): PickleValue => {
    if (!this.memo.has(key)) throw this.fail(`corrupt pickle: memo entry ${key} missing at byte ${this.opPos}`)
    return this.memo.get(key)!
  }
  readonly resolveGlobal = (moduleName: string, name: string): PickleGlobal => {
    const mod = MODULE_ALIASES[moduleName] ?? moduleName
    const full = `${mod}.${name}`
    const handler = this.globals.get(full)
    if (!handler) throw refuseGlobal(`${moduleName}.${name}`, this.file)
    return {kind: 'global', name: full, handler}
  }
  readonly call = (fn: PickleValue, args: PickleValue[]): PickleValue => {
    if (!isKind(fn, 'global')) throw this.fail(`corrupt pickle: call of a non-global at byte ${this.opPos}`)
    if (!fn.handler.call) throw this.fail(`the pickle calls '${fn.name}', which is only allowed as data`, 'the file may be malicious')
    return fn.handler.call(args, this.ctx)
  }
  readonly asGlobalValue = (g: PickleGlobal): PickleValue => {
    // torch.float32 and friends are values, not callables.
    const tag = g.handler.tag
    if (tag?.startsWith('dtype:')) return {kind: 'torch-dtype', dtype: TORCH_DTYPE_NAMES[tag.slice(6)]!}
    return g
  }
  readonly setItems = (target: PickleValue, items: PickleValue[]): void => {
    if (!(target instanceof Map)) throw this.fail(`corrupt pickle: SETITEM on a non-dict at byte ${this.opPos}`)
    if (items.length % 2) throw this.fail(`corrupt pickle: odd SETITEMS at byte ${this.opPos}`)
    for (let i = 0; i < items.length; i += 2) target.set(items[i]!, items[i + 1]!)
  }
  readonly appendItems = (target: PickleValue, items: PickleValue[]): void => {
    if (Array.isArray(target)) target.push(...items)
    else if (target instanceof Set) for (const it of items) target.add(it)
    else throw this.fail(`corrupt pickle: APPEND on a non-list at byte ${this.opPos}`)
  }
}

/** Opcodes: stack and memo. False when `op` is not one of them. */
function stackOp(m: PickleMachine, op: number): boolean {
  const {stack, memo, fail, u8, u32, line, top, popMark, memoGet} = m
  switch (op) {
  case 0x28: // MARK
    stack.push(MARK)
    break
  case 0x30: // POP
    if (stack.pop() === undefined) throw fail(`corrupt pickle: stack underflow at byte ${m.opPos}`)
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
    default:
      return false
  }
  return true
}

/** Opcodes: constants and numbers. False when `op` is not one of them. */
function numberOp(m: PickleMachine, op: number): boolean {
  const {view, stack, fail, need, u8, u16, i32, take, line} = m
  switch (op) {
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
    stack.push(view.getFloat64(m.pos, false))
    m.pos += 8
    break
  }
    default:
      return false
  }
  return true
}

/** Opcodes: strings and bytes. False when `op` is not one of them. */
function textOp(m: PickleMachine, op: number): boolean {
  const {stack, fail, u8, u32, i32, u64, take, line} = m
  switch (op) {
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
    default:
      return false
  }
  return true
}

/** Opcodes: containers. False when `op` is not one of them. */
function containerOp(m: PickleMachine, op: number): boolean {
  const {stack, pop, top, popMark, setItems, appendItems} = m
  switch (op) {
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
    default:
      return false
  }
  return true
}

/** Opcodes: globals and objects. False when `op` is not one of them. */
function objectOp(m: PickleMachine, op: number): boolean {
  const {stack, globals, ctx, opts, fail, line, pop, popMark, resolveGlobal, call, asGlobalValue} = m
  switch (op) {
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
    if (!Array.isArray(args)) throw fail(`corrupt pickle: REDUCE without an argument tuple at byte ${m.opPos}`)
    stack.push(call(fn, args))
    break
  }
  case 0x81: {
    // NEWOBJ: cls.__new__(cls, *args)
    const args = pop()
    const cls = pop()
    if (!Array.isArray(args)) throw fail(`corrupt pickle: NEWOBJ without an argument tuple at byte ${m.opPos}`)
    stack.push(call(cls, args))
    break
  }
  case 0x92: {
    // NEWOBJ_EX: cls.__new__(cls, *args, **kwargs)
    pop() // kwargs
    const args = pop()
    const cls = pop()
    if (!Array.isArray(args)) throw fail(`corrupt pickle: NEWOBJ_EX without an argument tuple at byte ${m.opPos}`)
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
    if (items.length === 0) throw fail(`corrupt pickle: OBJ without a class at byte ${m.opPos}`)
    stack.push(call(items[0]!, items.slice(1)))
    break
  }
  case 0x62: {
    // BUILD
    const state = pop()
    const target = pop()
    stack.push(build(target, state, globals, ctx, m.opPos))
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
      return false
  }
  return true
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
