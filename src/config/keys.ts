/**
 * The general and training configuration keys, with type, default, bounds and meaning: data,
 * training, loss weights, augmentation and runtime. Names are MotionBERT's (configs/*.yaml, read by
 * its train*.py / infer_wild*.py), plus a few of our own (backbone, task, engine, backend).
 * Keys the official code only tests for presence (`hasattr(args, "dt_file_coco")`) have no default.
 *
 * Model keys (sizes of the backbones and heads, their objectives' weights) are not here: each
 * backbone and head registry entry declares the keys it reads, and the model layer hands them to the
 * loader (src/model/config-keys.ts), with the backbone default and the task names.
 */
import type {ConfigKeySpec} from './types.js'

const general: ConfigKeySpec[] = [
  // Their default and allowed values come from the registries (src/model/config-keys.ts).
  {key: 'backbone', type: 'string', lowercase: true, group: 'general',
    description: 'Motion encoder, a name from the backbone registry (see `motion models`); official spellings in any case (`DSTformer`) are accepted.'},
  {key: 'task', type: 'string', group: 'general',
    description: 'Task head: pose3d (2D-to-3D lifting), action (recognition) or mesh (SMPL recovery). Unset: taken from the command or checkpoint.'},
  {key: 'finetune', type: 'boolean', default: false, group: 'general',
    description: 'Start from pretrained weights (the official --pretrained/--selection checkpoint) instead of random initialisation.'},
  {key: 'partial_train', type: 'string[]', nullable: true, default: null, group: 'general',
    description: 'Train only parameters whose names contain one of these substrings; null trains everything.'},
  {key: 'train_2d', type: 'boolean', default: false, group: 'general',
    description: 'Pretraining: also train on 2D-only data (InstaVariety, PoseTrack).'},
  {key: 'no_eval', type: 'boolean', default: false, group: 'general',
    description: 'Skip evaluation after each training epoch.'},
  {key: 'train_pw3d', type: 'boolean', default: false, group: 'general',
    description: 'Mesh training: also train on the 3DPW training split.'},
  {key: 'warmup_h36m', type: 'integer', min: 0, group: 'training',
    description: 'Mesh training: number of epochs that also train on Human3.6M (used when dt_file_h36m is set).'},
  {key: 'warmup_coco', type: 'integer', min: 0, group: 'training',
    description: 'Mesh training: number of epochs that also train on COCO images (used when dt_file_coco is set).'},
]

const data: ConfigKeySpec[] = [
  {key: 'data_root', type: 'string', group: 'data',
    description: 'Folder of the preprocessed data (official: data/motion3d/MB3D_f243s81/ or data/mesh).'},
  {key: 'subset_list', type: 'string[]', group: 'data',
    description: 'Dataset subsets under data_root to train on (e.g. [AMASS, H36M-SH]).'},
  {key: 'dt_file', type: 'string', group: 'data',
    description: 'Detection/annotation pickle under data_root used for evaluation (e.g. h36m_sh_conf_cam_source_final.pkl).'},
  {key: 'dt_file_h36m', type: 'string', group: 'data',
    description: 'Mesh: Human3.6M detection pickle under data_root; when set, H36M is used.'},
  {key: 'dt_file_coco', type: 'string', group: 'data',
    description: 'Mesh: COCO detection pickle under data_root; when set, COCO images are used.'},
  {key: 'dt_file_pw3d', type: 'string', group: 'data',
    description: 'Mesh: 3DPW detection pickle under data_root; when set, 3DPW is evaluated.'},
  {key: 'dataset', type: 'string', group: 'data',
    description: 'Action: dataset pickle name under data/action (e.g. ntu60_hrnet).'},
  {key: 'data_split', type: 'string', group: 'data',
    description: 'Action: split prefix (xsub or xview; _train/_val appended).'},
  {key: 'clip_len', type: 'integer', default: 243, min: 1, group: 'data',
    description: "Frames per clip fed to the model. Unset: the backbone's window length when the config gives it (docs/config.md, checks across keys), else 243."},
  {key: 'data_stride', type: 'integer', default: 81, min: 1, group: 'data',
    description: 'Frame step between consecutive training clips.'},
  {key: 'sample_stride', type: 'integer', default: 1, min: 1, group: 'data',
    description: 'Keep every n-th frame of the source data.'},
  {key: 'rootrel', type: 'boolean', default: false, group: 'data',
    description: 'Predict root-relative 3D poses (root joint at the origin); false keeps the global trajectory.'},
  {key: 'no_conf', type: 'boolean', default: false, group: 'data',
    description: 'Drop the 2D confidence channel (model input has 2 channels instead of 3).'},
  {key: 'gt_2d', type: 'boolean', default: false, group: 'data',
    description: 'Use ground-truth 2D keypoints instead of detections.'},
]

