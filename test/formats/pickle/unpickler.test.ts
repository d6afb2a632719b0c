import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {
  buildZip,
  dataClass,
  isKind,
  parseTorchCheckpoint,
  type PickleObject,
  type PickleValue,
  readPickleFile,
  readTorchCheckpoint,
  unpickle,
  withGlobals,
} from '../../../src/formats/checkpoint.js'
import {isMotionError} from '../../../src/core/errors.js'
import {repoRoot} from '../../helpers/paths.js'

const localDir = path.join(repoRoot, 'test', 'fixtures', 'checkpoint')
const tmp = mkdtempSync(path.join(tmpdir(), 'motion-pickle-'))
after(() => rmSync(tmp, {recursive: true, force: true}))

/** A file that Python would create if it ran the hostile pickles below; it must never appear. */
const sentinel = path.join(tmp, 'PWNED')

// ---- pickle byte builders -----------------------------------------------------------------------
const enc = new TextEncoder()
const cat = (...parts: Array<Uint8Array | number[] | string>): Uint8Array =>
  new Uint8Array(Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p as Uint8Array)))))
const binunicode = (s: string): Uint8Array => {
  const b = enc.encode(s)
  const len = Buffer.alloc(4)
  len.writeUInt32LE(b.length)
  return cat([0x58], len, b)
}
const shortUnicode = (s: string): Uint8Array => cat([0x8c, enc.encode(s).length], enc.encode(s))
const PROTO2 = [0x80, 0x02]
const PROTO4 = [0x80, 0x04]
const TUPLE1 = [0x85]
const REDUCE = [0x52]
const STOP = [0x2e]

/** GLOBAL opcode (protocols 0-3): `c module\nname\n`, then call it with one string. */
function globalCall(module: string, name: string, arg: string): Uint8Array {
  return cat(PROTO2, `c${module}\n${name}\n`, binunicode(arg), TUPLE1, REDUCE, STOP)
}
/** STACK_GLOBAL opcode (protocol 4+). */
function stackGlobalCall(module: string, name: string, arg: string): Uint8Array {
  return cat(PROTO4, shortUnicode(module), shortUnicode(name), [0x93], shortUnicode(arg), TUPLE1, REDUCE, STOP)
}
/** INST opcode (protocol 0): `(S'arg'\ni module\nname\n.` */
function instCall(module: string, name: string, arg: string): Uint8Array {
  return cat(`(S'${arg}'\ni${module}\n${name}\n.`)
}
/** A state dict {'w': <call>} — the payload hidden inside an otherwise ordinary checkpoint. */
function inStateDict(payload: Uint8Array): Uint8Array {
  const inner = payload.subarray(2, payload.length - 1) // strip PROTO and STOP
  return cat(PROTO2, [0x7d], binunicode('model_pos'), [0x7d], binunicode('w'), inner, [0x73, 0x73], STOP)
}
function torchZip(pickle: Uint8Array): Uint8Array {
  return new Uint8Array(
    Buffer.concat(buildZip([{name: 'archive/data.pkl', data: pickle}, {name: 'archive/version', data: enc.encode('3\n')}])),
  )
}

const command = `touch ${sentinel}`
const hostile: Array<{global: string; bytes: Uint8Array; how: string}> = [
  {global: 'os.system', bytes: globalCall('os', 'system', command), how: 'GLOBAL'},
  {global: 'posix.system', bytes: globalCall('posix', 'system', command), how: 'GLOBAL'},
  {global: 'builtins.eval', bytes: globalCall('builtins', 'eval', `__import__('os').system('${command}')`), how: 'GLOBAL'},
  {global: '__builtin__.eval', bytes: globalCall('__builtin__', 'eval', `__import__('os').system('${command}')`), how: 'GLOBAL (Python 2 name)'},
  {global: 'builtins.getattr', bytes: globalCall('builtins', 'getattr', 'x'), how: 'GLOBAL'},
  {global: 'subprocess.Popen', bytes: globalCall('subprocess', 'Popen', command), how: 'GLOBAL'},
  {global: 'os.system', bytes: stackGlobalCall('os', 'system', command), how: 'STACK_GLOBAL'},
  {global: 'builtins.eval', bytes: stackGlobalCall('builtins', 'eval', `__import__('os').system('${command}')`), how: 'STACK_GLOBAL'},
  {global: 'subprocess.Popen', bytes: stackGlobalCall('subprocess', 'Popen', command), how: 'STACK_GLOBAL'},
  {global: 'posix.system', bytes: stackGlobalCall('posix', 'system', command), how: 'STACK_GLOBAL'},
  {global: 'os.system', bytes: instCall('os', 'system', command), how: 'INST'},
]

function refusal(global: string, file: string): (err: unknown) => boolean {
  return (err) => {
    assert.ok(isMotionError(err), `expected a MotionError, got ${String(err)}`)
    assert.equal(err.exitCode, 3)
    assert.ok(err.message.startsWith(`${file}`), err.message)
    assert.ok(
      err.message.includes(`refused to load: the pickle names the global '${global}', which a checkpoint never needs; the file may be malicious`),
      err.message,
    )
    return true
  }
}

