import {promises as fsp} from 'node:fs'
import path from 'node:path'
import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {inputError} from '../../core/errors.js'

export default class DataProject extends BaseCommand {
  static override description =
    'Project real 3D motion (a clip folder such as cmu-mocap-h36m17, a BVH, or a [frames, 17, 3] npy in mm) through a seeded virtual camera into 2D pixel keypoints in an input format predict reads, optionally with the camera-space 3D ground truth (mm; x right, y down, z forward), to test predict and eval end to end.'

  static override examples = [
    '<%= config.bin %> data project --data ../shared/data/cmu-mocap-h36m17 --split test --clip walking_1 --noise 2 --out walking.alphapose.json --with-gt walking.gt.npy',
    '<%= config.bin %> data project --data ../shared/data/bvh-cmu/131_01.bvh --image-size 1920x1080 --camera-seed 3 --format csv --out hops.csv',
    '<%= config.bin %> data project --data clip.npy --source-fps 50 --fps 25 --out clip.coco.json --with-gt clip.gt.npz --gt-root-relative',
  ]

  static override flags = {
    data: Flags.string({description: 'Clip folder (index.json or action/split folders), .bvh, or .npy/.npz of [frames, 17, 3] world mm.', required: true}),
    clip: Flags.string({description: 'Clip of a folder: its name as index.json lists it, without extension, or the bare file name (walking_1).'}),
    split: Flags.string({description: 'Only look at clips of this split (train, test, ...).'}),
    'camera-seed': Flags.integer({description: 'Seed of the camera (yaw, pitch, roll, distance, focal length) and of the noise.', default: 0}),
    yaw: Flags.string({description: 'Camera azimuth around the subject in degrees (default: drawn from the seed in -180..180).'}),
    pitch: Flags.string({description: 'Camera elevation in degrees, positive looks down (default: drawn in -5..25).'}),
    distance: Flags.string({description: 'Camera distance to the mean root position in mm (default: drawn in 4000..7000, then backed off until the body fits).'}),
    focal: Flags.string({description: 'Focal length in pixels (default: drawn in 1000..1300 per 1000 px of the shorter image side).'}),
    fit: Flags.boolean({description: 'Back the camera off until every joint of every frame is inside the image.', default: true, allowNo: true}),
    fps: Flags.string({description: 'Frame rate of the output; frames are picked as MotionBERT resamples.', default: '30'}),
    'source-fps': Flags.string({description: 'Frame rate of the 3D motion when the data does not say (npy), or to override it.'}),
    start: Flags.integer({description: 'First output frame (at the output frame rate).', default: 0, min: 0}),
    frames: Flags.integer({description: 'Number of output frames (default: to the end of the clip).', min: 1}),
    'image-size': Flags.string({description: 'Image WIDTHxHEIGHT in pixels; the principal point is its centre.', default: '1080x1920'}),
    noise: Flags.string({description: 'Pixel noise standard deviation (per joint, scaled by how hard detectors find it) with AlphaPose-like confidences; 0 = exact projection, confidence 1.', default: '0'}),
    format: Flags.string({description: 'Output format (default from the --out extension: .json alphapose, .coco.json coco, .csv, .npy/.npz).', options: ['alphapose', 'coco', 'csv', 'npy']}),
    decimals: Flags.integer({description: 'Decimal places of pixel coordinates (confidences: as many, at least 3).', default: 2, min: 0, max: 9}),
    out: Flags.string({description: 'Keypoint file to write (atomically).', required: true}),
    'with-gt': Flags.string({description: 'Also write the camera-space 3D ground truth: .npy [frames, 17, 3] mm, or .npz with the camera too.'}),
    'gt-root-relative': Flags.boolean({description: 'Write the ground truth root-relative (pelvis at 0 in every frame).', default: false}),
  }

