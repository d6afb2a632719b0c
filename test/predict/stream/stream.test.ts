/**
 * predict --stream: message parsing for each joint layout, the look-ahead state machine with a
 * stand-in model (one output per frame, in order, people coming and going, a backlog sharing
 * windows), the whole stream in-process on the bundled model, and one real subprocess.
 */
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import path from 'node:path'
import {Readable} from 'node:stream'
import readline from 'node:readline'
import {test} from 'node:test'

import {COCO17_JOINTS} from '../../../src/data/joint-maps.js'
import type {NDArray} from '../../../src/core/ndarray.js'
import {StreamLifter} from '../../../src/predict/stream/lifter.js'
import {parseFrameLine, STREAM_LAYOUTS, StreamLineError, type StreamFrame} from '../../../src/predict/stream/messages.js'
import {STREAM_LAYOUT_OPTIONS} from '../../../src/cli/model-flags.js'
import {runStream} from '../../../src/predict/stream/run.js'
import {readFileSync, writeFileSync} from 'node:fs'
import {importModel} from '../../../src/model/load.js'
import {NATIVE_CONFIG_FILE} from '../../../src/model/native.js'
import {binRun, dataDir, fixturesDir, repoRoot} from '../../helpers/paths.js'
import {tmpDirForTests} from '../../helpers/tmp.js'

/** A COCO-17 person whose joint j sits at (100 + j + shift, 200 + 2j). */
function coco(shift = 0): number[][] {
  return COCO17_JOINTS.map((_, j) => [100 + j + shift, 200 + 2 * j, 0.9])
}

test('the --layout flag of predict --stream and serve offers exactly the layouts the stream reads', () => {
  assert.deepEqual([...STREAM_LAYOUT_OPTIONS], [...STREAM_LAYOUTS])
})

test('parseFrameLine maps COCO-17, Halpe-26 and H36M-17 keypoints to H36M-17', () => {
  const c = parseFrameLine(JSON.stringify({frame: 3, people: [{id: 7, keypoints: coco()}]}), -1)
  assert.equal(c.frame, 3)
  assert.equal(c.people[0]!.rawId, 7)
  // H36M pelvis = mean of COCO hips (11, 12); H36M r_hip (1) = COCO RHip (12)
  assert.deepEqual(Array.from(c.people[0]!.keypoints.slice(0, 6)).map((v) => +v.toFixed(3)), [111.5, 223, 0.9, 112, 224, 0.9])
  const halpe = Array.from({length: 26}, (_, j) => [j, j, 1])
  const h = parseFrameLine(JSON.stringify({frame: 0, people: [{id: 'a', keypoints: halpe}]}), -1)
  assert.deepEqual(Array.from(h.people[0]!.keypoints.slice(0, 3)), [19, 19, 1]) // Halpe 'Hip' (19) is the pelvis
  const h36m = Array.from({length: 17}, (_, j) => [j * 10, j, 0.5])
  const direct = parseFrameLine(JSON.stringify({people: [{id: 1, keypoints: h36m}]}), 4, 'h36m17')
  assert.equal(direct.frame, 5, 'a missing frame number follows the previous one')
  assert.deepEqual(Array.from(direct.people[0]!.keypoints.slice(30, 33)), [100, 10, 0.5])
  const pairs = parseFrameLine(JSON.stringify({frame: 0, people: [{id: 1, keypoints: coco().map(([x, y]) => [x, y])}]}), -1)
  assert.equal(pairs.people[0]!.keypoints[2], 1, '[x, y] pairs have score 1')
})

test('parseFrameLine refuses bad lines with a message that says what is wrong', () => {
  const bad: [string, RegExp][] = [
    ['{"frame": 1, "people": [', /not JSON/],
    ['[1, 2]', /JSON object/],
    [JSON.stringify({frame: 2, people: []}), /does not come after frame 5/],
    [JSON.stringify({frame: -1}), /whole number >= 0/],
    [JSON.stringify({frame: 9, people: [{id: 1, keypoints: coco().slice(0, 12)}]}), /12 keypoints is no supported layout/],
    [JSON.stringify({frame: 9, people: [{id: 1, keypoints: coco().map(() => [1, 'x', 1])}]}), /keypoint 0 is not \[x, y\]/],
    [JSON.stringify({frame: 9, people: [{id: 1, keypoints: coco()}, {id: 1, keypoints: coco()}]}), /person id 1 appears twice/],
    [JSON.stringify({frame: 9, people: {}}), /"people" must be a list/],
  ]
  for (const [line, message] of bad) assert.throws(() => parseFrameLine(line, 5), (err: unknown) => err instanceof StreamLineError && message.test(err.message), line)
})

