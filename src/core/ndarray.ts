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
