import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {startTraining, trainFlags} from '../cli/train-flags.js'
import {DEFAULT_TASK, TASKS, type Task} from '../heads/tasks.js'

export default class Finetune extends BaseCommand {
  static override description =
    'Finetune a pretrained encoder for 3D pose lifting, action recognition or mesh recovery (a fresh action or mesh head goes on the pretrained backbone). --freeze backbone trains the head only (on features computed once), --freeze N the last N blocks and the head (MotionBERT partial_train), --freeze none everything. The backbone learns at 0.1x the head rate unless --lr-backbone says otherwise.'

  static override examples = [
    '<%= config.bin %> finetune --task pose3d --from runs/pre1 --data ../shared/data/cmu-mocap-h36m17 --out runs/ft1',
    '<%= config.bin %> finetune --task action --from MB_release.bin --config configs/action/MB_ft_NTU60_xsub.yaml --data clips/ --out runs/act --freeze backbone',
    '<%= config.bin %> finetune --task action --from models/lite --data clips/ --out runs/act2 --freeze 1 --lr-head 1e-3 --lr-backbone 1e-5',
    '<%= config.bin %> finetune --task mesh --from MB_release.bin --config configs/mesh/MB_ft_pw3d.yaml --smpl-dir data/mesh --data mesh-clips/ --out runs/mesh1',
    '<%= config.bin %> finetune --resume runs/act2',
  ]

  static override flags = {
    ...trainFlags,
    task: Flags.string({description: 'pose3d (2D-to-3D lifting), action (recognition; labels from index.json `action` or the folder names, or an NTU pickle), or mesh (SMPL meshes; --data is a mesh folder: motion data synth-mesh makes one).', options: [...TASKS], default: DEFAULT_TASK, helpGroup: 'TRAINING'}),
    'smpl-dir': Flags.string({description: 'Mesh: folder with the SMPL body model (SMPL_NEUTRAL.npz or .pkl, J_regressor_h36m_correct.npy, smpl_mean_params.npz) for a fresh mesh head; else config data_root, $MOTION_SMPL_DIR, ./data/mesh, ~/.motion/smpl. Not needed when --from is a mesh checkpoint.', helpGroup: 'TRAINING'}),
    from: Flags.string({description: 'Pretrained model: an official checkpoint (.bin/.pth), a native model folder, or a training run folder (its best, else latest).', helpGroup: 'TRAINING'}),
    freeze: Flags.string({description: 'backbone (head only), none (everything), or N (the last N blocks and the head). Default: none, or the config\'s partial_train.', helpGroup: 'TRAINING'}),
    'lr-backbone': Flags.string({description: 'Backbone learning rate (config key lr_backbone; default 0.1x the head rate).', helpGroup: 'TRAINING'}),
    'lr-head': Flags.string({description: 'Head learning rate (config key lr_head; default learning_rate).', helpGroup: 'TRAINING'}),
    persons: Flags.integer({description: 'Action: people per sample M (clips hold one; the rest are zeros, as NTU).', default: 1, min: 1, helpGroup: 'TRAINING'}),
    'no-feature-cache': Flags.boolean({description: 'With --freeze backbone, recompute the backbone every step instead of caching its features once.', default: false, helpGroup: 'TRAINING'}),
  }

  protected override logJson(json: unknown): void {
    process.stdout.write(`${JSON.stringify(json)}\n`)
  }

  async run(): Promise<Record<string, unknown>> {
    const {flags} = await this.parse(Finetune)
    const {inputError} = await import('../core/errors.js')
    const num = (v: string | undefined, name: string): number | undefined => {
      if (v === undefined) return undefined
      const n = Number(v)
      if (!Number.isFinite(n) || n < 0) throw inputError(`--${name} must be a non-negative number, got '${v}'`)
      return n
    }
    if (!flags.resume && !flags.from) throw inputError('--from is required (the pretrained model)', {hint: 'an official checkpoint, a model folder or a run folder from motion pretrain'})
    const learningRates = {learning_rate: num(flags.lr, 'lr'), lr_backbone: num(flags['lr-backbone'], 'lr-backbone'), lr_head: num(flags['lr-head'], 'lr-head')}
    const {done, exitCode} = await startTraining(
      flags,
      learningRates,
      {
        command: 'finetune',
        task: flags.task as Task,
        from: flags.from,
        freeze: flags.freeze,
        persons: flags.persons,
        smplDir: flags['smpl-dir'],
        featureCache: !flags['no-feature-cache'],
      },
      {json: this.jsonEnabled(), note: (m) => this.note(m)},
    )
    if (exitCode !== 0) {
      if (this.jsonEnabled()) this.logJson(done)
      this.exit(exitCode)
    }
    return done as Record<string, unknown>
  }
}
