/**
 * The package as users get it: `npm pack` (the built dist/), the tarball unpacked into a fresh
 * project's node_modules/motion as npm would install it, and that project importing `motion`
 * through package.json's `exports` — at runtime (node) and for types (tsc against the packed
 * .d.ts). The heavy runtime dependencies (tfjs, onnxruntime, sharp) are linked from this
 * checkout's node_modules instead of downloaded, to stay fast and offline.
 */
import assert from 'node:assert/strict'
import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {test} from 'node:test'
import {repoRoot} from './helpers/paths.js'
import {tmpDirForTests} from './helpers/tmp.js'

const tmp = tmpDirForTests('motion-pack-')

test('npm pack → install the tarball in a fresh project → import {predict, loadModel, readKeypoints} from motion', async () => {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const packed = JSON.parse(execFileSync(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], {cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']})) as {filename: string; files: {path: string}[]}[]
  const tarball = path.join(tmp, packed[0]!.filename)
  const listed = new Set(packed[0]!.files.map((f) => f.path))

  const project = path.join(tmp, 'app')
  const installed = path.join(project, 'node_modules', 'motion')
  mkdirSync(installed, {recursive: true})
  execFileSync('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1'])
  const pkg = JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8')) as {main: string; types: string; exports: {'.': {types: string; import: string}}; dependencies: Record<string, string>}
  for (const file of [pkg.main, pkg.types, pkg.exports['.'].types, pkg.exports['.'].import]) {
    assert.ok(listed.has(path.normalize(file)), `${file} is in the tarball`)
    assert.ok(existsSync(path.join(installed, file)), `${file} exists after install`)
  }
  assert.ok(![...listed].some((f) => f.startsWith('dist/test/')), 'tests are not packed')
  // The dependencies, as npm would have installed them beside the package.
  for (const dep of Object.keys(pkg.dependencies)) {
    const target = path.join(project, 'node_modules', dep)
    mkdirSync(path.dirname(target), {recursive: true})
    symlinkSync(path.join(repoRoot, 'node_modules', dep), target, 'dir')
  }
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({name: 'app', private: true, type: 'module'}))

  // Runtime: the three entry points from the packed files (the bundled example and model ship in the tarball).
  writeFileSync(
    path.join(project, 'use.mjs'),
    `import {predict, loadModel, readKeypoints} from 'motion'
import {fileURLToPath} from 'node:url'
const root = fileURLToPath(new URL('./node_modules/motion/', import.meta.url))
const data = await readKeypoints(root + 'examples/walking.alphapose.json')
const model = await loadModel(root + 'models/pose3d')
const r = await predict({input: root + 'examples/walking.alphapose.json', checkpoint: root + 'models/pose3d', engine: 'onnx'})
const p = r.people[0]
console.log(JSON.stringify({frames: data.frameCount, task: model.task, shape: p.pose3d.shape, length: p.pose3d.length, finite: p.pose3d.every(Number.isFinite), isTyped: p.pose3d instanceof Float32Array, resolved: import.meta.resolve('motion')}))
`,
  )
  const run = JSON.parse(execFileSync(process.execPath, ['use.mjs'], {cwd: project, encoding: 'utf8'}).trim().split('\n').pop()!) as {frames: number; task: string; shape: number[]; length: number; finite: boolean; isTyped: boolean; resolved: string}
  assert.equal(run.task, 'pose3d')
  assert.deepEqual(run.shape, [run.frames, 17, 3])
  assert.equal(run.length, run.frames * 51)
  assert.ok(run.finite && run.isTyped)
  assert.ok(run.resolved.includes('/app/node_modules/motion/dist/src/index.js'), run.resolved)

  // Types: a TypeScript user's code checks against the packed .d.ts (and a wrong use does not).
  const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc')
  const tsOptions = ['--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022']
  writeFileSync(
    path.join(project, 'good.mts'),
    `import {predict, predictStream, type PredictRequest, type Pose3D, type StreamSummary} from 'motion'
const request: PredictRequest = {input: 'walk.json', task: 'pose3d', videoSize: [1920, 1080], skeleton: 'rigid'}
const result = await predict(request)
const pose: Pose3D | undefined = result.people[0]?.pose3d
const joints: 17 | undefined = pose?.shape[1]
const summary: StreamSummary = await predictStream({latency: 2, layout: 'coco17'}, ['{"frame": 0, "people": []}'], (line) => console.log(line))
export {joints, summary}
`,
  )
  writeFileSync(path.join(project, 'bad.mts'), `import {predict} from 'motion'\nawait predict({input: 3})\n`)
  // One tsc run checks both files (a second would pay tsc's start-up and the packed .d.ts again):
  // it fails, every error is in bad.mts, and bad.mts has the wrong use reported.
  const checked = spawnSync(process.execPath, [tsc, ...tsOptions, '--pretty', 'false', '--listFiles', 'good.mts', 'bad.mts'], {cwd: project, encoding: 'utf8'})
  assert.notEqual(checked.status, 0, 'bad.mts must not compile')
  // The public types stand alone: no dependency's declarations (tfjs's alone are 310 files) are read.
  const read = checked.stdout.split('\n').filter((l) => l.includes('node_modules/') && !l.includes('node_modules/typescript/lib/') && !l.includes('node_modules/motion/'))
  assert.deepEqual(read, [], 'declaration files read from dependencies')
  const errors = checked.stdout.split('\n').filter((l) => /error TS\d+/.test(l))
  assert.ok(errors.length > 0, checked.stdout + checked.stderr)
  for (const e of errors) assert.match(e, /^bad\.mts\(/, `good.mts checks against the packed types: ${e}`)
  assert.ok(errors.some((e) => /not assignable/.test(e)), checked.stdout)
  assert.ok(readdirSync(project).includes('node_modules'))
})
