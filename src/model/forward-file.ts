/**
 * `motion forward`: a model-ready array file through the network, the outputs to a file.
 * Input: .npy (or a .npz holding one array, or an `x` entry), shaped as the model takes it
 * ([N, T, 17, C] for pose models, [N, M, T, 17, C] for action models). Output: .npz with every
 * output by name (pose3d and representation, or logits), or .npy with the first output.
 * The output is checked before the model runs and written atomically, so a failure leaves nothing.
 */
import {promises as fsp} from 'node:fs'
import path from 'node:path'

import {inputError} from '../core/errors.js'
import {readNpy, readNpz, toFloat32, writeNpy, writeNpz} from '../formats/npy.js'
import {type NDArray, shapeString} from '../core/ndarray.js'
import type {InferenceEngine} from './engine.js'
import type {LoadedModel} from './load.js'
import {checkModelInput, modelInputLayout, outputNames} from './model.js'

export const FORWARD_OUTPUT_EXTENSIONS = ['.npz', '.npy'] as const

export interface ForwardFileResult {
  input: string
  inputShape: number[]
  out: string
  /** Output name → shape, in the order written. */
  outputs: Record<string, number[]>
  /** Names the model produced but a .npy output could not hold. */
  dropped: string[]
}

/** Refuses an output path that cannot be written (extension, missing folder) before any work is done. */
export async function checkForwardOutput(out: string): Promise<void> {
  const ext = path.extname(out).toLowerCase()
  if (!(FORWARD_OUTPUT_EXTENSIONS as readonly string[]).includes(ext)) {
    throw inputError(`unknown output format '${ext || '(no extension)'}'`, {file: out, hint: 'use .npz (every output by name) or .npy (the first output)'})
  }
  await checkOutputFolder(out)
}

/** An input error when the folder `file` would be written into does not exist. */
export async function checkOutputFolder(file: string): Promise<void> {
  const dir = path.dirname(path.resolve(file))
  const st = await fsp.stat(dir).catch(() => undefined)
  if (!st) throw inputError(`output folder ${dir} does not exist`, {file, hint: 'create the folder first or choose another output path'})
  if (!st.isDirectory()) throw inputError(`${dir} is not a folder`, {file})
}

/** Reads a model input array from .npy or .npz. */
export async function readModelInput(file: string): Promise<NDArray> {
  if (path.extname(file).toLowerCase() === '.npz') {
    const arrays = await readNpz(file)
    const chosen = arrays.get('x') ?? (arrays.size === 1 ? [...arrays.values()][0] : undefined)
    if (!chosen) {
      throw inputError(`holds ${arrays.size} arrays (${[...arrays.keys()].join(', ')}); name the input 'x' or pass a .npy`, {file})
    }
    return toFloat32(chosen)
  }
  return toFloat32(await readNpy(file))
}

/** Runs the model on the array in `input` and writes `out` (see the module comment). */
export async function forwardFile(loaded: LoadedModel, engine: InferenceEngine, input: string, out: string): Promise<ForwardFileResult> {
  await checkForwardOutput(out)
  const x = await readModelInput(input)
  checkModelInput(loaded.model, x, {file: input})
  const outputs = await engine.run(x)
  const names = outputNames(loaded.model).filter((n) => outputs[n] !== undefined)
  for (const n of Object.keys(outputs)) if (!names.includes(n)) names.push(n)
  if (names.length === 0) throw new Error(`the ${loaded.model.backbone.name} model returned no outputs for ${shapeString(x.shape)}`)
  const shapes: Record<string, number[]> = {}
  let dropped: string[] = []
  if (path.extname(out).toLowerCase() === '.npy') {
    const first = names[0]!
    await writeNpy(out, outputs[first]!)
    shapes[first] = [...outputs[first]!.shape]
    dropped = names.slice(1)
  } else {
    const arrays: Record<string, NDArray> = {}
    for (const n of names) {
      arrays[n] = outputs[n]!
      shapes[n] = [...outputs[n]!.shape]
    }
    await writeNpz(out, arrays)
  }
  return {input, inputShape: [...x.shape], out, outputs: shapes, dropped}
}

/** "[N, T, J, C]" for messages and help. */
export function inputLayoutText(loaded: LoadedModel): string {
  return `[${modelInputLayout(loaded.model).join(', ')}]`
}
