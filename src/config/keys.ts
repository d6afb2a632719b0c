/**
 * Every configuration key `motion` knows, with type, default, bounds and meaning.
 * Names are MotionBERT's (configs/*.yaml, read by its train*.py / infer_wild*.py), MixSTE2's and the
 * Strided Transformer's constructor arguments, plus a few of our own (backbone, task, engine, backend).
 * Keys the official code only tests for presence (`hasattr(args, "dt_file_coco")`) have no default.
 */
import type {ConfigKeySpec} from './types.js'

const general: ConfigKeySpec[] = [
  {key: 'backbone', type: 'string', default: 'dstformer', lowercase: true, group: 'general',
    description: 'Motion encoder, a name from the backbone registry (see `motion models`); the official spelling `DSTformer` is accepted.'},
  {key: 'task', type: 'string', allowed: ['pose3d', 'action', 'mesh'], group: 'general',
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

const model: ConfigKeySpec[] = [
  // Model keys are never filled in by the loader: unless a config sets them, the checkpoint's shapes
  // (inferable keys) or the model registry's defaults decide. Defaults here document those.
  // DSTformer (lib/model/DSTformer.py); defaults are the released MotionBERT model's (configs/pretrain/MB_pretrain.yaml).
  {key: 'dim_in', type: 'integer', default: 3, min: 1, inferable: true, backbones: ['dstformer'], group: 'model',
    description: 'Input channels per joint: 3 (x, y, confidence) or 2 (x, y, with no_conf).'},
  {key: 'dim_out', type: 'integer', default: 3, min: 1, inferable: true, backbones: ['dstformer'], group: 'model',
    description: 'Output channels per joint of the pose head (3 for x, y, z).'},
  {key: 'dim_feat', type: 'integer', default: 512, min: 1, inferable: true, backbones: ['dstformer'], group: 'model',
    description: 'DSTformer feature width; must be divisible by num_heads.'},
  {key: 'dim_rep', type: 'integer', default: 512, min: 0, inferable: true, backbones: ['dstformer'], group: 'model',
    description: 'Width of the motion representation (pre-logits, tanh) that the task heads read; 0 for none.'},
  {key: 'depth', type: 'integer', default: 5, min: 1, inferable: true, backbones: ['dstformer', 'mixste'], group: 'model',
    description: 'Number of transformer blocks (DSTformer: dual-stream blocks; MixSTE: spatial+temporal block pairs).'},
  {key: 'num_heads', type: 'integer', default: 8, min: 1, backbones: ['dstformer', 'mixste'], group: 'model',
    description: 'Attention heads per block (cannot be read off a checkpoint).'},
  {key: 'mlp_ratio', type: 'number', default: 2, min: 0, exclusiveMin: true, inferable: true, backbones: ['dstformer', 'mixste'], group: 'model',
    description: 'Hidden width of the transformer MLPs as a multiple of the feature width.'},
  {key: 'maxlen', type: 'integer', default: 243, min: 1, inferable: true, backbones: ['dstformer'], group: 'model',
    description: 'Longest clip the temporal positional embedding covers (frames).'},
  {key: 'att_fuse', type: 'boolean', default: true, inferable: true, backbones: ['dstformer'], group: 'model',
    description: 'Fuse the spatial-temporal and temporal-spatial streams with learned adaptive weights (else average them).'},
  {key: 'qkv_bias', type: 'boolean', default: true, inferable: true, backbones: ['dstformer', 'mixste'], group: 'model',
    description: 'Bias in the attention query/key/value projection.'},
  {key: 'num_joints', type: 'integer', default: 17, min: 1, inferable: true, group: 'model',
    description: 'Joints per frame (H36M-17 layout).'},
  // Task heads (lib/model/model_action.py, model_mesh.py).
  {key: 'hidden_dim', type: 'integer', default: 2048, min: 1, inferable: true, group: 'model',
    description: 'Hidden width of the action head (official action configs: 2048) or the mesh head (1024).'},
  {key: 'dropout_ratio', type: 'number', default: 0, min: 0, max: 1, group: 'model',
    description: 'Dropout probability in the action head.'},
  {key: 'dropout', type: 'number', default: 0, min: 0, max: 1, group: 'model',
    description: 'Dropout probability in the mesh head (pose configs carry it as 0.0).'},
  {key: 'dropout_loc', type: 'integer', min: 0, group: 'model',
    description: 'Present in the official mesh configs; not read by the official code.'},
  {key: 'num_classes', type: 'integer', default: 60, min: 1, inferable: true, group: 'model',
    description: 'Action classes of the classification head (ActionNet argument name; action_classes is a synonym).'},
  {key: 'action_classes', type: 'integer', min: 1, inferable: true, aliasOf: 'num_classes', group: 'model',
    description: 'Official action config name for num_classes.'},
  {key: 'model_version', type: 'string', default: 'class', allowed: ['class', 'embed'], inferable: true, group: 'model',
    description: 'Action head: class (classification with BatchNorm) or embed (normalised embedding, one-shot).'},
  // MixSTE2 (JinluZhang1126/MixSTE common/model_cross.py); defaults as MotionBERT's load_backbone builds it.
  {key: 'num_frame', type: 'integer', min: 1, inferable: true, backbones: ['mixste'], group: 'model',
    description: 'MixSTE: frames per input sequence (length of its temporal positional embedding).'},
  {key: 'embed_dim_ratio', type: 'integer', default: 512, min: 1, inferable: true, backbones: ['mixste'], group: 'model',
    description: 'MixSTE: feature width per joint; must be divisible by num_heads.'},
  {key: 'in_chans', type: 'integer', default: 2, min: 1, inferable: true, backbones: ['mixste'], group: 'model',
    description: 'MixSTE: input channels per joint (2: x, y).'},
  // Strided Transformer (Vegetebird/StridedTransformer-Pose3D model/strided_transformer.py).
  {key: 'frames', type: 'integer', min: 1, inferable: true, backbones: ['strided'], group: 'model',
    description: 'Strided Transformer: frames per input window (odd; the centre frame is predicted).'},
  {key: 'stride_num', type: 'integer[]', min: 1, backbones: ['strided'], group: 'model',
    description: 'Strided Transformer: temporal stride of each strided encoder layer; their product reduces frames to 1.'},
  {key: 'channel', type: 'integer', min: 1, inferable: true, backbones: ['strided'], group: 'model',
    description: 'Strided Transformer: model width.'},
  {key: 'd_hid', type: 'integer', min: 1, inferable: true, backbones: ['strided'], group: 'model',
    description: 'Strided Transformer: hidden width of the feed-forward layers.'},
  {key: 'layers', type: 'integer', min: 1, inferable: true, backbones: ['strided'], group: 'model',
    description: 'Strided Transformer: layers of the vanilla transformer encoder.'},
  {key: 'n_joints', type: 'integer', default: 17, min: 1, inferable: true, backbones: ['strided'], group: 'model',
    description: 'Strided Transformer: input joints.'},
  {key: 'out_joints', type: 'integer', default: 17, min: 1, inferable: true, backbones: ['strided'], group: 'model',
    description: 'Strided Transformer: output joints.'},
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
    description: 'Frames per clip fed to the model (at most maxlen for DSTformer). Unset: maxlen (DSTformer), num_frame (MixSTE) or frames (Strided) when given, else 243.'},
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
  {key: 'input_layout', type: 'string', default: 'h36m17', allowed: ['h36m17', 'halpe26', 'coco17', 'body25', 'coco18', 'blazepose33'], group: 'augmentation',
    description: 'Synthetic 2D inputs (training, evaluation): rebuild the joints this keypoint layout cannot carry as its reader does (halpe26: spine = mid(pelvis, thorax)), so inputs look like predict\'s. Not in the official configs.'},
]

const runtime: ConfigKeySpec[] = [
  {key: 'engine', type: 'string', default: 'auto', allowed: ['auto', 'tfjs', 'onnx'], group: 'runtime',
    description: 'Executor: onnx (onnxruntime, fast CPU), tfjs, or auto (best available).'},
  // Same names as BACKEND_NAMES in src/model/tfjs/backend.ts (not imported: loading a config must not load tfjs).
  {key: 'backend', type: 'string', default: 'auto', allowed: ['auto', 'node-gpu', 'node', 'wasm', 'cpu'], group: 'runtime',
    description: 'tfjs backend to force: node-gpu (tfjs-node-gpu), node (tfjs-node), wasm or cpu; auto takes the first that loads, in that order. Reported by `motion info`.'},
]

/** The built-in key specs, in documentation order. Frozen copies are handed out by describeConfigKeys(). */
export const BUILTIN_KEYS: readonly ConfigKeySpec[] = [...general, ...model, ...data, ...training, ...loss, ...augmentation, ...runtime]
