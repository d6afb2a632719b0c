import {promises as fsp} from 'node:fs'
import path from 'node:path'
import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'

export default class DataSynthMesh extends BaseCommand {
  static override description =
    'Make a folder of synthetic mesh clips posed by an SMPL body model (random smooth poses and shapes), in the format finetune --task mesh and eval --task mesh read: one .npz per clip with keypoints2d [T,17,3] (the H36M joints\' x, y in metres, confidence 1) and theta [T,82] (72 axis-angle + 10 betas), plus kp_3d [T,17,3] mm (and verts with --with-verts), under train/ and test/ with an index.json. For trying mesh training and tests, since SMPL datasets cannot ship.'

  static override examples = [
    '<%= config.bin %> data synth-mesh --smpl-dir data/mesh --out mesh-clips',
    '<%= config.bin %> data synth-mesh --smpl-dir data/mesh --out mesh-clips --clips 32 --test-clips 8 --frames 64 --seed 3',
  ]

  static override flags = {
    'smpl-dir': Flags.string({description: 'Folder with SMPL_NEUTRAL.npz (or .pkl) and J_regressor_h36m_correct.npy (else config data_root, $MOTION_SMPL_DIR, ./data/mesh, ~/.motion/smpl).'}),
    out: Flags.string({description: 'Folder to create (must not exist or be empty).', required: true}),
    clips: Flags.integer({description: 'Training clips.', default: 8, min: 1}),
    'test-clips': Flags.integer({description: 'Test clips.', default: 2, min: 0}),
    frames: Flags.integer({description: 'Frames per clip.', default: 32, min: 1}),
    seed: Flags.integer({description: 'Seed of the poses and shapes.', default: 0}),
    'pose-scale': Flags.string({description: 'Largest joint rotation drawn, in radians per axis.', default: '0.4'}),
    'with-verts': Flags.boolean({description: 'Also store the vertices [T,V,3] mm (large with the real SMPL: 83 KB per frame).', default: false}),
  }

  async run(): Promise<Record<string, unknown>> {
    const {flags} = await this.parse(DataSynthMesh)
    const [{inputError}, {loadBodyModel, numVertices}, {synthMeshData}, {writeNpz}, {MESH_DATA_FORMAT}, {writeFileAtomic}] = await Promise.all([
      import('../../core/errors.js'),
      import('../../tasks/mesh/body-model.js'),
      import('../../tasks/mesh/train.js'),
      import('../../formats/npy.js'),
      import('../../tasks/mesh/data.js'),
      import('../../formats/atomic.js'),
    ])
    const poseScale = Number(flags['pose-scale'])
    if (!(poseScale >= 0 && Number.isFinite(poseScale))) throw inputError(`--pose-scale must be a number >= 0, got '${flags['pose-scale']}'`)
    const out = path.resolve(flags.out)
    const existing = await fsp.readdir(out).catch(() => null)
    if (existing && existing.length > 0) throw inputError('exists and is not empty', {file: flags.out, hint: 'choose a new --out folder'})
    const body = await loadBodyModel({dir: flags['smpl-dir']})

    const clips: Array<{file: string; split: string; frames: number}> = []
    const splits: Array<[string, number, number]> = [['train', flags.clips, flags.seed * 2 + 1], ['test', flags['test-clips'], flags.seed * 2 + 2]]
    for (const [split, count, seed] of splits) {
      if (count === 0) continue
      const data = await synthMeshData(body, {clips: count, frames: flags.frames, seed, poseScale})
      await fsp.mkdir(path.join(out, split), {recursive: true})
      const T = flags.frames
      const V = numVertices(body)
      const slice = (a: {data: Float32Array}, n: number, per: number[]): {data: Float32Array; shape: number[]} => {
        const size = per.reduce((p, q) => p * q, 1)
        return {data: a.data.slice(n * size, (n + 1) * size), shape: per}
      }
      for (let n = 0; n < count; n++) {
        const file = `${split}/clip_${String(n).padStart(3, '0')}.npz`
        await writeNpz(path.join(out, file), {
          keypoints2d: slice(data.input, n, [T, 17, 3]),
          theta: slice(data.theta, n, [T, 82]),
          kp_3d: slice(data.kp_3d, n, [T, 17, 3]),
          ...(flags['with-verts'] ? {verts: slice(data.verts, n, [T, V, 3])} : {}),
        })
        clips.push({file, split, frames: T})
      }
    }
    const index = {format: MESH_DATA_FORMAT, source: `motion data synth-mesh (body model ${body.source}, seed ${flags.seed})`, units: {kp_3d: 'mm', verts: 'mm'}, clips}
    await writeFileAtomic(path.join(out, 'index.json'), `${JSON.stringify(index, null, 2)}\n`)
    this.info(`wrote ${out}: ${flags.clips} train and ${flags['test-clips']} test clips of ${flags.frames} frames posed by the body model in ${body.source}`)
    return {out, clips: clips.length, train: flags.clips, test: flags['test-clips'], frames: flags.frames, vertices: numVertices(body), withVerts: flags['with-verts'], bodyModel: body.source}
  }
}
