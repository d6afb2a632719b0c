/**
 * Mesh recovery as a training task (train_mesh.py; finetuning only): the mesh data folder's clips,
 * MotionBERT's MeshLoss, and MPVE on the test clips picking the best checkpoint.
 */
import {inputError} from '../../core/errors.js'
import {LOSS_ONLY, type TrainTaskEntry} from '../train-task.js'
import type {TrainBatch} from '../train-types.js'
import {initialMeshModel, meshBatchSource, meshEvaluator, meshVertices, readMeshRunData, runMeshLoss} from './finetune.js'
import {meshLoss} from './losses.js'

export const meshTraining: TrainTaskEntry = {
  name: 'mesh',
  description: 'SMPL mesh recovery, finetuned from a pretrained model (MeshLoss, MPVE)',
  takesData2d: false,
  takesSmplDir: true,

  async initialModel(settings) {
    if (settings.command !== 'finetune' || !settings.from) throw inputError('mesh training is finetuning: give --from (a pretrained model or a mesh checkpoint)')
    return initialMeshModel({from: settings.from, modelConfig: settings.modelConfig, config: settings.config, smplDir: settings.smplDir, seed: settings.seed})
  },

  async trainData({settings, config, model, engineFor}) {
    const loss = runMeshLoss(config)
    const data = await readMeshRunData(settings.data)
    const source = await meshBatchSource(model, data.train, {batchSize: Number(config.batch_size), clipLen: Number(config.clip_len), stride: Number(config.data_stride), flip: Boolean(config.flip), noConf: Boolean(config.no_conf), loss})
    return {
      source,
      meshLoss: loss,
      ...(loss.lambda_verts > 0 ? {meshVertices: meshVertices(model)} : {}),
      async evaluation() {
        if (!(settings.evalLimit > 0 && data.test.length > 0)) return {best: LOSS_ONLY}
        const evaluate = meshEvaluator(model, data.test, {clipLen: Number(config.clip_len), batchSize: Number(config.batch_size), flip: Boolean(config.flip), limit: settings.evalLimit, noConf: Boolean(config.no_conf)}, (weights) => engineFor({...model, weights}))
        return {evaluate, best: {name: 'mpve', higherIsBetter: false}}
      },
    }
  },

  targets(batch: TrainBatch) {
    const m = batch.mesh!
    return {rotmat: m.rotmat, betas: m.betas, kp_3d: m.kp_3d, ...(m.verts ? {verts: m.verts} : {})}
  },

  targetInputs(inputShape, opts) {
    if (!opts.meshLoss) throw new Error('createTrainer: task mesh needs meshLoss')
    const [n, t] = inputShape as [number, number]
    const inputs = [
      {name: 'rotmat', shape: [n, t, 24, 3, 3]},
      {name: 'betas', shape: [n, t, 10]},
      {name: 'kp_3d', shape: [n, t, 17, 3]},
    ]
    if (opts.meshLoss.lambda_verts > 0) {
      if (!opts.meshVertices) throw new Error('createTrainer: lambda_verts needs meshVertices')
      inputs.push({name: 'verts', shape: [n, t, opts.meshVertices, 3]})
    }
    return inputs
  },

  loss(ops, outputs, targets, spec) {
    const config = spec.meshLoss
    if (!config || !targets.rotmat) throw new Error('a mesh batch needs meshLoss and mesh targets')
    // MotionBERT's MeshLoss on the head's outputs; vertices only when lambda_verts weighs them.
    const withVerts = config.lambda_verts > 0
    const l = meshLoss(
      ops,
      {rotmat: outputs.rotmat!, betas: outputs.betas!, kp_3d: outputs.kp_3d!, verts: withVerts ? outputs.verts : undefined},
      {rotmat: targets.rotmat, betas: targets.betas!, kp_3d: targets.kp_3d!, verts: withVerts ? targets.verts : undefined},
      config,
      {parts: 'weighted'},
    )
    return {total: l.total, parts: l.parts}
  },
}
