/**
 * The validated configuration every command builds once (loadConfig) and hands down.
 * Field names are the config keys as written in YAML (MotionBERT's snake_case); the meaning, bounds and
 * defaults of each are in keys.ts, and of the model keys in their registry entries (docs/config.md
 * has both). Optional fields have no default: the official code treats their absence as "off" or
 * infers them (model sizes from checkpoint shapes).
 */
import type {RawConfig} from './types.js'

export type Engine = 'auto' | 'tfjs' | 'onnx'

export interface MotionConfig {
  // General
  /** Backbone registry name (lower case); its default comes from the backbone registry. */
  backbone: string
  /** Task (a name from the task registry, src/heads/tasks.ts); unset when the command or checkpoint decides. */
  task?: string
  finetune: boolean
  /** Parameter-name substrings to train; null trains everything. */
  partial_train: string[] | null
  train_2d: boolean
  no_eval: boolean
  train_pw3d: boolean
  warmup_h36m?: number
  warmup_coco?: number

  // Model keys (the backbones' and heads' sizes) are declared by their registry entries and handed to
  // the loader (src/model/config-keys.ts); only what a config or flag says is set, by name, under the
  // index signature below. The model registry fills the rest from the checkpoint's shapes or its own
  // defaults (see `motion models`).

  // Data
  data_root?: string
  subset_list?: string[]
  dt_file?: string
  dt_file_h36m?: string
  dt_file_coco?: string
  dt_file_pw3d?: string
  dataset?: string
  data_split?: string
  clip_len: number
  data_stride: number
  sample_stride: number
  rootrel: boolean
  no_conf: boolean
  gt_2d: boolean

  // Training
  epochs: number
  checkpoint_frequency: number
  batch_size: number
  batch_size_img?: number
  test_batch_size?: number
  learning_rate: number
  lr_backbone?: number
  lr_head?: number
  weight_decay: number
  lr_decay: number
  pretrain_3d_curriculum?: number
  n_views?: number
  temp?: number

  // Loss weights (0 = term off)
  lambda_3d_velocity: number
  lambda_scale: number
  lambda_lv: number
  lambda_lg: number
  lambda_a: number
  lambda_av: number
  /** Weight of the 2D reprojection loss on 2D-only samples (--data-2d). */
  lambda_2d: number
  /** Mesh-only weights: unset means the official mesh config's value (meshLossConfig). */
  lambda_3d?: number
  lambda_3dv?: number
  lambda_pose?: number
  lambda_shape?: number
  lambda_norm?: number
  loss_type?: 'MSE' | 'L1'

  // Augmentation
  synthetic: boolean
  flip: boolean
  mask_ratio: number
  mask_T_ratio: number
  noise: boolean
  noise_path?: string
  d2c_params_path?: string
  aug_ratio?: number
  random_move: boolean
  /** [low, high] */
  scale_range_train?: [number, number]
  scale_range_test?: [number, number]
  scale_range_pretrain?: [number, number]
  /** Probability of crop_scale normalisation for pose training pairs from world clips. */
  crop_scale_prob: number
  /** Joint layout whose reader the synthetic 2D inputs imitate (h36m17: exact joints). */
  input_layout: 'h36m17' | 'halpe26' | 'coco17' | 'body25' | 'coco18' | 'blazepose33'
  /** Train on video-like views of world clips (static and panning cameras, detector noise, window normalisation, metre targets). */
  video_views: boolean
  /** [low, high] video frame rates for video_views. */
  fps_range: [number, number]
  /** Keypoint layouts video_views inputs imitate. */
  input_layouts?: string[]

  // Runtime
  engine: Engine
  /** tfjs backend name, or 'auto'. */
  backend: string

  /** Keys nobody declared, kept by name (each produced a warning). */
  extra: RawConfig
  /** Keys declared by the caller's extraKeys (the registries' model keys) are set here by name too. */
  [key: string]: unknown
}

/** Where each key's value came from: a config file path (as given or relative to cwd), 'flag' or 'default'. */
export type ConfigSources = Record<string, string>

export interface LoadedConfig {
  config: MotionConfig
  /** One line each: unknown keys (with a did-you-mean), ignored discovery results. Never printed here. */
  warnings: string[]
  sources: ConfigSources
}
