/** Scratch folders for a test file. */
import {mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after} from 'node:test'

/** A fresh folder under the OS temp dir, removed with its contents when the calling test file's tests are done. Call at module level. */
export function tmpDirForTests(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix))
  after(() => rmSync(dir, {recursive: true, force: true}))
  return dir
}