const training: ConfigKeySpec[] = [
  // Defaults as configs/pose3d/MB_ft_h36m.yaml (the common case); other tasks start from their preset.
  {key: 'epochs', type: 'integer', default: 60, min: 1, group: 'training',
    description: 'Training epochs.'},
  {key: 'checkpoint_frequency', type: 'integer', default: 30, min: 1, group: 'training',
    description: 'Save a numbered checkpoint every n epochs (latest and best are always kept).'},
  {key: 'batch_size', type: 'integer', default: 32, min: 1, group: 'training',
    description: 'Clips per training batch.'},
  {key: 'batch_size_img', type: 'integer', min: 1, group: 'training',
    description: 'Mesh: images per COCO batch.'},
  {key: 'test_batch_size', type: 'integer', min: 1, group: 'training',
    description: 'Clips per evaluation batch (unset: batch_size). Not in the official configs.'},
  {key: 'learning_rate', type: 'number', default: 0.0002, min: 0, exclusiveMin: true, group: 'training',
    description: 'AdamW learning rate (pose training; action and mesh use lr_backbone and lr_head).'},
  {key: 'lr_backbone', type: 'number', min: 0, group: 'training',
    description: 'Learning rate of the backbone parameter group (action, mesh).'},
  {key: 'lr_head', type: 'number', min: 0, group: 'training',
    description: 'Learning rate of the head parameter group (action, mesh).'},
  {key: 'weight_decay', type: 'number', default: 0.01, min: 0, group: 'training',
    description: 'AdamW weight decay.'},
  {key: 'lr_decay', type: 'number', default: 0.99, min: 0, max: 1, exclusiveMin: true, group: 'training',
    description: 'Multiply the learning rates by this after each epoch.'},
  {key: 'pretrain_3d_curriculum', type: 'integer', min: 0, group: 'training',
    description: 'Pretraining: epochs before 2D-only data (train_2d) joins.'},
  {key: 'n_views', type: 'integer', min: 1, group: 'training',
    description: 'One-shot action: samples per class in each batch (MPerClassSampler m).'},
  {key: 'temp', type: 'number', min: 0, exclusiveMin: true, group: 'training',
    description: 'One-shot action: temperature of the supervised contrastive loss.'},
]

const loss: ConfigKeySpec[] = [
  // A pose (or shared) loss weight that is not set is 0: the term is off.
  {key: 'lambda_3d_velocity', type: 'number', default: 0, min: 0, group: 'loss', description: 'Pose: weight of the 3D velocity loss.'},
  {key: 'lambda_scale', type: 'number', default: 0, min: 0, group: 'loss', description: 'Weight of the scale-normalised MPJPE loss.'},
  {key: 'lambda_lv', type: 'number', default: 0, min: 0, group: 'loss', description: 'Weight of the limb-length variance loss.'},
  {key: 'lambda_lg', type: 'number', default: 0, min: 0, group: 'loss', description: 'Weight of the limb-length ground-truth loss.'},
  {key: 'lambda_a', type: 'number', default: 0, min: 0, group: 'loss', description: 'Weight of the joint-angle loss.'},
  {key: 'lambda_av', type: 'number', default: 0, min: 0, group: 'loss', description: 'Weight of the joint-angle velocity loss.'},
  {key: 'lambda_2d', type: 'number', default: 1, min: 0, group: 'loss', description: 'Pose: weight of the 2D reprojection loss (loss_2d_weighted) on 2D-only samples (--data-2d); MotionBERT adds it unweighted (1).'},
  // The mesh-only weights stay unset unless given, so a mesh run (meshLossConfig) falls back to the
  // official mesh config's values rather than switching its terms off; pose never reads them.
  {key: 'lambda_3d', type: 'number', min: 0, group: 'loss', description: 'Mesh: weight of the 3D joint position loss (MPJPE on root-relative joints). Unset: 0.5, as configs/mesh/MB_ft_pw3d.yaml.'},
  {key: 'lambda_3dv', type: 'number', min: 0, group: 'loss', description: 'Mesh: weight of the 3D joint velocity loss. Unset: 10, as configs/mesh/MB_ft_pw3d.yaml.'},
  {key: 'lambda_pose', type: 'number', min: 0, group: 'loss', description: 'Mesh: weight of the SMPL pose loss (rotation matrices, by loss_type). Unset: 1000, as configs/mesh/MB_ft_pw3d.yaml.'},
  {key: 'lambda_shape', type: 'number', min: 0, group: 'loss', description: 'Mesh: weight of the SMPL shape (betas) loss, by loss_type. Unset: 1, as configs/mesh/MB_ft_pw3d.yaml.'},
  {key: 'lambda_norm', type: 'number', min: 0, group: 'loss', description: 'Mesh: weight of the theta norm regulariser (mean norm of the predicted 72 axis-angle + 10 shape values per frame, loss_mesh.py loss_norm). Unset: 20, as configs/mesh/MB_ft_pw3d.yaml.'},
  {key: 'loss_type', type: 'string', allowed: ['MSE', 'L1'], group: 'loss',
    description: 'Mesh: distance for the pose and shape losses. Unset: L1, as the official mesh configs (MeshLoss itself defaults to MSE).'},
]

