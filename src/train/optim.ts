/**
 * AdamW on Float32Arrays with torch.optim.AdamW semantics (amsgrad off): per parameter
 *
 *   t += 1;  p *= 1 - lr·wd                      (decoupled weight decay)
 *   m = β1 m + (1-β1) g;  v = β2 v + (1-β2) g²
 *   p -= lr / (1-β1^t) · m / (sqrt(v) / sqrt(1-β2^t) + eps)
 *
 * Parameter groups give per-group lr and weight decay (MotionBERT: backbone at lr_backbone, head at
 * lr_head). A parameter with no gradient in a step is skipped entirely, as torch skips `grad is None`.
 * The state (step counts and moments) is plain data and converts to named tensors for checkpoints.
 */
import {inputError} from '../core/errors.js'
import type {NDArray} from '../core/ndarray.js'

export interface AdamWGroup {
  /** Name for logs and lr reporting, e.g. 'backbone', 'head'. */
  readonly name: string
  /** Which parameters belong to the group; the first matching group wins. */
  readonly match: (param: string) => boolean
  readonly lr?: number
  readonly weightDecay?: number
}

export interface AdamWConfig {
  /** Base learning rate (for parameters no group claims, and groups without their own). */
  readonly lr: number
  /** Default [0.9, 0.999]. */
  readonly betas?: readonly [number, number]
  /** Default 1e-8. */
  readonly eps?: number
  /** Default 0.01 (torch's AdamW default). */
  readonly weightDecay?: number
  readonly groups?: readonly AdamWGroup[]
}

export interface AdamWParamState {
  step: number
  expAvg: Float32Array
  expAvgSq: Float32Array
}

export interface AdamWState {
  kind: 'adamw'
  params: Record<string, AdamWParamState>
}

export class AdamW {
  private readonly b1: number
  private readonly b2: number
  private readonly eps: number
  private state = new Map<string, AdamWParamState>()

  constructor(private readonly config: AdamWConfig) {
    const [b1, b2] = config.betas ?? [0.9, 0.999]
    this.b1 = b1
    this.b2 = b2
    this.eps = config.eps ?? 1e-8
    if (!(config.lr >= 0)) throw inputError(`learning rate must be >= 0, got ${config.lr}`)
    if (!(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1)) throw inputError(`AdamW betas must be in [0, 1), got [${b1}, ${b2}]`)
  }

  /** The group a parameter belongs to (undefined: the base settings). */
  groupOf(param: string): AdamWGroup | undefined {
    return this.config.groups?.find((g) => g.match(param))
  }

  /** Learning rate of a parameter before any schedule scale. */
  lrOf(param: string): number {
    return this.groupOf(param)?.lr ?? this.config.lr
  }

  weightDecayOf(param: string): number {
    return this.groupOf(param)?.weightDecay ?? this.config.weightDecay ?? 0.01
  }

  /**
   * One update in place. `lrScale` multiplies every group's lr (epoch decay, warm-up). Parameters
   * without an entry in `grads` are left untouched.
   */
  step(params: ReadonlyMap<string, Float32Array>, grads: ReadonlyMap<string, Float32Array>, lrScale = 1): void {
    for (const [name, g] of grads) {
      const p = params.get(name)
      if (!p) throw new Error(`AdamW: gradient for unknown parameter ${name}`)
      if (p.length !== g.length) throw new Error(`AdamW: gradient of ${name} has ${g.length} values, the parameter ${p.length}`)
      let s = this.state.get(name)
      if (!s) {
        s = {step: 0, expAvg: new Float32Array(p.length), expAvgSq: new Float32Array(p.length)}
        this.state.set(name, s)
      } else if (s.expAvg.length !== p.length) {
        throw inputError(`optimizer state for ${name} has ${s.expAvg.length} values, the parameter ${p.length}`, {hint: 'the checkpoint belongs to a different model'})
      }
      s.step++
      const lr = this.lrOf(name) * lrScale
      const decay = 1 - lr * this.weightDecayOf(name)
      const bc1 = 1 - this.b1 ** s.step
      const bc2Sqrt = Math.sqrt(1 - this.b2 ** s.step)
      const stepSize = lr / bc1
      const {b1, b2, eps} = this
      const m = s.expAvg
      const v = s.expAvgSq
      for (let i = 0; i < p.length; i++) {
        const gi = g[i]!
        const mi = b1 * m[i]! + (1 - b1) * gi
        const vi = b2 * v[i]! + (1 - b2) * gi * gi
        m[i] = mi
        v[i] = vi
        p[i] = p[i]! * decay - (stepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + eps)
      }
    }
  }

  /** A deep copy of the state. */
  getState(): AdamWState {
    const params: Record<string, AdamWParamState> = {}
    for (const [k, s] of this.state) params[k] = {step: s.step, expAvg: Float32Array.from(s.expAvg), expAvgSq: Float32Array.from(s.expAvgSq)}
    return {kind: 'adamw', params}
  }

  loadState(state: AdamWState): void {
    if (state?.kind !== 'adamw' || typeof state.params !== 'object') throw inputError('optimizer state is not an AdamW state')
    const next = new Map<string, AdamWParamState>()
    for (const [k, s] of Object.entries(state.params)) {
      if (!Number.isInteger(s.step) || s.step < 0 || s.expAvg.length !== s.expAvgSq.length) throw inputError(`optimizer state for ${k} is malformed`)
      next.set(k, {step: s.step, expAvg: Float32Array.from(s.expAvg), expAvgSq: Float32Array.from(s.expAvgSq)})
    }
    this.state = next
  }
}

/**
 * The state as named tensors plus JSON metadata (for safetensors): `exp_avg.<param>`,
 * `exp_avg_sq.<param>` and `{"steps": {param: t}}`.
 */
export function adamwStateToTensors(state: AdamWState): {tensors: Map<string, NDArray>; metadata: {steps: Record<string, number>}} {
  const tensors = new Map<string, NDArray>()
  const steps: Record<string, number> = {}
  for (const [k, s] of Object.entries(state.params)) {
    tensors.set(`exp_avg.${k}`, {data: s.expAvg, shape: [s.expAvg.length]})
    tensors.set(`exp_avg_sq.${k}`, {data: s.expAvgSq, shape: [s.expAvgSq.length]})
    steps[k] = s.step
  }
  return {tensors, metadata: {steps}}
}

export function adamwStateFromTensors(tensors: ReadonlyMap<string, NDArray>, metadata: {steps: Record<string, number>}): AdamWState {
  const params: Record<string, AdamWParamState> = {}
  for (const [k, step] of Object.entries(metadata.steps ?? {})) {
    const m = tensors.get(`exp_avg.${k}`)
    const v = tensors.get(`exp_avg_sq.${k}`)
    if (!m || !v) throw inputError(`optimizer state lacks the moments of ${k}`, {hint: 'the checkpoint is incomplete; resume from another one'})
    params[k] = {step, expAvg: Float32Array.from(m.data), expAvgSq: Float32Array.from(v.data)}
  }
  return {kind: 'adamw', params}
}
