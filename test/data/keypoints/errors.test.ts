/** Every foreseeable bad input: a one-line error naming the file and the problem, exit 2 (4 for no usable data). */
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'
import {readKeypoints} from '../../../src/data/keypoints/index.js'
import {selectPeople} from '../../../src/data/people.js'
import {isMotionError} from '../../../src/core/errors.js'
import {repoRoot} from '../../helpers/paths.js'

const tmp = mkdtempSync(path.join(tmpdir(), 'motion-kp-errors-'))
after(() => rmSync(tmp, {recursive: true, force: true}))
const samples = path.join(repoRoot, 'test', 'fixtures', 'keypoints')

function write(name: string, content: string | Uint8Array): string {
  const file = path.join(tmp, name)
  writeFileSync(file, content)
  return file
}

/** The error is a MotionError with this exit code, one line, naming the file, matching `re`. */
async function rejects(promise: Promise<unknown>, exitCode: number, file: string, re: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isMotionError(err), `not a MotionError: ${String(err)}`)
    assert.equal(err.exitCode, exitCode, err.message)
    assert.ok(!err.message.includes('\n'), `one line: ${err.message}`)
    assert.ok(err.message.startsWith(file), `names the file: ${err.message}`)
    assert.match(err.message, re)
    return true
  })
}

const halpeDetection = (imageId: string, idx: unknown, values: unknown[] = Array.from({length: 78}, (_, i) => (i % 3 === 2 ? 0.9 : 100 + i))): Record<string, unknown> => ({
  image_id: imageId,
  category_id: 1,
  keypoints: values,
  score: 2.5,
  box: [0, 0, 1, 1],
  idx,
})

