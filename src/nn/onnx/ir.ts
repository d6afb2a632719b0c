/**
 * The recorded graph: a small, explicit IR between the op interface and ONNX.
 *
 * Every node uses an ONNX operator name with that operator's semantics (onnx.ai/onnx/operators),
 * with two deliberate differences so a node can be read (and later differentiated) on its own:
 *  - attributes are always attributes (ReduceSum's `axes` too, which ONNX 13+ takes as an input);
 *  - `Gelu` is the exact erf GELU (opset 20 semantics, approximate='none'); lowering decides
 *    whether to emit it as one op or as its Erf decomposition.
 * Linear weights are stored pre-transposed (`[in, out]`) as initializers that remember the
 * parameter they came from, so gradients can be mapped back to the state-dict key.
 *
 * Shapes are tracked per value: a number when static, else a symbolic monomial such as `N`,
 * `T`, `N*T` or `17*N` (coefficient times sorted symbol names). Sizes that cannot be expressed
 * that way get a fresh unknown symbol `?k`.
 */
export type IRDim = number | string
export type IRDType = 'float32' | 'int64' | 'bool'

export interface ValueInfo {
  readonly name: string
  readonly dtype: IRDType
  readonly shape: readonly IRDim[]
}

export type Attr =
  | {readonly i: number}
  | {readonly f: number}
  | {readonly ints: readonly number[]}
  | {readonly floats: readonly number[]}
  | {readonly s: string}

export type Attrs = Readonly<Record<string, Attr>>

export interface IRNode {
  /** ONNX operator type (see the module comment for the two IR-level differences). */
  readonly op: string
  /** Value names; '' marks an omitted optional input. */
  readonly inputs: readonly string[]
  readonly outputs: readonly string[]
  readonly attrs: Attrs
  /**
   * Operator domain: absent for ONNX ops. Only inference fusions (optimise.ts, fuseForInference)
   * emit 'com.microsoft' contrib ops, after recording; recorded and training graphs never do.
   */
  readonly domain?: string
}

/** Where an initializer's data came from, for mapping gradients back to parameters. */
export interface ParamSource {
  readonly param: string
  /** 'transpose': the 2D weight `[out, in]` stored as `[in, out]`. */
  readonly transform: 'identity' | 'transpose'
}

export interface Initializer {
  readonly name: string
  readonly dtype: IRDType
  readonly shape: readonly number[]
  readonly data: Float32Array | BigInt64Array | Uint8Array
  readonly source?: ParamSource
}

export interface Graph {
  readonly inputs: readonly ValueInfo[]
  readonly outputs: readonly ValueInfo[]
  readonly nodes: readonly IRNode[]
  readonly initializers: ReadonlyMap<string, Initializer>
  /** Shape/dtype of every value (inputs, initializers, node outputs). */
  readonly values: ReadonlyMap<string, ValueInfo>
  readonly mode: 'eval' | 'train'
}

// ---- symbolic dims ---------------------------------------------------------------------------

interface Monomial {
  coef: number
  syms: string[]
}

function parseDim(d: IRDim): Monomial {
  if (typeof d === 'number') return {coef: d, syms: []}
  let coef = 1
  const syms: string[] = []
  for (const part of d.split('*')) {
    if (/^\d+$/.test(part)) coef *= Number(part)
    else syms.push(part)
  }
  return {coef, syms}
}

function formatDim(m: Monomial): IRDim {
  if (m.syms.length === 0) return m.coef
  const syms = [...m.syms].sort()
  return m.coef === 1 ? syms.join('*') : `${m.coef}*${syms.join('*')}`
}

export function isUnknownDim(d: IRDim): boolean {
  return typeof d === 'string' && d.includes('?')
}

/** Product of dims, symbolic where needed. */
export function mulDims(dims: readonly IRDim[]): IRDim {
  let coef = 1
  const syms: string[] = []
  for (const d of dims) {
    const m = parseDim(d)
    coef *= m.coef
    syms.push(...m.syms)
  }
  return formatDim({coef, syms})
}

/** a / b when it is an exact monomial (e.g. `17*N*T` / `17*T` = `N`), else undefined. */
export function divDims(a: IRDim, b: IRDim): IRDim | undefined {
  const ma = parseDim(a)
  const mb = parseDim(b)
  if (mb.coef === 0 || ma.coef % mb.coef !== 0) return undefined
  const rest = [...ma.syms]
  for (const s of mb.syms) {
    const i = rest.indexOf(s)
    if (i < 0 || s.includes('?')) return undefined
    rest.splice(i, 1)
  }
  return formatDim({coef: ma.coef / mb.coef, syms: rest})
}

/** The value of a static dim or the dim_param used in ONNX value infos. */
export function dimLabel(d: IRDim): string {
  return String(d)
}
