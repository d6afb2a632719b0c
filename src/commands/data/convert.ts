import {promises as fsp} from 'node:fs'
import path from 'node:path'
import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {inputError} from '../../core/errors.js'

export default class DataConvert extends BaseCommand {
  static override description =
    'Convert a 2D keypoint file between formats through H36M-17: any format predict reads in (AlphaPose, COCO, OpenPose folder, MediaPipe, CSV, NPY/NPZ) to AlphaPose (Halpe-26), COCO results, CSV long form or NPY/NPZ. A BVH file (CMU, Bandai Namco or motion\'s own skeleton) converts to a 3D clip: .npy float32 [T, 17, 3], H36M-17, millimetres, y up, as the clip folders training reads.'

  static override examples = [
    '<%= config.bin %> data convert alphapose-results.json --out keypoints.csv',
    '<%= config.bin %> data convert openpose_json/ --out keypoints.npy',
    '<%= config.bin %> data convert poses.json --from mediapipe --out poses.json --format coco',
    '<%= config.bin %> data convert dataset-2_walk_normal_001.bvh --out walk.npy',
  ]

  static override args = {
    input: Args.string({description: 'Keypoint file (or OpenPose folder) to read.', required: true}),
  }

  static override flags = {
    out: Flags.string({description: 'File to write (atomically).', required: true}),
    format: Flags.string({description: 'Output format (default from the --out extension: .json alphapose, .coco.json coco, .csv, .npy/.npz).', options: ['alphapose', 'coco', 'csv', 'npy']}),
    from: Flags.string({description: 'Input format, when detection from the content is not wanted.', options: ['alphapose', 'coco', 'openpose', 'mediapipe', 'csv', 'npy']}),
    decimals: Flags.integer({description: 'Decimal places of coordinates and confidences (default: exact float32).', min: 0, max: 9}),
  }

  async run(): Promise<Record<string, unknown>> {
    const {args, flags} = await this.parse(DataConvert)
    if (path.extname(args.input).toLowerCase() === '.bvh') return this.convertBvh(args.input, flags.out)
    const [{readKeypoints, parseKeypointFormat}, {keypointFormatForFile, parseWritableFormat, writeKeypoints}] = await Promise.all([
      import('../../data/keypoints/index.js'),
      import('../../data/keypoints/writers.js'),
    ])
    const format = flags.format !== undefined ? parseWritableFormat(flags.format) : keypointFormatForFile(flags.out)
    if (format === undefined) {
      throw inputError(`cannot tell the output format from '${path.basename(flags.out)}'`, {hint: 'use --format alphapose|coco|csv|npy or an extension .json, .coco.json, .csv, .npy, .npz'})
    }
    const outDir = path.dirname(path.resolve(flags.out))
    if (!(await fsp.stat(outDir).catch(() => null))?.isDirectory()) throw inputError(`the output folder ${outDir} does not exist`, {file: flags.out})
    if (path.resolve(flags.out) === path.resolve(args.input)) throw inputError('--out is the input file; write to another file', {file: flags.out})

    const data = await readKeypoints(args.input, flags.from === undefined ? {} : {format: parseKeypointFormat(flags.from)})
    const written = await writeKeypoints(flags.out, data, {format, decimals: flags.decimals})
    const lossy: string[] = []
    if (format === 'alphapose') lossy.push('H36M spine is read back as mid(pelvis, thorax) (Halpe-26 has no spine)')
    if (format === 'coco') lossy.push('H36M pelvis, spine and thorax are read back from hips and shoulders (COCO-17 has none)')
    if (format === 'npy' && data.people.length > 1) lossy.push(`person ids become 0..${data.people.length - 1} in file order (${data.people.map((p) => p.id).join(', ')})`)
    if (format === 'csv' || format === 'npy') {
      const dup = data.people.reduce((s, p) => s + [...p.frames.values()].filter((l) => l.length > 1).length, 0)
      if (dup > 0) lossy.push(`${dup} person-frames with several detections keep the best-scored one`)
    }
    this.info(`wrote ${flags.out}: ${format} (${written.layout}), ${data.people.length} ${data.people.length === 1 ? 'person' : 'people'}, ${data.frameCount} frames, from ${data.format} (${data.layout})`)
    for (const note of lossy) this.info(`  note: ${note}`)
    return {
      input: args.input,
      inputFormat: data.format,
      inputLayout: data.layout,
      file: flags.out,
      format,
      layout: written.layout,
      people: data.people.map((p) => p.id),
      frames: data.frameCount,
      units: data.units,
      bytes: written.bytes,
      notes: lossy,
    }
  }

  /** BVH → H36M-17 joint positions in mm (a 3D clip .npy). */
  private async convertBvh(input: string, out: string): Promise<Record<string, unknown>> {
    if (path.extname(out).toLowerCase() !== '.npy') throw inputError('a BVH converts to a 3D clip: write .npy', {file: out, hint: 'use --out NAME.npy'})
    const outDir = path.dirname(path.resolve(out))
    if (!(await fsp.stat(outDir).catch(() => null))?.isDirectory()) throw inputError(`the output folder ${outDir} does not exist`, {file: out})
    const [{readBvh, bvhToH36m}, {writeNpy}] = await Promise.all([import('../../data/bvh.js'), import('../../formats/npy.js')])
    const clip = bvhToH36m(await readBvh(input))
    await writeNpy(out, clip.x3d)
    const T = clip.x3d.shape[0]!
    this.info(`wrote ${out}: [${T}, 17, 3] float32, H36M-17, mm, y up; from a ${clip.skeleton} BVH at ${clip.fps} fps (${clip.mmPerUnit} mm per file unit)`)
    return {input, file: out, format: 'npy', skeleton: clip.skeleton, frames: T, fps: clip.fps, units: 'mm', mmPerUnit: clip.mmPerUnit, shape: [T, 17, 3]}
  }
}
