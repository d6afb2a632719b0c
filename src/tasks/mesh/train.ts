/**
 * Mesh training pieces for `motion finetune --task mesh` (train_mesh.py):
 *  - meshModel: a MeshRegressor from a pretrained backbone (any loaded model's `backbone.*`), a
 *    body model and a freshly initialised SMPLRegressor head, initialised as PyTorch does
 *    (Linear: U(±1/√fan_in); head_pose/head_shape: xavier_uniform with gain 0.01, so training starts
 *    at the mean pose and shape; BatchNorm: weight 1, bias 0, running stats 0 and 1);
 *  - synthMeshData: clips posed by the body model (random smooth SMPL poses and shapes), with the
 *    model input as the joints' normalised x, y and confidence 1 — data for tests and smoke runs,
 *    since SMPL and its datasets cannot ship;
 *  - meshTargets / meshStepLoss: the batch ground truth as Ops values and the official objective.
 */
import {getBackbone} from '../../backbones/registry.js'
import type {RawConfig} from '../../config/types.js'
import {getHead} from '../../heads/registry.js'
import {BACKBONE_PREFIX, HEAD_PREFIX, type Model, buildModel, modelParams, resolveModelConfig, shapesOf} from '../../model/model.js'
import type {Ops} from '../../nn/ops.js'
import type {NDArray} from '../../core/ndarray.js'
import {Rng} from '../../core/rng.js'
import {type BodyModel, bodyModelWeights} from './body-model.js'
import {type MeshLoss, type MeshLossConfig, meshLoss} from './losses.js'
import {axisAngleToRotmat} from '../../nn/rotation.js'
import {smplFromTheta} from './run.js'

/** A mesh model on `backbone`'s weights (native `backbone.*` names) with a fresh head. */
export function meshModel(backboneWeights: ReadonlyMap<string, NDArray>, body: BodyModel, config: RawConfig = {}, seed = 0): Model {
  if (!body.meanPose || !body.meanShape) {
    throw new Error('meshModel: the body model needs smpl_mean_params.npz (loadBodyModel with needMeanParams)')
  }
  const weights = new Map<string, NDArray>()
  for (const [k, v] of backboneWeights) if (k.startsWith(BACKBONE_PREFIX)) weights.set(k, v)
  for (const [k, v] of bodyModelWeights(body)) weights.set(k, v)
  const raw: RawConfig = {...config, head: 'mesh'}
  const spec = resolveModelConfig(shapesOf(weights), raw)
  const {required} = modelParams({backbone: getBackbone(spec.backbone), head: getHead('mesh'), config: spec})
  const rng = new Rng(seed)
  for (const [name, shape] of required) {
    if (weights.has(name)) continue
    const weightShape = name.endsWith('.bias') ? required.get(name.replace(/\.bias$/, '.weight')) : undefined
    weights.set(name, initialHeadParam(name.slice(HEAD_PREFIX.length), shape, rng, weightShape?.[1]))
  }
  return buildModel(weights, raw)
}

function initialHeadParam(name: string, shape: readonly number[], rng: Rng, biasFanIn?: number): NDArray {
  const n = shape.reduce((a, b) => a * b, 1)
  const data = new Float32Array(n)
  const uniform = (bound: number): void => {
    for (let i = 0; i < n; i++) data[i] = (rng.next() * 2 - 1) * bound
  }
  if (/^bn\d\.(weight|running_var)$/.test(name)) data.fill(1)
  else if (/^bn\d\./.test(name)) data.fill(0)
  else if (name === 'head_pose.weight' || name === 'head_shape.weight') {
    const [out, inF] = shape as [number, number]
    uniform(0.01 * Math.sqrt(6 / (inF + out))) // xavier_uniform_(gain=0.01)
  } else if (name.endsWith('.weight')) uniform(1 / Math.sqrt(shape[1]!)) // nn.Linear: kaiming_uniform(a=√5)
  else if (name.endsWith('.bias')) uniform(1 / Math.sqrt(biasFanIn ?? shape[0]!)) // nn.Linear: U(±1/√fan_in)
  return {data, shape: [...shape]}
}