const augmentation: ConfigKeySpec[] = [
  {key: 'synthetic', type: 'boolean', default: false, group: 'augmentation',
    description: "Make 2D inputs from the 3D ground truth instead of using 2D detections."},
  {key: 'flip', type: 'boolean', default: false, group: 'augmentation',
    description: 'Random left-right flips in training, and flip test-time augmentation (averaged) in evaluation and inference.'},
  {key: 'mask_ratio', type: 'number', default: 0, min: 0, max: 1, group: 'augmentation',
    description: 'Fraction of joints masked in 2D inputs (masking is on when this and mask_T_ratio are both > 0).'},
  {key: 'mask_T_ratio', type: 'number', default: 0, min: 0, max: 1, group: 'augmentation',
    description: 'Fraction of frames masked in 2D inputs.'},
  {key: 'noise', type: 'boolean', default: false, group: 'augmentation',
    description: 'Add detector-like noise (from noise_path) to synthetic 2D inputs.'},
  {key: 'noise_path', type: 'string', group: 'augmentation',
    description: 'Noise model file for `noise` (official: params/synthetic_noise.pth).'},
  {key: 'd2c_params_path', type: 'string', group: 'augmentation',
    description: 'Distance-to-confidence parameters for synthetic confidences (official: params/d2c_params.pkl).'},
  {key: 'aug_ratio', type: 'number', min: 0, max: 1, group: 'augmentation',
    description: 'Fraction of training clips augmented. Not in the official configs.'},
  {key: 'random_move', type: 'boolean', default: false, group: 'augmentation',
    description: 'Action: random scale/rotation/translation of training skeletons.'},
  {key: 'scale_range_train', type: 'number[]', length: 2, min: 0, group: 'augmentation',
    description: 'Action: [low, high] crop-scale range for training clips.'},
  {key: 'scale_range_test', type: 'number[]', length: 2, min: 0, group: 'augmentation',
    description: 'Action: [low, high] crop-scale range for evaluation clips.'},
  {key: 'scale_range_pretrain', type: 'number[]', length: 2, min: 0, group: 'augmentation',
    description: 'Pretraining: [low, high] crop-scale range for 3D clips (unset: no crop-scale).'},
  {key: 'crop_scale_prob', type: 'number', default: 0, min: 0, max: 1, group: 'augmentation',
    description: 'Pose training on world clips: probability that a sample is normalised by its own bounding square (crop_scale_3d, as `motion predict` scales each track to its box) instead of by the virtual image. Not in the official configs.'},
  {key: 'input_layout', type: 'string', default: 'h36m17', allowed: ['h36m17', 'halpe26', 'coco17', 'body25', 'coco18', 'blazepose33'], group: 'augmentation',
    description: 'Synthetic 2D inputs (training, evaluation): rebuild the joints this keypoint layout cannot carry as its reader does (halpe26: spine = mid(pelvis, thorax)), so inputs look like predict\'s. Not in the official configs.'},
  {key: 'video_views', type: 'boolean', default: false, group: 'augmentation',
    description: 'Pose and action training on world clips: film each sample as a video does (static cameras 3-15 m away with the person moving through the frame, panning cameras, fields of view 40-80 degrees, portrait and landscape images), at a random frame rate from fps_range, with detector-like noise, missed and low-confidence joints; inputs normalised per window (the model then runs with input_norm window) and pose targets root-relative in metres. Not in the official configs.'},
  {key: 'fps_range', type: 'number[]', length: 2, min: 1, default: [24, 60], group: 'augmentation',
    description: 'video_views: [low, high] video frame rates drawn per sample; clips are interpolated from their own rate. Not in the official configs.'},
  {key: 'input_layouts', type: 'string[]', group: 'augmentation',
    description: 'video_views: keypoint layouts whose readers the inputs imitate, one drawn per sample (default halpe26, coco17, h36m17). Not in the official configs.'},
]

const runtime: ConfigKeySpec[] = [
  {key: 'engine', type: 'string', default: 'auto', allowed: ['auto', 'tfjs', 'onnx'], group: 'runtime',
    description: 'Executor: onnx (onnxruntime, fast CPU), tfjs, or auto (best available).'},
  // Same names as BACKEND_NAMES in src/nn/tfjs/backend.ts (not imported: loading a config must not load tfjs).
  {key: 'backend', type: 'string', default: 'auto', allowed: ['auto', 'node-gpu', 'node', 'wasm', 'cpu'], group: 'runtime',
    description: 'tfjs backend to force: node-gpu (tfjs-node-gpu), node (tfjs-node), wasm or cpu; auto takes the first that loads, in that order. Reported by `motion info`.'},
]

/** The built-in key specs, in documentation order. Frozen copies are handed out by describeConfigKeys(). */
export const BUILTIN_KEYS: readonly ConfigKeySpec[] = [...general, ...data, ...training, ...loss, ...augmentation, ...runtime]
