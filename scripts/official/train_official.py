#!/usr/bin/env python3
"""Trains the OFFICIAL MotionBERT DSTformer with motion's default-model recipe (issue 7 §5).

The model (lib/model/DSTformer.py), the losses (lib/model/loss.py: loss_mpjpe, n_mpjpe,
loss_velocity), the 2D noise/masking (lib/data/augmentation.py Augmenter2D, with the official
params/*.pth|pkl) and flip_data / crop_scale_3d (lib/utils/utils_data.py) are imported at run time
from a MotionBERT snapshot (--mb-repo); nothing of them is copied here. This file is glue: the CMU
mocap windows, motion's virtual cameras and normalisation (src/data/augment, ported to numpy), the
training loop of train.py (AdamW, lr *= lr_decay per epoch) and the checkpoint writer.

  python3 scripts/official/train_official.py --mb-repo /work/ref/MotionBERT \
      --data /work/shared/data/cmu-mocap-h36m17 --stage pretrain \
      --config configs/default/pretrain.yaml --out runs/official/pretrain [--minutes M]

Writes OUT/latest.bin (and OUT/best.bin, lowest epoch training loss, as motion's runs without
evaluation choose "best") as {'model_pos': state_dict} with DataParallel 'module.' prefixes, like
the official checkpoints; OUT/config.yaml for `motion eval`; OUT/train_state.pt for --resume;
OUT/log.jsonl with one line per epoch. See scripts/official/README.md.
"""
import argparse
import json
import math
import os
import random
import signal
import sys
import time
import types

import numpy as np

# ---------------------------------------------------------------------------------------------
# Recipe constants mirrored from motion (TypeScript is the spec)
# ---------------------------------------------------------------------------------------------

# src/data/augment/camera.ts DEFAULT_CAMERA_RANGES
CAMERA = dict(yaw=(-180.0, 180.0), pitch=(-5.0, 25.0), roll=(-5.0, 5.0), distance=(4000.0, 7000.0),
              focal=(1000.0, 1300.0), width=1000.0, height=1000.0, min_depth=1000.0)
ROOT = 0
H36M_JOINTS = ['pelvis', 'r_hip', 'r_knee', 'r_ankle', 'l_hip', 'l_knee', 'l_ankle', 'spine', 'thorax',
               'neck', 'head', 'l_shoulder', 'l_elbow', 'l_wrist', 'r_shoulder', 'r_elbow', 'r_wrist']
# src/data/augment/input-layout.ts with src/data/joint-maps.ts: H36M joint -> the H36M joints whose
# mean the layout's reader builds it from (halpe2h36m: spine = mid(Neck, Hip) = mid(thorax, pelvis)).
INPUT_LAYOUTS = {'h36m17': [], 'halpe26': [(7, [8, 0])],
                 'coco17': [(0, [4, 1]), (7, [4, 1, 11, 14]), (8, [11, 14])]}
# scripts/train-default-models.sh, stage 2 (cmu-pose-balanced): action -> repeats of train clips.
POSE_REPEATS = {'walking': 2, 'walking_extra': 1, 'basketball': 3, 'jumping': 3, 'running': 6, 'soccer': 3,
                'basketball_signal': 1, 'directing_traffic': 1, 'washwindow': 1}
MODEL_KEYS = ['dim_in', 'dim_feat', 'dim_rep', 'depth', 'num_heads', 'mlp_ratio', 'num_joints', 'maxlen', 'att_fuse']


# ---------------------------------------------------------------------------------------------
# Config
# ---------------------------------------------------------------------------------------------

def _scalar(v):
    v = v.strip()
    if len(v) >= 2 and v[0] == v[-1] and v[0] in '"\'':
        return v[1:-1]
    low = v.lower()
    if low in ('true', 'yes', 'on'):
        return True
    if low in ('false', 'no', 'off'):
        return False
    if low in ('null', '~', ''):
        return None
    if v.startswith('[') and v.endswith(']'):
        return [_scalar(x) for x in v[1:-1].split(',') if x.strip()]
    try:
        return int(v)
    except ValueError:
        pass
    try:
        return float(v)
    except ValueError:
        return v


