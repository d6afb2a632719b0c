#!/usr/bin/env node
// Accuracy of `motion predict --stream` against 3D ground truth, for several --latency values:
// CMU mocap test clips (../shared/data/cmu-mocap-h36m17) seen by a virtual camera
// (motion data project's projectMotion: 1920x1080, seed 0, 2 px detector-like noise), streamed
// frame by frame through the same lifter and model as the CLI (built code in dist/), and scored
// with N-MPJPE (mm, root-relative, scale-aligned per frame, since the output is in normalised units).
// Usage: npm run build && node scripts/stream-accuracy.mjs [--frames 150] [--latencies 0,4,13,26] [--window 27] [--no-flip]
//        [--checkpoint DIR] (default: the bundled model; --window defaults to the stream's own default)
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const dist = (p) => import(path.join(root, 'dist', 'src', p))
const {loadWorldMotion, projectMotion, rootRelativeCopy} = await dist('data/project-motion.js')
const {nMpjpe} = await dist('metrics/n-mpjpe.js')
const {StreamLifter} = await dist('predict/stream/lifter.js')
const {openStreamModel} = await dist('predict/stream/run.js')

const arg = (name, def) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : def)
const frames = Number(arg('--frames', '150'))
const latencies = arg('--latencies', '0,4,13,26').split(',').map(Number)
const checkpoint = arg('--checkpoint', undefined)
const windowArg = arg('--window', undefined)
const flip = !process.argv.includes('--no-flip')
const clips = arg('--clips', 'walking_1,basketball_1,jumping_1').split(',')
const data = path.resolve(root, '..', 'shared', 'data', 'cmu-mocap-h36m17')

const rootRel = (x) => rootRelativeCopy(x)
const score = (pred, gt) => nMpjpe(rootRel(pred), gt).mean
const rows = new Map()
let lastWindow
const add = (key, v) => rows.set(key, [...(rows.get(key) ?? []), v])
for (const clip of clips) {
  const world = await loadWorldMotion(data, {clip, split: 'test'})
  const full = projectMotion(world.positions, {sourceFps: world.fps, fps: 30, imageSize: [1920, 1080], seed: 0, noisePx: 2, upAxis: world.upAxis})
  const T = Math.min(frames, full.keypoints.shape[0])
  const cut = (x) => ({data: x.data.slice(0, T * 51), shape: [T, 17, 3]})
  const proj = {keypoints: cut(full.keypoints), camera3d: cut(full.camera3d)}
  const gt = rootRel(proj.camera3d)
  for (const latency of latencies) {
    const model = await openStreamModel({checkpoint, latency, window: windowArg === undefined ? undefined : Number(windowArg), flip, engine: {threads: 1}})
    const window = model.info.window
    lastWindow = window
    const lifter = new StreamLifter({latency, window, liftWindow: model.liftWindow, liftWindows: model.liftWindows, isPersonError: model.isPersonError})
    const out = new Float32Array(T * 51)
    const put = (outs) => { for (const o of outs) out.set(o.people[0].pose3d, o.frame * 51) }
    for (let t = 0; t < T; t++) put(await lifter.push({frame: t, people: [{id: '1', rawId: 1, keypoints: proj.keypoints.data.slice(t * 51, (t + 1) * 51)}]}))
    put(await lifter.finish())
    add(`stream --latency ${latency}`, score({data: out, shape: [T, 17, 3]}, gt))
    await model.dispose()
  }
  process.stderr.write(`${clip}: ${T} frames done\n`)
}
console.log(`N-MPJPE (mm) of predict --stream${checkpoint ? ` (${checkpoint})` : ''}, window ${lastWindow}, flip ${flip ? 'on' : 'off'}, ${clips.length} CMU test clips x ${frames} frames at 30 fps:`)
for (const [key, vals] of rows) console.log(`  ${key.padEnd(22)} ${(vals.reduce((a, b) => a + b, 0) / vals.length).toFixed(1)} mm  (per clip: ${vals.map((v) => v.toFixed(1)).join(', ')})`)
