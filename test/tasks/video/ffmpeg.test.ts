/** Decoding: finding ffmpeg, probing, and raw frames scaled and padded inside ffmpeg. */
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import path from 'node:path'
import {test} from 'node:test'
import {isMotionError} from '../../../src/core/errors.js'
import {decodeFrames, probeVideo, resolveFfmpeg} from '../../../src/tasks/video/ffmpeg.js'
import {geometry} from '../../../src/tasks/video/source.js'
import {isVideoInput} from '../../../src/tasks/video/input-kind.js'
import {tmpDirForTests} from '../../helpers/tmp.js'
import {HANDSHAKE} from '../../helpers/video.js'

const tmp = tmpDirForTests('motion-ffmpeg-')

test('probe: the real clip is 1920x1080 at 30 fps, about 72 frames', async () => {
  const ff = await resolveFfmpeg()
  const info = await probeVideo(ff.path, HANDSHAKE)
  assert.equal(info.width, 1920)
  assert.equal(info.height, 1080)
  assert.equal(info.fps, 30)
  assert.ok(Math.abs(info.frameEstimate - 72) <= 6, `frame estimate ${info.frameEstimate}`)
})

test('decode: frames scaled to 256x144 and padded to 256x160 inside ffmpeg, stopped after --max-frames', async () => {
  const ff = await resolveFfmpeg()
  const g = geometry(1920, 1080, {longSide: 256, multiple: 32})
  assert.deepEqual(g, {width: 256, height: 160, scaledWidth: 256, scaledHeight: 144, scale: 256 / 1920, scaleY: 144 / 1080})
  const frames: Uint8Array[] = []
  for await (const f of decodeFrames(ff.path, HANDSHAKE, {...g, maxFrames: 3})) frames.push(f)
  assert.equal(frames.length, 3)
  for (const f of frames) {
    assert.equal(f.length, 256 * 160 * 3)
    const picture = f.subarray(0, 256 * 144 * 3)
    const padding = f.subarray(256 * 144 * 3)
    assert.ok(picture.reduce((a, v) => a + v, 0) / picture.length > 40, 'the picture is not black')
    assert.ok(padding.every((v) => v < 8), 'the padding rows are black')
  }
})

test('decode: the whole clip gives exactly its 72 frames (none duplicated to fill a constant rate)', async () => {
  const ff = await resolveFfmpeg()
  let n = 0
  for await (const _ of decodeFrames(ff.path, HANDSHAKE, {width: 32, height: 18, scaledWidth: 32, scaledHeight: 18})) n++
  assert.equal(n, 72)
})

test('decode: breaking out early stops ffmpeg (no hang, no error)', async () => {
  const ff = await resolveFfmpeg()
  let n = 0
  for await (const _ of decodeFrames(ff.path, HANDSHAKE, {width: 64, height: 36, scaledWidth: 64, scaledHeight: 36})) if (++n === 2) break
  assert.equal(n, 2)
})

test('not a video: a text file named .mp4 is an input error naming the file', async () => {
  const ff = await resolveFfmpeg()
  const file = path.join(tmp, 'notes.mp4')
  writeFileSync(file, 'these are not frames\n')
  await assert.rejects(probeVideo(ff.path, file), (err) => isMotionError(err) && err.exitCode === 2 && err.message.startsWith(`${file}: is not a video`))
})

test('ffmpeg missing: a path that does not run is an input error with an install hint', async () => {
  await assert.rejects(resolveFfmpeg('/nonexistent/ffmpeg'), (err) => isMotionError(err) && err.exitCode === 2 && /ffmpeg not found/.test(err.message) && /apt-get install ffmpeg/.test(err.hint ?? ''))
  await assert.rejects(resolveFfmpeg(undefined, {MOTION_FFMPEG: '/nonexistent/ffmpeg'}), (err) => isMotionError(err) && /MOTION_FFMPEG/.test(err.message))
})

test('input kind: video extensions and folders of images are video; keypoint files and OpenPose folders are not', async () => {
  assert.equal(await isVideoInput('clip.MOV'), true)
  assert.equal(await isVideoInput('results.json'), false)
  const images = path.join(tmp, 'frames')
  const openpose = path.join(tmp, 'openpose')
  const {mkdirSync} = await import('node:fs')
  mkdirSync(images)
  mkdirSync(openpose)
  writeFileSync(path.join(images, '0001.jpg'), '')
  writeFileSync(path.join(openpose, '0001.jpg'), '')
  writeFileSync(path.join(openpose, '0001_keypoints.json'), '{}')
  assert.equal(await isVideoInput(images), true)
  assert.equal(await isVideoInput(openpose), false)
})
