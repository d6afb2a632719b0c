/**
 * Vector-Jacobian products for every op the ONNX recorder emits (recorder.ts). A rule receives
 * the node, the gradient of each of its outputs and which inputs need one, and emits nodes (via
 * GraphBuilder) computing the gradient of each input. Semantics follow the tfjs/PyTorch
 * conventions at kinks, so the two engines agree: Max gives the gradient to `a` where a >= b,
 * Relu passes it where x > 0, Abs uses sign(x) (0 at 0), ReduceMax to every maximal element.
 */
import {modelError} from '../../core/errors.js'
import type {IRNode} from './ir.js'
import type {GraphBuilder} from './grad-builder.js'

/**
 * A contribution to an input's gradient: dense (the input's full shape), or the gradient of a
 * window `[start, start + len)` along `axis` (from Slice), combined later by concatenation or padding.
 */
export type GradPart = {readonly value: string} | {readonly value: string; readonly axis: number; readonly start: number}

export interface VjpContext {
  readonly b: GraphBuilder
  readonly node: IRNode
  /** Gradient of each output, null where none reaches it. */
  readonly dy: readonly (string | null)[]
  /** Whether each input needs a gradient. */
  readonly needs: readonly boolean[]
}

export type VjpRule = (ctx: VjpContext) => (GradPart | null)[]

const dense = (value: string): GradPart => ({value})

function attrInt(node: IRNode, name: string, fallback: number): number {
  const a = node.attrs[name]
  return a && 'i' in a ? a.i : fallback
}
function attrInts(node: IRNode, name: string): number[] | undefined {
  const a = node.attrs[name]
  return a && 'ints' in a ? [...a.ints] : undefined
}
function attrFloat(node: IRNode, name: string, fallback: number): number {
  const a = node.attrs[name]
  return a && 'f' in a ? a.f : fallback
}

/** A rule for a unary elementwise op: dx = f(ctx, x, y, dy). */
function unaryRule(f: (b: GraphBuilder, x: string, y: string, dy: string) => string): VjpRule {
  return ({b, node, dy, needs}) => {
    const g = dy[0]
    if (!g || !needs[0]) return [null]
    return [dense(f(b, node.inputs[0]!, node.outputs[0]!, g))]
  }
}

/** A rule for a broadcasting binary op from the two un-reduced gradients. */
function binaryRule(f: (b: GraphBuilder, a: string, c: string, y: string, dy: string, needs: readonly boolean[]) => [string | null, string | null]): VjpRule {
  return ({b, node, dy, needs}) => {
    const g = dy[0]
    if (!g) return [null, null]
    const [a, c] = node.inputs as [string, string]
    const [ga, gc] = f(b, a, c, node.outputs[0]!, g, needs)
    return [ga && needs[0] ? dense(b.unbroadcast(ga, b.shape(a))) : null, gc && needs[1] ? dense(b.unbroadcast(gc, b.shape(c))) : null]
  }
}

/** Gradient of a reduction's output, reshaped to keepdims form and expanded to the input. */
function expandReduced(b: GraphBuilder, node: IRNode, g: string): {g: string; axes: number[]; keepShape: number[]} {
  const x = node.inputs[0]!
  const xs = b.shape(x)
  const axes = attrInts(node, 'axes') ?? xs.map((_, i) => i)
  const keepShape = xs.map((d, i) => (axes.includes(i) ? 1 : d))
  return {g: b.reshape(g, keepShape), axes, keepShape}
}

const SQRT1_2 = Math.SQRT1_2
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI)

