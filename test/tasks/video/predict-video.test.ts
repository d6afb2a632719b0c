/**
 * `motion predict` on video, in-process (runPredict): the --save-2d round trip gives the same 3D,
 * a folder of images with a --render animation, Ctrl-C, and the four bad inputs — each a one-line
 * error with its exit code and nothing written.
 */
import assert from 'node:assert/strict'
import {mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {test} from 'node:test'
import sharp from 'sharp'
import {isMotionError} from '../../../src/core/errors.js'
import {defaultOutput, runPredict, type PredictOptions} from '../../../src/predict/index.js'
import {ffmpegMake, HANDSHAKE} from '../../helpers/video.js'
import {tmpDirForTests} from '../../helpers/tmp.js'

const tmp = tmpDirForTests('motion-predict-video-')

function freshDir(name: string): string {
  const dir = path.join(tmp, name)
  mkdirSync(dir)
  return dir
}

async function assertFailsWritingNothing(options: PredictOptions & {out: string}, exitCode: number, message: RegExp): Promise<void> {
  const dir = path.dirname(options.out)
  await assert.rejects(runPredict(options), (err) => {
    assert.ok(isMotionError(err), String(err))
    assert.equal(err.exitCode, exitCode, err.message)
    assert.match(err.message, message)
    assert.ok(!err.message.includes('\n'), 'one line')
    return true
  })
  assert.deepEqual(readdirSync(dir), [], 'nothing written')
}

test('--save-2d round trip: the saved AlphaPose JSON lifts to exactly the same 3D as the video', async () => {
  const dir = freshDir('roundtrip')
  const fromVideo = await runPredict({input: HANDSHAKE, out: path.join(dir, 'video.npy'), allPeople: true, video: {maxFrames: 10, save2d: path.join(dir, 'shake.2d.json')}})
  assert.equal(fromVideo.people.length, 2, 'both people')
  assert.equal(fromVideo.video?.people, 2)
  assert.equal(fromVideo.frames, 10)
  const times = fromVideo.times!
  for (const k of ['decode_ms', 'detect_ms', 'track_ms', 'lift_ms', 'write_ms', 'total_ms', 'setup_ms', 'model_load_ms'] as const) assert.ok(times[k] >= 0, k)
  assert.ok(times.detect_ms > 0)

  const saved = JSON.parse(readFileSync(path.join(dir, 'shake.2d.json'), 'utf8')) as {image_id: string; keypoints: number[]; idx: number}[]
  assert.equal(saved.length, 20, 'two people in ten frames')
  assert.equal(saved[0]!.keypoints.length, 51, 'COCO-17')
  assert.equal(saved[0]!.image_id, '1.jpg')

  const fromFile = await runPredict({input: path.join(dir, 'shake.2d.json'), out: path.join(dir, 'file.npy'), allPeople: true})
  assert.equal(fromFile.format, 'alphapose')
  for (const id of ['1', '2']) {
    const a = readFileSync(path.join(dir, `video.person-${id}.npy`))
    const b = readFileSync(path.join(dir, `file.person-${id}.npy`))
    assert.ok(a.equals(b), `person ${id}: identical 3D`)
  }
})

test('a folder of images is a video: both people lifted, and --render .gif draws the frames beside two 3D panels', async () => {
  const frames = freshDir('frames')
  await ffmpegMake(['-i', HANDSHAKE, '-frames:v', '4', '-vf', 'scale=960:540', path.join(frames, 'img%03d.png')])
  const dir = freshDir('folder-out')
  const r = await runPredict({input: frames, out: path.join(dir, 'pose.json'), render: path.join(dir, 'pose.gif'), allPeople: true})
  assert.equal(r.video?.source.kind, 'images')
  assert.equal(r.video?.source.frames, 4)
  assert.equal(r.people.length, 2)
  const meta = await sharp(path.join(dir, 'pose.gif'), {animated: true}).metadata()
  assert.equal(meta.pages, 4)
  assert.equal(meta.width, 640 + 2 * 360, 'the 360p video beside two square 3D panels')
  assert.deepEqual(readdirSync(dir).sort(), ['pose.gif', 'pose.person-1.json', 'pose.person-2.json'])
})

test('the default output of a video is NAME.3d.json', () => {
  assert.equal(defaultOutput('clips/handshake.mp4', '/out'), path.join('/out', 'handshake.3d.json'))
  assert.equal(defaultOutput('frames', '/out'), path.join('/out', 'frames.3d.json'))
})

test('bad input: not a video (exit 2)', async () => {
  const dir = freshDir('bad-notvideo')
  const file = path.join(tmp, 'notes.mp4')
  writeFileSync(file, 'not a video\n')
  await assertFailsWritingNothing({input: file, out: path.join(dir, 'x.json'), video: {save2d: path.join(dir, 'x.2d.json')}}, 2, /notes\.mp4: is not a video/)
})

test('bad input: no person in the video (exit 4)', async () => {
  const file = path.join(tmp, 'empty.mp4')
  await ffmpegMake(['-f', 'lavfi', '-i', 'color=c=gray:s=320x240:d=0.3', file])
  const dir = freshDir('bad-empty')
  await assertFailsWritingNothing({input: file, out: path.join(dir, 'x.json')}, 4, /empty\.mp4: no person found in \d+ frames/)
})

test('bad input: only partial bodies, a close-up (exit 4)', async () => {
  const file = path.join(tmp, 'closeup.mp4')
  // heads and chests of the two people, no hips or legs
  await ffmpegMake(['-i', HANDSHAKE, '-frames:v', '6', '-vf', 'crop=640:300:560:200', file])
  const dir = freshDir('bad-closeup')
  await assertFailsWritingNothing({input: file, out: path.join(dir, 'x.json')}, 4, /closeup\.mp4: only partial bodies found/)
})

test('bad input: ffmpeg missing (exit 2), before anything is decoded', async () => {
  const dir = freshDir('bad-ffmpeg')
  await assertFailsWritingNothing({input: HANDSHAKE, out: path.join(dir, 'x.json'), video: {ffmpeg: path.join(tmp, 'no-ffmpeg')}}, 2, /ffmpeg not found/)
})

test('bad input: a video --render must be .mp4, .gif or .webp; checked before decoding', async () => {
  const dir = freshDir('bad-render')
  await assertFailsWritingNothing({input: HANDSHAKE, out: path.join(dir, 'x.json'), render: path.join(dir, 'x.png')}, 2, /a video renders to \.mp4, \.gif, \.webp/)
})

// Last in the file, since an interrupted detection closes the detector workers the other tests share.
test('Ctrl-C while detecting, or once lifting is done: exit 130 and no file', async () => {
  // lifting first: an interrupted detection closes the detector workers, an interrupted lift
  // leaves them idle for the next video (detect-pool.ts), so this order starts them once
  for (const when of ['lift', 'detect'] as const) {
    const dir = freshDir(`interrupt-${when}`)
    const abort = new AbortController()
    const options: PredictOptions = {input: HANDSHAKE, out: path.join(dir, 'x.npy'), video: {maxFrames: 6, save2d: path.join(dir, 'x.2d.json')}, signal: abort.signal}
    await assert.rejects(
      runPredict(options, {
        onVideoFrame: (p) => when === 'detect' && p.done === 2 && abort.abort(),
        onPrediction: () => when === 'lift' && abort.abort(),
      }),
      (err) => isMotionError(err) && err.exitCode === 130,
    )
    assert.deepEqual(readdirSync(dir), [], `nothing written (${when})`)
  }
})
