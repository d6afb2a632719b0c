/**
 * Every reader of a user-named file reports file-system failures the same way: an input error
 * (exit code 2) naming the file and what was expected, never a raw Node error.
 */
import assert from 'node:assert/strict'
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {test} from 'node:test'

import {readPickleFile, readSafetensors, readTorchCheckpoint} from '../../src/formats/checkpoint.js'
import {readBvh} from '../../src/data/bvh.js'
import {ExitCode, isMotionError} from '../../src/core/errors.js'
import {readNpy, readNpz} from '../../src/formats/npy.js'
import {fileReadError, readFileBytes, readFileText} from '../../src/formats/read-file.js'
import {tmpDirForTests} from '../helpers/tmp.js'

const tmp = tmpDirForTests('motion-read-file-')
const folder = path.join(tmp, 'a-folder')
mkdirSync(folder)
const missing = path.join(tmp, 'absent.bin')

const readers: Array<[string, (file: string) => Promise<unknown>, RegExp]> = [
  ['torch checkpoint', readTorchCheckpoint, /checkpoint/],
  ['safetensors', readSafetensors, /safetensors/],
  ['pickle', (f) => readPickleFile(f), /pickle/],
  ['npy', readNpy, /\.npy/],
  ['npz', readNpz, /\.npz/],
  ['BVH', readBvh, /BVH/],
]

async function inputErrorOf(p: Promise<unknown>): Promise<Error & {exitCode: number}> {
  try {
    await p
  } catch (err) {
    assert.ok(isMotionError(err), `not a motion error: ${String(err)}`)
    return err as Error & {exitCode: number}
  }
  assert.fail('expected a rejection')
}

for (const [name, read, kind] of readers) {
  test(`${name} reader: a missing file and a folder are input errors naming the file and the kind`, async () => {
    const a = await inputErrorOf(read(missing))
    assert.equal(a.exitCode, ExitCode.input)
    assert.match(a.message, /absent\.bin: no such /)
    assert.match(a.message, kind)
    const b = await inputErrorOf(read(folder))
    assert.equal(b.exitCode, ExitCode.input)
    assert.match(b.message, /a-folder: is a folder, expected a /)
    assert.match(b.message, kind)
  })
}

test('permission, size and unknown failures map to one-line input errors; text and bytes read back', async () => {
  const err = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`raw ${code}`), {code})
  const cases: Array<[string, RegExp]> = [
    ['EACCES', /x\.pth: cannot read: permission denied/],
    ['EPERM', /x\.pth: cannot read: permission denied/],
    ['ERR_FS_FILE_TOO_LARGE', /x\.pth: checkpoint file too large to read \(over 2 GiB\)/],
    ['EIO', /x\.pth: cannot read the checkpoint file \(EIO\)/],
  ]
  for (const [code, re] of cases) {
    const e = fileReadError(err(code), '/data/x.pth', 'checkpoint')
    assert.ok(isMotionError(e))
    assert.equal((e as Error & {exitCode: number}).exitCode, ExitCode.input)
    assert.match(e.message, re)
    assert.equal(e.message.includes('\n'), false)
  }
  const file = path.join(tmp, 'hello.txt')
  writeFileSync(file, 'héllo')
  assert.equal(await readFileText(file, 'text'), 'héllo')
  assert.deepEqual(Array.from(await readFileBytes(file, 'text')), Array.from(Buffer.from('héllo')))
})
