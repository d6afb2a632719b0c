import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {isMotionError} from '../../src/core/errors.js'
import {writeDirAtomic, writeFileAtomic, writeFilesAtomic} from '../../src/formats/atomic.js'

const tmp = mkdtempSync(path.join(tmpdir(), 'motion-atomic-'))
after(() => rmSync(tmp, {recursive: true, force: true}))

describe('writeFileAtomic', () => {
  it('writes strings, bytes and chunk lists, replacing an existing file and leaving no temp', async () => {
    const file = path.join(tmp, 'f.txt')
    writeFileSync(file, 'old')
    await writeFileAtomic(file, 'new contents')
    assert.equal(readFileSync(file, 'utf8'), 'new contents')
    await writeFileAtomic(file, [Uint8Array.from([65, 66]), Uint8Array.from([67])])
    assert.equal(readFileSync(file, 'utf8'), 'ABC')
    assert.deepEqual(readdirSync(tmp).filter((n) => n.includes('.tmp-')), [])
  })

  it('names a missing output folder (input error), or creates it with mkdir', async () => {
    const dir = path.join(tmp, 'missing', 'deeper')
    await assert.rejects(writeFileAtomic(path.join(dir, 'x'), 'x'), (err: unknown) => {
      assert.ok(isMotionError(err))
      assert.equal(err.exitCode, 2)
      assert.ok(err.message.includes(`output folder ${dir} does not exist`), err.message)
      return true
    })
    await writeFileAtomic(path.join(dir, 'x'), 'x', {mkdir: true})
    assert.equal(readFileSync(path.join(dir, 'x'), 'utf8'), 'x')
  })

  it('leaves the old file and no temp when the write fails', async () => {
    const target = path.join(tmp, 'keep.txt')
    writeFileSync(target, 'original')
    const bad = {
      [Symbol.iterator]: function* () {
        yield Uint8Array.from([1])
        throw new Error('boom')
      },
    } as unknown as Uint8Array[]
    await assert.rejects(writeFileAtomic(target, bad), /boom/)
    assert.equal(readFileSync(target, 'utf8'), 'original')
    assert.deepEqual(readdirSync(tmp).filter((n) => n.includes('keep.txt.tmp')), [])
  })
})

describe('writeDirAtomic', () => {
  it('creates and then replaces a folder as a whole', async () => {
    const dir = path.join(tmp, 'ckpt')
    await writeFilesAtomic(dir, {'a.json': '{"v":1}', 'w.bin': Uint8Array.from([1, 2, 3])})
    assert.deepEqual(readdirSync(dir).sort(), ['a.json', 'w.bin'])
    await writeFilesAtomic(dir, {'b.json': '{"v":2}'})
    assert.deepEqual(readdirSync(dir), ['b.json'])
    assert.deepEqual(readdirSync(tmp).filter((n) => n.startsWith('.ckpt.')), [])
  })

  it('keeps the old folder when filling fails', async () => {
    const dir = path.join(tmp, 'ckpt2')
    await writeFilesAtomic(dir, {'a.txt': 'a'})
    await assert.rejects(
      writeDirAtomic(dir, async (t) => {
        writeFileSync(path.join(t, 'half'), 'x')
        throw new Error('disk on fire')
      }),
      /disk on fire/,
    )
    assert.deepEqual(readdirSync(dir), ['a.txt'])
    assert.ok(!readdirSync(tmp).some((n) => n.startsWith('.ckpt2.')))
    assert.ok(existsSync(path.join(dir, 'a.txt')))
  })
})
