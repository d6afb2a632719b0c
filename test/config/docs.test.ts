import assert from 'node:assert/strict'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {test} from 'node:test'

import {motionConfigKeys, renderMotionConfigDocs} from '../../src/model/config-keys.js'
import {repoRoot} from '../helpers/paths.js'

const docsFile = path.join(repoRoot, 'docs', 'config.md')

test('docs/config.md is the rendering of the key specs (MOTION_UPDATE_DOCS=1 rewrites it)', () => {
  const rendered = renderMotionConfigDocs()
  if (process.env.MOTION_UPDATE_DOCS === '1') writeFileSync(docsFile, rendered)
  assert.ok(existsSync(docsFile), 'docs/config.md is missing')
  assert.equal(readFileSync(docsFile, 'utf8'), rendered, 'docs/config.md is stale: rerun with MOTION_UPDATE_DOCS=1')
})

test('every built-in key has a row in the docs', () => {
  const rendered = renderMotionConfigDocs()
  for (const spec of motionConfigKeys()) assert.ok(rendered.includes(`| \`${spec.key}\` |`), `${spec.key} has no row`)
})
