/**
 * The plain array type that crosses module boundaries (readers, writers, models, metrics):
 * row-major data with an explicit shape. Float32 unless a reader says otherwise.
 */
export type DType = 'float32' | 'float64' | 'int32' | 'int64' | 'uint8' | 'bool'

export type TypedArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array

export interface NDArray<D extends TypedArray = Float32Array> {
  data: D
  shape: number[]
}

export function size(shape: readonly number[]): number {
  let n = 1
  for (const d of shape) n *= d
  return n
}

export function ndarray(data: Float32Array, shape: number[]): NDArray {
  if (data.length !== size(shape)) {
    throw new Error(`ndarray: ${data.length} values do not fill shape [${shape.join(', ')}]`)
  }
  return {data, shape}
}

export function zeros(shape: number[]): NDArray {
  return {data: new Float32Array(size(shape)), shape: [...shape]}
}

export function shapeString(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`
}

/** Any typed array (an element may be a number or a bigint). */
type Elements = {length: number; [i: number]: number | bigint}

/**
 * Copies the strided view of `src` (element `offset`, `shape`, element `strides` per axis) into
 * `out` in C (row-major) order: a transpose, a Fortran-order array, a torch view.
 */
export function copyStrided<T extends Elements>(src: Elements, offset: number, shape: readonly number[], viewStrides: readonly number[], out: T): T {
  const rank = shape.length
  const n = size(shape)
  if (n === 0) return out
  if (rank === 0) {
    out[0] = src[offset]!
    return out
  }
  const last = shape[rank - 1]!
  const step = viewStrides[rank - 1]!
  const index = new Array<number>(rank - 1).fill(0)
  let from = offset
  for (let o = 0; o < n; o += last) {
    for (let k = 0; k < last; k++) out[o + k] = src[from + k * step]!
    // the next row: an odometer over the outer axes, the source offset moving with it
    for (let d = rank - 2; d >= 0; d--) {
      index[d]!++
      from += viewStrides[d]!
      if (index[d]! < shape[d]!) break
      from -= viewStrides[d]! * shape[d]!
      index[d] = 0
    }
  }
  return out
}

/** Row-major strides for a shape. */
export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length)
  let acc = 1
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc
    acc *= shape[i]!
  }
  return s
}
