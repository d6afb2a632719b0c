/** Loads an official metrics case (shared fixture or a wider one in test/fixtures). */
import path from 'node:path'

import {readNpy} from '../../src/formats/npy.js'
import type {NDArray} from '../../src/core/ndarray.js'
import {readCaseJson} from './fixtures.js'

export interface MetricsCaseResult {
  mpjpe_per_frame: number[]
  p_mpjpe_per_frame: number[]
  n_mpjpe: number
  mpjve: number
  loss_mpjpe: number
  limb_var: number
  limb_gt: number
  angle: number
  angle_velocity: number
}

export interface MetricsCase {
  shape: number[]
  gt: NDArray<Float64Array>
  inputs: {pred: NDArray<Float64Array>; pred_rigid: NDArray<Float64Array>}
  results: {pred: MetricsCaseResult; pred_rigid: MetricsCaseResult}
}

export async function loadMetricsCase(dir: string): Promise<MetricsCase> {
  const json = readCaseJson<{shape: number[]; results: MetricsCase['results']}>(dir)
  const load = async (name: string): Promise<NDArray<Float64Array>> => {
    const a = await readNpy(path.join(dir, `${name}.npy`))
    if (!(a.data instanceof Float64Array)) throw new Error(`${name}.npy: expected float64`)
    return {data: a.data, shape: a.shape}
  }
  return {
    shape: json.shape,
    gt: await load('gt'),
    inputs: {pred: await load('pred'), pred_rigid: await load('pred_rigid')},
    results: json.results,
  }
}

