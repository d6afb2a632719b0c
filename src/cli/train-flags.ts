/**
 * Flags shared by `motion pretrain` and `motion finetune`, and the config loading and training
 * session both start from them. Only @oclif/core is imported eagerly here so `--help` stays fast;
 * the values are interpreted by src/train/run.ts.
 */
import {Flags} from '@oclif/core'

import type {RawConfig} from '../config/types.js'
import type {TrainRunOptions} from '../train/run.js'
import type {TrainSessionResult} from './train-session.js'
import {BACKEND_FLAG_OPTIONS} from './model-flags.js'

export const trainFlags = {
  config: Flags.string({description: 'Config file with MotionBERT keys (e.g. configs/pretrain/MB_pretrain.yaml); flags override single keys.', helpGroup: 'TRAINING'}),
  data: Flags.string({description: 'Folder of 3D clips (index.json or one folder per action; .npy/.npz/.bvh/.pkl). Uses the train split, and the test split for per-epoch evaluation.', helpGroup: 'TRAINING'}),
  'data-2d': Flags.string({description: 'Also train on 2D-only samples (MotionBERT train_2d): keypoint files or folders in any format `motion data` reads (AlphaPose/COCO JSON, OpenPose, CSV, .npy); every person, clip_len windows; per step one 2D batch with loss lambda_2d x loss_2d_weighted. Repeatable. pose3d only.', multiple: true, helpGroup: 'TRAINING'}),
  out: Flags.string({description: 'Run folder to create (run.json, latest/, best/).', helpGroup: 'TRAINING'}),
  epochs: Flags.integer({description: 'Epochs (config key epochs). With --resume: extend the run to this many.', min: 1, helpGroup: 'TRAINING'}),
  'batch-size': Flags.integer({description: 'Clips per batch (config key batch_size).', min: 1, helpGroup: 'TRAINING'}),
  lr: Flags.string({description: 'Learning rate (config key learning_rate).', helpGroup: 'TRAINING'}),
  seed: Flags.integer({description: 'Seed of shuffling, augmentation and initialisation.', default: 0, helpGroup: 'TRAINING'}),
  resume: Flags.string({description: 'Continue a run folder from its latest checkpoint (same schedule, data order and RNG; steps keep counting).', helpGroup: 'TRAINING'}),
  'checkpoint-every': Flags.integer({description: 'Also save latest every N steps (0: only at epoch ends).', default: 0, min: 0, helpGroup: 'TRAINING'}),
  'eval-limit': Flags.integer({description: 'Test windows evaluated after each epoch (video_views runs: whole test clips under the static-camera protocol; 0: none, best then follows the training loss).', default: 256, min: 0, helpGroup: 'TRAINING'}),
  fps: Flags.integer({description: 'Resample clips to this frame rate first (e.g. 30 for 120 fps mocap).', min: 1, helpGroup: 'TRAINING'}),
  engine: Flags.string({description: 'Training engine: tfjs (autograd; fast with tfjs-node/-gpu), onnx (gradient graphs on onnxruntime-node, fast on CPUs), or auto (tfjs when a native tfjs binding loads, else onnx). Reported at start.', options: ['auto', 'tfjs', 'onnx'], default: 'auto', helpGroup: 'ENGINE'}),
  backend: Flags.string({description: 'tfjs backend (auto: first of node-gpu, node, wasm, cpu that loads); implies tfjs under --engine auto.', options: [...BACKEND_FLAG_OPTIONS], default: 'auto', helpGroup: 'ENGINE'}),
  threads: Flags.integer({description: 'CPU threads for the onnx engine (default: all cores).', min: 1, helpGroup: 'ENGINE'}),
}

/** The parsed values of trainFlags. */
export interface TrainFlagValues {
  config?: string
  data?: string
  'data-2d'?: string[]
  out?: string
  epochs?: number
  'batch-size'?: number
  lr?: string
  seed: number
  resume?: string
  'checkpoint-every': number
  'eval-limit': number
  fps?: number
  engine: string
  backend: string
  threads?: number
}

/** What one training command adds to the shared flags: its name, task and own options. */
export type TrainCommandOptions = Pick<TrainRunOptions, 'command' | 'task' | 'persons' | 'featureCache'> & Partial<Pick<TrainRunOptions, 'from' | 'freeze' | 'smplDir'>>

/**
 * Loads the config as both training commands do (--config, with the models' keys from the
 * registries, their own objectives' weights included; flags override single keys, learning rates as the command read
 * them), notes its warnings, and runs the training session with the reporter --json asks for.
 */
export async function startTraining(
  flags: TrainFlagValues,
  learningRates: RawConfig,
  command: TrainCommandOptions,
  ui: {json: boolean; note: (message: string) => void},
): Promise<TrainSessionResult> {
  const [{loadMotionConfig}, {explicitModelConfig}, {chooseReporter, runTrainSession}, {parseEngineChoice, parseBackendChoice}] = await Promise.all([
    import('../model/config-keys.js'),
    import('../model/load.js'),
    import('./train-session.js'),
    import('../model/engine.js'),
  ])
  const loaded = await loadMotionConfig({
    configFile: flags.config,
    overrides: {epochs: flags.epochs, batch_size: flags['batch-size'], ...learningRates, engine: flags.engine, backend: flags.backend},
  })
  for (const w of loaded.warnings) ui.note(`warning: ${w}`)
  return runTrainSession(
    {
      ...command,
      config: loaded.config,
      modelConfig: explicitModelConfig(loaded),
      data: flags.data,
      data2d: flags['data-2d'],
      out: flags.out,
      seed: flags.seed,
      engine: parseEngineChoice(flags.engine) as 'auto' | 'tfjs' | 'onnx',
      backend: parseBackendChoice(flags.backend),
      threads: flags.threads,
      checkpointEvery: flags['checkpoint-every'],
      evalLimit: flags['eval-limit'],
      fps: flags.fps,
      clipLenGiven: loaded.sources.clip_len !== undefined && loaded.sources.clip_len !== 'default',
      resume: flags.resume,
      epochsOverride: flags.resume ? flags.epochs : undefined,
    },
    chooseReporter(ui.json),
  )
}