export interface MeshClips {
  /** [N, T, 17, 3]: normalised x, y of the H36M joints and confidence 1. */
  input: NDArray
  /** [N, T, 82] */
  theta: NDArray
  /** [N, T, 24, 3, 3] */
  rotmat: NDArray
  /** [N, T, 10] */
  betas: NDArray
  /** [N, T, 17, 3] mm */
  kp_3d: NDArray
  /** [N, T, V, 3] mm */
  verts: NDArray
}

/** Random smooth motions posed by `body`: per clip a shape, per joint a rotation drifting over time. */
export async function synthMeshData(body: BodyModel, opts: {clips: number; frames: number; seed?: number; poseScale?: number}): Promise<MeshClips> {
  const {clips: N, frames: T} = opts
  const rng = new Rng(opts.seed ?? 1)
  const scale = opts.poseScale ?? 0.4
  const theta = new Float32Array(N * T * 82)
  for (let n = 0; n < N; n++) {
    const start = Float32Array.from({length: 72}, () => (rng.next() * 2 - 1) * scale)
    const end = Float32Array.from({length: 72}, () => (rng.next() * 2 - 1) * scale)
    const betas = Float32Array.from({length: 10}, () => (rng.next() * 2 - 1))
    for (let t = 0; t < T; t++) {
      const a = T > 1 ? t / (T - 1) : 0
      const o = (n * T + t) * 82
      for (let k = 0; k < 72; k++) theta[o + k] = start[k]! * (1 - a) + end[k]! * a
      // the root turned upright-ish (SMPL's y up to the camera's y down), as MotionBERT's data is
      theta[o] = theta[o]! + Math.PI
      theta.set(betas, o + 72)
    }
  }
  const posed = await smplFromTheta(body, {data: theta, shape: [N * T, 82]})
  const V = body.vTemplate.shape[0]!
  // input: root-relative x, y in metres-ish units (mm / 1000), confidence 1
  const input = new Float32Array(N * T * 17 * 3)
  for (let f = 0; f < N * T; f++) {
    for (let j = 0; j < 17; j++) {
      const s = (f * 17 + j) * 3
      input[s] = (posed.kp_3d.data[s]! - posed.kp_3d.data[f * 51]!) / 1000
      input[s + 1] = (posed.kp_3d.data[s + 1]! - posed.kp_3d.data[f * 51 + 1]!) / 1000
      input[s + 2] = 1
    }
  }
  const betas = new Float32Array(N * T * 10)
  for (let f = 0; f < N * T; f++) betas.set(theta.subarray(f * 82 + 72, f * 82 + 82), f * 10)
  return {
    input: {data: input, shape: [N, T, 17, 3]},
    theta: {data: theta, shape: [N, T, 82]},
    rotmat: {data: posed.rotmat.data, shape: [N, T, 24, 3, 3]},
    betas: {data: betas, shape: [N, T, 10]},
    kp_3d: {data: posed.kp_3d.data, shape: [N, T, 17, 3]},
    verts: {data: posed.verts.data, shape: [N, T, V, 3]},
  }
}

/** Ground-truth rotation matrices for theta [..., 82] (the official loss's batch_rodrigues on the truth). */
export function rotmatsOfTheta(theta: NDArray): NDArray {
  const frames = theta.data.length / 82
  const pose = new Float32Array(frames * 72)
  for (let f = 0; f < frames; f++) pose.set(theta.data.subarray(f * 82, f * 82 + 72), f * 72)
  return {data: axisAngleToRotmat(pose, frames * 24), shape: [...theta.shape.slice(0, -1), 24, 3, 3]}
}

/** The official objective on the mesh head's graph outputs and a target made of constants. */
export function meshStepLoss<T>(ops: Ops<T>, outputs: Record<string, T>, target: {rotmat: NDArray; betas: NDArray; kp_3d: NDArray; verts?: NDArray}, config: MeshLossConfig): MeshLoss<T> {
  const c = (a: NDArray): T => ops.constant(a.data, a.shape)
  return meshLoss(
    ops,
    {rotmat: outputs.rotmat!, betas: outputs.betas!, kp_3d: outputs.kp_3d!, verts: config.lambda_verts > 0 ? outputs.verts : undefined},
    {rotmat: c(target.rotmat), betas: c(target.betas), kp_3d: c(target.kp_3d), verts: config.lambda_verts > 0 && target.verts ? c(target.verts) : undefined},
    config,
  )
}