describe('hostile pickles are refused and nothing runs', () => {
  for (const h of hostile) {
    it(`${h.global} via ${h.how}: bare pickle, inside a state dict, inside a torch zip`, async () => {
      assert.throws(() => unpickle(h.bytes, {file: 'evil.pkl'}), refusal(h.global, 'evil.pkl'))
      if (h.how !== 'INST') {
        assert.throws(() => parseTorchCheckpoint(inStateDict(h.bytes), 'evil.pt'), refusal(h.global, 'evil.pt'))
        assert.throws(() => parseTorchCheckpoint(torchZip(inStateDict(h.bytes)), 'evil.bin'), refusal(h.global, 'evil.bin'))
      }
      const onDisk = path.join(tmp, 'evil.bin')
      writeFileSync(onDisk, torchZip(h.bytes))
      await assert.rejects(readTorchCheckpoint(onDisk), refusal(h.global, onDisk))
      assert.equal(existsSync(sentinel), false, 'the hostile payload must never run')
    })
  }

  it('a whole pickled model is refused with a hint to save the state dict', () => {
    assert.throws(
      () => unpickle(globalCall('torch.nn.modules.linear', 'Linear', 'x'), {file: 'm.pt'}),
      (err: unknown) => isMotionError(err) && err.exitCode === 3 && /torch\.nn\.modules\.linear\.Linear/.test(err.message) && /state_dict/.test(err.hint ?? ''),
    )
  })

  it('an allowlisted marker global cannot be called', () => {
    assert.throws(
      () => unpickle(globalCall('torch', 'FloatStorage', 'x'), {file: 's.pkl'}),
      (err: unknown) => isMotionError(err) && err.exitCode === 3 && /calls 'torch\.FloatStorage', which is only allowed as data/.test(err.message),
    )
  })

  it('extension registry opcodes are refused', () => {
    assert.throws(() => unpickle(cat(PROTO2, [0x82, 0x01], STOP), {file: 'x.pkl'}), /extension registry/)
  })

  it('truncated and corrupt pickles are model errors', () => {
    const good = globalCall('collections', 'OrderedDict', 'x')
    assert.throws(() => unpickle(good.subarray(0, 10), {file: 'x.pkl'}), (e: unknown) => isMotionError(e) && e.exitCode === 3 && /truncated pickle/.test(e.message))
    assert.throws(() => unpickle(cat(PROTO2, [0xff]), {file: 'x.pkl'}), /unknown opcode 0xff at byte 2/)
    assert.throws(() => unpickle(cat(PROTO2, REDUCE, STOP), {file: 'x.pkl'}), /stack underflow/)
  })
})

describe('data pickles (numpy arrays, Python containers) across protocols 0-5', () => {
  for (const proto of [0, 1, 2, 4, 5]) {
    it(`protocol ${proto}`, async () => {
      const v = (await readPickleFile(path.join(localDir, `numpy_p${proto}.pkl`))) as Map<PickleValue, PickleValue>
      const arr = v.get('arr')
      assert.ok(isKind(arr, 'ndarray'))
      assert.equal(arr.dtype, 'float64')
      assert.deepEqual(arr.shape, [2, 3])
      assert.deepEqual([...arr.data], [0, 1, 2, 3, 4, 5])
      const fortran = v.get('fortran')
      assert.ok(isKind(fortran, 'ndarray'))
      assert.deepEqual([...fortran.data], [0, 1, 2, 3, 4, 5])
      const ints = v.get('ints')
      assert.ok(isKind(ints, 'ndarray'))
      assert.deepEqual([...ints.data], [0n, 1n, 2n, 3n])
      assert.equal(v.get('scalar'), 2.5)
      assert.equal(v.get('int_scalar'), 7)
      assert.deepEqual(v.get('list'), [1, 'x', null, true, -5, 2n ** 70n, 1.25])
      assert.deepEqual(v.get('tuple'), [1.5, Uint8Array.from([98, 121, 0, 116, 101, 115])])
      assert.deepEqual(v.get('set'), new Set([1, 2]))
      assert.equal(v.get('text'), 'h\u00e9llo \u2603')
    })
  }
})

describe('the allowlist is extensible for data classes (SMPL .pkl: chumpy, scipy.sparse)', () => {
  const globals = withGlobals({
    'chumpy.ch.Ch': dataClass('chumpy.ch.Ch'),
    'scipy.sparse.csc.csc_matrix': dataClass('scipy.sparse.csc_matrix'),
  })
  for (const proto of [0, 2]) {
    it(`protocol ${proto}: refused by default, read as data when allowlisted`, async () => {
      const file = path.join(localDir, `smpl_like_p${proto}.pkl`)
      await assert.rejects(readPickleFile(file), refusal('chumpy.ch.Ch', file))
      const v = (await readPickleFile(file, {globals})) as Map<PickleValue, PickleValue>
      const ch = v.get('v_template') as PickleObject
      assert.ok(isKind(ch, 'object'))
      assert.equal(ch.className, 'chumpy.ch.Ch')
      const x = (ch.state as Map<PickleValue, PickleValue>).get('x')
      assert.ok(isKind(x, 'ndarray'))
      assert.deepEqual(x.shape, [3, 2])
      assert.deepEqual([...x.data], [0, 1, 2, 3, 4, 5])
      const sp = v.get('J_regressor') as PickleObject
      assert.equal(sp.className, 'scipy.sparse.csc_matrix')
      const state = sp.state as Map<PickleValue, PickleValue>
      assert.deepEqual(state.get('_shape'), [3, 3])
      const indptr = state.get('indptr')
      assert.ok(isKind(indptr, 'ndarray'))
      assert.deepEqual([...indptr.data], [0, 1, 2, 3])
      const f = v.get('f')
      assert.ok(isKind(f, 'ndarray'))
      assert.equal(f.dtype, 'uint32')
      assert.equal(v.get('bs_style'), 'lbs')
    })
  }
})
