/**
 * What `motion predict` loads on its default path (a keypoint file, the bundled model, the onnx
 * engine): a whole command is about half start-up, and each of these packages once cost it tens to
 * hundreds of milliseconds of CPU while nothing on that path used it. tfjs (~0.5 s) loads for the
 * tfjs engine and SMPL, protobufjs to decode ONNX files, yaml for YAML configs, ws for `serve`.
 */
import assert from 'node:assert/strict'
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {test} from 'node:test'
import {runCliProcess} from '../helpers/cli.js'
import {repoRoot} from '../helpers/paths.js'
import {tmpDirForTests} from '../helpers/tmp.js'

const tmp = tmpDirForTests('motion-startup-')

/** Package names (`@scope/name` or `name`) of the CommonJS modules a process loaded, written at exit. */
const PRELOAD = `
const fs = require('node:fs')
process.on('exit', () => {
  const names = new Set()
  for (const file of Object.keys(require.cache)) {
    const m = /node_modules[\\\\/]((?:@[^\\\\/]+[\\\\/])?[^\\\\/]+)/.exec(file.slice(file.lastIndexOf('node_modules')))
    if (m) names.add(m[1].replace(/\\\\/g, '/'))
  }
  fs.writeFileSync(process.env.MOTION_TEST_LOADED, [...names].sort().join('\\n'))
})
`

test('predict on a keypoint file with the onnx engine loads neither tfjs nor protobufjs, yaml or ws', async () => {
  const preload = path.join(tmp, 'preload.cjs')
  const loaded = path.join(tmp, 'loaded.txt')
  writeFileSync(preload, PRELOAD)
  const r = await runCliProcess(['predict', path.join(repoRoot, 'examples', 'walking.alphapose.json'), '--engine', 'onnx', '--out', path.join(tmp, 'walk.npy')], {
    env: {NODE_OPTIONS: `--require ${preload}`, MOTION_TEST_LOADED: loaded},
  })
  assert.equal(r.code, 0, r.stderr)
  const names = readFileSync(loaded, 'utf8').split('\n')
  assert.ok(names.includes('onnxruntime-node'), `the check sees the packages loaded: ${names.join(', ')}`)
  const heavy = names.filter((n) => n.startsWith('@tensorflow/') || ['protobufjs', 'yaml', 'ws'].includes(n))
  assert.deepEqual(heavy, [], `loaded on predict's onnx path: ${heavy.join(', ')}`)
})