  async run(): Promise<Record<string, unknown>> {
    const {flags} = await this.parse(DataProject)
    const [{loadWorldMotion, parseImageSize, projectMotion, rootRelativeCopy}, {keypointDataFromTracks, keypointFormatForFile, writeKeypoints}, {writeNpy, writeNpz}, {CAMERA_COORDINATES}] =
      await Promise.all([import('../../data/project-motion.js'), import('../../data/keypoints/writers.js'), import('../../formats/npy.js'), import('../../formats/writers/types.js')])

    // Everything that can be checked before reading data is checked first, so nothing is written half.
    const imageSize = parseImageSize(flags['image-size'])
    const fps = positiveNumber(flags.fps, '--fps')
    const noisePx = number(flags.noise, '--noise')
    if (noisePx < 0) throw inputError(`--noise must be >= 0 pixels, got ${noisePx}`)
    const format = (flags.format as 'alphapose' | 'coco' | 'csv' | 'npy' | undefined) ?? keypointFormatForFile(flags.out)
    if (format === undefined) {
      throw inputError(`cannot tell the output format from '${path.basename(flags.out)}'`, {hint: 'use --format alphapose|coco|csv|npy or an extension .json, .coco.json, .csv, .npy, .npz'})
    }
    await folderMustExist(flags.out)
    const gt = flags['with-gt']
    if (gt !== undefined) {
      const ext = path.extname(gt).toLowerCase()
      if (ext !== '.npy' && ext !== '.npz') throw inputError('the ground truth is written as .npy or .npz', {file: gt})
      if (path.resolve(gt) === path.resolve(flags.out)) throw inputError('--with-gt and --out name the same file', {file: gt})
      await folderMustExist(gt)
    }

    const motion = await loadWorldMotion(flags.data, {clip: flags.clip, split: flags.split})
    const sourceFps = flags['source-fps'] !== undefined ? positiveNumber(flags['source-fps'], '--source-fps') : motion.fps
    if (sourceFps === null) {
      throw inputError(`the frame rate of ${motion.name} is unknown`, {file: motion.file, hint: 'give it with --source-fps'})
    }
    const projected = projectMotion(motion.positions, {
      sourceFps,
      fps,
      start: flags.start,
      frames: flags.frames,
      imageSize,
      seed: flags['camera-seed'],
      yawDeg: optionalNumber(flags.yaw, '--yaw'),
      pitchDeg: optionalNumber(flags.pitch, '--pitch'),
      distanceMm: optionalNumber(flags.distance, '--distance'),
      focalPx: optionalNumber(flags.focal, '--focal'),
      fitMarginPx: flags.fit ? 10 : -1,
      noisePx,
      upAxis: motion.upAxis,
    })
    const T = projected.keypoints.shape[0]!
    const data = keypointDataFromTracks([{id: '0', keypoints: projected.keypoints}], {file: flags.out, imageSize, units: 'pixels'})
    const written = await writeKeypoints(flags.out, data, {format, decimals: flags.decimals, confidenceDecimals: Math.max(3, flags.decimals)})

    const cam = projected.camera
    const camera = {
      yawDeg: cam.yawDeg,
      pitchDeg: cam.pitchDeg,
      rollDeg: cam.rollDeg,
      distanceMm: cam.distanceMm,
      focalPx: cam.focal,
      principalPoint: [cam.cx, cam.cy],
      rotation: [...cam.rotation],
      translationMm: [...cam.translation],
      fitted: projected.fitted,
    }
    let groundTruth: Record<string, unknown> | null = null
    if (gt !== undefined) {
      const positions = flags['gt-root-relative'] ? rootRelativeCopy(projected.camera3d) : projected.camera3d
      if (path.extname(gt).toLowerCase() === '.npz') {
        await writeNpz(gt, {
          positions,
          intrinsics: {data: Float32Array.from([cam.focal, cam.focal, cam.cx, cam.cy]), shape: [4]},
          rotation: {data: Float32Array.from(cam.rotation), shape: [3, 3]},
          translation: {data: Float32Array.from(cam.translation), shape: [3]},
          fps: {data: Float32Array.from([fps]), shape: [1]},
        })
      } else {
        await writeNpy(gt, positions)
      }
      groundTruth = {file: gt, shape: [...positions.shape], units: 'mm', coordinates: CAMERA_COORDINATES, rootRelative: flags['gt-root-relative']}
    }

    const first = projected.sourceFrames[0]!
    const last = projected.sourceFrames[T - 1]!
    this.info(`wrote ${flags.out}: ${T} frames at ${fps} fps (${(T / fps).toFixed(1)} s), ${format}, person 0, image ${imageSize[0]}x${imageSize[1]}, pixels${noisePx > 0 ? `, noise ${noisePx} px` : ', no noise'}`)
    this.info(`  from ${motion.name}${motion.action ? ` (${motion.action}${motion.split ? `, ${motion.split}` : ''})` : ''}, source frames ${first}..${last} at ${sourceFps} fps`)
    this.info(
      `  camera: yaw ${camera.yawDeg.toFixed(1)}°, pitch ${camera.pitchDeg.toFixed(1)}°, roll ${camera.rollDeg.toFixed(1)}°, ${(camera.distanceMm / 1000).toFixed(2)} m${projected.fitted ? ' (backed off to fit the image)' : ''}, focal ${camera.focalPx.toFixed(0)} px (seed ${flags['camera-seed']})`,
    )
    if (groundTruth) this.info(`  ground truth: ${gt} [${T}, 17, 3] mm, camera coordinates (x right, y down, z forward)${flags['gt-root-relative'] ? ', root-relative' : ''}`)
    return {
      file: flags.out,
      format,
      layout: written.layout,
      bytes: written.bytes,
      frames: T,
      fps,
      person: '0',
      units: 'pixels',
      imageSize,
      noisePx,
      source: {name: motion.name, file: motion.file, action: motion.action, split: motion.split, fps: sourceFps, firstFrame: first, lastFrame: last},
      camera,
      groundTruth,
    }
  }
}

function number(text: string, flag: string): number {
  const v = Number(text)
  if (text.trim() === '' || !Number.isFinite(v)) throw inputError(`${flag} must be a number, got "${text}"`)
  return v
}

function positiveNumber(text: string, flag: string): number {
  const v = number(text, flag)
  if (!(v > 0)) throw inputError(`${flag} must be positive, got ${text}`)
  return v
}

function optionalNumber(text: string | undefined, flag: string): number | undefined {
  return text === undefined ? undefined : number(text, flag)
}

async function folderMustExist(file: string): Promise<void> {
  const dir = path.dirname(path.resolve(file))
  const stat = await fsp.stat(dir).catch(() => null)
  if (!stat?.isDirectory()) throw inputError(`the output folder ${dir} does not exist`, {file})
}
