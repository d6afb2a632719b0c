/**
 * `motion data info / project / convert` through the real CLI: projection checked against a hand
 * projection of the 3D clip, the CMU folder described with its real counts, the bundled example
 * remade byte for byte by the command in examples/README.md, and one-line errors with exit 2 and
 * no output file.
 */
import assert from 'node:assert/strict'
import {existsSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'
import {readKeypoints} from '../../src/data/keypoints/index.js'
import {readNpyFloat32} from '../../src/formats/npy.js'
import {runCli} from '../helpers/cli.js'
import {dataDir, repoRoot} from '../helpers/paths.js'
import {tmpDirForTests} from '../helpers/tmp.js'

const tmp = tmpDirForTests('motion-data-')
const cmu = path.join(dataDir, 'cmu-mocap-h36m17')

interface ProjectResult {
  frames: number
  fps: number
  format: string
  source: {name: string; fps: number; firstFrame: number; lastFrame: number}
  camera: {focalPx: number; principalPoint: [number, number]; rotation: number[]; translationMm: number[]}
  groundTruth: {file: string; shape: number[]; units: string; rootRelative: boolean}
}

/** Camera coordinates and pixels of world point p, by hand: p_cam = R·p + t, u = f·x/z + cx. */
function handProject(p: ArrayLike<number>, cam: ProjectResult['camera'], focal: number): {cam: number[]; uv: number[]} {
  const R = cam.rotation
  const t = cam.translationMm
  const c = [0, 1, 2].map((r) => R[r * 3]! * p[0]! + R[r * 3 + 1]! * p[1]! + R[r * 3 + 2]! * p[2]! + t[r]!)
  return {cam: c, uv: [(focal * c[0]!) / c[2]! + cam.principalPoint[0], (focal * c[1]!) / c[2]! + cam.principalPoint[1]]}
}

function parseJson<T>(stdout: string): T {
  return JSON.parse(stdout) as T
}

describe('motion data project', () => {
  it('writes AlphaPose keypoints that data info describes and that read back to a hand projection of the clip, with the camera-space ground truth', async () => {
    const out = path.join(tmp, 'walk.alphapose.json')
    const gt = path.join(tmp, 'walk.gt.npy')
    const args = ['data', 'project', '--data', cmu, '--split', 'test', '--clip', 'walking_1', '--camera-seed', '3', '--image-size', '1920x1080']
    const r = await runCli([...args, '--out', out, '--with-gt', gt, '--json'])
    assert.equal(r.code, 0, r.stderr)
    const result = parseJson<ProjectResult>(r.stdout)
    // walking_1: 358 frames at 120 fps -> 90 frames at 30 fps
    assert.equal(result.frames, 90)
    assert.equal(result.source.fps, 120)
    assert.deepEqual(result.groundTruth.shape, [90, 17, 3])

    const info = await runCli(['data', 'info', out, '--json'])
    assert.equal(info.code, 0, info.stderr)
    const described = parseJson<{kind: string; format: string; frames: number; people: {id: string; frames: number}[]}>(info.stdout)
    assert.equal(described.kind, 'keypoints')
    assert.equal(described.format, 'alphapose')
    assert.equal(described.frames, 90)
    assert.deepEqual(described.people.map((p) => [p.id, p.frames]), [['0', 90]])

    const world = await readNpyFloat32(path.join(cmu, 'test', 'walking', 'walking_1.npy'))
    const gtArr = await readNpyFloat32(gt)
    const read = await readKeypoints(out)
    const frames = read.people[0]!.frames
    let maxPx = 0
    let maxMm = 0
    for (let t = 0; t < 90; t++) {
      const src = Math.floor((t * 358) / 90) // MotionBERT resample: linspace(0, 358, 90, endpoint=False) floored
      const kp = frames.get(t)![0]!.keypoints
      const uv: number[][] = []
      for (let j = 0; j < 17; j++) {
        const h = handProject(world.data.subarray((src * 17 + j) * 3, (src * 17 + j) * 3 + 3), result.camera, result.camera.focalPx)
        uv.push(h.uv)
        for (let c = 0; c < 3; c++) maxMm = Math.max(maxMm, Math.abs(gtArr.data[(t * 17 + j) * 3 + c]! - h.cam[c]!))
      }
      for (let j = 0; j < 17; j++) {
        // Halpe-26 has no spine: the reader gives mid(pelvis, thorax)
        const want = j === 7 ? [(uv[0]![0]! + uv[8]![0]!) / 2, (uv[0]![1]! + uv[8]![1]!) / 2] : uv[j]!
        maxPx = Math.max(maxPx, Math.abs(kp[j * 3]! - want[0]!), Math.abs(kp[j * 3 + 1]! - want[1]!))
        assert.equal(kp[j * 3 + 2], 1, 'no noise: confidence 1')
      }
    }
    assert.ok(maxPx <= 0.006, `pixels differ from the hand projection by up to ${maxPx}`) // written with 2 decimals
    assert.ok(maxMm <= 0.05, `ground truth differs from the hand camera transform by up to ${maxMm} mm`)
  })

  it('CSV output keeps the true spine; --gt-root-relative zeroes the pelvis', async () => {
    const out = path.join(tmp, 'walk.csv')
    const gt = path.join(tmp, 'walk-rr.gt.npy')
    const r = await runCli(['data', 'project', '--data', cmu, '--split', 'test', '--clip', 'test/walking/walking_1', '--camera-seed', '3', '--image-size', '1920x1080', '--out', out, '--with-gt', gt, '--gt-root-relative', '--json'])
    assert.equal(r.code, 0, r.stderr)
    const alpha = await readKeypoints(path.join(tmp, 'walk.alphapose.json'))
    const csv = await readKeypoints(out)
    const gtArr = await readNpyFloat32(gt)
    assert.deepEqual([gtArr.data[0], gtArr.data[1], gtArr.data[2]], [0, 0, 0])
    // the same camera (same seed): every joint but the spine equals the AlphaPose file's
    const a = alpha.people[0]!.frames.get(10)![0]!.keypoints
    const c = csv.people[0]!.frames.get(10)![0]!.keypoints
    for (let j = 0; j < 17; j++) {
      const d = Math.hypot(a[j * 3]! - c[j * 3]!, a[j * 3 + 1]! - c[j * 3 + 1]!)
      if (j === 7) assert.ok(d > 0.5, 'the projected spine is not the pelvis-thorax midpoint on this data')
      else assert.ok(d < 1e-3, `joint ${j} differs by ${d}`)
    }
  })

  it('noise moves keypoints by about the asked pixels and gives AlphaPose-like confidences', async () => {
    const out = path.join(tmp, 'noisy.csv')
    const r = await runCli(['data', 'project', '--data', cmu, '--split', 'test', '--clip', 'walking_1', '--camera-seed', '3', '--image-size', '1920x1080', '--noise', '3', '--out', out])
    assert.equal(r.code, 0, r.stderr)
    const clean = await readKeypoints(path.join(tmp, 'walk.csv'))
    const noisy = await readKeypoints(out)
    const offsets: number[] = []
    const conf: number[] = []
    for (let t = 0; t < 90; t++) {
      const a = clean.people[0]!.frames.get(t)![0]!.keypoints
      const b = noisy.people[0]!.frames.get(t)![0]!.keypoints
      for (let j = 0; j < 17; j++) {
        offsets.push(b[j * 3]! - a[j * 3]!, b[j * 3 + 1]! - a[j * 3 + 1]!)
        conf.push(b[j * 3 + 2]!)
      }
    }
    const rms = Math.sqrt(offsets.reduce((s, v) => s + v * v, 0) / offsets.length)
    assert.ok(rms > 2.4 && rms < 3.6, `rms offset ${rms} px for --noise 3`)
    conf.sort((x, y) => x - y)
    const median = conf[Math.floor(conf.length / 2)]!
    assert.ok(median > 0.8 && median < 0.95, `median confidence ${median}`)
    assert.ok(conf[0]! >= 0.05 && conf.at(-1)! <= 0.99 + 1e-6, `confidences ${conf[0]}..${conf.at(-1)}`)
  })

  it('errors are one line, exit 2, and write nothing', async () => {
    const out = path.join(tmp, 'never.json')
    const cases: {args: string[]; pattern: RegExp}[] = [
      {args: ['--data', path.join(tmp, 'no-such-folder')], pattern: /no-such-folder: no such file or folder/},
      {args: ['--data', cmu, '--split', 'test', '--clip', 'strolling_3'], pattern: /no clip "strolling_3".*Clips: .*walking_1, .*walking_18/},
      {args: ['--data', cmu, '--split', 'test', '--clip', 'walking_1', '--image-size', '1920by1080'], pattern: /bad image size "1920by1080"/},
      {args: ['--data', cmu, '--clip', 'walking_1'], pattern: /"walking_1" matches 2 clips/},
      {args: ['--data', cmu, '--split', 'test', '--clip', 'walking_1', '--noise', '-1'], pattern: /--noise must be >= 0/},
    ]
    const results = await Promise.all(cases.map((c) => runCli(['data', 'project', ...c.args, '--out', out])))
    for (const [i, c] of cases.entries()) {
      const r = results[i]!
      assert.equal(r.code, 2, `${c.args.join(' ')}: ${r.stderr}`)
      const first = r.stderr.split('\n')[0]!
      assert.match(first, /^Error: /)
      assert.match(first, c.pattern)
      assert.ok(r.stderr.trim().split('\n').length <= 2, `one error line and at most a hint:\n${r.stderr}`)
      assert.ok(!existsSync(out), 'no output file')
    }
    const missingDir = await runCli(['data', 'project', '--data', cmu, '--split', 'test', '--clip', 'walking_1', '--out', path.join(tmp, 'nope', 'x.json')])
    assert.equal(missingDir.code, 2)
    assert.match(missingDir.stderr, /output folder .*nope does not exist/)
  })
})

describe('motion data info', () => {
  it('describes the CMU clip folder: 96 clips, 67,774 frames at 120 fps, labels as in index.json', async () => {
    const r = await runCli(['data', 'info', cmu, '--json'])
    assert.equal(r.code, 0, r.stderr)
    const info = parseJson<{kind: string; clips: number; frames: number; fps: number; units: string; actions: {action: string; clips: number; splits: Record<string, number>}[]; splits: {split: string; clips: number}[]}>(r.stdout)
    assert.equal(info.kind, 'clips')
    assert.equal(info.clips, 96)
    assert.equal(info.frames, 67774)
    assert.equal(info.fps, 120)
    assert.equal(info.units, 'mm')
    const extra = info.actions.find((a) => a.action === 'walking_extra')!
    assert.equal(extra.clips, 58)
    assert.deepEqual(extra.splits, {test: 18, train: 40})
    assert.deepEqual(info.splits.map((s) => [s.split, s.clips]), [['test', 24], ['train', 72]])
    const text = await runCli(['data', 'info', cmu])
    assert.match(text.stdout, /96 clips, 67,774 frames at 120 fps/)
  })

  it('describes a BVH (joints, frames, fps) and refuses a checkpoint, pointing to motion import', async () => {
    const r = await runCli(['data', 'info', path.join(dataDir, 'bvh-cmu', '131_01.bvh'), '--json'])
    assert.equal(r.code, 0, r.stderr)
    const info = parseJson<{kind: string; joints: number; frames: number; fps: number; h36mSkeleton: string}>(r.stdout)
    assert.deepEqual([info.kind, info.joints, info.frames, info.fps, info.h36mSkeleton], ['bvh', 31, 994, 120, 'cmu'])
    const ckpt = path.join(tmp, 'best_epoch.bin')
    writeFileSync(ckpt, 'PK')
    const refused = await runCli(['data', 'info', ckpt])
    assert.equal(refused.code, 2)
    assert.match(refused.stderr, /best_epoch\.bin: looks like a model checkpoint/)
    assert.match(refused.stderr, /motion import/)
  })

  it('describes the real AlphaPose file: 1,234 frames, one person, duplicate detections, confidences', async () => {
    const r = await runCli(['data', 'info', path.join(dataDir, 'alphapose-real', 'alphapose-results.json'), '--json'])
    assert.equal(r.code, 0, r.stderr)
    const info = parseJson<{frames: number; detections: number; people: {id: string; frames: number; duplicateFrames: number}[]; confidence: {median: number}}>(r.stdout)
    assert.equal(info.frames, 1234)
    assert.equal(info.detections, 1364)
    assert.deepEqual(info.people.map((p) => [p.id, p.frames, p.duplicateFrames]), [['0', 1234, 76]])
    assert.ok(info.confidence.median > 0.85 && info.confidence.median < 0.95)
  })
})

describe('motion data convert', () => {
  it('converts the real AlphaPose file to NPY and COCO; both read back to the same person and frames', async () => {
    const src = path.join(dataDir, 'alphapose-real', 'alphapose-results.json')
    const npy = path.join(tmp, 'real.npy')
    const r = await runCli(['data', 'convert', src, '--out', npy, '--json'])
    assert.equal(r.code, 0, r.stderr)
    const result = parseJson<{format: string; frames: number; people: string[]; notes: string[]}>(r.stdout)
    assert.deepEqual([result.format, result.frames, result.people], ['npy', 1234, ['0']])
    assert.match(result.notes.join(' '), /76 person-frames with several detections/)
    const arr = await readNpyFloat32(npy)
    assert.deepEqual(arr.shape, [1234, 17, 3])
    const coco = path.join(tmp, 'real.coco.json')
    const c = await runCli(['data', 'convert', src, '--out', coco])
    assert.equal(c.code, 0, c.stderr)
    const back = await readKeypoints(coco)
    assert.equal(back.format, 'coco')
    assert.equal(back.frameCount, 1234)
    assert.equal([...back.people[0]!.frames.values()].reduce((s, l) => s + l.length, 0), 1364)
    const bad = await runCli(['data', 'convert', src, '--out', path.join(tmp, 'x.txt')])
    assert.equal(bad.code, 2)
    assert.ok(!existsSync(path.join(tmp, 'x.txt')))
  })
})

describe('bundled example', () => {
  it('examples/README.md gives the commands that remake the example files byte for byte', async () => {
    const readme = readFileSync(path.join(repoRoot, 'examples', 'README.md'), 'utf8').replace(/\\\n\s*/g, '')
    assert.ok(
      readme.includes('data project --data ../shared/data/cmu-mocap-h36m17 --split test --clip walking_18 --camera-seed 20 --noise 2 --out examples/walking.alphapose.json --with-gt examples/walking.gt.npy'),
      'the project command in examples/README.md',
    )
    assert.ok(readme.includes('data convert examples/walking.alphapose.json --out examples/walking.csv'))
    const out = path.join(tmp, 'walking.alphapose.json')
    const gt = path.join(tmp, 'walking.gt.npy')
    const r = await runCli(['data', 'project', '--data', cmu, '--split', 'test', '--clip', 'walking_18', '--camera-seed', '20', '--noise', '2', '--out', out, '--with-gt', gt])
    assert.equal(r.code, 0, r.stderr)
    const csv = path.join(tmp, 'walking.csv')
    const c = await runCli(['data', 'convert', out, '--out', csv])
    assert.equal(c.code, 0, c.stderr)
    for (const [made, bundled] of [[out, 'walking.alphapose.json'], [gt, 'walking.gt.npy'], [csv, 'walking.csv']] as const) {
      const file = path.join(repoRoot, 'examples', bundled)
      assert.ok(readFileSync(made).equals(readFileSync(file)), `${bundled} is what the documented command makes`)
      assert.ok(statSync(file).size < 500_000, `${bundled} stays small`)
    }
    const data = await readKeypoints(path.join(repoRoot, 'examples', 'walking.alphapose.json'))
    assert.equal(data.frameCount, 124)
    assert.equal(data.layout, 'halpe26')
  })
})
