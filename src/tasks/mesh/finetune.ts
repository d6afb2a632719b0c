/**
 * The mesh parts of a training run (tasks/mesh/training.ts supplies them to `finetune --task mesh`, as
 * train_mesh.py): the model (a mesh checkpoint as it is, or a pretrained backbone with a fresh
 * SMPLRegressor and the user's body model), the batches from a mesh data folder (src/tasks/mesh/data.ts),
 * the objective's config and the per-epoch evaluation (MPVE, MPJPE, PA-MPJPE in mm).
 */
import type {RawConfig} from '../../config/types.js'
import {inputError} from '../../core/errors.js'
import {loadModel} from '../../model/load.js'
import {BACKBONE_PREFIX, type Model} from '../../model/model.js'
import type {NDArray} from '../../core/ndarray.js'
import {type BodyModel, bodyModelFromWeights, hasBodyModel, loadBodyModel, numVertices} from './body-model.js'
import {type MeshClip, MeshBatchSource, type MeshData, readMeshData} from './data.js'
import {type MeshEvalResult, evaluateMeshClips} from './evaluate.js'
import {type MeshLossConfig, meshLossConfig} from './losses.js'
import {meshModel} from './train.js'

export interface MeshModelOptions {
  /** Checkpoint, native model folder or run model folder. */
  from: string
  /** Model keys the user gave (sizes the checkpoint cannot tell, e.g. num_heads). */
  modelConfig: RawConfig
  /** Training config (hidden_dim, dropout, data_root). */
  config: Readonly<Record<string, unknown>>
  /** --smpl-dir */
  smplDir?: string
  seed: number
}

/**
 * A mesh model to finetune: a mesh checkpoint as it is (it carries its body model), else the
 * checkpoint's backbone with a fresh mesh head initialised as PyTorch does and the body model from
 * --smpl-dir, data_root, $MOTION_SMPL_DIR, ./data/mesh or ~/.motion/smpl.
 */
export async function initialMeshModel(opts: MeshModelOptions): Promise<Model> {
  const loaded = await loadModel(opts.from, {config: opts.modelConfig})
  const base = loaded.model
  if (base.head.name === 'mesh') return base
  if (![...base.weights.keys()].some((k) => k.startsWith(BACKBONE_PREFIX))) throw inputError('the model has no backbone weights to finetune', {file: opts.from})
  const body = await loadBodyModel({dir: opts.smplDir, dataRoot: typeof opts.config.data_root === 'string' ? opts.config.data_root : undefined, needMeanParams: true})
  const head: RawConfig = {}
  if (opts.config.hidden_dim !== undefined) head.hidden_dim = opts.config.hidden_dim
  if (opts.config.dropout !== undefined) head.dropout = opts.config.dropout
  return meshModel(base.weights, body, {...base.config.backboneConfig, backbone: base.config.backbone, ...head}, opts.seed)
}

/** The body model a mesh model carries (`head.smpl.*`). */
export function modelBodyModel(model: Model, file?: string): BodyModel {
  if (!hasBodyModel(model.weights)) throw inputError('the model is not a mesh model (no head.smpl.* body model)', {file})
  return bodyModelFromWeights(model.weights, {file})
}

/** The mesh objective of a run: MotionBERT's keys as set, the official mesh config for the rest. */
export function runMeshLoss(config: Readonly<Record<string, unknown>>): MeshLossConfig {
  return meshLossConfig(config)
}

export interface MeshRunData {
  data: MeshData
  train: MeshClip[]
  test: MeshClip[]
}

/** The folder's train clips (every clip when it has no train split) and test clips. */
export async function readMeshRunData(dir: string): Promise<MeshRunData> {
  const data = await readMeshData(dir)
  const train = data.clips.filter((c) => c.split === 'train')
  return {data, train: train.length > 0 ? train : data.clips.filter((c) => c.split !== 'test'), test: data.clips.filter((c) => c.split === 'test')}
}

export interface MeshSourceOptions {
  batchSize: number
  clipLen: number
  stride: number
  flip: boolean
  noConf: boolean
  loss: MeshLossConfig
}

export async function meshBatchSource(model: Model, clips: readonly MeshClip[], opts: MeshSourceOptions): Promise<MeshBatchSource> {
  if (clips.length === 0) throw inputError('no training clips in the mesh data (split train, or files outside test/)')
  const body = modelBodyModel(model)
  return MeshBatchSource.create(clips, body, {
    batchSize: opts.batchSize,
    clipLen: opts.clipLen,
    stride: opts.stride,
    flip: opts.flip,
    noConf: opts.noConf,
    withVerts: opts.loss.lambda_verts > 0,
  })
}

export function meshVertices(model: Model): number {
  return numVertices(modelBodyModel(model))
}

/** Per-epoch evaluation of a mesh run on the test clips (the same protocol as `motion eval --task mesh`). */
export function meshEvaluator(
  model: Model,
  test: readonly MeshClip[],
  opts: {clipLen: number; batchSize: number; flip: boolean; limit: number; noConf: boolean},
  run: (weights: Map<string, NDArray>) => Promise<{run: (x: NDArray) => Promise<Record<string, NDArray>>; dispose: () => Promise<void>}>,
): (weights: Map<string, NDArray>) => Promise<Record<string, number>> {
  const body = modelBodyModel(model)
  return async (weights) => {
    const engine = await run(weights)
    try {
      const r: MeshEvalResult = await evaluateMeshClips(engine.run, test, body, opts)
      return {mpve: r.mpve, mpjpe: r.mpjpe, pa_mpjpe: r.pa_mpjpe}
    } finally {
      await engine.dispose()
    }
  }
}