def read_config(path):
    """Flat YAML (what configs/default/*.yaml are); PyYAML when installed."""
    try:
        import yaml
        with open(path) as f:
            cfg = yaml.safe_load(f) or {}
        if all(not isinstance(v, dict) for v in cfg.values()):
            return cfg
    except ImportError:
        pass
    cfg = {}
    with open(path) as f:
        for line in f:
            line = line.split(' #')[0].rstrip() if not line.lstrip().startswith('#') else ''
            if not line.strip() or ':' not in line:
                continue
            k, v = line.split(':', 1)
            cfg[k.strip()] = _scalar(v)
    return cfg


# ---------------------------------------------------------------------------------------------
# Data: clips, 30 fps, windows (src/data/motion3d)
# ---------------------------------------------------------------------------------------------

def resample_indices(ori_len, target_len):
    """Deterministic resample (src/data/motion3d/resample.ts without an rng): floor(i * T / n)."""
    step = ori_len / target_len
    return np.array([math.floor(i * step) for i in range(target_len)], dtype=np.int64)


def load_windows(data_dir, split, fps, clip_len, stride, repeats):
    with open(os.path.join(data_dir, 'index.json')) as f:
        index = json.load(f)
    names = index.get('joints') or H36M_JOINTS
    order = [names.index(j) for j in H36M_JOINTS]
    src_fps = index.get('fps')
    if str(index.get('up_axis', 'y')) != 'y':
        sys.exit('only y-up clip folders are supported (index.json up_axis)')
    clips, windows, actions = [], [], {}
    for c in index['clips']:
        if c.get('split') != split:
            continue
        action = c.get('action')
        n_rep = 1
        if repeats is not None:
            if action not in repeats:
                continue  # balanced_index drops actions left out of the table
            n_rep = int(repeats[action])
        x = np.load(os.path.join(data_dir, c['file'])).astype(np.float32)[:, order, :]
        if fps and src_fps and fps != src_fps:
            n = max(1, round(x.shape[0] * fps / src_fps))
            x = x[resample_indices(x.shape[0], n)]
        T = x.shape[0]
        if T >= clip_len:
            idx = [np.arange(w * stride, w * stride + clip_len) for w in range((T - clip_len) // stride + 1)]
        else:
            idx = [resample_indices(T, clip_len)]
        for _ in range(n_rep):  # a repeated clip is a separate index entry: its windows appear again
            ci = len(clips)
            clips.append(x)
            for i in idx:
                windows.append((ci, i))
            actions[action] = actions.get(action, 0) + len(idx)
    return clips, windows, actions


# ---------------------------------------------------------------------------------------------
# Per-sample: virtual camera, 2.5D label, normalisation, flip, input layout (src/data/augment)
# ---------------------------------------------------------------------------------------------

def _rot_x(a):
    c, s = math.cos(a), math.sin(a)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def _rot_y(a):
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def _rot_z(a):
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def camera_view(pos, rng):
    """sampleCamera + worldToCamera + imageSpacePose: [T,17,3] world mm (y up) -> [T,17,3] pixels u, v
    and depth z*f/z_root."""
    u = lambda r: rng.uniform(r[0], r[1])
    yaw, pitch, roll = u(CAMERA['yaw']), u(CAMERA['pitch']), u(CAMERA['roll'])
    dist, focal = u(CAMERA['distance']), u(CAMERA['focal'])
    return camera_view_at(pos, yaw, pitch, roll, dist, focal)


def camera_view_at(pos, yaw, pitch, roll, dist, focal):
    """lookAtCamera for given angles (degrees), distance (mm) and focal length (px), then the 2.5D label."""
    rad = math.pi / 180
    base = np.diag([1.0, -1.0, -1.0])
    R = _rot_z(roll * rad) @ _rot_x(pitch * rad) @ base @ _rot_y(yaw * rad)
    p = pos.astype(np.float64)
    rc = R @ p[:, ROOT].mean(axis=0)
    t = np.array([-rc[0], -rc[1], dist - rc[2]])
    cam = p @ R.T + t
    min_z = cam[..., 2].min()
    if min_z < CAMERA['min_depth']:
        cam[..., 2] += CAMERA['min_depth'] - min_z
    cam = cam.astype(np.float32)  # motion stores camera coordinates as float32
    z = cam[..., 2]
    out = np.empty_like(cam)
    out[..., 0] = focal * cam[..., 0] / z + CAMERA['width'] / 2
    out[..., 1] = focal * cam[..., 1] / z + CAMERA['height'] / 2
    out[..., 2] = z * focal / z[:, ROOT:ROOT + 1]
    return out


def normalise_by_image(x, w, h):
    """DataReaderH36M normalisation (normaliseByImage)."""
    out = x.copy()
    out[..., 0] = x[..., 0] / w * 2 - 1
    out[..., 1] = x[..., 1] / w * 2 - h / w
    out[..., 2] = x[..., 2] / w * 2
    return out


def rebuild_as_layout(x, layout):
    out = x.copy()
    for joint, src in INPUT_LAYOUTS[layout]:
        out[:, joint, :] = out[:, src, :].mean(axis=1)
    return out


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------

def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--mb-repo', required=True, help='MotionBERT snapshot (Walter0807/MotionBERT)')
    ap.add_argument('--data', required=True, help='clip folder with index.json (cmu-mocap-h36m17)')
    ap.add_argument('--stage', required=True, choices=['pretrain', 'finetune'])
    ap.add_argument('--config', required=True, help='configs/default/pretrain.yaml or finetune-pose3d.yaml')
    ap.add_argument('--out', required=True)
    ap.add_argument('--from', dest='from_ckpt', help='official-layout checkpoint to start from (finetune: the pretrain run\'s best.bin)')
    ap.add_argument('--resume', action='store_true', help='continue OUT (OUT/train_state.pt)')
    ap.add_argument('--minutes', type=float, default=0, help='wall-clock budget (0: none); latest is saved on stop')
    ap.add_argument('--epochs', type=int, help='override the config epochs')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--seed', type=int, default=None, help='default: 0 for pretrain, 1 for finetune (as the shell script)')
    ap.add_argument('--fps', type=float, default=30)
    ap.add_argument('--repeats', default='default',
                    help="clip repeats per action: 'default' (finetune: the table of scripts/train-default-models.sh; pretrain: none), 'none', or a JSON {action: repeats}")
    ap.add_argument('--log-every', type=float, default=60, help='seconds between progress lines')
    return ap.parse_args()


def import_official(mb_repo):
    sys.path.insert(0, os.path.abspath(mb_repo))
    try:
        import easydict  # noqa: F401  (lib/utils/tools.py imports it; unused by what we call)
    except ImportError:
        shim = types.ModuleType('easydict')
        shim.EasyDict = type('EasyDict', (dict,), {'__getattr__': dict.__getitem__, '__setattr__': dict.__setitem__})
        sys.modules['easydict'] = shim
    from lib.model.DSTformer import DSTformer
    from lib.model.loss import loss_mpjpe, n_mpjpe, loss_velocity
    from lib.data.augmentation import Augmenter2D
    from lib.utils.utils_data import flip_data, crop_scale_3d
    return types.SimpleNamespace(DSTformer=DSTformer, loss_mpjpe=loss_mpjpe, n_mpjpe=n_mpjpe, loss_velocity=loss_velocity,
                                 Augmenter2D=Augmenter2D, flip_data=flip_data, crop_scale_3d=crop_scale_3d)


def torch_load(torch, path):
    try:
        return torch.load(path, map_location='cpu', weights_only=False)  # our own files (numpy RNG states)
    except TypeError:  # torch without weights_only
        return torch.load(path, map_location='cpu')


def _num(v):
    return int(v) if float(v).is_integer() else float(v)


def infer_model_cfg(sd, cfg):
    """DSTformer keys from a state dict's shapes (num_heads, which shapes do not tell, from cfg)."""
    dim_feat, dim_in = sd['joints_embed.weight'].shape
    if 'num_heads' not in cfg:
        sys.exit('num_heads is not in the shapes: put a config.yaml with it beside the --from checkpoint')
    return dict(dim_in=int(dim_in), dim_feat=int(dim_feat), dim_rep=int(sd['pre_logits.fc.weight'].shape[0]) if 'pre_logits.fc.weight' in sd else int(dim_feat),
                depth=len({k.split('.')[1] for k in sd if k.startswith('blocks_st.')}), num_heads=int(cfg['num_heads']),
                mlp_ratio=_num(sd['blocks_st.0.mlp_s.fc1.weight'].shape[0] / dim_feat), num_joints=int(sd['pos_embed'].shape[1]),
                maxlen=int(sd['temp_embed'].shape[1]), att_fuse='ts_attn.0.weight' in sd)


def atomic_torch_save(torch, obj, path):
    tmp = path + '.tmp'
    torch.save(obj, tmp)
    os.replace(tmp, path)


def write_eval_config(path, cfg):
    lines = ['# Written by scripts/official/train_official.py: the model keys of the checkpoint beside it and the',
             '# evaluation settings of configs/default/eval.yaml, for `motion eval --checkpoint latest.bin --config this`.',
             'backbone: dstformer']
    for k in MODEL_KEYS:
        v = cfg[k]
        lines.append(f'{k}: {str(v).lower() if isinstance(v, bool) else v}')
    lines += [f"clip_len: {cfg['clip_len']}", f"rootrel: {str(bool(cfg['rootrel'])).lower()}",
              f"no_conf: {str(bool(cfg.get('no_conf', False))).lower()}", 'input_layout: halpe26', 'flip: true']
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    os.replace(tmp, path)


def main():
    args = parse_args()
    cfg = read_config(args.config)
    seed = args.seed if args.seed is not None else (0 if args.stage == 'pretrain' else 1)
    os.makedirs(args.out, exist_ok=True)

    import torch
    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    mb = import_official(args.mb_repo)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)

    # ---- config (defaults as motion's config/keys.ts) ----
    model_cfg = dict(dim_in=3 if not cfg.get('no_conf') else 2, dim_feat=int(cfg.get('dim_feat', 256)), dim_rep=int(cfg.get('dim_rep', 512)),
                     depth=int(cfg.get('depth', 5)), num_heads=int(cfg.get('num_heads', 8)), mlp_ratio=cfg.get('mlp_ratio', 4),
                     num_joints=int(cfg.get('num_joints', 17)), maxlen=int(cfg.get('maxlen', 243)), att_fuse=bool(cfg.get('att_fuse', True)))
    clip_len = int(cfg.get('clip_len', model_cfg['maxlen']))
    stride = int(cfg.get('data_stride', clip_len))
    batch_size = int(cfg.get('batch_size', 16))
    epochs = args.epochs if args.epochs is not None else int(cfg.get('epochs', 60))
    lr_head = float(cfg.get('lr_head', cfg['learning_rate']))
    lr_backbone = lr_head if args.stage == 'pretrain' else float(cfg.get('lr_backbone', lr_head * 0.1))
    wd = float(cfg.get('weight_decay', 0.01))
    lr_decay = float(cfg.get('lr_decay', 1.0))
    lam_scale = float(cfg.get('lambda_scale', 0.5))
    lam_vel = float(cfg.get('lambda_3d_velocity', 20))
    for k in ('lambda_lv', 'lambda_lg', 'lambda_a', 'lambda_av'):
        if float(cfg.get(k, 0) or 0) != 0:
            sys.exit(f'{k} is not supported by this script (motion\'s default recipe leaves it at 0)')
    flip = bool(cfg.get('flip', False))
    rootrel = bool(cfg.get('rootrel', False))
    noise = bool(cfg.get('noise', False))
    mask_ratio = float(cfg.get('mask_ratio', 0) or 0)
    mask_T_ratio = float(cfg.get('mask_T_ratio', 0) or 0)
    use_mask = mask_ratio > 0 and mask_T_ratio > 0  # train.py: args.mask
    crop_prob = float(cfg.get('crop_scale_prob', 0) or 0)
    layout = str(cfg.get('input_layout', 'h36m17'))
    if layout not in INPUT_LAYOUTS:
        sys.exit(f'input_layout {layout} not supported here (have {", ".join(INPUT_LAYOUTS)})')
    if str(cfg.get('backbone', 'dstformer')) != 'dstformer':
        sys.exit('only backbone: dstformer is supported (the official MotionBERT model)')
    if cfg.get('synthetic') is False:
        sys.exit('synthetic: false needs detections, which the mocap clips do not have')
    if cfg.get('scale_range_pretrain'):
        sys.exit('scale_range_pretrain is not supported by this script')
    if args.repeats == 'default':
        repeats = POSE_REPEATS if args.stage == 'finetune' else None
    elif args.repeats == 'none':
        repeats = None
    else:
        repeats = json.loads(args.repeats)

    # ---- data ----
    clips, windows, per_action = load_windows(args.data, 'train', args.fps, clip_len, stride, repeats)
    if not windows:
        sys.exit('no training windows')
    steps_per_epoch = math.ceil(len(windows) / min(batch_size, len(windows)))
    bs = min(batch_size, len(windows))
    print(f'data: {len(windows)} windows of {clip_len} frames (stride {stride}) from {len(clips)} clip entries at {args.fps:g} fps; '
          f'per action {per_action}; {steps_per_epoch} steps/epoch of {bs}', flush=True)

    aug_args = types.SimpleNamespace(d2c_params_path=os.path.join(args.mb_repo, 'params/d2c_params.pkl'),
                                     noise_path=os.path.join(args.mb_repo, 'params/synthetic_noise.pth'),
                                     mask_ratio=mask_ratio, mask_T_ratio=mask_T_ratio)
    aug = mb.Augmenter2D(aug_args)

    def make_pair(w):
        ci, idx = windows[w]
        image = camera_view(clips[ci][idx], rng)
        if crop_prob >= 1 or (crop_prob > 0 and rng.random() < crop_prob):
            label = np.asarray(mb.crop_scale_3d(image, [1, 1]), dtype=np.float32)
        else:
            label = normalise_by_image(image, CAMERA['width'], CAMERA['height'])
        if flip and rng.random() > 0.5:
            label = mb.flip_data(label)
        inp = label.copy()
        inp[..., 2] = 1.0  # synthetic 2D: the label's x, y with confidence 1
        return rebuild_as_layout(inp, layout), label

    def make_batch(indices):
        pairs = [make_pair(i) for i in indices]
        x = torch.from_numpy(np.stack([p[0] for p in pairs]).astype(np.float32))
        y = torch.from_numpy(np.stack([p[1] for p in pairs]).astype(np.float32))
        with torch.no_grad():  # train_epoch
            if rootrel:
                y = y - y[:, :, 0:1, :]
            else:
                y[:, :, :, 2] = y[:, :, :, 2] - y[:, 0:1, 0:1, 2]
            if use_mask or noise:
                x = aug.augment2D(x, noise=noise, mask=use_mask)
            if cfg.get('no_conf'):
                x = x[:, :, :, :2]
        return x, y

    # ---- model and optimiser ----
    # As motion's finetune: the model is the --from checkpoint's (its keys, not the finetune config's).
    state_path = os.path.join(args.out, 'train_state.pt')
    start = dict(epoch=0, epoch_step=0, order=None, best=None, step=0, train_seconds=0.0)
    sd = None
    if args.resume:
        if not os.path.exists(state_path):
            sys.exit(f'--resume: {state_path} does not exist')
        st = torch_load(torch, state_path)
        model_cfg = st['model_cfg']
        sd = st['model']
    elif args.from_ckpt:
        ck = torch_load(torch, args.from_ckpt)
        sd = ck.get('model_pos', ck.get('model', ck)) if isinstance(ck, dict) else ck
        sd = {k[len('module.'):] if k.startswith('module.') else k: v for k, v in sd.items()}
        sibling = os.path.join(os.path.dirname(os.path.abspath(args.from_ckpt)), 'config.yaml')
        model_cfg = infer_model_cfg(sd, read_config(sibling) if os.path.exists(sibling) else cfg)
    model = mb.DSTformer(dim_out=3, **model_cfg)
    if sd is not None:
        model.load_state_dict(sd, strict=True)
        if not args.resume:
            print(f'from {args.from_ckpt}: {len(sd)} tensors', flush=True)
    n_params = sum(p.numel() for p in model.parameters())
    head_params = [p for n, p in model.named_parameters() if n.startswith('head.')]
    body_params = [p for n, p in model.named_parameters() if not n.startswith('head.')]
    optimizer = torch.optim.AdamW([{'params': body_params, 'lr': lr_backbone, 'name': 'backbone'},
                                   {'params': head_params, 'lr': lr_head, 'name': 'head'}], lr=lr_head, weight_decay=wd)
    if args.resume:
        optimizer.load_state_dict(st['optimizer'])
        start.update({k: st[k] for k in start})
        rng.bit_generator.state = st['np_rng']
        np.random.set_state(st['np_global'])
        random.setstate(st['py_random'])
        torch.set_rng_state(st['torch_rng'])
        print(f"resumed {args.out}: epoch {start['epoch'] + 1}, step {start['epoch_step']} of {steps_per_epoch}", flush=True)
    write_eval_config(os.path.join(args.out, 'config.yaml'), {**model_cfg, 'clip_len': clip_len, 'rootrel': rootrel, 'no_conf': cfg.get('no_conf', False)})
    print(f'model: official DSTformer {model_cfg}, {n_params} parameters; AdamW lr backbone {lr_backbone:g} head {lr_head:g} '
          f'wd {wd:g}, x{lr_decay:g}/epoch; losses mpjpe + {lam_scale:g} n_mpjpe + {lam_vel:g} velocity; flip {flip}, noise {noise}, '
          f'mask {use_mask} ({mask_ratio:g}, {mask_T_ratio:g}), crop_scale_prob {crop_prob:g}, input_layout {layout}, rootrel {rootrel}; '
          f'{args.threads} thread(s), seed {seed}', flush=True)

    stop = {'signal': False}

    def on_signal(signum, frame):
        stop['signal'] = True
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    def save(kind, epoch, epoch_step, order, best, step, train_seconds):
        sd = {'module.' + k: v.detach().clone() for k, v in model.state_dict().items()}
        atomic_torch_save(torch, {'model_pos': sd}, os.path.join(args.out, f'{kind}.bin'))
        if kind == 'latest':
            atomic_torch_save(torch, {'model': model.state_dict(), 'model_cfg': model_cfg, 'optimizer': optimizer.state_dict(), 'epoch': epoch,
                                      'epoch_step': epoch_step, 'order': order, 'best': best, 'step': step,
                                      'train_seconds': train_seconds, 'np_rng': rng.bit_generator.state,
                                      'np_global': np.random.get_state(), 'py_random': random.getstate(),
                                      'torch_rng': torch.get_rng_state()}, state_path)

    t_start = time.time()
    budget = args.minutes * 60 if args.minutes > 0 else None
    epoch, epoch_step, order = start['epoch'], start['epoch_step'], start['order']
    best, step, train_base = start['best'], start['step'], start['train_seconds']
    log = open(os.path.join(args.out, 'log.jsonl'), 'a')
    model.train()
    interrupted = False
    while epoch < epochs:
        decay = lr_decay ** epoch  # lr of epoch e = base * decay^e (train.py multiplies after each epoch)
        for g in optimizer.param_groups:
            g['lr'] = (lr_head if g['name'] == 'head' else lr_backbone) * decay
        if epoch_step == 0 or order is None:
            order = rng.permutation(len(windows)).tolist()
        sums = {'total': 0.0, 'mpjpe': 0.0, 'n_mpjpe': 0.0, 'velocity': 0.0}
        count = 0
        t_epoch = time.time()
        t_log = t_epoch
        clips_epoch = 0
        for b in range(epoch_step, steps_per_epoch):
            idx = order[b * bs:(b + 1) * bs]
            i = 0
            while len(idx) < bs:  # the last batch completed from the start of the shuffle (loop.ts batchIndices)
                idx.append(order[i % len(order)])
                i += 1
            x, y = make_batch(idx)
            pred = model(x)
            optimizer.zero_grad()
            l_pos = mb.loss_mpjpe(pred, y)
            l_scale = mb.n_mpjpe(pred, y)
            l_vel = mb.loss_velocity(pred, y)
            loss = l_pos + lam_scale * l_scale + lam_vel * l_vel
            loss.backward()
            optimizer.step()
            lv = loss.item()
            if not math.isfinite(lv):
                sys.exit(f'loss became {lv} at step {step + 1}; latest.bin is the last good checkpoint')
            step += 1
            epoch_step = b + 1
            for k, v in (('total', lv), ('mpjpe', l_pos.item()), ('n_mpjpe', l_scale.item()), ('velocity', l_vel.item())):
                sums[k] += v * len(idx)
            count += len(idx)
            clips_epoch += len(idx)
            now = time.time()
            if now - t_log >= args.log_every:
                t_log = now
                print(f'  epoch {epoch + 1} step {b + 1}/{steps_per_epoch}: loss {sums["total"] / count:.5f} '
                      f'({clips_epoch / (now - t_epoch):.2f} clips/s)', flush=True)
            over = budget is not None and now - t_start >= budget
            if (stop['signal'] or over) and epoch_step < steps_per_epoch:
                save('latest', epoch, epoch_step, order, best, step, train_base + now - t_start)
                print(f'stopped ({"signal" if stop["signal"] else "minute budget"}) in epoch {epoch + 1} at step {epoch_step}/{steps_per_epoch}: '
                      f'mean loss so far {sums["total"] / count:.5f}, {clips_epoch / (now - t_epoch):.2f} clips/s; saved {args.out}/latest.bin', flush=True)
                interrupted = True
                break
        if interrupted:
            break
        secs = time.time() - t_epoch
        mean = {k: v / max(count, 1) for k, v in sums.items()}
        epoch += 1
        epoch_step = 0
        improved = count > 0 and (best is None or mean['total'] < best)
        if improved:
            best = mean['total']
        save('latest', epoch, 0, None, best, step, train_base + time.time() - t_start)
        if improved:
            save('best', epoch, 0, None, best, step, train_base + time.time() - t_start)
        rec = dict(epoch=epoch, step=step, lr=optimizer.param_groups[1]['lr'], lr_backbone=optimizer.param_groups[0]['lr'],
                   loss=mean['total'], mpjpe=mean['mpjpe'], n_mpjpe=mean['n_mpjpe'], velocity=mean['velocity'],
                   clips_per_s=clips_epoch / secs if secs > 0 else None, seconds=secs, best=improved)
        log.write(json.dumps(rec) + '\n')
        log.flush()
        print(f'epoch {epoch}/{epochs}: loss {mean["total"]:.5f} (mpjpe {mean["mpjpe"]:.5f}, n_mpjpe {mean["n_mpjpe"]:.5f}, '
              f'velocity {mean["velocity"]:.5f}) lr {rec["lr"]:.3g}, {rec["clips_per_s"]:.2f} clips/s, {secs:.0f} s'
              f'{" *best" if improved else ""}', flush=True)
        if stop['signal'] or (budget is not None and time.time() - t_start >= budget):
            interrupted = epoch < epochs
            print(f'stopped ({"signal" if stop["signal"] else "minute budget"}) after epoch {epoch}', flush=True)
            break
    log.close()
    print(f'done: {step} steps, {time.time() - t_start:.0f} s this session; checkpoint {args.out}/latest.bin; '
          f'eval: node bin/run.js eval --task pose3d --checkpoint {args.out}/latest.bin --config {args.out}/config.yaml '
          f'--data {args.data} --split test --fps {args.fps:g}', flush=True)
    sys.exit(130 if stop['signal'] else 0)


if __name__ == '__main__':
    main()
