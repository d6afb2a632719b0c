/**
 * Fresh weights for training, initialised as the official modules initialise themselves
 * (DSTformer._init_weights: Linear weights N(0, 0.02) and zero biases, LayerNorm 1/0, the
 * embeddings N(0, 0.02), ts_attn weight 0 and bias 0.5; heads outside the DSTformer keep PyTorch's
 * nn.Linear default U(±1/sqrt(fan_in)); BatchNorm 1/0 with running statistics 0/1). Drawn from
 * the run's seeded Rng, so a seed gives the same model every time.
 */
import {type ModelSpec, modelParams} from './model.js'
import {type NDArray, size} from '../core/ndarray.js'
import {Rng} from '../core/rng.js'

export interface InitOptions {
  /** Only initialise names under this prefix (e.g. 'head.' for a fresh head); default all. */
  prefix?: string
}

export function initialWeights(spec: ModelSpec, seed: number, opts: InitOptions = {}): Map<string, NDArray> {
  const rng = new Rng(seed)
  const {required, optional} = modelParams(spec)
  const out = new Map<string, NDArray>()
  // A head the backbone's own _init_weights covers (the DSTformer's head Linear) starts as the backbone does.
  const torchDefaultHead = !spec.head.initByBackbone
  for (const [name, shape] of [...required, ...optional]) {
    if (opts.prefix && !name.startsWith(opts.prefix)) continue
    if (name.endsWith('num_batches_tracked') && !required.has(name)) continue
    const weightShape = required.get(name.replace(/bias$/, 'weight')) ?? shape
    const fanIn = weightShape.length >= 2 ? weightShape.slice(1).reduce((a, b) => a * b, 1) : 1
    const values = initValues(name, shape, rng, torchDefaultHead && name.startsWith('head.'), optional.has(name) && !required.has(name), fanIn)
    out.set(name, {data: values, shape: [...shape]})
  }
  return out
}

function initValues(name: string, shape: readonly number[], rng: Rng, torchDefault: boolean, optionalOnly: boolean, fanIn: number): Float32Array {
  const n = size(shape)
  const out = new Float32Array(n)
  const last = name.split('.').pop()!
  if (optionalOnly || last === 'running_mean' || last === 'num_batches_tracked') return out
  if (last === 'running_var') return out.fill(1)
  if (/(^|\.)ts_attn\.\d+\.weight$/.test(name)) return out
  if (/(^|\.)ts_attn\.\d+\.bias$/.test(name)) return out.fill(0.5)
  const isMatrix = shape.length >= 2
  const isNormParam = !isMatrix && fanIn === 1 // LayerNorm/BatchNorm weight and bias (no matrix beside them)
  if (torchDefault && !isNormParam && (last === 'weight' || last === 'bias')) {
    // nn.Linear/Conv default: kaiming_uniform(a=√5) → U(±1/√fan_in) for weight and bias alike.
    const bound = 1 / Math.sqrt(fanIn)
    for (let i = 0; i < n; i++) out[i] = rng.uniform(-bound, bound)
    return out
  }
  if (last === 'bias') return out
  if (last === 'weight' && !isMatrix) return out.fill(1) // LayerNorm / BatchNorm scale
  for (let i = 0; i < n; i++) out[i] = rng.normal(0, 0.02) // Linear weights and embeddings
  return out
}