export const VJP_RULES: Readonly<Record<string, VjpRule>> = {
  Identity: unaryRule((_b, _x, _y, g) => g),
  Neg: unaryRule((b, _x, _y, g) => b.unary('Neg', g)),
  Abs: unaryRule((b, x, _y, g) => b.mul(g, b.unary('Sign', x))),
  Sqrt: unaryRule((b, _x, y, g) => b.div(b.mul(g, b.scalar(0.5)), y)),
  Exp: unaryRule((b, _x, y, g) => b.mul(g, y)),
  Log: unaryRule((b, x, _y, g) => b.div(g, x)),
  Sin: unaryRule((b, x, _y, g) => b.mul(g, b.unary('Cos', x))),
  Cos: unaryRule((b, x, _y, g) => b.unary('Neg', b.mul(g, b.unary('Sin', x)))),
  Tanh: unaryRule((b, _x, y, g) => b.mul(g, b.sub(b.scalar(1), b.mul(y, y)))),
  Sigmoid: unaryRule((b, _x, y, g) => b.mul(g, b.mul(y, b.sub(b.scalar(1), y)))),
  Relu: unaryRule((b, x, _y, g) => b.where(b.compare('Greater', x, b.scalar(0)), g, b.scalar(0))),
  Erf: unaryRule((b, x, _y, g) => b.mul(g, b.mul(b.unary('Exp', b.mul(b.mul(x, x), b.scalar(-1))), b.scalar(2 / Math.sqrt(Math.PI))))),
  // Exact GELU: d/dx [x Φ(x)] = Φ(x) + x φ(x).
  Gelu: unaryRule((b, x, _y, g) => {
    const cdf = b.mul(b.add(b.unary('Erf', b.mul(x, b.scalar(SQRT1_2))), b.scalar(1)), b.scalar(0.5))
    const pdf = b.mul(b.unary('Exp', b.mul(b.mul(x, x), b.scalar(-0.5))), b.scalar(INV_SQRT_2PI))
    return b.mul(g, b.add(cdf, b.mul(x, pdf)))
  }),

  Add: binaryRule((_b, _a, _c, _y, g) => [g, g]),
  Sub: binaryRule((b, _a, _c, _y, g, needs) => [g, needs[1] ? b.unary('Neg', g) : null]),
  Mul: binaryRule((b, a, c, _y, g, needs) => [needs[0] ? b.mul(g, c) : null, needs[1] ? b.mul(g, a) : null]),
  // d(a/c)/dc = -a/c² = -y/c.
  Div: binaryRule((b, _a, c, y, g, needs) => [needs[0] ? b.div(g, c) : null, needs[1] ? b.unary('Neg', b.div(b.mul(g, y), c)) : null]),
  Max: binaryRule((b, a, c, _y, g, needs) => {
    const takeA = b.compare('GreaterOrEqual', a, c)
    const zero = b.scalar(0)
    return [needs[0] ? b.where(takeA, g, zero) : null, needs[1] ? b.where(takeA, zero, g) : null]
  }),

  MatMul: ({b, node, dy, needs}) => {
    const g = dy[0]
    if (!g) return [null, null]
    const [a, c] = node.inputs as [string, string]
    const sa = b.shape(a)
    const sc = b.shape(c)
    let ga: string | null = null
    let gc: string | null = null
    if (needs[0]) ga = b.unbroadcast(b.matmul(g, b.transposeLast(c)), sa)
    if (needs[1]) {
      const gs = b.shape(g)
      if (sc.length === 2 && sa.length > 2) {
        // x @ W with x [..., M, K]: dW = x2ᵀ @ dy2 over the flattened leading axes (one GEMM).
        const k = sa[sa.length - 1]!
        const n = gs[gs.length - 1]!
        gc = b.matmul(b.transposeLast(b.reshape(a, [size(sa) / k, k])), b.reshape(g, [size(gs) / n, n]))
      } else {
        gc = b.unbroadcast(b.matmul(b.transposeLast(a), g), sc)
      }
    }
    return [ga ? dense(ga) : null, gc ? dense(gc) : null]
  },

  Transpose: ({b, node, dy, needs}) => {
    const g = dy[0]
    if (!g || !needs[0]) return [null]
    const perm = attrInts(node, 'perm')!
    const inv = new Array<number>(perm.length)
    perm.forEach((p, i) => (inv[p] = i))
    return [dense(b.transpose(g, inv))]
  },

  Reshape: ({b, node, dy, needs}) => {
    const g = dy[0]
    if (!g || !needs[0]) return [null, null]
    return [dense(b.reshape(g, b.shape(node.inputs[0]!))), null]
  },

  Concat: ({b, node, dy, needs}) => {
    const g = dy[0]
    if (!g) return node.inputs.map(() => null)
    const axis = attrInt(node, 'axis', 0)
    const sizes = node.inputs.map((x) => b.shape(x)[axis]!)
    const outs = b.emit(
      'Split',
      [g, b.ints(sizes)],
      {axis: {i: axis}},
      node.inputs.map((x) => ({shape: b.shape(x)})),
    )
    return outs.map((o, i) => (needs[i] ? dense(o) : null))
  },

  Slice: ({b, node, dy, needs}) => {
    const g = dy[0]
    if (!g || !needs[0]) return node.inputs.map(() => null)
    const [x, starts, , axesName, steps] = node.inputs
    const start = b.constInts(starts!)
    const axes = axesName ? b.constInts(axesName) : [0]
    if (!start || !axes || start.length !== 1 || axes.length !== 1 || (steps && b.constInts(steps)?.some((s) => s !== 1))) {
      throw modelError(`gradient of Slice ${node.outputs[0]}: only constant single-axis unit-step slices are supported`)
    }
    const xs = b.shape(x!)
    const axis = axes[0]! < 0 ? axes[0]! + xs.length : axes[0]!
    const size = xs[axis]!
    const s = Math.min(Math.max(start[0]! < 0 ? start[0]! + size : start[0]!, 0), size)
    return [{value: g, axis, start: s}, null, null, null, null].slice(0, node.inputs.length)
  },

  Gather: ({b, node, dy, needs}) => {
    const g = dy[0]
    if (!g || !needs[0]) return [null, null]
    const [x, indicesName] = node.inputs as [string, string]
    const indices = b.constInts(indicesName)
    if (!indices) throw modelError(`gradient of Gather ${node.outputs[0]}: indices must be constant`)
    const xs = b.shape(x)
    const axis = attrInt(node, 'axis', 0)
    const n = xs[axis]!
    const idx = indices.map((i) => (i < 0 ? i + n : i))
    // A contiguous ascending run is a slice.
    if (idx.every((v, k) => v === idx[0]! + k)) return [{value: g, axis, start: idx[0]!}, null]
    // Scatter-add as one GEMM with a constant 0/1 matrix: dx[p, j, q] = Σ_i S[j, i] dy[p, i, q].
    const pre = xs.slice(0, axis).reduce((p, q) => p * q, 1)
    const post = xs.slice(axis + 1).reduce((p, q) => p * q, 1)
    const sel = new Float32Array(n * idx.length)
    idx.forEach((j, i) => (sel[j * idx.length + i] = 1))
    const selName = b.floatConst(sel, [n, idx.length])
    const g3 = b.reshape(g, [pre, idx.length, post])
    return [dense(b.reshape(b.matmul(selName, g3), xs)), null]
  },

  ReduceSum: ({b, node, dy, needs}) => {
    const g = dy[0]
    if (!g || !needs[0]) return node.inputs.map(() => null)
    const {g: gk} = expandReduced(b, node, g)
    return [dense(b.expand(gk, b.shape(node.inputs[0]!)))]
  },

  ReduceMean: ({b, node, dy, needs}) => {
    const g = dy[0]
    if (!g || !needs[0]) return node.inputs.map(() => null)
    const xs = b.shape(node.inputs[0]!)
    const {g: gk, axes} = expandReduced(b, node, g)
    const count = axes.reduce((p, a) => p * xs[a]!, 1)
    return [dense(b.expand(b.mul(gk, b.scalar(1 / count)), xs))]
  },

  ReduceMax: ({b, node, dy, needs}) => {
    const g = dy[0]
    if (!g || !needs[0]) return node.inputs.map(() => null)
    const x = node.inputs[0]!
    const {g: gk, keepShape} = expandReduced(b, node, g)
    const yk = b.reshape(node.outputs[0]!, keepShape)
    return [dense(b.where(b.compare('Equal', x, yk), gk, b.scalar(0)))]
  },

  // dx = y ⊙ (dy − Σ_axis dy ⊙ y)
  Softmax: ({b, node, dy, needs}) => {
    const g = dy[0]
    if (!g || !needs[0]) return [null]
    const y = node.outputs[0]!
    const axis = attrInt(node, 'axis', -1)
    const rank = b.shape(y).length
    const gy = b.mul(g, y)
    const s = b.reduce('ReduceSum', gy, [axis < 0 ? axis + rank : axis], true)
    return [dense(b.sub(gy, b.mul(y, s)))]
  },

  /**
   * Needs the forward node's Mean and InvStdDev outputs (grad.ts adds them). With x̂ = (x−μ)σ⁻¹
   * and g = dy ⊙ γ: dx = σ⁻¹ (g − mean(g) − x̂ mean(g ⊙ x̂)), dγ = Σ dy ⊙ x̂, dβ = Σ dy.
   */
  LayerNormalization: ({b, node, dy, needs}) => {
    const g = dy[0]
    if (!g) return node.inputs.map(() => null)
    if (dy[1] || dy[2]) throw modelError('gradient through LayerNormalization mean/inv-std outputs is not supported')
    const [x, gamma, beta] = node.inputs as [string, string, string]
    const [, mean, invStd] = node.outputs as [string, string, string]
    const xs = b.shape(x)
    const rank = xs.length
    const axis = attrInt(node, 'axis', -1)
    const first = axis < 0 ? axis + rank : axis
    const normAxes = Array.from({length: rank - first}, (_, i) => first + i)
    const leadAxes = Array.from({length: first}, (_, i) => i)
    const xhat = b.mul(b.sub(x, mean), invStd)
    const out: (GradPart | null)[] = [null, null, null]
    if (needs[1]) out[1] = dense(b.reshape(b.reduce('ReduceSum', b.mul(g, xhat), leadAxes, false), b.shape(gamma)))
    if (needs[2] && beta) out[2] = dense(b.reshape(b.reduce('ReduceSum', g, leadAxes, false), b.shape(beta)))
    if (needs[0]) {
      const gg = b.mul(g, gamma)
      const m1 = b.reduce('ReduceMean', gg, normAxes, true)
      const m2 = b.reduce('ReduceMean', b.mul(gg, xhat), normAxes, true)
      out[0] = dense(b.mul(b.sub(b.sub(gg, m1), b.mul(xhat, m2)), invStd))
    }
    return out.slice(0, node.inputs.length)
  },

  /** Inference-form BatchNormalization (running statistics): an affine map per channel. */
  BatchNormalization: ({b, node, dy, needs}) => {
    const g = dy[0]
    if (!g) return node.inputs.map(() => null)
    const [x, gamma, , mean, variance] = node.inputs as [string, string, string, string, string]
    const xs = b.shape(x)
    const c = xs[1]!
    const chShape = xs.map((d, i) => (i === 1 ? c : 1))
    const reduceAxes = xs.map((_, i) => i).filter((i) => i !== 1)
    const eps = attrFloat(node, 'epsilon', 1e-5)
    const invStd = b.reshape(b.div(b.scalar(1), b.unary('Sqrt', b.add(variance, b.scalar(eps)))), chShape)
    const out: (GradPart | null)[] = node.inputs.map(() => null)
    if (needs[0]) out[0] = dense(b.mul(g, b.mul(invStd, b.reshape(gamma, chShape))))
    if (needs[1]) out[1] = dense(b.reshape(b.reduce('ReduceSum', b.mul(g, b.mul(b.sub(x, b.reshape(mean, chShape)), invStd)), reduceAxes, false), [c]))
    if (needs[2]) out[2] = dense(b.reshape(b.reduce('ReduceSum', g, reduceAxes, false), [c]))
    return out
  },

  /**
   * 1D convolution. dx is the transposed convolution of dy; dW correlates x with dy, computed as a
   * convolution with batch and channel roles swapped (x as [Cin, N, L], dy as the kernel).
   */
  Conv: ({b, node, dy, needs}) => {
    const g = dy[0]
    if (!g) return node.inputs.map(() => null)
    const [x, w] = node.inputs as [string, string]
    const xs = b.shape(x)
    const ws = b.shape(w)
    if (xs.length !== 3) throw modelError(`gradient of Conv ${node.outputs[0]}: only 1D convolutions are supported`)
    if (attrInt(node, 'group', 1) !== 1) throw modelError(`gradient of Conv ${node.outputs[0]}: grouped convolutions are not supported`)
    const stride = attrInts(node, 'strides')?.[0] ?? 1
    const dilation = attrInts(node, 'dilations')?.[0] ?? 1
    const [padL, padR] = attrInts(node, 'pads') ?? [0, 0]
    const [, cout, lout] = b.shape(g) as [number, number, number]
    const [cout2, cin, k] = ws as [number, number, number]
    if (cout2 !== cout) throw new Error('Conv grad: channel mismatch')
    const out: (GradPart | null)[] = node.inputs.map(() => null)
    if (needs[0]) {
      // ConvTranspose output length: stride*(lout-1) + dilation*(k-1) + 1 - padL - padR + outPad.
      const base = stride * (lout - 1) + dilation * (k - 1) + 1 - padL! - padR!
      const outPad = xs[2]! - base
      let dx: string
      if (outPad >= 0 && outPad < Math.max(stride, dilation)) {
        dx = b.emit1(
          'ConvTranspose',
          [g, w],
          {strides: {ints: [stride]}, dilations: {ints: [dilation]}, pads: {ints: [padL!, padR!]}, kernel_shape: {ints: [k]}, output_padding: {ints: [outPad]}},
          xs,
        )
      } else {
        // Trailing inputs the convolution never read: transpose-convolve, then pad with zeros.
        const padded = b.emit1(
          'ConvTranspose',
          [g, w],
          {strides: {ints: [stride]}, dilations: {ints: [dilation]}, pads: {ints: [padL!, padR!]}, kernel_shape: {ints: [k]}},
          [xs[0]!, cin, base],
        )
        dx = b.pad(padded, 2, 0, xs[2]! - base)
      }
      out[0] = dense(dx)
    }
    if (needs[1]) {
      const xT = b.transpose(x, [1, 0, 2]) // [Cin, N, L]
      const gT = b.transpose(g, [1, 0, 2]) // [Cout, N, Lout]
      const kFull = Math.floor((xs[2]! + padL! + padR! - stride * (lout - 1) - 1) / dilation) + 1
      const corr = b.emit1(
        'Conv',
        [xT, gT],
        {strides: {ints: [dilation]}, dilations: {ints: [stride]}, pads: {ints: [padL!, padR!]}, kernel_shape: {ints: [lout]}},
        [cin, cout, kFull],
      ) // [Cin, Cout, K']
      const cropped = kFull === k ? corr : b.emit1('Slice', [corr, b.ints([0]), b.ints([k]), b.ints([2])], {}, [cin, cout, k])
      out[1] = dense(b.transpose(cropped, [1, 0, 2]))
    }
    if (needs[2] && node.inputs[2]) out[2] = dense(b.reduce('ReduceSum', g, [0, 2], false))
    return out
  },
}

function size(shape: readonly number[]): number {
  return shape.reduce((p, q) => p * q, 1)
}

/** Ops whose outputs carry no gradient (shape computations). */
export const NON_DIFFERENTIABLE = new Set(['Shape', 'Equal', 'Greater', 'GreaterOrEqual', 'Sign'])