describe('keypoint file errors', () => {
  it('missing file or folder', async () => {
    const file = path.join(tmp, 'nope.json')
    await rejects(readKeypoints(file), 2, file, /no such file or directory/)
  })

  it('empty file', async () => {
    const file = write('empty.json', '')
    await rejects(readKeypoints(file), 2, file, /empty/)
    const blank = write('blank.json', '  \n')
    await rejects(readKeypoints(blank), 2, blank, /empty/)
  })

  it('truncated JSON says where it ends', async () => {
    const text = readFileSync(path.join(samples, 'alphapose-slice.json'), 'utf8')
    const file = write('truncated.json', text.slice(0, 3000))
    await rejects(readKeypoints(file), 2, file, /truncated JSON: the text ends at byte 3000 \(line 1\) inside an unfinished (array|object)/)
  })

  it('invalid JSON gives line and column', async () => {
    const file = write('invalid.json', '[\n  {"image_id": "0.jpg", "keypoints": [1, 2 3]}\n]')
    await rejects(readKeypoints(file), 2, file, /invalid JSON at line 2, column 44 .*expected ',' or '\]', found '3'/)
  })

  it('unknown format lists the formats', async () => {
    const json = write('other.json', '{"hello": [1, 2, 3]}')
    await rejects(readKeypoints(json), 2, json, /cannot tell the keypoint format.*alphapose.*coco.*openpose.*mediapipe.*csv.*npy/)
    const text = write('notes.txt', 'just some words\n')
    await rejects(readKeypoints(text), 2, text, /cannot tell the keypoint format.*alphapose/)
  })

  it('wrong keypoint count names the detection and the expected counts', async () => {
    const file = write('sixty.json', JSON.stringify([halpeDetection('0.jpg', 1), halpeDetection('1.jpg', 1, Array.from({length: 60}, () => 1))]))
    await rejects(readKeypoints(file), 2, file, /detection 1 \(image_id "1.jpg"\) has 60 keypoint numbers; expected 78 \(Halpe-26\), 51 \(COCO-17\)/)
    const dir = path.join(tmp, 'op-bad')
    mkdirSync(dir)
    writeFileSync(path.join(dir, 'a_000000000000_keypoints.json'), JSON.stringify({people: [{pose_keypoints_2d: [1, 2, 3]}]}))
    await rejects(readKeypoints(dir), 2, path.join(dir, 'a_000000000000_keypoints.json'), /3 pose_keypoints_2d numbers; expected 75 \(BODY_25\) or 54 \(COCO-18\)/)
  })

  it('NaN / Infinity coordinates name the frame and joint (JSON as Python writes it, CSV, NPY)', async () => {
    const good = JSON.stringify(halpeDetection('out0000007.png', [0]))
    const bad = good.replace(/"keypoints":\[((?:[^,]+,){15})[^,]+/, '"keypoints":[$1NaN')
    assert.notEqual(bad, good)
    const file = write('nan.json', `[${good.replace('out0000007', 'out0000006')},${bad}]`)
    await rejects(readKeypoints(file), 2, file, /non-finite x \(NaN or null\) at detection 1 \(image_id "out0000007.png"\), joint 5 \(LShoulder\)/)
    const csv = write('inf.csv', 'frame,joint,x,y,score\n0,pelvis,1,2,1\n0,r_hip,Infinity,2,1\n')
    await rejects(readKeypoints(csv), 2, csv, /row 3: x \(frame 0, joint 1 r_hip\) is "Infinity"/)
    const {encodeNpy} = await import('../../../src/formats/npy.js')
    const data = new Float32Array(2 * 17 * 3).fill(1)
    data[(1 * 17 + 4) * 3 + 1] = Number.NaN
    const npy = write('nan.npy', encodeNpy({data, shape: [2, 17, 3]}))
    await rejects(readKeypoints(npy), 2, npy, /non-finite y \(NaN\) at frame 1, joint 4 \(l_hip\)/)
  })

  it('all-zero confidences: exit 4', async () => {
    const zeros = Array.from({length: 78}, (_, i) => (i % 3 === 2 ? 0 : 100 + i))
    const file = write('zero-conf.json', JSON.stringify([halpeDetection('0.jpg', 1, zeros), halpeDetection('1.jpg', 1, zeros)]))
    const data = await readKeypoints(file)
    assert.throws(() => selectPeople(data), (err: unknown) => isMotionError(err) && err.exitCode === 4 && err.message.startsWith(file) && /no frame has a keypoint with nonzero confidence for person 1/.test(err.message))
  })

  it('no detections at all: exit 4', async () => {
    const file = write('none.json', '[]')
    await rejects(readKeypoints(file), 4, file, /no detections/)
  })

  it('a person id that is not there lists the ids that are', async () => {
    const file = write('two.json', JSON.stringify([halpeDetection('0.jpg', 1), halpeDetection('0.jpg', 2), halpeDetection('1.jpg', 2)]))
    const data = await readKeypoints(file)
    assert.throws(() => selectPeople(data, {person: '5'}), (err: unknown) => isMotionError(err) && err.exitCode === 2 && /no person with id 5; the ids there are: 2 \(2 frames\), 1 \(1 frames\)/.test(err.message))
  })

  it('npy with the wrong shape, and a .npy that is not NumPy', async () => {
    const {encodeNpy} = await import('../../../src/formats/npy.js')
    const npy = write('shape.npy', encodeNpy({data: new Float32Array(10 * 16 * 3), shape: [10, 16, 3]}))
    await rejects(readKeypoints(npy), 2, npy, /shape \[10, 16, 3\]; expected \[T, 17, 2\|3\]/)
    const fake = write('fake.npy', '[1, 2, 3]')
    await rejects(readKeypoints(fake), 2, fake, /not a NumPy \.npy file/)
  })

  it('a folder without OpenPose files, and a folder forced to another format', async () => {
    const dir = path.join(tmp, 'empty-dir')
    mkdirSync(dir)
    await rejects(readKeypoints(dir), 2, dir, /no \*_keypoints.json files/)
    await rejects(readKeypoints(dir, {format: 'csv'}), 2, dir, /is a folder/)
  })

  it('CSV without the needed columns or with an unknown joint', async () => {
    const noFrame = write('noframe.csv', 'x,y\n1,2\n')
    await rejects(readKeypoints(noFrame, {format: 'csv'}), 2, noFrame, /no "frame" column/)
    const joint = write('joint.csv', 'frame,joint,x,y\n0,tail,1,2\n')
    await rejects(readKeypoints(joint), 2, joint, /row 2: unknown joint "tail"/)
    const wide = write('wide.csv', 'frame,pelvis_x,pelvis_y\n0,1,2\n')
    await rejects(readKeypoints(wide), 2, wide, /no x\/y columns for r_hip/)
  })
})