function frame(n: number, ids: number[]): StreamFrame {
  return {frame: n, people: ids.map((id) => ({id: String(id), rawId: id, keypoints: Float32Array.from({length: 51}, (_, k) => n * 1000 + id + k / 100)}))}
}

/** A stand-in model: returns its input, and records each window's first and last frame number. */
function echoModel(): {lift: (t: NDArray) => Promise<NDArray>; windows: Array<[number, number]>} {
  const windows: Array<[number, number]> = []
  return {
    windows,
    lift: async (t) => {
      const first = Math.floor(t.data[0]! / 1000)
      const last = Math.floor(t.data[(t.shape[0]! - 1) * 51]! / 1000)
      windows.push([first, last])
      return {data: t.data.slice(), shape: [...t.shape]}
    },
  }
}

test('StreamLifter answers frame f once frame f + latency has arrived, from a window ending there, and the rest at EOF', async () => {
  const model = echoModel()
  const lifter = new StreamLifter({latency: 2, window: 5, liftWindow: model.lift})
  const answered: number[] = []
  for (let f = 0; f < 10; f++) {
    const out = await lifter.push(frame(f, [1]))
    answered.push(...out.map((o) => o.frame))
    assert.deepEqual(out.map((o) => o.frame), f >= 2 ? [f - 2] : [], `after frame ${f}`)
    for (const o of out) {
      // the echoed pose is the frame's own input, so the right row of the window was taken
      assert.equal(Math.floor(o.people[0]!.pose3d![0]! / 1000), o.frame)
      assert.equal(o.lookahead, 2)
    }
  }
  assert.deepEqual(model.windows.slice(0, 4), [[0, 2], [0, 3], [0, 4], [1, 5]])
  assert.deepEqual(model.windows[7], [5, 9], 'windows hold at most 5 frames and end at the look-ahead horizon')
  const rest = await lifter.finish()
  assert.deepEqual(rest.map((o) => [o.frame, o.lookahead]), [[8, 1], [9, 0]])
  assert.deepEqual([...answered, ...rest.map((o) => o.frame)], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
})

test('StreamLifter: people appear and disappear, a long absence starts a new track, a backlog shares one window per person', async () => {
  const model = echoModel()
  const lifter = new StreamLifter({latency: 0, window: 4, maxGap: 3, liftWindow: model.lift})
  const people = async (f: number, ids: number[]): Promise<string[]> => (await lifter.push(frame(f, ids))).flatMap((o) => o.people.map((p) => `${o.frame}:${p.id}`))
  assert.deepEqual(await people(0, [1]), ['0:1'])
  assert.deepEqual(await people(1, [1, 2]), ['1:1', '1:2'])
  assert.deepEqual(await people(2, [2]), ['2:2'])
  assert.deepEqual(lifter.activePeople.sort(), ['1', '2'])
  assert.deepEqual(await people(6, [2]), ['6:2'])
  assert.deepEqual(lifter.activePeople, ['2'], 'person 1, unseen for more than 3 frames, is gone')
  assert.deepEqual(model.windows.at(-1), [6, 6], 'person 2 came back after a gap > 3 frames: a new track')
  const before = model.windows.length
  const out = await lifter.push([frame(7, [2]), frame(8, [2]), frame(9, [2])])
  assert.deepEqual(out.map((o) => o.frame), [7, 8, 9])
  assert.equal(model.windows.length - before, 1, 'three waiting frames, one model window')
  assert.deepEqual(out.map((o) => Math.floor(o.people[0]!.pose3d![0]! / 1000)), [7, 8, 9])
})

test('StreamLifter skips a person whose window cannot be lifted when the error is a person error, and stops on others', async () => {
  const failing = new StreamLifter({latency: 0, window: 3, liftWindow: async () => Promise.reject(new Error('too few keypoints')), isPersonError: () => true})
  const [o] = await failing.push(frame(0, [4]))
  assert.deepEqual(o!.people, [{id: '4', rawId: 4, pose3d: null, error: 'too few keypoints'}])
  const fatal = new StreamLifter({latency: 0, window: 3, liftWindow: async () => Promise.reject(new Error('engine died'))})
  await assert.rejects(fatal.push(frame(0, [4])), /engine died/)
})

test('StreamLifter with liftWindows: every person of a push goes to the model in one call, errors stay per person', async () => {
  const model = echoModel()
  const calls: number[] = []
  const lifter = new StreamLifter({
    latency: 1, window: 4, liftWindow: async () => Promise.reject(new Error('liftWindow must not be used')), isPersonError: (err) => err instanceof Error && err.message === 'no keypoints',
    liftWindows: async (tracks) => {
      calls.push(tracks.length)
      return Promise.all(tracks.map(async (t) => (Math.round(t.data[0]! % 1000) === 3 ? {error: new Error('no keypoints')} : model.lift(t))))
    },
  })
  assert.deepEqual(await lifter.push(frame(0, [1, 2, 3])), [])
  const [o] = await lifter.push(frame(1, [1, 2, 3]))
  assert.deepEqual(calls, [3], 'three people, one call')
  assert.equal(o!.frame, 0)
  assert.deepEqual(o!.people.map((p) => [p.id, p.pose3d === null ? p.error : Math.floor(p.pose3d[0]! / 1000)]), [['1', 0], ['2', 0], ['3', 'no keypoints']])
  const out = await lifter.push([frame(2, [1, 2]), frame(3, [1, 2]), frame(4, [2])])
  assert.deepEqual(calls, [3, 3], 'a backlog of three frames: one call, one window per person')
  assert.deepEqual(out.map((f) => [f.frame, f.people.map((p) => p.id)]), [[1, ['1', '2', '3']], [2, ['1', '2']], [3, ['1', '2']]])
  assert.deepEqual(out.map((f) => f.people.map((p) => (p.pose3d ? Math.floor(p.pose3d[0]! / 1000) : -1))), [[1, 1, -1], [2, 2], [3, 3]])
})

/** The first n frames of the real AlphaPose file as NDJSON lines (Halpe-26). */
async function realLines(n: number): Promise<string[]> {
  const {alphaposeToFrames} = (await import(path.join(repoRoot, 'scripts', 'alphapose-to-ndjson.mjs'))) as {alphaposeToFrames: (f: string) => unknown[]}
  return alphaposeToFrames(path.join(dataDir, 'alphapose-real', 'alphapose-results.json')).slice(0, n).map((f) => JSON.stringify(f))
}

test('runStream in-process on the bundled model: one line per frame in order, an error line for a malformed line, a clean end at EOF', async () => {
  const lines = await realLines(30)
  lines.splice(10, 0, '{"frame": oops}')
  const out: string[] = []
  const summary = await runStream({latency: 3, engine: {threads: 1}}, Readable.from(lines), (l) => void out.push(l))
  const parsed = out.map((l) => JSON.parse(l) as {frame?: number; error?: string; people?: Array<{id: number; pose3d: number[][]}>; units?: string})
  const errors = parsed.filter((p) => p.error)
  assert.equal(errors.length, 1)
  assert.match(errors[0]!.error!, /^line 11: not JSON/)
  const frames = parsed.filter((p) => p.frame !== undefined)
  assert.deepEqual(frames.map((p) => p.frame), Array.from({length: 30}, (_, i) => i))
  for (const p of frames) {
    assert.equal(p.units, 'mm') // the bundled model is metric (config.json outputUnits metres)
    assert.equal(p.people!.length, 1)
    assert.equal(p.people![0]!.pose3d.length, 17)
    assert.ok(p.people![0]!.pose3d.flat().every(Number.isFinite))
    // root-relative mm: a right thigh (hip → knee) of an adult's length
    const [hip, knee] = [p.people![0]!.pose3d[1]!, p.people![0]!.pose3d[2]!]
    const thigh = Math.hypot(hip[0]! - knee[0]!, hip[1]! - knee[1]!, hip[2]! - knee[2]!)
    assert.ok(thigh > 250 && thigh < 650, `thigh ${thigh} mm`)
  }
  // The stream's short default window holds for window-normalised models too (docs/streaming.md).
  assert.deepEqual({frames: summary.frames, errors: summary.errors, people: summary.people, window: summary.window, latency: summary.latency}, {frames: 30, errors: 1, people: ['0'], window: 27, latency: 3})
})

test('runStream on a window-normalised model: the people of a frame are lifted together, each exactly as when alone', async () => {
  // the tiny official DSTformer as a native folder declaring window inference (as the new bundled model does)
  const dir = path.join(tmpDirForTests('motion-stream-window-'), 'window-model')
  await importModel(path.join(fixturesDir, 'dstformer-tiny', 'checkpoint.bin'), dir, {config: {num_heads: 4}})
  const file = path.join(dir, NATIVE_CONFIG_FILE)
  writeFileSync(file, JSON.stringify({...(JSON.parse(readFileSync(file, 'utf8')) as object), outputUnits: 'metres', inference: {inputNorm: 'window', clipLen: 60}}))
  const lines = await realLines(20)
  type Out = {frame: number; people: Array<{id: number | string; pose3d: number[][]}>; units: string}
  const run = async (input: string[]): Promise<Out[]> => {
    const out: string[] = []
    const summary = await runStream({checkpoint: dir, latency: 2}, Readable.from(input), (l) => void out.push(l))
    assert.equal(summary.window, 27, "the stream's own window, not the model's training clip")
    return out.map((l) => JSON.parse(l) as Out)
  }
  // a second person: the same keypoints 300 px to the right and smaller, listed first
  const two = lines.map((l) => {
    const f = JSON.parse(l) as {frame: number; people: Array<{id: number; keypoints: number[][]}>}
    const other = {id: 'b', keypoints: f.people[0]!.keypoints.map(([x, y, c]) => [300 + x! * 0.8, y! * 0.8, c!])}
    return JSON.stringify({...f, people: [other, ...f.people]})
  })
  const alone = await run(lines)
  const together = await run(two)
  assert.deepEqual(together.map((o) => o.people.map((p) => p.id)), alone.map((o) => ['b', o.people[0]!.id]))
  for (const [i, o] of together.entries()) {
    assert.equal(o.units, 'mm')
    const a = alone[i]!.people[0]!.pose3d.flat()
    const t = o.people[1]!.pose3d.flat()
    for (let k = 0; k < a.length; k++) assert.ok(Math.abs(a[k]! - t[k]!) < 0.05, `frame ${o.frame} value ${k}: ${a[k]} alone, ${t[k]} with another person`)
  }
})

test('motion predict --stream (subprocess): frames on stdin are answered line by line before stdin closes, and EOF exits 0', async () => {
  const lines = await realLines(8)
  const child = spawn(process.execPath, [binRun, 'predict', '--stream', '--latency', '1', '--threads', '1'], {cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe']})
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  const outputs = readline.createInterface({input: child.stdout})[Symbol.asyncIterator]()
  // frame 0 is answered once frame 1 has arrived, while stdin is still open: the output is not held back
  child.stdin.write(`${lines[0]}\n${lines[1]}\n`)
  const first = await outputs.next()
  assert.equal((JSON.parse(first.value as string) as {frame: number}).frame, 0)
  child.stdin.end(`${lines.slice(2).join('\n')}\n`)
  const rest: number[] = []
  for (let r = await outputs.next(); !r.done; r = await outputs.next()) rest.push((JSON.parse(r.value) as {frame: number}).frame)
  const code = await new Promise((resolve) => child.on('close', resolve))
  assert.equal(code, 0, stderr)
  assert.deepEqual(rest, [1, 2, 3, 4, 5, 6, 7])
  assert.match(stderr, /8 frames answered, 0 error lines, 1 person seen/)
})
