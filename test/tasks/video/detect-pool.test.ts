/**
 * Detection in worker threads (detect-pool.ts): the same detections, in frame order, as the
 * detector in the main thread; lightning keeps one worker (its crop follows the previous frame);
 * a frame that fails rejects only itself; a detector that cannot load is a model error.
 */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {selectBackend} from '../../../src/nn/tfjs/backend.js'
import {createDetector, type DecodedFrame, type PoseDetection} from '../../../src/tasks/video/detect.js'
import {borrowDetectorPool, closeIdleDetectorPools, defaultDetectorWorkers, returnDetectorPool, startDetectorPool} from '../../../src/tasks/video/detect-pool.js'
import {detectVideo} from '../../../src/tasks/video/detect-video.js'
import {openSource} from '../../../src/tasks/video/source.js'
import {HANDSHAKE} from '../../helpers/video.js'

const FRAMES = 4

async function decoded(longSide: number, multiple: number): Promise<DecodedFrame[]> {
  const source = await openSource(HANDSHAKE)
  const out: DecodedFrame[] = []
  for await (const f of source.frames({longSide, multiple, maxFrames: FRAMES})) out.push(f)
  return out
}

const copy = (f: DecodedFrame): DecodedFrame => ({...f, rgb: f.rgb.slice()})
const plain = (people: PoseDetection[]): unknown => people.map((p) => ({keypoints: Array.from(p.keypoints), score: p.score, box: p.box}))

test('a pool of two multipose workers answers in frame order with exactly the in-thread detections', async () => {
  await selectBackend()
  const frames = await decoded(256, 32)
  const inThread = await createDetector('multipose')
  const expected: unknown[] = []
  for (const f of frames) expected.push(plain(await inThread.detect(copy(f))))
  // borrowed and given back, so that the next tests take it again rather than start two more workers
  const {pool} = borrowDetectorPool('multipose', 2)
  try {
    // all frames submitted at once: frame k goes to worker k mod 2, the answers still come in order
    const answers = await Promise.all(frames.map((f) => pool.detect(copy(f))))
    assert.deepEqual(answers.map(plain), expected)
    assert.ok(answers.every((a) => a.length === 2), 'two people in every frame')
  } finally {
    await returnDetectorPool('multipose', pool)
  }
})

test('detectVideo gives the same records with detector workers as in the main thread (multipose and lightning)', async () => {
  // multipose's default: one worker per idle core (1 or 2, by the load); lightning always 1
  const byDefault = defaultDetectorWorkers('multipose')
  assert.ok(byDefault >= 1 && byDefault <= 2, `multipose: ${byDefault} workers by default (no native tfjs binding installed)`)
  for (const detector of ['multipose', 'lightning'] as const) {
    const inThread = await detectVideo({input: HANDSHAKE, detector, maxFrames: FRAMES, workers: 0})
    // two multipose workers, as the previous test's pool (idle now, so taken again)
    const pooled = await detectVideo({input: HANDSHAKE, detector, maxFrames: FRAMES, ...(detector === 'multipose' ? {workers: 2} : {})})
    assert.equal(inThread.detector.workers, 0)
    assert.equal(pooled.detector.workers, detector === 'lightning' ? 1 : 2)
    assert.equal(pooled.source.frames, FRAMES)
    assert.deepEqual(pooled.records, inThread.records, detector)
    assert.ok(pooled.times.detect_ms > 0)
  }
})

test('lightning takes exactly one worker; a bad frame rejects only itself; close rejects what is pending', async () => {
  assert.equal(defaultDetectorWorkers('lightning'), 1)
  assert.throws(() => startDetectorPool('lightning', 2), /exactly one worker/)
  const {pool} = borrowDetectorPool('multipose', 2)
  try {
    await pool.ready
    const [good] = await decoded(256, 32)
    const bad = {rgb: new Uint8Array(10), width: 256, height: 160, scale: 1, scaleY: 1}
    await assert.rejects(pool.detect(bad))
    assert.equal((await pool.detect(good!)).length, 2, 'the next frame is detected')
    // a handler from the start: the wasm backend turns an unhandled rejection into a crash
    const pending = pool.detect({...good!, rgb: new Uint8Array(256 * 160 * 3)}).then(
      () => 'answered before the close',
      (err: Error) => err.message,
    )
    await pool.close()
    assert.match(await pending, /answered|stopped/)
  } finally {
    await pool.close()
  }
})

test('a second video in this process reuses the idle workers, with lightning\'s crop started afresh; a pool with a frame in flight is closed, not kept', async () => {
  try {
    const first = await detectVideo({input: HANDSHAKE, detector: 'lightning', maxFrames: FRAMES})
    const second = await detectVideo({input: HANDSHAKE, detector: 'lightning', maxFrames: FRAMES})
    assert.equal(second.detector.reusedWorkers, true)
    // the crop of the first video's last frame must not carry over to the second video's first
    assert.deepEqual(second.records, first.records)

    const {pool, reused} = borrowDetectorPool('lightning', 1)
    assert.equal(reused, true, 'the pool the second video left')
    const [frame] = await decoded(512, 1)
    const inFlight = pool.detect(frame!).then(
      () => 'answered',
      (err: Error) => err.message,
    )
    assert.equal(pool.idle, false)
    await returnDetectorPool('lightning', pool)
    assert.match(await inFlight, /stopped|answered/)
    const next = borrowDetectorPool('lightning', 1)
    await next.pool.close()
    assert.equal(next.reused, false, 'an interrupted pool is not handed out again')
  } finally {
    await closeIdleDetectorPools()
  }
})
