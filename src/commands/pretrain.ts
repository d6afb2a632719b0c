import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {startTraining, trainFlags} from '../cli/train-flags.js'
import {DEFAULT_TASK} from '../heads/tasks.js'

export default class Pretrain extends BaseCommand {
  static override description =
    'Pretrain the motion encoder as MotionBERT does: 3D clips seen through random virtual cameras, 2D inputs with noise and joint/frame masking, 3D targets, AdamW with per-epoch lr decay. Writes a run folder with latest/ and best/ checkpoints (native model folders). Ctrl-C saves latest and exits 130; --resume continues a run (also after kill -9).'

  static override examples = [
    '<%= config.bin %> pretrain --config configs/pretrain/MB_lite.yaml --data ../shared/data/cmu-mocap-h36m17 --out runs/pre1',
    '<%= config.bin %> pretrain --config configs/test/tiny.yaml --data clips/ --out runs/tiny --epochs 2 --batch-size 8 --checkpoint-every 50',
    '<%= config.bin %> pretrain --resume runs/pre1',
    '<%= config.bin %> pretrain --config cfg.yaml --data clips/ --out runs/r --json   # one JSON event per line',
  ]

  static override flags = {
    ...trainFlags,
    // Pretraining trains the encoder with the lifting (default) task's head, as MotionBERT does.
    task: Flags.string({description: 'Head trained with the encoder (pose3d: 3D lifting, as MotionBERT pretraining).', options: [DEFAULT_TASK], default: DEFAULT_TASK, helpGroup: 'TRAINING'}),
  }

  protected override logJson(json: unknown): void {
    process.stdout.write(`${JSON.stringify(json)}\n`)
  }

  async run(): Promise<Record<string, unknown>> {
    const {flags} = await this.parse(Pretrain)
    const lr = flags.lr === undefined ? undefined : Number(flags.lr)
    const {done, exitCode} = await startTraining(flags, {learning_rate: lr}, {command: 'pretrain', task: DEFAULT_TASK, persons: 1, featureCache: false}, {
      json: this.jsonEnabled(),
      note: (m) => this.note(m),
    })
    if (exitCode !== 0) {
      if (this.jsonEnabled()) this.logJson(done)
      this.exit(exitCode)
    }
    return done as Record<string, unknown>
  }
}
