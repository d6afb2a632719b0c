import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'

export default class DataInfo extends BaseCommand {
  static override description =
    'Say what a data file or folder holds: 2D keypoint files (format, layout, people and their frames, image size, confidences), 3D clip folders (clips, actions, splits, frames, fps), BVH (joints, frames, fps), NumPy files (arrays and shapes). For checkpoints use `motion import`.'

  static override examples = [
    '<%= config.bin %> data info examples/walking.alphapose.json',
    '<%= config.bin %> data info ../shared/data/cmu-mocap-h36m17',
    '<%= config.bin %> data info ../shared/data/cmu-mocap-h36m17 --clips',
    '<%= config.bin %> data info ../shared/data/bvh-cmu/131_01.bvh --json',
  ]

  static override args = {
    path: Args.string({description: 'A keypoint file or OpenPose folder, a 3D clip folder, a .bvh, .npy, .npz or MotionBERT clip .pkl.', required: true}),
  }

  static override flags = {
    clips: Flags.boolean({description: 'For a clip folder: also list every clip (name, action, split, frames).', default: false}),
  }

  async run(): Promise<Record<string, unknown>> {
    const {args, flags} = await this.parse(DataInfo)
    const {dataInfo, formatDataInfo} = await import('../../data/data-info.js')
    const info = await dataInfo(args.path)
    for (const line of formatDataInfo(info)) this.info(line)
    if (flags.clips && info.kind === 'clips') {
      for (const c of info.clipList) this.info(`    ${c.name}  ${c.action ?? '-'}  ${c.split ?? '-'}  ${c.frames} frames`)
    }
    return {...info}
  }
}
