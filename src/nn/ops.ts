/**
 * The op interface: every backbone and head is written once against it, and each executor
 * interprets it (DESIGN.md, "One model definition, two executors"):
 *
 *  - the tfjs executor (src/nn/tfjs/) runs the ops eagerly on tf.Tensors (autograd for training);
 *  - the ONNX recorder (src/nn/onnx/) records them as graph nodes that onnxruntime-node runs,
 *    and differentiates the recorded graph for training.
 *
 * Conventions, fixed for every executor:
 *  - Parameters are addressed by name (`ops.param('blocks_st.0.attn_s.qkv.weight')`), exactly the
 *    state-dict key of the native checkpoint, so weights, gradients and key maps share one namespace.
 *  - Linear weights keep PyTorch's layout `[out, in]`; `linear` computes `x @ W^T + b` on the last axis.
 *  - Axes may be negative (counted from the end), as in PyTorch.
 *  - A `Dim` is a number where the size is known when the model is built. The ONNX recorder, when it
 *    records a graph with dynamic batch/frames, returns symbolic dims from `dim()`; they may be passed
 *    back to `reshape` and `slice` but not used in arithmetic (use `-1` in reshape instead).
 *  - Ops never mutate their inputs. Model code must not hold executor-specific objects.
 */
export type Dim = number | SymbolicDim

export interface SymbolicDim {
  readonly symbolic: true
  /** Executor-specific handle (for ONNX: the name of a 1-element int64 value). */
  readonly ref: string
}

export function isStaticDim(d: Dim): d is number {
  return typeof d === 'number'
}

/** Whether the executor is evaluating for inference or recording/running a training step. */
export type Mode = 'eval' | 'train'

export interface Ops<T> {
  /** Which executor this is; model code should not branch on it, tests and tools may. */
  readonly executor: 'tfjs' | 'onnx'
  /** Training mode enables dropout and batch statistics in batchNorm. */
  readonly mode: Mode

  // ---- values ------------------------------------------------------------------------------
  /** A named parameter (or buffer, e.g. BatchNorm running stats, SMPL template) of the model. */
  param(name: string): T
  /** Whether the model's weights contain this name (for optional parameters such as biases). */
  hasParam(name: string): boolean
  /** A float32 constant. */
  constant(values: Float32Array | readonly number[], shape: readonly number[]): T
  /** The size of one axis: a number when known, else a symbolic dim (ONNX dynamic axes). */
  dim(x: T, axis: number): Dim
  /** Rank of x (always static). */
  rank(x: T): number

  // ---- elementwise (numpy broadcasting) ----------------------------------------------------
  add(a: T, b: T): T
  sub(a: T, b: T): T
  mul(a: T, b: T): T
  div(a: T, b: T): T
  /** x * s for a plain number. */
  scale(x: T, s: number): T
  /** x + s for a plain number. */
  addScalar(x: T, s: number): T
  neg(x: T): T
  abs(x: T): T
  sqrt(x: T): T
  exp(x: T): T
  log(x: T): T
  sin(x: T): T
  cos(x: T): T
  tanh(x: T): T
  sigmoid(x: T): T
  relu(x: T): T
  /** Exact (erf) GELU, as torch.nn.GELU() default. */
  gelu(x: T): T
  /** max(x, s) for a plain number (e.g. clamping a norm before dividing). */
  maximumScalar(x: T, s: number): T

  // ---- linear algebra ----------------------------------------------------------------------
  /** Batched matmul over the last two axes with broadcasting of leading axes. */
  matmul(a: T, b: T, opts?: {transposeA?: boolean; transposeB?: boolean}): T
  /** x @ W^T + b over the last axis; W is `[out, in]` (PyTorch nn.Linear); bias optional. */
  linear(x: T, weight: string, bias?: string | null): T
  /**
   * 1D convolution, PyTorch nn.Conv1d semantics: x `[N, Cin, L]`, weight `[Cout, Cin, K]`,
   * output `[N, Cout, Lout]`.
   */
  conv1d(x: T, weight: string, bias: string | null, opts: {stride?: number; padding?: number; dilation?: number}): T

  // ---- reductions and normalisation ---------------------------------------------------------
  sum(x: T, axes: readonly number[], keepDims?: boolean): T
  mean(x: T, axes: readonly number[], keepDims?: boolean): T
  max(x: T, axes: readonly number[], keepDims?: boolean): T
  softmax(x: T, axis?: number): T
  /** LayerNorm over the last axis with weight/bias params `${prefix}.weight`, `${prefix}.bias`. */
  layerNorm(x: T, prefix: string, eps?: number): T
  /**
   * BatchNorm over axis 1 of `[N, C]` or `[N, C, L]` (nn.BatchNorm1d) with params
   * `${prefix}.{weight,bias,running_mean,running_var}`. Eval mode uses running statistics,
   * train mode the batch statistics.
   */
  batchNorm(x: T, prefix: string, eps?: number): T
  /** Inverted dropout in train mode; identity in eval mode. */
  dropout(x: T, rate: number): T

  // ---- shape -------------------------------------------------------------------------------
  /** Reshape; at most one -1. */
  reshape(x: T, shape: readonly Dim[]): T
  transpose(x: T, perm: readonly number[]): T
  concat(xs: readonly T[], axis: number): T
  /** x[..., start:end, ...] along one axis (step 1); `end` may be symbolic. */
  slice(x: T, axis: number, start: number, end: Dim): T
  /** Select fixed indices along an axis (numpy take with a constant index list). */
  gather(x: T, indices: readonly number[], axis: number): T
}

/** Resolve a possibly negative axis against a rank. */
export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis
  if (a < 0 || a >= rank) throw new Error(`axis ${axis} out of range for rank ${rank}`)
  return a
}
