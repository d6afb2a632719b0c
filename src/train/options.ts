/** What a training run is asked (the commands' flags, resolved) and what it reports. */
import type {MotionConfig} from '../config/schema.js'
import type {RawConfig} from '../config/types.js'
import type {BackendName} from '../nn/tfjs/backend.js'
import type {TrainTask} from '../tasks/train-types.js'
import type {BestMetric} from './checkpoint.js'
import type {TrainEvents} from './events.js'
import type {TrainEngineChoice} from './trainer.js'

export interface TrainRunOptions {
  command: 'pretrain' | 'finetune'
  task: TrainTask
  /** The validated config (training keys, lambdas, augmentation). */
  config: MotionConfig
  /** Model keys the user set explicitly (sizes, backbone), for building a fresh model. */
  modelConfig: RawConfig
  data?: string
  /** 2D-only keypoint files or folders (--data-2d; pose3d only). */
  data2d?: string[]
  out?: string
  /** Finetune: checkpoint file, native model folder or run folder. */
  from?: string
  /** --freeze value (finetune); default none. */
  freeze?: string
  seed: number
  engine: TrainEngineChoice
  backend: BackendName | 'auto'
  threads?: number
  /** Save latest every N steps (0: epoch ends only). */
  checkpointEvery: number
  /** Windows used by the per-epoch evaluation (0: no evaluation). */
  evalLimit: number
  /** Action: people per sample. */
  persons: number
  /** Mesh: folder of the SMPL body model files for a fresh mesh head (--smpl-dir). */
  smplDir?: string
  /** Resample clips to this frame rate first. */
  fps?: number
  /** Frozen backbone: train the head on cached features (default true). */
  featureCache: boolean
  /** --resume RUN */
  resume?: string
  /** Whether clip_len came from a config file or flag (else it follows the model's maxlen). */
  clipLenGiven?: boolean
  /** --epochs given with --resume: extend the run to this many epochs. */
  epochsOverride?: number
  events: TrainEvents
  shouldStop: () => boolean
}

export interface FeatureCacheReport {
  /** Seconds to compute the features once (backbone forward over the epoch's samples). */
  extractSeconds: number
  /** Mean seconds of one head epoch on the cache. */
  headEpochSeconds: number
  /** Engine that computed the features. */
  engine: string
  /** (epochs · (extract + head epoch)) / (extract + epochs · head epoch): time saved versus recomputing. */
  speedup: number
}

export interface TrainSummary {
  run: string
  command: 'pretrain' | 'finetune'
  task: TrainTask
  engine: string
  backend: string
  epochs: number
  epoch: number
  step: number
  interrupted: boolean
  resumed: boolean
  /** Mean training loss of each completed epoch. */
  epochLosses: number[]
  best: BestMetric
  lastEval: Record<string, number> | null
  latest: string | null
  bestCheckpoint: string | null
  trainable: number
  frozen: number
  freeze: string
  featureCache: FeatureCacheReport | null
  trainSeconds: number
}
